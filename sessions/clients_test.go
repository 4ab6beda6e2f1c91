package sessions

import (
	"slices"
	"strings"
	"testing"
	"time"

	"mellium.im/xmpp/jid"
)

// An agent with an offer declines by ad-hoc command (for clients that cannot
// send a XEP-0045 decline): the offer moves on at once and the room lists
// only that command to it.
func TestDeclineCommand(t *testing.T) {
	w := newWorld(t)
	w.signIn(alice)
	w.advance(time.Second)
	w.signIn(bob)
	sid, _, out := w.newChat(ann, "Hi")
	first := offers(out)[sid]
	if len(first) != 1 {
		t.Fatalf("offers %v", first)
	}
	agent := first[0]
	other := bob
	if agent == bob {
		other = alice
	}
	_, r := w.cmd(agent, sid, &DiscoItemsCmd{Node: NSCommands})
	if r == nil || r.Type != "result" || !slices.Contains(itemNodes(r.Payload), "decline") || slices.Contains(itemNodes(r.Payload), "close") {
		t.Fatalf("commands for an offered agent: %+v", r)
	}
	out, r = w.cmd(agent, sid, &AdHocCmd{Node: "decline", Action: "execute"})
	if r == nil || r.Type != "result" || commandOf(r).Status != CmdCompleted {
		t.Fatalf("decline answered %+v", r)
	}
	if got := offers(out)[sid]; len(got) != 1 || got[0] != other {
		t.Errorf("after the decline offered to %v, want %s", got, other)
	}
	if _, r = w.cmd(agent, sid, &AdHocCmd{Node: "decline", Action: "execute"}); errCond(r) != "item-not-found" {
		t.Errorf("a second decline answered %+v", r)
	}
}

// disco#info, disco#items and joins agree: an agent whose offer lapsed may
// still join a waiting session, so it may also see it.
func TestVisibilityAgreesWithJoins(t *testing.T) {
	w := newWorld(t)
	w.signIn(alice)
	sid, _, _ := w.newChat(ann, "Hi")
	w.tick(time.Minute) // the offer lapses; nobody else can take it
	if _, r := w.cmd(alice, sid, &DiscoInfoCmd{}); r == nil || r.Type != "result" {
		t.Errorf("disco#info to the agent whose offer lapsed: %+v", r)
	}
	_, r := w.svc(alice, &DiscoItemsCmd{})
	if r == nil || !slices.ContainsFunc(r.Payload.(*DiscoItems).Items, func(it DiscoItem) bool { return it.JID.Localpart() == sid }) {
		t.Errorf("disco#items on the service does not list the room it may join: %+v", r)
	}
	if _, r := w.cmd(eve, sid, &DiscoInfoCmd{}); errCond(r) != "item-not-found" {
		t.Errorf("a stranger's disco#info: %+v", r)
	}
	if presenceErr(w.join(alice, sid, "Alice"), alice) != "" {
		t.Fatal("the join failed")
	}
}

// muc#owner destroy from an agent of the session closes it; configuration
// and admin requests get forbidden with a text instead of service-unavailable.
func TestOwnerAndAdminQueries(t *testing.T) {
	w := newWorld(t)
	w.signIn(alice)
	sid, _ := w.active(ann, "Hi")
	for _, c := range []Cmd{&MUCOwnerCmd{}, &MUCAdminCmd{}} {
		_, r := w.iq(alice, roomJID(sid), "get", c)
		if errCond(r) != "forbidden" || r.Err.Text == "" {
			t.Errorf("%T answered %+v, want forbidden with a text", c, r)
		}
	}
	if _, r := w.iq(eve, roomJID(sid), "set", &MUCOwnerCmd{Destroy: true}); errCond(r) != "item-not-found" {
		t.Errorf("a stranger's destroy: %+v", r)
	}
	out, r := w.iq(alice, roomJID(sid), "set", &MUCOwnerCmd{Destroy: true, Reason: "done"})
	if r == nil || r.Type != "result" {
		t.Fatalf("destroy answered %+v", r)
	}
	eventOf(t, out, sid, "closed")
	if st := w.record(sid).State; st != StateClosed {
		t.Errorf("state %s after destroy", st)
	}
	// A later join by the agent: <gone/> with the reason.
	out = w.join(alice, sid, "Alice")
	if presenceErr(out, alice) != "gone" {
		t.Errorf("rejoin of a closed room: %+v", out.Out)
	}
}

// A chat holder who joins without an invitation through Parley (e.g. after a
// client's own XEP-0249 invitation) is refused, and the session's agent is
// told how to invite.
func TestUninvitedColleague(t *testing.T) {
	w := newWorld(t)
	w.signIn(alice)
	sid, _ := w.active(ann, "Hi")
	out := w.join(carol, sid, "Carol")
	if presenceErr(out, carol) != "registration-required" {
		t.Fatalf("uninvited join: %+v", out.Out)
	}
	told := false
	for _, s := range stanzas(out, "message", alice) {
		told = told || (s.From.String() == "agents@"+service && strings.Contains(s.Body, `"conference"`))
	}
	if !told {
		t.Errorf("the agent was not told how to invite: %+v", out.Out)
	}
	if out := w.join(eve, sid, "Eve"); len(stanzas(out, "message", alice)) != 0 {
		t.Error("a stranger's join was reported to the agent")
	}
}

// Result forms carry labels and types (XEP-0004), so clients render them.
func TestDetailsFormLabelled(t *testing.T) {
	w := newWorld(t)
	w.signIn(alice)
	sid, _ := w.active(ann, "Hi")
	_, r := w.cmd(alice, sid, &AdHocCmd{Node: "details", Action: "execute"})
	if r == nil || !slices.ContainsFunc(commandOf(r).Form.Fields, func(f Field) bool {
		return f.Var == "question" && f.Type == "text-single" && f.Label == "Question"
	}) {
		t.Errorf("details form %+v", r)
	}
	_, r = w.iq(alice, jid.MustParse(sid+"@"+service), "get", &DiscoInfoCmd{})
	if info, ok := r.Payload.(*DiscoInfo); !ok || info.Form == nil || !slices.Contains(formWords(info.Form), "Name") {
		t.Errorf("disco#info form %+v", r)
	}
}

// XEP-0045 7.12: the reserved nick, which Converse.js joins with.
func TestReservedNick(t *testing.T) {
	w := newWorld(t)
	w.signIn(alice)
	sid, _, _ := w.newChat(ann, "Hi")
	out := w.step(&IQ{From: jid.MustParse(alice), To: roomJID(sid), ID: "n1", Type: "get", Cmd: &DiscoInfoCmd{Node: "x-roomuser-item"}})
	var got *ReservedNick
	for _, o := range out.Out {
		if r, ok := o.(*ReservedNick); ok {
			got = r
		}
	}
	if got == nil || got.Nick != "alice" || got.ID != "n1" || got.To.String() != alice {
		t.Errorf("reserved nick answer %+v in %+v", got, out.Out)
	}
}
