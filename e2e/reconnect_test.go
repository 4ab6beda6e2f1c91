package e2e

import (
	"fmt"
	"syscall"
	"testing"
	"time"

	"github.com/parley-chat/parley/sessions"
	pxmpp "github.com/parley-chat/parley/xmpp"
)

// prompt sends a request with the visitor's cookie and returns the offered session.
func prompt(t *testing.T, p *parley, v *client, token string) *pxmpp.Element {
	t.Helper()
	r := v.iq("set", p.Domain, fmt.Sprintf(`<request xmlns='%s' token='%s'><visitor name='Back'/></request>`, nsParley, token))
	res := r.Child(nsParley, "resumable")
	if r.Get("type") != "result" || res == nil || res.Child(nsParley, "session") == nil {
		t.Fatalf("expected a reconnect prompt, got %s", r)
	}
	return res.Child(nsParley, "session")
}

// yes reconnects v to the session.
func yes(t *testing.T, p *parley, v *client, sid, token string) *pxmpp.Element {
	t.Helper()
	r := v.iq("set", p.Domain, fmt.Sprintf(`<reconnect xmlns='%s' session='%s' token='%s'/>`, nsParley, sid, token))
	s := r.Child(nsParley, "session")
	if r.Get("type") != "result" || s == nil {
		t.Fatalf("reconnect failed: %s", r)
	}
	return s
}

// no answers No: a new session on the same cookie.
func no(t *testing.T, p *parley, v *client, token, old1, old2 string) {
	t.Helper()
	s := request(p, v, fmt.Sprintf("token='%s' new='true'", token), `<visitor name='Back'/>`)
	if s.Get("id") == old1 || s.Get("id") == old2 || s.Get("state") != "queued" || s.Get("token") != token {
		t.Fatalf("No did not start a new session on the same token: %s", s)
	}
}

// Scenario 1: a visitor in a session sends a new request: prompted; Yes opens
// a second window on the same room with the transcript; No starts a new one.
func TestScenario1SecondWindow(t *testing.T) {
	p := startParley(t)
	a := newAgent(t, p, "agent1")
	c := openChat(t, p, a, "Pia", "")
	say(c.v, c.room, "before the second window")
	a.expect("message", isMsg(c.room+"/Pia", "before the second window"))

	w2 := p.visitor() // a new window: a new connection, the same cookie
	s := prompt(t, p, w2, c.token)
	if s.Get("id") != c.sid || s.Get("state") != "active" {
		t.Fatalf("prompt offered %s", s)
	}
	yes(t, p, w2, c.sid, c.token)
	join(w2, c.room, "Pia")
	w2.expect("the transcript so far", isMsg(c.room+"/Pia", "before the second window"))
	say(a, c.room, "both windows see this")
	c.v.expect("first window", isMsg(c.room+"/Agent", "both windows see this"))
	w2.expect("second window", isMsg(c.room+"/Agent", "both windows see this"))
	a.expect("reconnect notice", func(e *pxmpp.Element) bool { return e.Child(nsParley, "reconnected") != nil })
	if st := c.state(); st != sessions.StateActive {
		t.Fatalf("state %s", st)
	}
	no(t, p, p.visitor(), c.token, c.sid, "")
	eventually(t, "prompt counted", func() bool { return p.metric(`parley_reconnect_prompts_total{scenario="in_progress"}`) == 1 })
}

// Scenario 2: two sessions, the computer restarts without suspending either:
// prompted for the second; Yes reconnects to it; No starts a new one.
func TestScenario2RestartWithoutSuspend(t *testing.T) {
	p := startParley(t)
	a := newAgent(t, p, "agent2")
	c1 := openChat(t, p, a, "Quin", "")
	time.Sleep(1100 * time.Millisecond) // distinct start times
	c2 := openChat(t, p, a, "Quin", c1.token)
	c1.v.drop()
	c2.v.drop()
	a.expect("visitor-left", isEvent(c1.room, "visitor-left"))
	a.expect("visitor-left", isEvent(c2.room, "visitor-left"))

	v := p.visitor() // after the restart
	s := prompt(t, p, v, c1.token)
	if s.Get("id") != c2.sid {
		t.Fatalf("prompt offered %s, want the second session %s", s.Get("id"), c2.sid)
	}
	yes(t, p, v, c2.sid, c1.token)
	join(v, c2.room, "Quin")
	v.expect("the second session's transcript", isMsg(c2.room+"/Quin", "question of Quin"))
	no(t, p, p.visitor(), c1.token, c1.sid, c2.sid)
}

