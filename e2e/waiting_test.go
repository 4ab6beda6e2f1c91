package e2e

import (
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/parley-chat/parley/sessions"
	pxmpp "github.com/parley-chat/parley/xmpp"
)

// Waiting visitors come first (issue 7), through Prosody with mellium clients.

func isWithdrawn(room, sid string) func(*pxmpp.Element) bool {
	return func(e *pxmpp.Element) bool {
		w := e.Child(nsParley, "withdrawn")
		return e.Name.Local == "message" && e.Get("from") == room && w != nil && w.Get("session") == sid &&
			w.Get("reason") == "visitor-left" && e.Child("", "body") != nil
	}
}

func isQueuedAt(room, pos string) func(*pxmpp.Element) bool {
	return func(e *pxmpp.Element) bool {
		return isEvent(room, "queued")(e) && e.Child(nsParley, "event").Get("position") == pos
	}
}

// leaveRoom sends the plain unavailable presence a lost connection gives.
func leaveRoom(c *client, room, nick string) {
	c.send(`<presence xmlns='jabber:client' type='unavailable' to='%s/%s'/>`, room, nick)
}

// offeredRooms lists the rooms a client was offered so far.
func offeredRooms(c *client) []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []string
	for _, e := range c.log {
		if e.Name.Local == "message" && e.Child(nsParley, "offer") != nil {
			out = append(out, e.Get("from"))
		}
	}
	return out
}

// cli runs a parleyd admin command against p's database.
func (p *parley) cli(args ...string) string {
	p.t.Helper()
	out, err := exec.Command(binary, append(args, "--database-url", p.DSN)...).CombinedOutput()
	if err != nil {
		p.t.Fatalf("parleyd %v: %v\n%s", args, err, out)
	}
	return string(out)
}

// A visitor who leaves the queue is never offered, the visitor behind it is
// offered first, and after the abandon time the session is abandoned.
func TestWaitingVisitorWhoLeftIsNeverOffered(t *testing.T) {
	p := startParley(t, "--abandon-after", "2s", "--offer-timeout", "30s")
	p.grant(p.agentJID("agent11"), "chat")
	v1, v2 := p.visitor(), p.visitor()
	s1 := request(p, v1, "", `<visitor name='Gone'/><body>first</body>`)
	join(v1, s1.Get("room"), "Gone")
	s2 := request(p, v2, "", `<visitor name='Here'/><body>second</body>`)
	room1, room2 := s1.Get("room"), s2.Get("room")
	join(v2, room2, "Here")
	v2.expect("position 2", isQueuedAt(room2, "2"))
	leaveRoom(v1, room1, "Gone")
	v2.expect("position 1 once the visitor ahead left", isQueuedAt(room2, "1"))

	a := p.agent("agent11")
	signIn(p, a, "")
	a.expect("offer of the waiting visitor", isOffer(room2))
	eventually(t, "the first session abandoned", func() bool { return p.session(s1.Get("id")).State == sessions.StateAbandoned })
	for _, r := range offeredRooms(a) {
		if r == room1 {
			t.Fatalf("the agent was offered the session whose visitor left")
		}
	}
	rec := p.session(s1.Get("id"))
	if rec.EndedAt.IsZero() || rec.AssignedAt.IsZero() == false {
		t.Errorf("abandoned row %+v", rec)
	}
	if got := p.metric(`parley_sessions_ended_total{by="system",state="abandoned"}`); got != 1 {
		t.Errorf("sessions_ended_total abandoned = %v", got)
	}
	if got := p.metric(`parley_abandoned_total{queue="default"}`); got != 1 {
		t.Errorf("abandoned_total = %v", got)
	}
	list := p.cli("sessions", "--state", "abandoned")
	if !strings.Contains(list, s1.Get("id")) || strings.Contains(list, s2.Get("id")) {
		t.Errorf("parleyd sessions --state abandoned:\n%s", list)
	}
	// The transcript is kept, the room is gone.
	if r := v1.iq("get", room1, `<query xmlns='urn:xmpp:mam:2'/>`); r.Get("type") != "result" {
		t.Errorf("the visitor's archive of the abandoned session: %s", r)
	}
	v1.send(`<presence xmlns='jabber:client' to='%s/Gone'><x xmlns='http://jabber.org/protocol/muc'/></presence>`, room1)
	// Its own visitor is told it is gone, with the reason (docs/protocol.md).
	if e := v1.expect("join refused", isPresence(room1+"/Gone", "error")); errorCondition(e) != "gone" {
		t.Errorf("rejoin of the abandoned room: %s", e)
	}
}

