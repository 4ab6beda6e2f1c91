package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/parley-chat/parley/sessions"
	pxmpp "github.com/parley-chat/parley/xmpp"
)

// Agents on another server: the federation test bed (scripts/testbed.sh up
// --server all) runs a second server for agents.example.test, linked over s2s
// (dialback, no TLS) to the Prosody that hosts the component. Every stanza
// between these agents and Parley crosses that link.

// needFederation skips (fails in CI) when the federation test bed is not up.
// It is set up beside the test bed's Prosody only: on another server's
// environment the federated tests do not apply and are skipped, and so they are
// with PARLEY_TEST_FEDERATION=off (scripts/test.sh on a machine where another
// checkout's federation test bed holds the addresses).
func needFederation(t *testing.T, p *parley) {
	t.Helper()
	if p.env.RemoteC2SAddr != "" && p.env.RemoteHost != "" {
		return
	}
	msg := "no federation test bed (start it with scripts/testbed.sh up --server all)"
	if p.env.Server != "prosody" {
		t.Skip(msg + " on " + p.env.Server + ": the federated tests run on the Prosody pass")
	}
	if os.Getenv("PARLEY_TEST_FEDERATION") == "off" {
		msg += ": PARLEY_TEST_FEDERATION=off"
	}
	missingTool(t, msg)
}

func (p *parley) remoteJID(name string) string { return name + "@" + p.env.RemoteHost }

// remoteAgent logs in an account of the remote agents' server.
func (p *parley) remoteAgent(name string) *client {
	c := dial(p.t, p.env.RemoteC2SAddr, name, p.env.RemoteHost, p.env.Password)
	c.name = name + "@" + p.env.RemoteHost
	return c
}

// link drops or restores the s2s link between the two servers (the remote
// server's s2s listener and connections go away; its clients stay connected).
func link(t *testing.T, state string) {
	t.Helper()
	cmd := exec.Command(filepath.Join("..", "scripts", "testbed.sh"), "link", state)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("scripts/testbed.sh link %s: %v\n%s", state, err, out)
	}
}

