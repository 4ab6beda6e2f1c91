package e2e

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/parley-chat/parley/sessions"
	pxmpp "github.com/parley-chat/parley/xmpp"
)

// signIn sends directed presence to the service and waits for its presence
// back. A grant reaches parleyd through a Postgres notification a moment after
// it is written, so a forbidden answer is retried for a while.
func signIn(p *parley, c *client, extra string) {
	c.t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		c.send(`<presence xmlns='jabber:client' to='%s'>%s</presence>`, p.Domain, extra)
		e := c.expect("the service's presence", func(e *pxmpp.Element) bool {
			return e.Name.Local == "presence" && e.Get("from") == p.Domain && (e.Get("type") == "" || e.Get("type") == "error")
		})
		if e.Get("type") == "" {
			return
		}
		if time.Now().After(deadline) {
			c.t.Fatalf("sign-in refused: %s", e)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// request asks for a chat and returns the <session/> of the result.
func request(p *parley, v *client, attrs, inner string) *pxmpp.Element {
	v.t.Helper()
	r := v.iq("set", p.Domain, fmt.Sprintf(`<request xmlns='%s' %s>%s</request>`, nsParley, attrs, inner))
	if r.Get("type") != "result" {
		v.t.Fatalf("request failed: %s", r)
	}
	s := r.Child(nsParley, "session")
	if s == nil {
		v.t.Fatalf("request result has no session: %s", r)
	}
	return s
}

// join enters a room as nick and waits for the self-presence.
func join(c *client, room, nick string) {
	c.t.Helper()
	c.send(`<presence xmlns='jabber:client' to='%s/%s'><x xmlns='http://jabber.org/protocol/muc'/></presence>`, room, nick)
	c.expect("self-presence in "+room, func(e *pxmpp.Element) bool {
		return e.Name.Local == "presence" && e.Get("from") == room+"/"+nick && e.Get("type") == "" && hasStatus(e, "110")
	})
}

func isOffer(room string) func(*pxmpp.Element) bool {
	return func(e *pxmpp.Element) bool {
		return e.Name.Local == "message" && e.Get("from") == room && e.Child(nsParley, "offer") != nil &&
			e.Child("http://jabber.org/protocol/muc#user", "x") != nil
	}
}

// refusedWithoutChat: an agent without the chat permission (n) is refused
// at sign-in (forbidden), and its subscription request too (unsubscribed),
// also after it removed the service from its roster.
func refusedWithoutChat(p *parley, n *client) {
	n.t.Helper()
	n.send(`<presence xmlns='jabber:client' to='%s'/>`, p.Domain)
	e := n.expect("a presence error", isPresence(p.Domain, "error"))
	if errorCondition(e) != "forbidden" {
		n.t.Fatalf("want forbidden, got %s", e)
	}
	n.iq("get", "", `<query xmlns='jabber:iq:roster'/>`)
	n.iq("set", "", fmt.Sprintf(`<query xmlns='jabber:iq:roster'><item jid='%s' subscription='remove'/></query>`, p.Domain))
	n.send(`<presence xmlns='jabber:client'/>`)
	n.send(`<presence xmlns='jabber:client' type='subscribe' to='%s'/>`, p.Domain)
	n.expect("unsubscribed", isPresence(p.Domain, "unsubscribed"))
}

func say(c *client, room, body string) {
	c.send(`<message xmlns='jabber:client' type='groupchat' to='%s'><body>%s</body></message>`, room, body)
}

func TestRequestOfferJoinTalk(t *testing.T) {
	p := startParley(t)
	p.grant(p.agentJID("agent1"), "chat")
	p.grant(p.agentJID("agent2"), "chat")
	a1 := p.agent("agent1")
	signIn(p, a1, "")
	a2 := p.agent("agent2")
	signIn(p, a2, "")

	v := p.visitor()
	s := request(p, v, "", `<visitor name='Ann' email='ann@example.org' page='https://shop.example/cart'/><body>My order did not arrive</body>`)
	room, sid, token := s.Get("room"), s.Get("id"), s.Get("token")
	if s.Get("state") != "queued" || room != sid+"@"+p.Domain || len(sid) < 26 || len(token) < 22 {
		t.Fatalf("bad session result: %s", s)
	}
	join(v, room, "Ann")
	v.expect("the question in history", isMsg(room+"/Ann", "My order did not arrive"))
	v.expect("queued event", isEvent(room, "queued"))

	// agent1 signed in first: it has been idle longest.
	offer := a1.expect("an offer", isOffer(room))
	if o := offer.Child(nsParley, "offer"); o.Get("session") != sid || o.Get("timeout") != "2" {
		t.Fatalf("bad offer: %s", offer)
	}
	if inv := offer.Child("http://jabber.org/protocol/muc#user", "x").Child("", "invite"); inv == nil ||
		!strings.Contains(inv.Child("", "reason").Text, "ann@example.org") {
		t.Fatalf("offer lacks the visitor's details: %s", offer)
	}
	a2.never("an offer for the same session", 300e6, isOffer(room))

	join(a1, room, "Alice")
	a1.expect("the question in history", isMsg(room+"/Ann", "My order did not arrive"))
	v.expect("assigned event", isEvent(room, "assigned"))

	say(v, room, "Hello?")
	a1.expect("the visitor's message", isMsg(room+"/Ann", "Hello?"))
	v.expect("its own message reflected", isMsg(room+"/Ann", "Hello?"))
	say(a1, room, "Hi Ann, let me look")
	v.expect("the agent's message", isMsg(room+"/Alice", "Hi Ann, let me look"))

	rec := p.session(sid)
	if rec.State != sessions.StateActive || rec.Owner != p.agentJID("agent1") || rec.Visitor["name"] != "Ann" {
		t.Fatalf("stored session: %+v", rec)
	}
	entries, _, _, err := p.store.Transcript(context.Background(), sessions.Query{Session: sid, Max: 100})
	if err != nil {
		t.Fatal(err)
	}
	var bodies []string
	for _, e := range entries {
		if e.Kind == "message" {
			bodies = append(bodies, e.AuthorRole+":"+e.Body)
		}
	}
	want := "visitor:My order did not arrive|visitor:Hello?|agent:Hi Ann, let me look"
	if got := strings.Join(bodies, "|"); got != want {
		t.Fatalf("transcript messages = %q, want %q", got, want)
	}
}

func TestSignInByPresenceAndRoster(t *testing.T) {
	p := startParley(t)
	p.grant(p.agentJID("agent3"), "chat")
	// Roster subscription, as any client does when the service is added as a contact.
	a := p.agent("agent3")
	a.iq("get", "", `<query xmlns='jabber:iq:roster'/>`) // as clients do: roster pushes reach it from now on
	a.send(`<presence xmlns='jabber:client'/>`)
	// From an empty roster item, until the grant has reached parleyd.
	subscribe(p, a)
	a.expect("the service subscribing back", func(e *pxmpp.Element) bool {
		return e.Name.Local == "presence" && e.Get("from") == p.Domain && e.Get("type") == "subscribe"
	})
	// Approving it makes Prosody send the agent's presence to the service on its own.
	a.send(`<presence xmlns='jabber:client' type='subscribed' to='%s'/>`, p.Domain)
	eventually(t, "agent counted online", func() bool { return p.metric("parley_agents_online") == 1 })

	// Without chat: forbidden, and unsubscribed.
	n := p.agent("nochat")
	refusedWithoutChat(p, n)

	// The subscribed agent gets offers.
	v := p.visitor()
	s := request(p, v, "", `<visitor name='Bob'/>`)
	a.expect("an offer", isOffer(s.Get("room")))
	n.never("an offer", 200e6, isOffer(s.Get("room")))
}

func TestDeclineAndTimeoutMoveOn(t *testing.T) {
	p := startParley(t, "--offer-timeout", "1s")
	for _, n := range []string{"agent4", "agent5", "agent6"} {
		p.grant(p.agentJID(n), "chat")
	}
	a4, a5, a6 := p.agent("agent4"), p.agent("agent5"), p.agent("agent6")
	signIn(p, a4, "")
	signIn(p, a5, "")
	signIn(p, a6, "")
	v := p.visitor()
	room := request(p, v, "", `<visitor name='Cy'/>`).Get("room")

	a4.expect("the first offer", isOffer(room))
	a4.send(`<message xmlns='jabber:client' to='%s'><x xmlns='http://jabber.org/protocol/muc#user'><decline><reason>busy</reason></decline></x></message>`, room)
	a5.expect("the offer after a decline", isOffer(room))
	// agent5 lets it time out (1s): it goes to agent6.
	a6.expect("the offer after a timeout", isOffer(room))
	eventually(t, "offer outcomes counted", func() bool {
		return p.metric(`parley_offers_total{outcome="declined"}`) == 1 && p.metric(`parley_offers_total{outcome="expired"}`) >= 1
	})
	join(a6, room, "Dee")
	v.send(`<presence xmlns='jabber:client' to='%s/Cy'><x xmlns='http://jabber.org/protocol/muc'/></presence>`, room)
	v.expect("assigned in history", isEvent(room, "assigned"))
	// agent4 declined and is not entitled any more once another agent owns it.
	a4.send(`<presence xmlns='jabber:client' to='%s/Late'><x xmlns='http://jabber.org/protocol/muc'/></presence>`, room)
	if e := a4.expect("a join error", isPresence(room+"/Late", "error")); errorCondition(e) != "registration-required" {
		t.Fatalf("late join: %s", e)
	}
}

func TestStrangersCannotJoinOrPost(t *testing.T) {
	p := startParley(t)
	p.grant(p.agentJID("agent7"), "chat")
	p.grant(p.agentJID("agent8"), "chat")
	a7 := p.agent("agent7")
	signIn(p, a7, "")
	v := p.visitor()
	room := request(p, v, "", `<visitor name='Di'/>`).Get("room")
	a7.expect("an offer", isOffer(room))
	join(a7, room, "Eve")
	join(v, room, "Di")

	cases := []struct {
		name string
		c    *client
	}{
		{"another visitor", p.visitor()},
		{"an agent with chat who was not offered", p.agent("agent8")},
		{"an account without permissions", p.agent("nochat")},
	}
	for _, tc := range cases {
		tc.c.send(`<presence xmlns='jabber:client' to='%s/x'><x xmlns='http://jabber.org/protocol/muc'/></presence>`, room)
		if e := tc.c.expect("join error", isPresence(room+"/x", "error")); errorCondition(e) != "registration-required" {
			t.Fatalf("%s joined or got the wrong error: %s", tc.name, e)
		}
		say(tc.c, room, "let me in")
		e := tc.c.expect("message error", func(e *pxmpp.Element) bool { return e.Name.Local == "message" && e.Get("type") == "error" })
		if errorCondition(e) != "not-acceptable" {
			t.Fatalf("%s posting: %s", tc.name, e)
		}
	}
	v.never("a stranger's message", 200e6, isMsg("", "let me in"))
	// A room that does not exist looks the same as one you may not enter.
	c := p.visitor()
	c.send(`<presence xmlns='jabber:client' to='nosuchroom@%s/x'><x xmlns='http://jabber.org/protocol/muc'/></presence>`, p.Domain)
	if e := c.expect("join error", isPresence("nosuchroom@"+p.Domain+"/x", "error")); errorCondition(e) != "registration-required" {
		t.Fatalf("unknown room: %s", e)
	}
	// disco#items shows the room to its agent only.
	items := a7.iq("get", p.Domain, `<query xmlns='http://jabber.org/protocol/disco#items'/>`)
	if !strings.Contains(items.String(), room) {
		t.Fatalf("agent's disco#items lacks its room: %s", items)
	}
	items = p.agent("agent8").iq("get", p.Domain, `<query xmlns='http://jabber.org/protocol/disco#items'/>`)
	if strings.Contains(items.String(), room) {
		t.Fatalf("another agent sees the room: %s", items)
	}
}

func TestQueuePositionsAndCapacity(t *testing.T) {
	p := startParley(t, "--capacity", "1")
	p.grant(p.agentJID("agent9"), "chat")
	var rooms []string
	var visitors []*client
	for i := 0; i < 3; i++ {
		v := p.visitor()
		room := request(p, v, "", fmt.Sprintf(`<visitor name='V%d'/>`, i)).Get("room")
		join(v, room, fmt.Sprintf("V%d", i))
		rooms = append(rooms, room)
		visitors = append(visitors, v)
	}
	// With nobody available, the third waits as number 3.
	visitors[2].expect("position 3", func(e *pxmpp.Element) bool {
		ev := e.Child(nsParley, "event")
		return ev != nil && ev.Get("type") == "queued" && ev.Get("position") == "3"
	})
	a := p.agent("agent9")
	signIn(p, a, `<agent xmlns='urn:parley:chat:0' max-chats='2'/>`)
	a.expect("offer 1", isOffer(rooms[0]))
	a.expect("offer 2", isOffer(rooms[1]))
	a.never("a third offer beyond max-chats=2", 300e6, isOffer(rooms[2]))
	join(a, rooms[0], "Agent")
	join(a, rooms[1], "Agent")
	// Two sessions taken ahead of it: the third is now first in line.
	visitors[2].expect("position 1", func(e *pxmpp.Element) bool {
		ev := e.Child(nsParley, "event")
		return ev != nil && ev.Get("type") == "queued" && ev.Get("position") == "1"
	})
	eventually(t, "gauges", func() bool {
		return p.metric(`parley_sessions{state="active"}`) == 2 && p.metric(`parley_queue_length{queue="default"}`) == 1
	})
	// Away: no new offers even with capacity to spare after raising it.
	a.send(`<presence xmlns='jabber:client' to='%s'><show>away</show><agent xmlns='urn:parley:chat:0' max-chats='5'/></presence>`, p.Domain)
	a.never("an offer while away", 300e6, isOffer(rooms[2]))
	a.send(`<presence xmlns='jabber:client' to='%s'><agent xmlns='urn:parley:chat:0' max-chats='5'/></presence>`, p.Domain)
	a.expect("the offer once available", isOffer(rooms[2]))
}

func TestRequestErrors(t *testing.T) {
	p := startParley(t, "--max-body", "100", "--queue-limit", "1", "--queues", "default,sales")
	v := p.visitor()
	cases := []struct {
		name, payload, cond, text string
	}{
		{"unknown namespace", `<frob xmlns='urn:example:unknown'/>`, "service-unavailable", ""},
		{"bad history", `<request xmlns='urn:parley:chat:0'><visitor name='a'/><visitor name='b'/></request>`, "bad-request", "one visitor"},
		{"bad new", `<request xmlns='urn:parley:chat:0' new='maybe'/>`, "bad-request", "new"},
		{"oversized body", `<request xmlns='urn:parley:chat:0'><body>` + strings.Repeat("x", 101) + `</body></request>`, "bad-request", "body"},
		{"oversized detail", `<request xmlns='urn:parley:chat:0'><visitor name='` + strings.Repeat("n", 1025) + `'/></request>`, "bad-request", "name"},
		{"unknown queue", `<request xmlns='urn:parley:chat:0' queue='nope'/>`, "item-not-found", "nope"},
		{"reconnect without token", `<reconnect xmlns='urn:parley:chat:0' session='abc'/>`, "bad-request", "token"},
	}
	for _, tc := range cases {
		r := v.iq("set", p.Domain, tc.payload)
		if r.Get("type") != "error" || errorCondition(r) != tc.cond || !strings.Contains(errorText(r), tc.text) {
			t.Errorf("%s: got %s", tc.name, r)
		}
	}
	// Queue limit 1: the second request to the same queue waits for space.
	request(p, v, "queue='sales'", "")
	r := p.visitor().iq("set", p.Domain, `<request xmlns='urn:parley:chat:0' queue='sales'/>`)
	if errorCondition(r) != "resource-constraint" {
		t.Fatalf("full queue: %s", r)
	}
	// A malformed token is treated as none: a new token is issued.
	s := request(p, p.visitor(), "token='%%%not-a-token'", "")
	if s.Get("token") == "" || s.Get("token") == "%%%not-a-token" {
		t.Fatalf("malformed token not replaced: %s", s)
	}
	// An unknown room: item-not-found for IQs.
	r = v.iq("set", "nosuch@"+p.Domain, `<close xmlns='urn:parley:chat:0'/>`)
	if errorCondition(r) != "item-not-found" {
		t.Fatalf("unknown session: %s", r)
	}
	if got := p.metric(`parley_chat_requests_total{outcome="bad_request"}`); got < 2 {
		t.Fatalf("bad requests counted %v", got)
	}
}

func TestRateLimit(t *testing.T) {
	p := startParley(t, "--rate", "1", "--burst", "3")
	v := p.visitor()
	var conds []string
	for i := 0; i < 6; i++ {
		conds = append(conds, errorCondition(v.iq("get", p.Domain, `<ping xmlns='urn:xmpp:ping'/>`)))
	}
	if got := strings.Join(conds, ","); !strings.HasSuffix(got, "policy-violation") || !strings.HasPrefix(got, ",,,") {
		t.Fatalf("conditions over the rate: %q", got)
	}
	// Another JID is not affected.
	if r := p.visitor().iq("get", p.Domain, `<ping xmlns='urn:xmpp:ping'/>`); r.Get("type") != "result" {
		t.Fatalf("other JID limited: %s", r)
	}
}

func TestDiscoPingVersion(t *testing.T) {
	p := startParley(t)
	v := p.visitor()
	info := v.iq("get", p.Domain, `<query xmlns='http://jabber.org/protocol/disco#info'/>`)
	for _, f := range []string{"http://jabber.org/protocol/muc", nsParley, "http://jabber.org/protocol/commands",
		"urn:xmpp:mam:2", "urn:xmpp:ping", "jabber:iq:version", "http://jabber.org/protocol/rsm"} {
		if !strings.Contains(info.String(), `var="`+f+`"`) {
			t.Errorf("disco#info lacks %s: %s", f, info)
		}
	}
	if id := info.Child("http://jabber.org/protocol/disco#info", "query").Child("", "identity"); id.Get("category") != "conference" || id.Get("type") != "text" {
		t.Errorf("identity: %s", info)
	}
	if r := v.iq("get", p.Domain, `<ping xmlns='urn:xmpp:ping'/>`); r.Get("type") != "result" {
		t.Errorf("ping: %s", r)
	}
	ver := v.iq("get", p.Domain, `<query xmlns='jabber:iq:version'/>`)
	if !strings.Contains(ver.String(), "Parley") {
		t.Errorf("version: %s", ver)
	}
	// XEP-0410: a self-ping from a JID that is not joined is not-acceptable.
	room := request(p, v, "", "").Get("room")
	if r := v.iq("get", room+"/Me", `<ping xmlns='urn:xmpp:ping'/>`); errorCondition(r) != "not-acceptable" {
		t.Errorf("self-ping before joining: %s", r)
	}
	join(v, room, "Me")
	if r := v.iq("get", room+"/Me", `<ping xmlns='urn:xmpp:ping'/>`); r.Get("type") != "result" {
		t.Errorf("self-ping when joined: %s", r)
	}
}

// A supervisor, who sees every live session, pages through them with
// XEP-0059 through the real server: a page of two, then the rest after its
// last room, each with the whole count; a page from the end is refused
// clearly.
func TestSupervisorPagesTheSessions(t *testing.T) {
	p := startParley(t)
	p.grant(p.agentJID("super"), "supervise")
	rooms := map[string]bool{}
	for i := 0; i < 3; i++ {
		rooms[request(p, p.visitor(), "", "").Get("room")] = true
	}
	super := p.agent("super")
	page := func(set string) (items []string, count, last string) {
		t.Helper()
		r := super.iq("get", p.Domain, `<query xmlns='http://jabber.org/protocol/disco#items'><set xmlns='http://jabber.org/protocol/rsm'>`+set+`</set></query>`)
		q := r.Child("http://jabber.org/protocol/disco#items", "query")
		if r.Get("type") != "result" || q == nil {
			t.Fatalf("disco#items with %s: %s", set, r)
		}
		for _, it := range q.Children {
			if it.Name.Local == "item" {
				items = append(items, it.Get("jid"))
			}
		}
		if rsm := q.Child("http://jabber.org/protocol/rsm", "set"); rsm != nil {
			if c := rsm.Child("http://jabber.org/protocol/rsm", "count"); c != nil {
				count = c.Text
			}
			if l := rsm.Child("http://jabber.org/protocol/rsm", "last"); l != nil {
				last = l.Text
			}
		}
		return items, count, last
	}
	first, count, last := page("<max>2</max>")
	if len(first) != 2 || count != "3" || last == "" || !strings.HasPrefix(first[1], last+"@") {
		t.Fatalf("first page: %v, count %q, last %q", first, count, last)
	}
	rest, count, _ := page("<max>2</max><after>" + last + "</after>")
	if len(rest) != 1 || count != "3" {
		t.Fatalf("second page: %v, count %q", rest, count)
	}
	for _, room := range append(first, rest...) {
		if !rooms[room] {
			t.Errorf("listed %s, not one of the requests' rooms %v", room, rooms)
		}
		delete(rooms, room)
	}
	if len(rooms) != 0 {
		t.Errorf("not listed: %v", rooms)
	}
	r := super.iq("get", p.Domain, `<query xmlns='http://jabber.org/protocol/disco#items'><set xmlns='http://jabber.org/protocol/rsm'><max>2</max><before/></set></query>`)
	if errorCondition(r) != "feature-not-implemented" {
		t.Errorf("a page from the end: %s", r)
	}
}

// An answer larger than the server lets a component send is not written:
// the asker gets a resource-constraint error instead, and the component's
// connection, which the server would have closed on the answer, stays up
// for everyone else. (A parleyd with --max-stanza at 1,500 bytes, so that a
// supervisor's page of 30 rooms is over it.)
func TestOversizedAnswerRefusedConnectionKept(t *testing.T) {
	p := startParley(t, "--max-stanza", "1500")
	p.grant(p.agentJID("super"), "supervise")
	for i := 0; i < 30; i++ {
		request(p, p.visitor(), "", "")
	}
	super := p.agent("super")
	r := super.iq("get", p.Domain, `<query xmlns='http://jabber.org/protocol/disco#items'/>`)
	if errorCondition(r) != "resource-constraint" || !strings.Contains(r.String(), "a page, XEP-0059") {
		t.Fatalf("an answer over --max-stanza: %s", r)
	}
	// A page that fits is answered, on the same connection.
	r = super.iq("get", p.Domain, `<query xmlns='http://jabber.org/protocol/disco#items'><set xmlns='http://jabber.org/protocol/rsm'><max>5</max></set></query>`)
	if r.Get("type") != "result" || strings.Count(r.String(), "<item ") != 5 {
		t.Fatalf("a page of 5: %s", r)
	}
	if n := p.metric(`parley_component_too_large_total{kind="iq"}`); n != 1 {
		t.Errorf("parley_component_too_large_total{kind=\"iq\"} = %v, want 1", n)
	}
	if n := p.metric(`parley_component_up`); n != 1 {
		t.Errorf("component down after the refusal")
	}
}