// An offer out for a visitor who leaves is withdrawn and the agent's slot is
// free for the next visitor at once.
func TestWaitingOfferWithdrawnAndSlotFreed(t *testing.T) {
	p := startParley(t, "--abandon-after", "1m", "--offer-timeout", "60s", "--capacity", "1")
	p.grant(p.agentJID("agent11"), "chat")
	a := p.agent("agent11")
	signIn(p, a, "")
	v1 := p.visitor()
	s1 := request(p, v1, "", `<visitor name='Gone'/>`)
	room1 := s1.Get("room")
	join(v1, room1, "Gone")
	a.expect("offer", isOffer(room1))
	v2 := p.visitor()
	s2 := request(p, v2, "", `<visitor name='Next'/>`)
	room2 := s2.Get("room")
	join(v2, room2, "Next")
	a.never("a second offer beyond capacity", 300*time.Millisecond, isOffer(room2))

	v1.drop() // the visitor's browser crashed: Prosody sends the unavailable presence
	w := a.expect("withdrawal", isWithdrawn(room1, s1.Get("id")))
	t.Logf("withdrawal: %s", w)
	a.expect("the freed slot offers the next visitor", isOffer(room2))
	// The withdrawn offer cannot be taken any more.
	a.send(`<presence xmlns='jabber:client' to='%s/Agent'><x xmlns='http://jabber.org/protocol/muc'/></presence>`, room1)
	if e := a.expect("join refused", isPresence(room1+"/Agent", "error")); errorCondition(e) != "registration-required" {
		t.Errorf("join of a withdrawn offer: %s", e)
	}
	join(a, room2, "Agent")
	v2.expect("assigned", isEvent(room2, "assigned"))
	if got := p.metric(`parley_offers_total{outcome="withdrawn"}`); got != 1 {
		t.Errorf("offers_total withdrawn = %v", got)
	}
	if st := p.session(s1.Get("id")).State; st != sessions.StateQueued {
		t.Errorf("the session whose visitor left is %s within the abandon time, want queued", st)
	}
}

// A visitor who comes back within the abandon time (a new connection that
// reconnects with its token and joins) keeps its place ahead of a later one.
func TestWaitingVisitorBackKeepsItsPlace(t *testing.T) {
	p := startParley(t, "--abandon-after", "1m", "--offer-timeout", "60s", "--capacity", "1")
	p.grant(p.agentJID("agent12"), "chat")
	v1, v2 := p.visitor(), p.visitor()
	s1 := request(p, v1, "", `<visitor name='First'/>`)
	room1, token := s1.Get("room"), s1.Get("token")
	join(v1, room1, "First")
	s2 := request(p, v2, "", `<visitor name='Second'/>`)
	room2 := s2.Get("room")
	join(v2, room2, "Second")
	v1.drop()
	v2.expect("second moves up", isQueuedAt(room2, "1"))

	back := p.visitor()
	r := back.iq("set", p.Domain, `<reconnect xmlns='urn:parley:chat:0' session='`+s1.Get("id")+`' token='`+token+`'/>`)
	if r.Get("type") != "result" {
		t.Fatalf("reconnect: %s", r)
	}
	join(back, room1, "First")
	back.expect("back at position 1", isQueuedAt(room1, "1"))
	v2.expect("second back to position 2", isQueuedAt(room2, "2"))

	a := p.agent("agent12")
	signIn(p, a, "")
	a.expect("the first visitor offered first", isOffer(room1))
	a.never("the second offered too (capacity 1)", 300*time.Millisecond, isOffer(room2))
	if rec := p.session(s1.Get("id")); rec.State != sessions.StateQueued || !rec.Deadline.IsZero() {
		t.Errorf("row of the returned visitor %+v", rec)
	}
}