// Scenario 3: two sessions, the first suspended explicitly, then a restart:
// prompted for the first; Yes reconnects to it; No starts a new one.
func TestScenario3ExplicitSuspendWins(t *testing.T) {
	p := startParley(t)
	a := newAgent(t, p, "agent3")
	c1 := openChat(t, p, a, "Rae", "")
	time.Sleep(1100 * time.Millisecond)
	c2 := openChat(t, p, a, "Rae", c1.token)
	c1.v.send(`<presence xmlns='jabber:client' type='unavailable' to='%s/Rae'><suspend xmlns='urn:parley:chat:0'/></presence>`, c1.room)
	a.expect("suspended by the visitor", isEvent(c1.room, "suspended"))
	c1.waitState(t, sessions.StateSuspended)
	if rec := p.session(c1.sid); rec.SuspendedBy != "visitor" || !rec.Explicit {
		t.Fatalf("suspend record %+v", rec)
	}
	c1.v.drop()
	c2.v.drop()

	v := p.visitor()
	s := prompt(t, p, v, c1.token)
	if s.Get("id") != c1.sid || s.Get("state") != "suspended" || s.Get("suspended-by") != "visitor" {
		t.Fatalf("prompt offered %s, want the suspended first session %s", s, c1.sid)
	}
	yes(t, p, v, c1.sid, c1.token)
	// The request goes to the owning agent, who must resume: no automatic resume.
	n := a.expect("reconnect notice", func(e *pxmpp.Element) bool {
		r := e.Child(nsParley, "reconnected")
		return e.Get("type") == "headline" && r != nil && r.Get("session") == c1.sid
	})
	_ = n
	join(v, c1.room, "Rae")
	v.expect("transcript", isMsg(c1.room+"/Rae", "question of Rae"))
	time.Sleep(300 * time.Millisecond)
	if st := c1.state(); st != sessions.StateSuspended {
		t.Fatalf("reconnect resumed the session by itself: %s", st)
	}
	say(a, c1.room, "welcome back")
	v.expect("resumed", isEvent(c1.room, "resumed"))
	v.expect("the agent's message", isMsg(c1.room+"/Agent", "welcome back"))
	no(t, p, p.visitor(), c1.token, c1.sid, c2.sid)
	eventually(t, "prompt counted", func() bool { return p.metric(`parley_reconnect_prompts_total{scenario="explicit_suspend"}`) == 1 })
}

// With cookies disabled there is no token: normal routing every time.
func TestNoCookieNoPrompt(t *testing.T) {
	p := startParley(t)
	a := newAgent(t, p, "agent4")
	c := openChat(t, p, a, "Sam", "")
	c.v.drop()
	s := request(p, p.visitor(), "", `<visitor name='Sam'/>`)
	if s.Get("id") == c.sid || s.Get("token") == c.token {
		t.Fatalf("a request without token was linked to the old session: %s", s)
	}
	// A token nobody issued is no token either.
	s = request(p, p.visitor(), "token='AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA'", "")
	if s.Get("token") == "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" {
		t.Fatalf("unknown token kept: %s", s)
	}
}

