package e2e

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/parley-chat/parley/sessions"
	pxmpp "github.com/parley-chat/parley/xmpp"
)

// signIn sends directed presence to the service and waits for its presence back.
func signIn(p *parley, c *client, extra string) {
	c.t.Helper()
	c.send(`<presence xmlns='jabber:client' to='%s'>%s</presence>`, p.Domain, extra)
	c.expect("the service's presence", isPresence(p.Domain, ""))
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

func hasStatus(e *pxmpp.Element, code string) bool {
	x := e.Child("http://jabber.org/protocol/muc#user", "x")
	if x == nil {
		return false
	}
	for _, s := range x.ChildrenNamed("", "status") {
		if s.Get("code") == code {
			return true
		}
	}
	return false
}

func isOffer(room string) func(*pxmpp.Element) bool {
	return func(e *pxmpp.Element) bool {
		return e.Name.Local == "message" && e.Get("from") == room && e.Child(nsParley, "offer") != nil &&
			e.Child("http://jabber.org/protocol/muc#user", "x") != nil
	}
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