// The abandon deadline survives a restart: a session whose visitor left
// before the restart, and one whose visitor never comes back after it, are
// abandoned (not suspended); one whose visitor rejoins is offered.
func TestWaitingAbandonAcrossRestart(t *testing.T) {
	p := startParley(t, "--abandon-after", "6s", "--offer-timeout", "30s")
	p.grant(p.agentJID("agent12"), "chat")
	vl, vs, vb := p.visitor(), p.visitor(), p.visitor()
	left := request(p, vl, "", `<visitor name='Left'/>`)
	join(vl, left.Get("room"), "Left")
	stays := request(p, vs, "", `<visitor name='Stays'/>`)
	join(vs, stays.Get("room"), "Stays")
	backS := request(p, vb, "", `<visitor name='Back'/>`)
	join(vb, backS.Get("room"), "Back")
	leaveRoom(vl, left.Get("room"), "Left")
	eventually(t, "the deadline written", func() bool { return !p.session(left.Get("id")).Deadline.IsZero() })
	deadline := p.session(left.Get("id")).Deadline

	p.restart(syscall.SIGKILL)
	vs.drop() // this visitor is gone for good
	// XEP-0410: the returning visitor's self-ping fails, so it rejoins.
	if r := vb.iq("get", backS.Get("room")+"/Back", `<ping xmlns='urn:xmpp:ping'/>`); errorCondition(r) != "not-acceptable" {
		t.Fatalf("self-ping after restart: %s", r)
	}
	join(vb, backS.Get("room"), "Back")
	a := p.agent("agent12")
	signIn(p, a, "")
	a.expect("the returning visitor offered", isOffer(backS.Get("room")))

	eventually(t, "the session whose visitor left before the restart abandoned", func() bool {
		return p.session(left.Get("id")).State == sessions.StateAbandoned
	})
	if rec := p.session(left.Get("id")); rec.EndedAt.Before(deadline) {
		t.Errorf("abandoned at %v, before its persisted deadline %v", rec.EndedAt, deadline)
	}
	eventually(t, "the session whose visitor never came back abandoned", func() bool {
		return p.session(stays.Get("id")).State == sessions.StateAbandoned
	})
	for _, r := range offeredRooms(a) {
		if r == left.Get("room") || r == stays.Get("room") {
			t.Errorf("offered %s, whose visitor is gone", r)
		}
	}
	if st := p.session(backS.Get("id")).State; st != sessions.StateQueued {
		t.Errorf("the returning visitor's session is %s", st)
	}
}

// availability asks the service about one queue and returns its <queue/>.
func availability(p *parley, c *client, queue string) *pxmpp.Element {
	c.t.Helper()
	r := c.iq("get", p.Domain, `<availability xmlns='urn:parley:chat:0' queue='`+queue+`'/>`)
	a := r.Child(nsParley, "availability")
	if r.Get("type") != "result" || a == nil || len(a.Children) != 1 {
		c.t.Fatalf("availability: %s", r)
	}
	return a.Children[0]
}

// The availability figures with no agents, a free agent and busy agents; the
// estimate is the wait of the visitor answered before, and queued events
// carry it.
func TestWaitingAvailability(t *testing.T) {
	p := startParley(t, "--offer-timeout", "30s", "--capacity", "1", "--queues", "support,sales")
	p.grant(p.agentJID("agent11"), "chat")
	v := p.visitor()
	if q := availability(p, v, "support"); q.Get("status") != "away" || q.Get("waiting") != "0" || q.Get("wait") != "" {
		t.Fatalf("no agents: %s", q)
	}
	if r := v.iq("get", p.Domain, `<availability xmlns='urn:parley:chat:0' queue='nope'/>`); errorCondition(r) != "item-not-found" {
		t.Errorf("unknown queue: %s", r)
	}
	a := p.agent("agent11")
	signIn(p, a, "")
	if q := availability(p, v, "support"); q.Get("status") != "available" || q.Get("wait") != "" {
		t.Fatalf("a free agent: %s", q)
	}
	s1 := request(p, v, "queue='support'", `<visitor name='One'/>`)
	room1 := s1.Get("room")
	join(v, room1, "One")
	a.expect("offer", isOffer(room1))
	time.Sleep(1500 * time.Millisecond) // a wait worth a figure
	join(a, room1, "Agent")
	v.expect("assigned", isEvent(room1, "assigned"))
	rec := p.session(s1.Get("id"))
	want := strconv.Itoa(int(rec.AssignedAt.Sub(rec.CreatedAt).Round(time.Second).Seconds()))

	v2 := p.visitor()
	q := availability(p, v2, "support")
	if q.Get("status") != "busy" || q.Get("waiting") != "0" || q.Get("wait") != want {
		t.Fatalf("busy agent: %s, want wait %s", q, want)
	}
	s2 := request(p, v2, "queue='support'", `<visitor name='Two'/>`)
	join(v2, s2.Get("room"), "Two")
	ev := v2.expect("queued with a wait", isQueuedAt(s2.Get("room"), "1")).Child(nsParley, "event")
	if w, err := strconv.Atoi(ev.Get("wait")); err != nil || w > 2 {
		t.Errorf("queued event %v: want a wait of at most the estimate", ev)
	}
	if q := availability(p, v2, "support"); q.Get("waiting") != "1" {
		t.Errorf("one waiting: %s", q)
	}
	if q := availability(p, v2, "sales"); q.Get("status") != "busy" || q.Get("wait") != "" {
		t.Errorf("the other queue (same busy agent, no waits yet): %s", q)
	}
	all := v2.iq("get", p.Domain, `<availability xmlns='urn:parley:chat:0'/>`).Child(nsParley, "availability")
	if all == nil || len(all.Children) != 2 {
		t.Errorf("every queue: %v", all)
	}
	if got := p.metric(`parley_time_to_answer_seconds_count{queue="support"}`); got != 1 {
		t.Errorf("time_to_answer count %v", got)
	}
	if got := p.metric(`parley_time_to_first_offer_seconds_count{queue="support"}`); got != 1 {
		t.Errorf("time_to_first_offer count %v", got)
	}
}