// A suspended session that expired gives a new session marked replaces; the
// reconnect's bad inputs get their errors.
func TestExpiredSessionIsReplaced(t *testing.T) {
	p := startParley(t, "--suspend-timeout", "1s")
	a := newAgent(t, p, "agent5")
	c := openChat(t, p, a, "Tea", "")
	v2 := p.visitor()
	wrong := otherToken(c.token)
	if r := v2.iq("set", p.Domain, fmt.Sprintf(`<reconnect xmlns='%s' session='%s' token='%s'/>`, nsParley, c.sid, wrong)); errorCondition(r) != "not-authorized" {
		t.Fatalf("wrong token: %s", r)
	}
	if r := v2.iq("set", p.Domain, fmt.Sprintf(`<reconnect xmlns='%s' session='nosuchsession' token='%s'/>`, nsParley, c.token)); errorCondition(r) != "item-not-found" {
		t.Fatalf("unknown session: %s", r)
	}
	c.agentSuspend(t, "Investigation")
	c.v.expect("expired", isEvent(c.room, "expired"))
	c.v.expect("room destroyed", func(e *pxmpp.Element) bool {
		x := e.Child("http://jabber.org/protocol/muc#user", "x")
		return e.Name.Local == "presence" && e.Get("type") == "unavailable" && x != nil && x.Child("", "destroy") != nil
	})
	c.waitState(t, sessions.StateExpired)
	// The cookie has no live session now: no prompt, normal routing on the same token.
	s := request(p, p.visitor(), fmt.Sprintf("token='%s'", c.token), "")
	if s.Get("token") != c.token || s.Get("id") == c.sid {
		t.Fatalf("after expiry: %s", s)
	}
	// A reconnect to the expired session: a new one that replaces it.
	s = yes(t, p, p.visitor(), c.sid, c.token)
	if s.Get("replaces") != c.sid || s.Get("id") == c.sid || s.Get("state") != "queued" {
		t.Fatalf("reconnect to an expired session: %s", s)
	}
	a.expect("the replacement offered", isOffer(s.Get("room")))
}

// The suspend deadline lives in Postgres: a session whose deadline passed
// while parleyd was down expires when it starts.
func TestExpiryAcrossRestart(t *testing.T) {
	p := startParley(t, "--suspend-timeout", "2s")
	a := newAgent(t, p, "agent6")
	c := openChat(t, p, a, "Uma", "")
	c.agentSuspend(t, "Investigation")
	p.stop(syscall.SIGTERM)
	time.Sleep(2500 * time.Millisecond)
	if st := c.state(); st != sessions.StateSuspended {
		t.Fatalf("expired while down?: %s", st)
	}
	p.start()
	c.waitState(t, sessions.StateExpired)
}

// Time rules end to end with short durations: a lost visitor connection gives
// visitor-left then a system suspension; an agent offline past the grace time
// loses its sessions to another agent, who gets the whole transcript.
func TestIdleSuspendAndGraceTransfer(t *testing.T) {
	p := startParley(t, "--idle-suspend", "1s", "--grace", "1s")
	a := newAgent(t, p, "agent7")
	c := openChat(t, p, a, "Val", "")
	c.v.drop()
	a.expect("visitor-left", isEvent(c.room, "visitor-left"))
	e := a.expect("suspended by the system", isEvent(c.room, "suspended"))
	if eventAttr(e, "by") != "system" {
		t.Fatalf("suspension: %s", e)
	}
	if rec := p.session(c.sid); rec.SuspendedBy != "system" || rec.Explicit {
		t.Fatalf("record %+v", rec)
	}

	d := openChat(t, p, a, "Wes", "")
	say(d.v, d.room, "are you there")
	b := newAgent(t, p, "agent8")
	a.drop() // the agent's client crashes
	d.v.expect("transferred", isEvent(d.room, "transferred"))
	b.expect("the session offered to the other agent", isOffer(d.room))
	join(b, d.room, "Bea")
	b.expect("the whole transcript", isMsg(d.room+"/Wes", "question of Wes"))
	b.expect("the whole transcript", isMsg(d.room+"/Wes", "are you there"))
	d.v.expect("assigned to the new agent", func(e *pxmpp.Element) bool {
		return isEvent(d.room, "assigned")(e) && eventAttr(e, "agent") == "Bea"
	})
	eventually(t, "new owner stored", func() bool { return p.session(d.sid).Owner == p.agentJID("agent8") })
}

// otherToken returns a well-formed token that differs from tok in its first
// character (a fixed replacement would equal tok whenever tok starts with it).
func otherToken(tok string) string {
	if tok[0] == 'A' {
		return "B" + tok[1:]
	}
	return "A" + tok[1:]
}
