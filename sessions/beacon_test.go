package sessions

import (
	"testing"
	"time"
)

// The widget's suspend beacon (Leaving) suspends as the presence's
// <suspend/> would, whether it comes before or after the JID's leave, and
// only when no other window of the visitor stays (docs/protocol.md).
func TestLeavingBeacon(t *testing.T) {
	beacon := func(w *world, sid, token, from string) Output {
		return w.step(&Leaving{Session: sid, Token: token, From: mustJID(from)})
	}
	t.Run("before the server's own unavailable presence", func(t *testing.T) {
		w := newWorld(t)
		w.signIn(alice)
		sid, token := w.active(ann, "Hi")
		if out := beacon(w, sid, token, ann); w.record(sid).State != StateActive || len(eventTypes(out, sid)) != 0 {
			t.Fatalf("the beacon of a JID still in the room: state %s, events %v; want active until it leaves", w.record(sid).State, eventTypes(out, sid))
		}
		w.advance(time.Second)
		out := w.leave(ann, sid, "Ann", false)
		assertSuspended(t, w, out, sid, "visitor", "", true)
		if got := eventTypes(out, sid); contains(got, "visitor-left") {
			t.Errorf("events %v: a visitor who closed its page did not lose its connection", got)
		}
	})
	t.Run("after the server's own unavailable presence", func(t *testing.T) {
		w := newWorld(t)
		w.signIn(alice)
		sid, token := w.active(ann, "Hi")
		w.leave(ann, sid, "Ann", false)
		if rec := w.record(sid); rec.State != StateActive {
			t.Fatalf("state %s after a lost connection, want active", rec.State)
		}
		w.advance(10 * time.Millisecond)
		assertSuspended(t, w, beacon(w, sid, token, ann), sid, "visitor", "", true)
	})
	t.Run("with the presence's suspend too, once", func(t *testing.T) {
		w := newWorld(t)
		w.signIn(alice)
		sid, token := w.active(ann, "Hi")
		beacon(w, sid, token, ann)
		out := w.leave(ann, sid, "Ann", true)
		out2 := beacon(w, sid, token, ann)
		if n := len(events(out, sid)) + len(events(out2, sid)); eventOf(t, out, sid, "suspended").By != "visitor" || n != 1 {
			t.Errorf("%d events (%v, then %v), want one suspended", n, eventTypes(out, sid), eventTypes(out2, sid))
		}
	})
	t.Run("a queued session leaves the queue", func(t *testing.T) {
		w := newWorld(t)
		sid, token, _ := w.newChat(ann, "Hi")
		w.join(ann, sid, "Ann")
		beacon(w, sid, token, ann)
		w.leave(ann, sid, "Ann", false)
		if rec := w.record(sid); rec.State != StateSuspended || rec.SuspendedBy != "visitor" || w.eng.Router().Queued(sid) {
			t.Errorf("row %+v, queued %v: want suspended by the visitor, out of the queue", rec, w.eng.Router().Queued(sid))
		}
	})
	t.Run("another window stays", func(t *testing.T) {
		w := newWorld(t)
		w.signIn(alice)
		sid, token := w.active(ann, "Hi")
		w.secondWindow(annLater, sid, token)
		beacon(w, sid, token, ann)
		w.leave(ann, sid, "Ann", false)
		beacon(w, sid, token, ann)
		if rec := w.record(sid); rec.State != StateActive {
			t.Errorf("state %s with the visitor's other window in the room, want active", rec.State)
		}
		// The mark was for ann: the other window's lost connection is not a suspend.
		w.leave(annLater, sid, "Ann", false)
		if rec := w.record(sid); rec.State != StateActive {
			t.Errorf("state %s after the second window lost its connection, want active", rec.State)
		}
	})
	t.Run("ignored without the token or from another JID", func(t *testing.T) {
		w := newWorld(t)
		w.signIn(alice)
		sid, token := w.active(ann, "Hi")
		const zoe = "z1@guest.example.com/w1"
		other, otherToken, _ := w.newChat(zoe, "Me too")
		for _, b := range []*Leaving{
			{Session: sid, Token: otherToken, From: mustJID(ann)},
			{Session: sid, Token: "", From: mustJID(ann)},
			{Session: sid, Token: "not base64!", From: mustJID(ann)},
			{Session: sid, Token: token, From: mustJID(zoe)},
			{Session: sid, Token: token, From: mustJID(alice)},
			{Session: other, Token: token, From: mustJID(ann)},
			{Session: "nosuchsession", Token: token, From: mustJID(ann)},
		} {
			if out := w.step(b); len(out.Out) != 0 || len(out.Batch.Sessions) != 0 {
				t.Errorf("beacon %+v: wrote %d rows and sent %d stanzas, want nothing", b, len(out.Batch.Sessions), len(out.Out))
			}
		}
		w.leave(ann, sid, "Ann", false)
		if rec := w.record(sid); rec.State != StateActive {
			t.Errorf("state %s after bad beacons and a lost connection, want active", rec.State)
		}
	})
	t.Run("a suspended session stays as it is", func(t *testing.T) {
		w := newWorld(t)
		w.signIn(alice)
		sid, token := w.active(ann, "Hi")
		w.cmd(alice, sid, &SuspendCmd{Cause: "Investigation"})
		w.leave(ann, sid, "Ann", false)
		beacon(w, sid, token, ann)
		if rec := w.record(sid); rec.SuspendedBy != "agent" || rec.SuspendCause != "Investigation" {
			t.Errorf("row %+v after the beacon, want still suspended by the agent", rec)
		}
	})
}
