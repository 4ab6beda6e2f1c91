package e2e

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/parley-chat/parley/sessions"
	pxmpp "github.com/parley-chat/parley/xmpp"
)

// chat is a session with a visitor and its agent both in the room.
type chat struct {
	p                *parley
	room, sid, token string
	v, a             *client
	vnick            string
}

// openChat signs the agent in (if not yet), starts a request from a new
// visitor (with token when given) and has both join.
func openChat(t *testing.T, p *parley, a *client, vnick, token string) *chat {
	t.Helper()
	v := p.visitor()
	attrs := ""
	if token != "" {
		attrs = fmt.Sprintf("token='%s' new='true'", token)
	}
	s := request(p, v, attrs, fmt.Sprintf(`<visitor name='%s' email='%s@example.org'/><body>question of %s</body>`, vnick, strings.ToLower(vnick), vnick))
	c := &chat{p: p, room: s.Get("room"), sid: s.Get("id"), token: s.Get("token"), v: v, a: a, vnick: vnick}
	join(v, c.room, vnick)
	a.expect("offer of "+c.room, isOffer(c.room))
	join(a, c.room, "Agent")
	v.expect("assigned", isEvent(c.room, "assigned"))
	return c
}

func (c *chat) state() sessions.State { return c.p.session(c.sid).State }

func (c *chat) waitState(t *testing.T, want sessions.State) {
	t.Helper()
	eventually(t, fmt.Sprintf("session %s %s", c.sid, want), func() bool { return c.state() == want })
}

// agentSuspend suspends by IQ with a cause.
func (c *chat) agentSuspend(t *testing.T, cause string) {
	t.Helper()
	r := c.a.iq("set", c.room, fmt.Sprintf(`<suspend xmlns='%s' cause='%s'/>`, nsParley, cause))
	if r.Get("type") != "result" {
		t.Fatalf("agent suspend: %s", r)
	}
	c.v.expect("suspended event", isEvent(c.room, "suspended"))
	c.a.expect("suspended event", isEvent(c.room, "suspended"))
}

func newAgent(t *testing.T, p *parley, name string) *client {
	t.Helper()
	p.grant(p.agentJID(name), "chat")
	a := p.agent(name)
	signIn(p, a, `<agent xmlns='urn:parley:chat:0' max-chats='10'/>`)
	return a
}

func eventAttr(e *pxmpp.Element, attr string) string {
	if ev := e.Child(nsParley, "event"); ev != nil {
		return ev.Get(attr)
	}
	return ""
}

func TestAgentSuspendThenEachActionResumes(t *testing.T) {
	p := startParley(t)
	a := newAgent(t, p, "agent1")
	p.grant(p.agentJID("agent2"), "chat")
	a2 := p.agent("agent2")
	signIn(p, a2, "")
	if err := p.store.CannedPut(t.Context(), sessions.Canned{ID: "hello", Title: "Greeting", Body: "Hello, how can I help?"}); err != nil {
		t.Fatal(err)
	}
	actions := []struct {
		how string
		act func(c *chat)
	}{
		{"message", func(c *chat) { say(c.a, c.room, "I am back") }},
		{"canned", func(c *chat) {
			if r := c.a.iq("set", c.room, `<canned xmlns='urn:parley:chat:0' id='hello'/>`); r.Get("type") != "result" {
				t.Fatalf("canned: %s", r)
			}
		}},
		{"link", func(c *chat) {
			c.a.send(`<message xmlns='jabber:client' type='groupchat' to='%s'><body>https://shop.example/return</body><x xmlns='jabber:x:oob'><url>https://shop.example/return</url></x></message>`, c.room)
		}},
		{"comment", func(c *chat) {
			if r := c.a.iq("set", c.room, `<comment xmlns='urn:parley:chat:0'>customer seems upset</comment>`); r.Get("type") != "result" {
				t.Fatalf("comment: %s", r)
			}
		}},
		{"conference", func(c *chat) {
			c.a.send(`<message xmlns='jabber:client' to='%s'><x xmlns='http://jabber.org/protocol/muc#user'><invite to='%s'><reason>help please</reason></invite></x></message>`, c.room, p.agentJID("agent2"))
			a2.expect("conference invitation", func(e *pxmpp.Element) bool {
				return e.Get("from") == c.room && e.Child(nsParley, "conference") != nil
			})
		}},
		{"explicit", func(c *chat) {
			if r := c.a.iq("set", c.room, `<resume xmlns='urn:parley:chat:0'/>`); r.Get("type") != "result" {
				t.Fatalf("resume: %s", r)
			}
		}},
	}
	for i, tc := range actions {
		t.Run(tc.how, func(t *testing.T) {
			c := openChat(t, p, a, fmt.Sprintf("V%d", i), "")
			c.agentSuspend(t, "Investigation")
			if st := c.state(); st != sessions.StateSuspended {
				t.Fatalf("state after suspend: %s", st)
			}
			rec := p.session(c.sid)
			if rec.SuspendedBy != "agent" || rec.SuspendCause != "Investigation" {
				t.Fatalf("suspend record: %+v", rec)
			}
			tc.act(c)
			e := c.a.expect("resumed event", isEvent(c.room, "resumed"))
			if eventAttr(e, "state") != "active" {
				t.Fatalf("resumed event: %s", e)
			}
			c.waitState(t, sessions.StateActive)
			eventually(t, "resume counted", func() bool { return p.metric(`parley_resumes_total{how="`+tc.how+`"}`) >= 1 })
		})
	}
}

