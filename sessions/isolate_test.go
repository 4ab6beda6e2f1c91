package sessions

import (
	"reflect"
	"testing"

	"github.com/parley-chat/parley/muc"
	"mellium.im/xmpp/jid"
)

// A panic half-way through a room message leaves nothing behind: no rows, no
// stanzas, and the session, its room and its origin-ids as they were, so the
// same message sent again is taken (not a duplicate) with the next sequence
// number, and the room's history holds it once.
func TestPanicLeavesNoInMemoryChange(t *testing.T) {
	armed := false
	w := newWorld(t, func(c *Config) {
		c.faultOnRoomSend = func() {
			if armed {
				panic("injected")
			}
		}
	})
	w.signIn(alice)
	sid, _ := w.active(ann, "Hi")
	s := w.eng.byID[sid]
	var before checkpoint
	before.take(s)
	history := s.room.History()

	armed = true
	msg := &Message{From: jid.MustParse(ann), To: roomJID(sid), Type: "groupchat", ID: "m1", Body: "once", OriginID: "o-1"}
	out := w.step(msg)
	armed = false
	if len(out.Panics) != 1 || len(out.Out) != 0 || len(out.Batch.Transcript) != 0 || len(out.Batch.Sessions) != 0 {
		t.Fatalf("the failed input left effects: panics %v, out %v, batch %+v", out.Panics, out.Out, out.Batch)
	}
	var after checkpoint
	after.take(s)
	before.room, after.room = muc.Checkpoint{}, muc.Checkpoint{} // the room is compared through History below
	if !reflect.DeepEqual(before, after) {
		t.Errorf("session changed by the failed input:\n before %+v\n after  %+v", before, after)
	}
	if got := s.room.History(); !reflect.DeepEqual(got, history) {
		t.Errorf("room history changed: %d lines, want %d", len(got), len(history))
	}
	if len(s.seenOrigin) != 0 {
		t.Errorf("origin-ids kept by the failed input: %v", s.seenOrigin)
	}

	out = w.step(msg)
	if len(out.Panics) != 0 || len(out.Batch.Transcript) != 1 || out.Batch.Transcript[0].Seq != before.lastSeq+1 {
		t.Fatalf("the message sent again: panics %v, transcript %+v, want one line with seq %d", out.Panics, out.Batch.Transcript, before.lastSeq+1)
	}
	if n := len(s.room.History()); n != len(history)+1 {
		t.Errorf("history has %d lines, want %d", n, len(history)+1)
	}
}

// A request that panics after it created its session leaves no session
// behind in memory either.
func TestPanicRemovesTheSessionItCreated(t *testing.T) {
	src := &failingReader{r: testConfig().Rand}
	w := newWorld(t, func(c *Config) { c.Rand = src })
	n := len(w.eng.byID)
	j := inputJournal{created: []string{"zzzz"}}
	w.eng.byID["zzzz"] = &session{}
	w.eng.byToken["k"] = []string{"zzzz"}
	j.undo(w.eng)
	if len(w.eng.byID) != n || len(w.eng.byToken) != 0 {
		t.Errorf("after undo: %d sessions (want %d), tokens %v", len(w.eng.byID), n, w.eng.byToken)
	}
}
