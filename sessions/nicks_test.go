package sessions

import (
	"testing"

	"github.com/parley-chat/parley/muc"
)

func TestFoldNickConfusables(t *testing.T) {
	same := [][2]string{
		{"agent1", "Agent1"},
		{"agent1", "AGENT1"},
		{"agent1", "agentl"},       // digit one and small L
		{"agent1", "\u0430gent1"},  // Cyrillic a
		{"agent1", "agent 1"},      // a space
		{"agent1", "ａｇｅｎｔ１"},       // full width
		{"agent1", "agent\u200b1"}, // zero-width space
		{"Parley", "PARLEY"},
		{"Parley", "Par1ey"},
	}
	for _, p := range same {
		if FoldNick(p[0]) != FoldNick(p[1]) {
			t.Errorf("%q and %q fold to %q and %q, want one nick", p[0], p[1], FoldNick(p[0]), FoldNick(p[1]))
		}
	}
	differ := [][2]string{{"agent1", "agent2"}, {"Ann", "Anne"}, {"alice", "alicia"}}
	for _, p := range differ {
		if FoldNick(p[0]) == FoldNick(p[1]) {
			t.Errorf("%q and %q fold to one nick %q", p[0], p[1], FoldNick(p[0]))
		}
	}
}

func selfPresence(out Output, to string) *muc.Presence {
	for _, p := range presencesTo(out, to) {
		for _, c := range p.Codes {
			if c == muc.StatusSelf && p.Type == "" {
				return p
			}
		}
	}
	return nil
}

// A visitor who asks with an agent's name gets it with a suffix; its join
// under the agent's nick (or a confusable of it) is refused; the offered
// agent joins under its own nick and nobody sees the visitor as the agent.
func TestVisitorCannotTakeAgentsNick(t *testing.T) {
	w := newWorld(t)
	_, r := w.request(ann, RequestCmd{Queue: "support", Body: "hi", Visitor: map[string]string{"name": "alice"}})
	s := resultSession(t, r)
	sid := s["id"]
	if s["nick"] != "alice (visitor)" {
		t.Errorf("the visitor named alice was given nick %q", s["nick"])
	}
	for _, n := range []string{"alice", "Alice", "\u0430lice", "Parley", "ALICE"} {
		if c := presenceErr(w.join(ann, sid, n), ann); c != "conflict" {
			t.Errorf("visitor joining as %q got %q, want conflict", n, c)
		}
	}
	// The subject and the question's line use the visitor's nick.
	if subj := w.eng.byID[sid].room.Subject(); subj != "Chat with alice (visitor)" {
		t.Errorf("subject %q", subj)
	}
	if e := w.transcript[sid][0]; e.Nick != "alice (visitor)" {
		t.Errorf("the question was kept under %q", e.Nick)
	}
	if c := presenceErr(w.join(ann, sid, "alice (visitor)"), ann); c != "" {
		t.Fatalf("visitor joining under its nick got %s", c)
	}
	out := w.signIn(alice)
	if len(offers(out)[sid]) == 0 {
		t.Fatalf("no offer to alice: %v", offers(out))
	}
	out = w.join(alice, sid, "alice")
	p := selfPresence(out, alice)
	if p == nil || p.From.Resourcepart() != "alice" {
		t.Fatalf("alice's self presence %+v", p)
	}
	if w.record(sid).State != StateActive {
		t.Errorf("session %s after the agent joined", w.record(sid).State)
	}
	for _, o := range w.eng.byID[sid].room.Occupants() {
		if o.Person == "visitor" && FoldNick(o.Nick) == FoldNick("alice") {
			t.Errorf("the visitor is in the room as %q", o.Nick)
		}
	}
}

// A visitor that joins first under a nick an offered agent's client also
// uses does not lock the agent out: the agent is given its own nick (210).
func TestAgentNeverLockedOutByNick(t *testing.T) {
	w := newWorld(t)
	w.signIn(alice)
	sid, _, _ := w.newChat(ann, "hi")
	// The visitor (named Ann) joins as "Boss"; alice's client uses "Boss" too.
	if c := presenceErr(w.join(ann, sid, "Boss"), ann); c != "" {
		t.Fatalf("visitor join: %s", c)
	}
	out := w.join(alice, sid, "Boss")
	if c := presenceErr(out, alice); c != "" {
		t.Fatalf("the offered agent got %s", c)
	}
	p := selfPresence(out, alice)
	if p == nil || p.From.Resourcepart() != "alice" {
		t.Fatalf("alice was not given her own nick: %+v", p)
	}
	has210 := false
	for _, c := range p.Codes {
		has210 = has210 || c == muc.StatusNickAssigned
	}
	if !has210 {
		t.Errorf("self presence %v lacks 210", p.Codes)
	}
	if w.record(sid).State != StateActive || w.record(sid).Owner != bareOf(alice) {
		t.Errorf("session %+v", w.record(sid))
	}
	// Her nick is reserved: the visitor's second window cannot take it.
	if c := presenceErr(w.join(annTab2, sid, "Alice"), annTab2); c != "conflict" && c != "registration-required" {
		t.Errorf("second window as Alice got %q", c)
	}
}

// Nicks reserved at the offer hold before the agent joins, and after a restart.
func TestOfferedAgentsNickReserved(t *testing.T) {
	w := newWorld(t)
	w.signIn(bob)
	_, r := w.request(ann, RequestCmd{Queue: "support", Visitor: map[string]string{"name": "Ann"}})
	sid := resultSession(t, r)["id"]
	if c := presenceErr(w.join(ann, sid, "B0B"), ann); c != "conflict" {
		t.Errorf("visitor as B0B before bob joined: %q, want conflict", c)
	}
}
