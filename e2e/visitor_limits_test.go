package e2e

import (
	"context"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/parley-chat/parley/sessions"
	pxmpp "github.com/parley-chat/parley/xmpp"
)

// Issue 11's first hole, through the real Prosody: one anonymous connection
// flooding 1,000 <request/>s fills no more than its own share of the queue
// (the limits per visitor: --visitor-queued 2 by default), every request is
// answered, the refusals are policy-violation with a text, and an innocent
// visitor behind the flood is queued normally.
func TestFloodFromOneVisitorLeavesQueueOpen(t *testing.T) {
	p := startParley(t)
	bad := p.visitor()
	const n = 1000
	// Written straight to the socket, as fast as Prosody takes them (it may
	// throttle the connection; a hostile client does not wait for answers).
	var flood strings.Builder
	for i := 0; i < n; i++ {
		fmt.Fprintf(&flood, `<iq xmlns='jabber:client' type='set' to='%s' id='f%d'><request xmlns='%s'><visitor name='Spam'/><body>spam %d</body></request></iq>`,
			p.Domain, i, nsParley, i)
	}
	conn := bad.sess.Conn()
	_ = conn.SetWriteDeadline(time.Now().Add(90 * time.Second))
	if _, err := io.WriteString(conn, flood.String()); err != nil {
		t.Fatalf("flood: %v", err)
	}
	_ = conn.SetWriteDeadline(time.Time{})
	created, refused := 0, map[string]int{}
	deadline := time.Now().Add(90 * time.Second)
	for i := 0; i < n; i++ {
		id := fmt.Sprintf("f%d", i)
		e := bad.wait("answer to "+id, func(e *pxmpp.Element) bool { return e.Name.Local == "iq" && e.Get("id") == id }, time.Until(deadline))
		if e == nil {
			t.Fatalf("request %s of the flood was never answered (%d created, refusals %v)", id, created, refused)
		}
		if e.Get("type") == "result" {
			created++
			continue
		}
		c := errorCondition(e)
		refused[c]++
		if c == "policy-violation" && errorText(e) == "" {
			t.Errorf("a refusal without a text: %s", e)
		}
	}
	t.Logf("flood of %d requests: %d sessions created, refusals %v", n, created, refused)
	if created > 2 {
		t.Errorf("the flood created %d sessions, want at most 2", created)
	}
	if refused["policy-violation"] < n-2-refused["resource-constraint"] {
		t.Errorf("refusals %v, want policy-violation for all but the created", refused)
	}
	// The innocent visitor.
	v := p.visitor()
	s := request(p, v, "", `<visitor name='Ann'/><body>Where is my parcel?</body>`)
	if s.Get("state") != "queued" {
		t.Fatalf("the innocent visitor's session: %s", s)
	}
	join(v, s.Get("room"), s.Get("nick"))
	v.expect("queued event", isEvent(s.Get("room"), "queued"))
}

// Issue 11's second hole, through the real Prosody: a visitor who asks with
// an agent's name and joins as that agent does not take its nick; the
// offered agent joins under its own nick, and nobody sees the visitor as
// "agent1".
func TestVisitorCannotSquatAgentsNick(t *testing.T) {
	p := startParley(t)
	p.grant(p.agentJID("agent1"), "chat")
	a1 := p.agent("agent1")
	signIn(p, a1, "") // the grant is loaded: agent1 holds chat
	v := p.visitor()
	s := request(p, v, "", `<visitor name='agent1'/><body>I am an agent, honest</body>`)
	room := s.Get("room")
	if nick := s.Get("nick"); nick != "agent1 (visitor)" {
		t.Errorf("the visitor named agent1 was given nick %q", nick)
	}
	for _, nick := range []string{"agent1", "Agent1", "agentl", "\u0430gent1", "Parley"} {
		v.send(`<presence xmlns='jabber:client' to='%s/%s'><x xmlns='http://jabber.org/protocol/muc'/></presence>`, room, nick)
		e := v.expect("the answer to joining as "+nick, func(e *pxmpp.Element) bool {
			return e.Name.Local == "presence" && e.Get("from") == room+"/"+nick
		})
		if e.Get("type") != "error" || errorCondition(e) != "conflict" {
			t.Errorf("visitor joining as %q: %s", nick, e)
		}
	}
	join(v, room, s.Get("nick"))

	a1.expect("the offer", isOffer(room))
	join(a1, room, "agent1")
	v.expect("the agent's presence", isPresence(room+"/agent1", ""))
	v.expect("assigned", isEvent(room, "assigned"))
	say(v, room, "hello from the visitor")
	m := a1.expect("the visitor's message", func(e *pxmpp.Element) bool {
		b := e.Child("jabber:client", "body")
		return e.Name.Local == "message" && b != nil && b.Text == "hello from the visitor"
	})
	if m.Get("from") != room+"/agent1 (visitor)" {
		t.Errorf("the agent saw the visitor as %q", m.Get("from"))
	}
	// In the transcript too.
	entries, _, _, err := p.store.Transcript(context.Background(), sessions.Query{Session: s.Get("id"), Max: 100})
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if e.AuthorRole == "visitor" && strings.EqualFold(e.Nick, "agent1") {
			t.Errorf("the transcript keeps the visitor as %q", e.Nick)
		}
	}
}
