package sessions

import (
	"slices"
	"testing"
	"time"
)

// The sessions command and disco#items of the service list the same rooms
// (mayKnow): an invited agent who has not joined yet, an agent with a lapsed
// offer of a waiting session, the owner, a supervisor; not a chat holder with
// nothing to do with the session.
func TestSessionsCommandListsWhatDiscoLists(t *testing.T) {
	w := newWorld(t)
	w.signIn(alice)
	active, _ := w.active(ann, "Hi")
	if _, r := w.cmd(alice, active, &AdHocCmd{Node: "conference", Action: "complete",
		Form: map[string][]string{"jid": {bareOf(carol)}}}); commandOf(r).Status != CmdCompleted {
		t.Fatalf("conference: %+v", r)
	}
	waiting, _, _ := w.newChat("v2@guest.example.com/w", "Hello")
	w.tick(time.Minute) // alice's offer lapses; nobody else can take it
	discoRooms := func(who string) []string {
		_, r := w.svc(who, &DiscoItemsCmd{})
		ids := []string{}
		for _, it := range r.Payload.(*DiscoItems).Items {
			ids = append(ids, it.JID.Localpart())
		}
		return ids
	}
	commandRooms := func(who string) []string {
		_, r := w.svc(who, &AdHocCmd{Node: "sessions"})
		c := commandOf(r)
		if c.Status != CmdCompleted || c.Form == nil {
			t.Fatalf("sessions command for %s: %+v", who, r)
		}
		ids := []string{}
		for _, row := range c.Form.Items {
			for _, f := range row {
				if f.Var == "room" {
					for _, v := range f.Values {
						ids = append(ids, v[:len(v)-len("@"+service)])
					}
				}
			}
		}
		return ids
	}
	both := []string{active, waiting}
	slices.Sort(both)
	for who, want := range map[string][]string{
		alice: both, sue: both, carol: {active}, bob: {},
	} {
		if got := discoRooms(who); !slices.Equal(got, want) {
			t.Errorf("disco#items for %s: %q, want %q", who, got, want)
		}
		if got := commandRooms(who); !slices.Equal(got, want) {
			t.Errorf("sessions command for %s: %q, want %q", who, got, want)
		}
	}
	// The visitor of one, and a stranger: neither permission, so none (and
	// no command to list them).
	for _, who := range []string{ann, eve} {
		if got := discoRooms(who); len(got) != 0 {
			t.Errorf("disco#items for %s: %q, want none", who, got)
		}
	}
}

// A supervisor who joins a missed session looks at it; it stays missed, for
// an agent of its queue to take (mayTake), who then owns it.
func TestSupervisorJoiningMissedSessionDoesNotTakeIt(t *testing.T) {
	w := newWorld(t)
	_, r := w.svc(ann, &LeaveMessageCmd{Queue: "sales", Body: "Call me back"})
	sid := resultSession(t, r)["id"]
	if presenceErr(w.join(sue, sid, "Sue"), sue) != "" {
		t.Fatal("the supervisor's join failed")
	}
	if rec := w.record(sid); rec.State != StateMissed || rec.Owner != "" {
		t.Fatalf("after the supervisor's join: state %s, owner %q", rec.State, rec.Owner)
	}
	if presenceErr(w.join(bob, sid, "Bob"), bob) != "" {
		t.Fatal("the agent's join failed")
	}
	if rec := w.record(sid); rec.State != StateActive || rec.Owner != bareOf(bob) {
		t.Fatalf("after the agent's join: state %s, owner %q", rec.State, rec.Owner)
	}
}