func TestVisitorMayNotResumeAndCommentsStayWithAgents(t *testing.T) {
	p := startParley(t)
	a := newAgent(t, p, "agent3")
	c := openChat(t, p, a, "Ola", "")
	// The visitor's details are there before any suspend...
	details := func() string {
		r := a.iq("get", c.room, `<query xmlns='http://jabber.org/protocol/disco#info'/>`)
		if !strings.Contains(r.String(), nsParley+"#visitor") {
			t.Fatalf("no visitor form: %s", r)
		}
		return r.String()
	}
	before := details()
	if !strings.Contains(before, "ola@example.org") {
		t.Fatalf("details lack the e-mail: %s", before)
	}
	c.agentSuspend(t, "Visitor Machine Restart")
	r := c.v.iq("set", c.room, `<resume xmlns='urn:parley:chat:0'/>`)
	if errorCondition(r) != "forbidden" {
		t.Fatalf("visitor resume: %s", r)
	}
	say(c.v, c.room, "hello? anyone?")
	a.expect("the visitor's message while suspended", isMsg(c.room+"/Ola", "hello? anyone?"))
	time.Sleep(300 * time.Millisecond)
	if st := c.state(); st != sessions.StateSuspended {
		t.Fatalf("a visitor's message resumed the session: %s", st)
	}
	// An agent may change the cause while suspended.
	if r := a.iq("set", c.room, `<suspend xmlns='urn:parley:chat:0' cause='Investigation'/>`); r.Get("type") != "result" {
		t.Fatalf("change cause: %s", r)
	}
	eventually(t, "cause changed", func() bool { return p.session(c.sid).SuspendCause == "Investigation" })
	// Comments: by message marker and by IQ; agents see them, the visitor never.
	a.send(`<message xmlns='jabber:client' type='groupchat' to='%s'><body>note one</body><comment xmlns='urn:parley:chat:0'/></message>`, c.room)
	a.expect("own comment reflected", isMsg(c.room+"/Agent", "note one"))
	a.iq("set", c.room, `<comment xmlns='urn:parley:chat:0'>note two</comment>`)
	a.expect("IQ comment", isMsg(c.room+"/Agent", "note two"))
	say(a, c.room, "public answer")
	c.v.expect("the public answer", isMsg(c.room+"/Agent", "public answer"))
	c.v.never("a comment", 300*time.Millisecond, func(e *pxmpp.Element) bool {
		return strings.Contains(e.String(), "note one") || strings.Contains(e.String(), "note two")
	})
	// A visitor's own comment marker does not make it a comment, it is refused.
	c.v.send(`<message xmlns='jabber:client' type='groupchat' to='%s'><body>sneaky</body><comment xmlns='urn:parley:chat:0'/></message>`, c.room)
	if e := c.v.expect("error", func(e *pxmpp.Element) bool { return e.Get("type") == "error" && e.Name.Local == "message" }); errorCondition(e) != "forbidden" {
		t.Fatalf("visitor comment: %s", e)
	}
	// Details survive suspend and resume.
	c.waitState(t, sessions.StateActive)
	if after := details(); !strings.Contains(after, "ola@example.org") || !strings.Contains(after, "question of Ola") {
		t.Fatalf("details after resume: %s", after)
	}
	// A second window of the visitor joining now gets history without comments.
	v2 := p.visitor()
	rr := v2.iq("set", p.Domain, fmt.Sprintf(`<reconnect xmlns='%s' session='%s' token='%s'/>`, nsParley, c.sid, c.token))
	if rr.Get("type") != "result" {
		t.Fatalf("reconnect: %s", rr)
	}
	join(v2, c.room, "Ola")
	v2.expect("history", isMsg(c.room+"/Agent", "public answer"))
	v2.never("a comment in history", 300*time.Millisecond, func(e *pxmpp.Element) bool { return strings.Contains(e.String(), "note ") })
}