// An agent on dnd takes no new chats, so the queue is away; a message left
// then reaches it as a headline it can act on later.
func TestWaitingLeaveMessageNotice(t *testing.T) {
	p := startParley(t)
	p.grant(p.agentJID("agent11"), "chat")
	a := p.agent("agent11")
	signIn(p, a, `<show>dnd</show>`)
	v := p.visitor()
	if q := availability(p, v, "default"); q.Get("status") != "away" {
		t.Fatalf("with only a dnd agent: %s", q)
	}
	r := v.iq("set", p.Domain, `<leave-message xmlns='urn:parley:chat:0'><visitor name='Ann'/><body>Call me</body></leave-message>`)
	s := r.Child(nsParley, "session")
	if r.Get("type") != "result" || s == nil || s.Get("state") != "missed" || s.Get("token") == "" {
		t.Fatalf("leave-message: %s", r)
	}
	n := a.expect("the missed notice", func(e *pxmpp.Element) bool {
		m := e.Child(nsParley, "missed")
		return e.Name.Local == "message" && e.Get("type") == "headline" && m != nil && m.Get("session") == s.Get("id")
	})
	if b := n.Child("", "body"); b == nil || !strings.Contains(b.Text, "Ann") || !strings.Contains(b.Text, "Call me") {
		t.Errorf("notice body: %s", n)
	}
	if r := v.iq("set", p.Domain, `<leave-message xmlns='urn:parley:chat:0'><body>   </body></leave-message>`); errorCondition(r) != "bad-request" {
		t.Errorf("an empty message: %s", r)
	}
	if rec := p.session(s.Get("id")); rec.State != sessions.StateMissed || rec.Question != "Call me" {
		t.Errorf("row %+v", rec)
	}
}

// A visitor who closes the widget (suspend) before any agent took the chat
// is abandoned after the abandon time, not kept until the suspend timeout.
func TestWaitingSuspendedInQueueAbandons(t *testing.T) {
	p := startParley(t, "--abandon-after", "2s")
	v := p.visitor()
	s := request(p, v, "", `<visitor name='Closer'/>`)
	room := s.Get("room")
	join(v, room, "Closer")
	v.send(`<presence xmlns='jabber:client' type='unavailable' to='%s/Closer'><suspend xmlns='urn:parley:chat:0'/></presence>`, room)
	eventually(t, "suspended", func() bool { return p.session(s.Get("id")).State == sessions.StateSuspended })
	eventually(t, "abandoned", func() bool { return p.session(s.Get("id")).State == sessions.StateAbandoned })
	if got := p.metric(`parley_abandoned_total{queue="default"}`); got != 1 {
		t.Errorf("abandoned_total %v", got)
	}
}

// A supervisor who joins a missed session looks at it and does not take it
// (supervise is for monitoring, PROTOCOL 1); an agent who serves the queue
// takes it by joining.
func TestWaitingSupervisorJoinDoesNotTakeMissed(t *testing.T) {
	p := startParley(t)
	p.grant(p.agentJID("agent12"), "chat")
	p.grant(p.agentJID("super"), "supervise")
	a := p.agent("agent12")
	signIn(p, a, `<show>dnd</show>`)
	v := p.visitor()
	r := v.iq("set", p.Domain, `<leave-message xmlns='urn:parley:chat:0'><visitor name='Bea'/><body>Please call</body></leave-message>`)
	s := r.Child(nsParley, "session")
	if r.Get("type") != "result" || s == nil || s.Get("state") != "missed" {
		t.Fatalf("leave-message: %s", r)
	}
	id, room := s.Get("id"), s.Get("room")

	join(p.agent("super"), room, "Sue")
	if rec := p.session(id); rec.State != sessions.StateMissed || rec.Owner != "" {
		t.Fatalf("after the supervisor joined: state %s, owner %q; want missed and no owner", rec.State, rec.Owner)
	}

	join(a, room, "Agent")
	eventually(t, "the agent's join takes the missed session", func() bool {
		rec := p.session(id)
		return rec.State == sessions.StateActive && rec.Owner == p.agentJID("agent12")
	})
}
