package e2e

import (
	"fmt"
	"html"
	"strings"
	"testing"

	pxmpp "github.com/parley-chat/parley/xmpp"
)

// The agent's workspace IQ (docs/protocol.md "The agent's workspace")
// through Prosody with mellium clients: an agent's own sessions with state,
// cause and the reconnect flag, the causes, colleagues, a supervisor's queues.

func workspace(p *parley, c *client) *pxmpp.Element {
	c.t.Helper()
	r := c.iq("get", p.Domain, `<workspace xmlns='urn:parley:chat:0'/>`)
	w := r.Child(nsParley, "workspace")
	if r.Get("type") != "result" || w == nil {
		c.t.Fatalf("workspace: %s", r)
	}
	return w
}

func TestWorkspaceIQ(t *testing.T) {
	p := startParley(t)
	p.grant(p.agentJID("agent1"), "chat")
	p.grant(p.agentJID("agent2"), "chat")
	p.grant(p.agentJID("super"), "supervise")
	a := p.agent("agent1")
	signIn(p, a, `<agent xmlns='urn:parley:chat:0' max-chats='4'/>`)
	b := p.agent("agent2")
	signIn(p, b, "")

	v := p.visitor()
	s := request(p, v, "", "<visitor name='Ann' email='ann@example.org'/><body>Where is my parcel?</body>")
	room, token := s.Get("room"), s.Get("token")
	join(v, room, "Ann")
	var offeredTo *client
	eventually(t, "an offer", func() bool {
		if len(offeredRooms(a)) > 0 {
			offeredTo = a
		} else if len(offeredRooms(b)) > 0 {
			offeredTo = b
		}
		return offeredTo != nil
	})
	// Whoever got the offer sees it in its workspace before joining.
	if ws := workspace(p, offeredTo).Child("", "session"); ws == nil || ws.Get("role") != "offer" || ws.Get("state") != "queued" {
		t.Fatalf("the offered agent's workspace: %s", workspace(p, offeredTo))
	}
	// agent1 takes it (declining for agent2 if it was offered there).
	if offeredTo == b {
		b.send(`<message xmlns='jabber:client' to='%s'><x xmlns='http://jabber.org/protocol/muc#user'><decline to='%s'/></x></message>`, room, room)
		a.expect("the offer after the decline", isOffer(room))
	}
	join(a, room, "agent1")
	v.expect("assigned", isEvent(room, "assigned"))

	w := workspace(p, a)
	me := w.Child("", "me")
	if me.Get("show") != "available" || me.Get("load") != "1" || me.Get("capacity") != "4" {
		t.Errorf("me: %s", me)
	}
	sess := w.Child("", "session")
	if sess == nil || sess.Get("room") != room || sess.Get("state") != "active" || sess.Get("role") != "owner" ||
		sess.Child("", "visitor").Get("name") != "Ann" || sess.Child("", "question").Text != "Where is my parcel?" {
		t.Fatalf("session: %s", w)
	}
	if c := w.Child("", "cause"); c == nil || c.Text == "" {
		t.Errorf("no causes: %s", w)
	}
	if ag := w.Child("", "agent"); ag == nil || ag.Get("jid") != p.agentJID("agent2") || ag.Get("show") != "available" {
		t.Errorf("colleagues: %s", w)
	}
	if w.Child("", "queue") != nil {
		t.Errorf("an agent sees queues: %s", w)
	}

	// Suspended with a cause; the visitor goes and comes back.
	if r := a.iq("set", room, `<suspend xmlns='urn:parley:chat:0' cause='Investigation'/>`); r.Get("type") != "result" {
		t.Fatalf("suspend: %s", r)
	}
	v.expect("suspended", isEvent(room, "suspended"))
	v.close()
	v2 := p.visitor()
	if r := v2.iq("set", p.Domain, `<reconnect xmlns='urn:parley:chat:0' session='`+s.Get("id")+`' token='`+token+`'/>`); r.Get("type") != "result" {
		t.Fatalf("reconnect: %s", r)
	}
	join(v2, room, "Ann")
	eventually(t, "the workspace flags the reconnect", func() bool {
		s := workspace(p, a).Child("", "session")
		return s.Get("state") == "suspended" && s.Get("cause") == "Investigation" && s.Get("reconnected") == "true"
	})

	// A supervisor's queues.
	sup := p.agent("super")
	q := workspace(p, sup).Child("", "queue")
	if q == nil || q.Get("name") == "" || q.Get("waiting") != "0" {
		t.Errorf("supervisor's queues: %s", workspace(p, sup))
	}
	// Someone with no right.
	if r := p.agent("nochat").iq("get", p.Domain, `<workspace xmlns='urn:parley:chat:0'/>`); errorCondition(r) != "forbidden" {
		t.Errorf("nochat: %s", r)
	}
}

// An agent whose visitors wrote long questions still gets its whole
// workspace, each question clipped: 12 chats whose questions are as long as
// --max-body lets them be (8 KB), where the answer was once built empty (the
// gateway's element builder refused more than 64 KB of text).
func TestWorkspaceOfLongQuestions(t *testing.T) {
	p := startParley(t)
	p.grant(p.agentJID("agent4"), "chat")
	a := p.agent("agent4")
	signIn(p, a, `<agent xmlns='urn:parley:chat:0' max-chats='12'/>`)
	long := strings.Repeat(`Where is "my" parcel? `, 8000/22)
	rooms := make(map[string]bool)
	for i := range 12 {
		v := p.visitor()
		s := request(p, v, "", fmt.Sprintf("<visitor name='V%d'/><body>%s</body>", i, html.EscapeString(long)))
		room := s.Get("room")
		join(v, room, fmt.Sprintf("V%d", i))
		a.expect("the offer", isOffer(room))
		join(a, room, "agent4")
		v.expect("assigned", isEvent(room, "assigned"))
		rooms[room] = true
	}
	w := workspace(p, a)
	n := 0
	for _, s := range w.Children {
		if s.Name.Local != "session" {
			continue
		}
		n++
		q := s.Child("", "question").Text
		if !rooms[s.Get("room")] || !strings.HasPrefix(q, `Where is "my" parcel?`) || !strings.HasSuffix(q, "…") || len(q) > 300 {
			t.Errorf("session %s with a question of %d bytes %q", s.Get("room"), len(q), q)
		}
	}
	if n != len(rooms) || w.Child("", "unlisted") != nil {
		t.Fatalf("the workspace lists %d sessions of %d: %.500s", n, len(rooms), w)
	}
}