// signInSlow is signIn with room for the first s2s connection (dialback both ways).
func signInSlow(p *parley, c *client) {
	c.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		c.send(`<presence xmlns='jabber:client' to='%s'/>`, p.Domain)
		e := c.wait("the service's presence", func(e *pxmpp.Element) bool {
			return e.Name.Local == "presence" && e.Get("from") == p.Domain && (e.Get("type") == "" || e.Get("type") == "error")
		}, 10*time.Second)
		if e != nil && e.Get("type") == "" {
			return
		}
		if time.Now().After(deadline) {
			c.t.Fatalf("%s: sign-in over s2s failed: %v; got:\n%s", c.name, e, c.dump())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// A remote agent holding chat signs in by directed presence and by roster
// subscription; one without it is refused both ways.
func TestFederatedSignIn(t *testing.T) {
	p := startParley(t)
	needFederation(t, p)
	p.grant(p.remoteJID("agent1"), "chat")
	p.grant(p.remoteJID("agent2"), "chat")

	a1 := p.remoteAgent("agent1")
	signInSlow(p, a1)
	eventually(t, "one agent online", func() bool { return p.metric("parley_agents_online") == 1 })

	// Roster subscription: the remote server sends it from the bare JID.
	a2 := p.remoteAgent("agent2")
	a2.iq("get", "", `<query xmlns='jabber:iq:roster'/>`)
	a2.send(`<presence xmlns='jabber:client'/>`)
	subscribe(p, a2)
	a2.expect("the service subscribing back", func(e *pxmpp.Element) bool {
		return e.Name.Local == "presence" && e.Get("from") == p.Domain && e.Get("type") == "subscribe"
	})
	a2.expect("the service's presence, before any approval", isPresence(p.Domain, ""))
	a2.send(`<presence xmlns='jabber:client' type='subscribed' to='%s'/>`, p.Domain)
	eventually(t, "both agents online", func() bool { return p.metric("parley_agents_online") == 2 })

	// Without chat: forbidden, and unsubscribed.
	n := p.remoteAgent("nochat")
	refusedWithoutChat(p, n)
	if got := p.metric("parley_agents_online"); got != 2 {
		t.Fatalf("agents online = %v after the refused ones, want 2", got)
	}

	// Both remote agents get offers; the refused one none.
	v := p.visitor()
	s := request(p, v, "", `<visitor name='Fed'/>`)
	a1.expect("an offer over s2s", isOffer(s.Get("room")))
	n.never("an offer", 300*time.Millisecond, isOffer(s.Get("room")))
}

// A whole chat with a remote agent: offer, join, messages both ways, suspend
// and resume, the visitor's reconnect routed to the remote owner, close.
func TestFederatedChat(t *testing.T) {
	p := startParley(t)
	needFederation(t, p)
	p.grant(p.remoteJID("agent3"), "chat")
	a := p.remoteAgent("agent3")
	signInSlow(p, a)

	c := openChat(t, p, a, "Fay", "")
	a.expect("the question in history", isMsg(c.room+"/Fay", "question of Fay"))
	say(c.v, c.room, "Hello from the shop")
	a.expect("the visitor's message over s2s", isMsg(c.room+"/Fay", "Hello from the shop"))
	say(a, c.room, "Hello from agents.example.test")
	c.v.expect("the remote agent's message", isMsg(c.room+"/Agent", "Hello from agents.example.test"))
	if rec := p.session(c.sid); rec.Owner != p.remoteJID("agent3") || rec.State != sessions.StateActive {
		t.Fatalf("stored session %+v", rec)
	}

	// Suspend and resume by IQ from the remote server.
	c.agentSuspend(t, "Investigation")
	c.waitState(t, sessions.StateSuspended)
	if r := a.iq("set", c.room, `<resume xmlns='urn:parley:chat:0'/>`); r.Get("type") != "result" {
		t.Fatalf("resume over s2s: %s", r)
	}
	c.v.expect("resumed", isEvent(c.room, "resumed"))
	c.waitState(t, sessions.StateActive)

	// The owner leaves and suspends; the visitor restarts and reconnects: the
	// request goes to the remote owner, with an invitation back.
	a.send(`<presence xmlns='jabber:client' type='unavailable' to='%s/Agent'/>`, c.room)
	if r := a.iq("set", c.room, `<suspend xmlns='urn:parley:chat:0'/>`); r.Get("type") != "result" {
		t.Fatalf("suspend from outside the room: %s", r)
	}
	c.v.expect("suspended", isEvent(c.room, "suspended"))
	c.v.drop()
	v := p.visitor()
	yes(t, p, v, c.sid, c.token)
	a.expect("the reconnect notice over s2s", func(e *pxmpp.Element) bool {
		r := e.Child(nsParley, "reconnected")
		return e.Get("type") == "headline" && r != nil && r.Get("session") == c.sid
	})
	a.expect("a mediated invitation back", func(e *pxmpp.Element) bool {
		x := e.Child("http://jabber.org/protocol/muc#user", "x")
		return e.Get("from") == c.room && x != nil && x.Child("", "invite") != nil
	})
	join(v, c.room, "Fay")
	join(a, c.room, "Agent")
	say(a, c.room, "Welcome back")
	v.expect("resumed by the agent's message", isEvent(c.room, "resumed"))
	v.expect("the agent's message", isMsg(c.room+"/Agent", "Welcome back"))

	// Close from the remote server.
	if r := a.iq("set", c.room, `<close xmlns='urn:parley:chat:0'/>`); r.Get("type") != "result" {
		t.Fatalf("close over s2s: %s", r)
	}
	v.expect("closed", isEvent(c.room, "closed"))
	a.expect("the room destroyed", func(e *pxmpp.Element) bool {
		x := e.Child("http://jabber.org/protocol/muc#user", "x")
		return e.Name.Local == "presence" && e.Get("from") == c.room+"/Agent" && e.Get("type") == "unavailable" && x != nil && x.Child("", "destroy") != nil
	})
	c.waitState(t, sessions.StateClosed)
}

// The s2s link drops while the remote agent is in a room: presence the room
// sends meanwhile bounces, the service drops the agent as an occupant, and when
// the link is back the agent's client learns it by a XEP-0410 self-ping
// (not-acceptable) and rejoins, with the missed message in the history.
func TestFederatedLinkDropSelfPingRejoin(t *testing.T) {
	p := startParley(t)
	needFederation(t, p)
	p.grant(p.remoteJID("agent4"), "chat")
	a := p.remoteAgent("agent4")
	signInSlow(p, a)
	c := openChat(t, p, a, "Gus", "")
	selfPing := func() *pxmpp.Element {
		return a.iq("get", c.room+"/Agent", `<ping xmlns='urn:xmpp:ping'/>`)
	}
	if r := selfPing(); r.Get("type") != "result" {
		t.Fatalf("self-ping while joined: %s", r)
	}

	link(t, "down")
	restored := false
	t.Cleanup(func() {
		if !restored {
			link(t, "up")
		}
	})
	// The visitor writes and changes its presence while the agent cannot be reached.
	say(c.v, c.room, "Are you still there?")
	c.v.expect("its own message reflected", isMsg(c.room+"/Gus", "Are you still there?"))
	c.v.send(`<presence xmlns='jabber:client' to='%s/Gus'><show>away</show></presence>`, c.room)
	c.v.expect("the agent gone from the room", func(e *pxmpp.Element) bool {
		return e.Name.Local == "presence" && e.Get("from") == c.room+"/Agent" && e.Get("type") == "unavailable"
	})

	link(t, "up")
	restored = true
	// The client self-pings until the link answers (the first tries may still bounce).
	deadline := time.Now().Add(30 * time.Second)
	var r *pxmpp.Element
	for {
		r = selfPing()
		if cond := errorCondition(r); cond == "not-acceptable" {
			break
		} else if r.Get("type") == "result" {
			t.Fatalf("self-ping says still joined after the service dropped the agent: %s", r)
		}
		if time.Now().After(deadline) {
			t.Fatalf("self-ping never answered not-acceptable; last: %s", r)
		}
		time.Sleep(500 * time.Millisecond)
	}
	join(a, c.room, "Agent")
	a.expect("the missed message in the history", isMsg(c.room+"/Gus", "Are you still there?"))
	if r := selfPing(); r.Get("type") != "result" {
		t.Fatalf("self-ping after rejoining: %s", r)
	}
	say(a, c.room, "Yes, back now")
	c.v.expect("the agent's message after the rejoin", isMsg(c.room+"/Agent", "Yes, back now"))
	if st := c.state(); st != sessions.StateActive {
		t.Fatalf("session %s after the link came back, want active", st)
	}
}
