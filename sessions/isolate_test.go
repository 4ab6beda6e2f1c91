package sessions

import (
	"maps"
	"reflect"
	"testing"
	"time"

	"github.com/parley-chat/parley/muc"
	"mellium.im/xmpp/jid"
)

// sessionState is a deep copy of everything a session holds in memory, to
// compare before and after an input.
type sessionState struct {
	Rec               Record
	LastSeq           int64
	VisitorGone       time.Time
	Reconnected       bool
	TransferTo, Vnick string
	FirstOffer        bool
	Agents            map[string]AgentRole
	Offered, Invited  map[string]bool
	Nicks             map[string]string
	SeenOrigin        map[originKey]int64
	Occupants         []muc.Occupant
	History           []muc.Line
	Subject           string
	Destroyed         bool
}

func stateOf(s *session) sessionState {
	seen := maps.Clone(s.seenOrigin)
	if len(seen) == 0 {
		seen = nil // made on first use, emptied by the undo of a failed input
	}
	return sessionState{
		Rec: cloneRecord(s.rec), LastSeq: s.lastSeq, VisitorGone: s.visitorGone, Reconnected: s.reconnected,
		TransferTo: s.transferTo, Vnick: s.vnick, FirstOffer: s.firstOffer,
		Agents: maps.Clone(s.agents), Offered: maps.Clone(s.offered), Invited: maps.Clone(s.invited),
		Nicks: maps.Clone(s.nicks), SeenOrigin: seen,
		Occupants: s.room.Occupants(), History: s.room.History(), Subject: s.room.Subject(), Destroyed: s.room.Destroyed(),
	}
}

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
	before := stateOf(s)
	history := s.room.History()

	armed = true
	msg := &Message{From: jid.MustParse(ann), To: roomJID(sid), Type: "groupchat", ID: "m1", Body: "once", OriginID: "o-1"}
	out := w.step(msg)
	armed = false
	if len(out.Panics) != 1 || len(out.Out) != 0 || len(out.Batch.Transcript) != 0 || len(out.Batch.Sessions) != 0 {
		t.Fatalf("the failed input left effects: panics %v, out %v, batch %+v", out.Panics, out.Out, out.Batch)
	}
	if after := stateOf(s); !reflect.DeepEqual(before, after) {
		t.Errorf("session changed by the failed input:\n before %+v\n after  %+v", before, after)
	}
	if got := s.room.History(); !reflect.DeepEqual(got, history) {
		t.Errorf("room history changed: %d lines, want %d", len(got), len(history))
	}
	if len(s.seenOrigin) != 0 {
		t.Errorf("origin-ids kept by the failed input: %v", s.seenOrigin)
	}

	out = w.step(msg)
	if len(out.Panics) != 0 || len(out.Batch.Transcript) != 1 || out.Batch.Transcript[0].Seq != before.LastSeq+1 {
		t.Fatalf("the message sent again: panics %v, transcript %+v, want one line with seq %d", out.Panics, out.Batch.Transcript, before.LastSeq+1)
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

// A panic right after an input's first write to each of the session's maps
// (and to its room's occupants) leaves the session as it was: the
// checkpoint copies a map lazily, on that first write, and the rollback puts
// it back. The same input sent again then goes through and changes the
// session: the write the panic followed was real.
func TestPanicAfterEachWriteLeavesNoInMemoryChange(t *testing.T) {
	type story struct {
		fault string // the map written before the panic; "room": the room's occupants
		// setup brings the world to the moment before the input; it returns
		// the session and the input.
		setup func(w *world) (sid string, in Input)
	}
	offeredJoin := func(w *world) (string, Input) {
		w.signIn(alice)
		sid, _, _ := w.newChat(ann, "Hi")
		w.join(ann, sid, "Ann")
		if !w.eng.byID[sid].offered[bareOf(alice)] {
			t.Fatalf("the session was not offered to alice")
		}
		return sid, &Presence{From: jid.MustParse(alice), To: occupantJID(sid, "Alice"), MUC: true, History: muc.NoHistoryLimit}
	}
	conference := func(w *world) (string, Input) {
		w.signIn(alice)
		w.signIn(carol)
		sid, _ := w.active(ann, "Hi")
		return sid, &IQ{From: jid.MustParse(alice), To: roomJID(sid), ID: "conf-1", Type: "set",
			Cmd: &AdHocCmd{Node: "conference", Action: "complete", Form: map[string][]string{"jid": {bareOf(carol)}}}}
	}
	visitorJoin := func(w *world) (string, Input) {
		w.signIn(alice)
		sid, _, _ := w.newChat(ann, "Hi")
		return sid, &Presence{From: jid.MustParse(ann), To: occupantJID(sid, "Ann"), MUC: true, History: muc.NoHistoryLimit}
	}
	for _, st := range []story{
		{"agents", offeredJoin},  // the offered agent joins: it owns the session
		{"offered", offeredJoin}, // ... and the other offers are void
		{"invited", conference},  // the owner invites carol
		{"nicks", conference},    // ... and carol's nick is reserved
		{"room", visitorJoin},    // the visitor enters the room
		{"room", offeredJoin},
	} {
		t.Run(st.fault, func(t *testing.T) {
			armed, fired := false, false
			w := newWorld(t, func(c *Config) {
				c.faultAfterWrite = func(what string) {
					if armed && what == st.fault {
						fired = true
						panic("injected after a write to " + what)
					}
				}
				c.faultOnRoomSend = func() {
					if armed && st.fault == "room" {
						fired = true
						panic("injected after the room changed")
					}
				}
			})
			sid, in := st.setup(w)
			s := w.eng.byID[sid]
			before := stateOf(s)

			armed = true
			out := w.step(in)
			armed = false
			if !fired || len(out.Panics) != 1 {
				t.Fatalf("the fault did not fire (fired %v, panics %v)", fired, out.Panics)
			}
			if len(out.Batch.Sessions) != 0 || len(out.Batch.Agents) != 0 || len(out.Batch.Transcript) != 0 {
				t.Errorf("the failed input left rows: %+v", out.Batch)
			}
			if after := stateOf(s); !reflect.DeepEqual(before, after) {
				t.Errorf("session changed by the failed input:\n before %+v\n after  %+v", before, after)
			}
			if s.cp != nil {
				t.Errorf("the session is still armed after the failed input")
			}
			checkIndexes(t, w.eng, 0) // the indexes hold the session as it was put back

			out = w.step(in)
			if len(out.Panics) != 0 {
				t.Fatalf("the input sent again: panics %v", out.Panics)
			}
			if after := stateOf(s); reflect.DeepEqual(before, after) {
				t.Errorf("the input sent again changed nothing: the fault did not follow a write")
			}
			checkIndexes(t, w.eng, 1)
		})
	}
}

// A groupchat line from an occupant writes none of the session's maps nor
// its room's occupants, so the checkpoint copies none of them; and once the
// input is done the session is no longer armed, so that a later write (a
// dispatch, another input) does not copy into a checkpoint that is no longer
// its own.
func TestGroupchatCopiesNothingIntoTheCheckpoint(t *testing.T) {
	w := newWorld(t)
	w.signIn(alice)
	sid, _ := w.active(ann, "Hi")
	s := w.eng.byID[sid]
	w.say(ann, sid, "a line")
	if w.eng.cp.saved != [nMaps]bool{} || w.eng.cp.room.Saved() {
		t.Errorf("a groupchat line copied maps %v, occupants %v", w.eng.cp.saved, w.eng.cp.room.Saved())
	}
	if s.cp != nil {
		t.Errorf("the session is still armed after its input")
	}
	w.join(annTab2, sid, "Ann") // not reconnected: refused, but an input to the room all the same
	w.leave(alice, sid, "Alice", false)
	if !w.eng.cp.room.Saved() {
		t.Errorf("a leave did not copy the occupants before it changed them")
	}
}
