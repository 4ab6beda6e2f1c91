package sessions

import (
	"testing"

	"mellium.im/xmpp/jid"
)

func (w *world) sayOnce(full, sid, body, origin, id string) Output {
	w.t.Helper()
	return w.send(&Message{From: jid.MustParse(full), Body: body, OriginID: origin, ID: id,
		Payload: `<origin-id xmlns="urn:xmpp:sid:0" id="` + origin + `"/>`}, sid)
}

func keptBodies(w *world, sid, body string) int {
	n := 0
	for _, e := range w.transcript[sid] {
		if e.Body == body {
			n++
		}
	}
	return n
}

// A message resent with the same origin-id (after a reconnect, an error or
// silence) is kept and delivered once; its sender gets the first reflection
// back, under the new message id, with the first stanza-id.
func TestOriginIDKeptAndDeliveredOnce(t *testing.T) {
	w := newWorld(t)
	w.signIn(alice)
	sid, _ := w.active(ann, "hello")
	out := w.sayOnce(ann, sid, "my order is 42", "o-1", "m1")
	first := roomMessages(out, sid, "my order is 42")
	if len(first) != 2 {
		t.Fatalf("first send delivered to %v", recipients(first))
	}
	sidOf := first[0].StanzaID
	if n := len(out.Batch.Transcript); n != 1 || out.Batch.Transcript[0].OriginID != "o-1" || out.Batch.Transcript[0].OriginSender != "visitor" {
		t.Fatalf("kept %+v", out.Batch.Transcript)
	}
	// The resend, from another window of the visitor (a new JID after a
	// reconnect) with a new message id.
	w.secondWindow(annLater, sid, w.tokenBySID[sid])
	out = w.sayOnce(annLater, sid, "my order is 42", "o-1", "m1b")
	again := roomMessages(out, sid, "my order is 42")
	if len(again) != 1 || again[0].To.String() != annLater || again[0].ID != "m1b" || again[0].StanzaID != sidOf {
		t.Fatalf("resend reflected as %+v, want one to %s with id m1b and stanza-id %s", again, annLater, sidOf)
	}
	if !out.Batch.Empty() {
		t.Errorf("the resend wrote %+v", out.Batch)
	}
	if n := keptBodies(w, sid, "my order is 42"); n != 1 {
		t.Errorf("kept %d times", n)
	}
	// The same origin-id from the agent is another message (another sender).
	out = w.sayOnce(alice, sid, "noted", "o-1", "a1")
	if len(roomMessages(out, sid, "noted")) == 0 || len(out.Batch.Transcript) != 1 || out.Batch.Transcript[0].OriginSender != bareOf(alice) {
		t.Errorf("the agent's message with the same origin-id: %+v", out.Batch.Transcript)
	}
	// And in another session it is new too.
	sid2, _, _ := w.newChat(annLater, "other")
	w.join(annLater, sid2, "Ann")
	out = w.sayOnce(annLater, sid2, "my order is 42", "o-1", "m9")
	if len(out.Batch.Transcript) != 1 {
		t.Errorf("another session's message with a known origin-id was not kept")
	}
}

// After a restart the engine still knows the origin-ids of the restored lines.
func TestOriginIDAcrossRestart(t *testing.T) {
	w := newWorld(t)
	w.signIn(alice)
	sid, _ := w.active(ann, "hello")
	w.sayOnce(ann, sid, "before the crash", "o-7", "m1")

	// A new engine from what the store holds.
	snap := &Snapshot{History: map[string][]Entry{sid: w.transcript[sid]}, LastSeq: map[string]int64{},
		Permissions: w.perms, Agents: w.agents}
	snap.Sessions = []Record{w.record(sid)}
	for _, e := range w.transcript[sid] {
		snap.LastSeq[sid] = e.Seq
	}
	w.eng = NewEngine(w.cfg)
	w.eng.Restore(w.now, snap)
	w.join(ann, sid, "Ann")
	out := w.sayOnce(ann, sid, "before the crash", "o-7", "m1")
	if len(out.Batch.Transcript) != 0 {
		t.Errorf("resend after a restart kept again: %+v", out.Batch.Transcript)
	}
	if r := roomMessages(out, sid, "before the crash"); len(r) != 1 || r[0].To.String() != ann {
		t.Errorf("resend after a restart reflected as %+v", r)
	}
	out = w.sayOnce(ann, sid, "after", "o-8", "m2")
	if len(out.Batch.Transcript) != 1 {
		t.Errorf("a new origin-id after a restart was not kept")
	}
}

// A message without an origin-id is never deduplicated (clients that do not
// mark theirs), nor one with an over-long id.
func TestNoOriginIDNoDedup(t *testing.T) {
	w := newWorld(t)
	w.signIn(alice)
	sid, _ := w.active(ann, "hello")
	w.say(ann, sid, "same")
	w.say(ann, sid, "same")
	if n := keptBodies(w, sid, "same"); n != 2 {
		t.Errorf("kept %d, want 2", n)
	}
	long := string(make([]byte, maxOriginID+1))
	w.sayOnce(ann, sid, "long", long, "x1")
	w.sayOnce(ann, sid, "long", long, "x2")
	if n := keptBodies(w, sid, "long"); n != 2 {
		t.Errorf("over-long origin-id: kept %d, want 2", n)
	}
}
