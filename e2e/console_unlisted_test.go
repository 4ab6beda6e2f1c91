package e2e

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// An agent holding more sessions than its workspace lists (--workspace-max)
// sees in its console the ones it must act on and the most recently
// suspended, and a note of how many are left out; when it closes one, the
// next comes back into the list. A visitor's long question is shown clipped
// on the offer card (the room's details give it whole).
func TestAgentConsoleUnlistedSessions(t *testing.T) {
	p := startConsole(t, "--workspace-max", "2")
	const a1 = "agent3"
	p.grant(p.agentJID(a1), "chat")
	c := availableConsole(t, p, a1, "available", "3")

	suspend := func(room string) {
		t.Helper()
		c.click(a1, `.parley-chat[data-room="`+room+`"] .parley-open`)
		c.click(a1, "#parley-suspend")
		eventually(t, "the session suspended", func() bool { return p.session(sessionOfRoom(room)).State == "suspended" })
		c.waitFor(a1, `.parley-chat[data-room="`+room+`"]`, "Suspended")
	}
	// Cy, then Di, taken and suspended in turn (Cy is the one suspended
	// longest), then Ed taken.
	long := strings.Repeat("Where is my parcel? ", 40) // 800 bytes
	var rooms []string
	for i, nick := range []string{"Cy", "Di", "Ed"} {
		v := p.visitor()
		question := "Question from " + nick
		if i == 0 {
			question = long
		}
		s := offerTo(c, a1, p, v, nick, question)
		if i == 0 {
			var shown string
			c.eval(a1, `[...document.querySelectorAll(".parley-offer dd")].map((d) => d.textContent).find((t) => t.startsWith("Where is my parcel?")) || ""`, &shown)
			if len(shown) >= len(long) || len(shown) < 200 || !strings.HasSuffix(shown, "…") || !utf8.ValidString(shown) {
				t.Fatalf("the offer card shows the question as %d bytes %q, want it clipped and marked", len(shown), shown)
			}
			c.shot(a1, "console-unlisted-0-clipped-offer")
		}
		acceptOffer(c, a1, v, s.Get("room"))
		rooms = append(rooms, s.Get("room"))
		c.waitFor(a1, `.parley-chat[data-room="`+s.Get("room")+`"]`, nick)
		if i < 2 {
			suspend(s.Get("room"))
		}
	}

	// Ed (active) and Di (suspended last) are listed; Cy is counted.
	c.waitFor(a1, ".parley-unlisted", "1 more suspended chat is not listed")
	c.waitFor(a1, `.parley-chat[data-room="`+rooms[1]+`"]`, "Suspended")
	c.waitFor(a1, `.parley-chat[data-room="`+rooms[2]+`"]`, "Active")
	c.waitGone(a1, `.parley-chat[data-room="`+rooms[0]+`"]`, "")
	c.shot(a1, "console-unlisted-1-note")

	// Ed closed: Cy is listed again and the note goes.
	c.click(a1, `.parley-chat[data-room="`+rooms[2]+`"] .parley-open`)
	c.click(a1, "#parley-close")
	c.click(a1, `converse-confirm-modal.show button[type=submit]`)
	c.waitFor(a1, `.parley-chat[data-room="`+rooms[0]+`"]`, "Suspended")
	c.waitGone(a1, ".parley-unlisted", "")
	c.shot(a1, "console-unlisted-2-all-listed")
}

// sessionOfRoom is the session id of a room JID (its localpart).
func sessionOfRoom(room string) string {
	id, _, _ := strings.Cut(room, "@")
	return id
}

// With more colleagues online than a workspace lists (--workspace-agents),
// the console's conference and transfer picker offers those able to take a
// chat (available with free capacity first) and says how many it leaves out.
func TestAgentConsoleUnlistedColleagues(t *testing.T) {
	p := startConsole(t, "--workspace-agents", "1")
	const a1 = "agent5"
	for _, a := range []string{a1, "agent6", "agent7"} {
		p.grant(p.agentJID(a), "chat")
	}
	c := availableConsole(t, p, a1, "available", "2")
	busy := p.agent("agent6")
	signIn(p, busy, "")
	busy.send(`<presence xmlns='jabber:client' to='%s'><show>dnd</show></presence>`, p.Domain)
	free := p.agent("agent7")
	signIn(p, free, "")
	eventually(t, "three agents online", func() bool { return p.metric("parley_agents_online") == 3 })

	v := p.visitor()
	s := offerTo(c, a1, p, v, "Fay", "Can someone from billing help?")
	acceptOffer(c, a1, v, s.Get("room"))
	c.click(a1, `.parley-chat[data-room="`+s.Get("room")+`"] .parley-open`)
	c.waitFor(a1, ".parley-unlisted-agents", "1 more colleague is online but not listed")
	var options []string
	c.eval(a1, `[...document.querySelectorAll("#parley-agent option")].map((o) => o.value)`, &options)
	if len(options) != 1 || options[0] != p.agentJID("agent7") {
		t.Fatalf("the picker offers %v, want the available agent7 alone", options)
	}
	c.shot(a1, "console-unlisted-3-colleagues")
}

// A supervisor's queues view with more agents online than a push lists
// (--workspace-agents): the pushed figures keep coming, with the agents able
// to take a chat and a note of how many are left out.
func TestAgentConsoleQueuesPushBounded(t *testing.T) {
	p := startConsole(t, "--workspace-agents", "1")
	const sup = "super"
	p.grant(p.agentJID(sup), "supervise")
	for _, a := range []string{"agent8", "agent10"} {
		p.grant(p.agentJID(a), "chat")
	}
	cs := consoleWith(t, p, sup, consoleOpts{query: "?poll=0"})
	cs.waitFor(sup, "#parley-queue-list", "default: 0 waiting")
	busy := p.agent("agent8")
	signIn(p, busy, `<agent xmlns='urn:parley:chat:0' max-chats='1'/>`)
	busy.send(`<presence xmlns='jabber:client' to='%s'><show>dnd</show></presence>`, p.Domain)
	free := p.agent("agent10")
	signIn(p, free, `<agent xmlns='urn:parley:chat:0' max-chats='1'/>`)
	eventually(t, "two agents online", func() bool { return p.metric("parley_agents_online") == 2 })

	v := p.visitor()
	request(p, v, "", "<visitor name='Gus'/><body>Where is my parcel?</body>")
	cs.waitFor(sup, "#parley-queue-list", "default: 1 waiting")
	cs.waitFor(sup, "#parley-agent-list", p.agentJID("agent10"))
	cs.waitFor(sup, ".parley-unlisted-agents", "1 more colleague is online but not listed")
	if cs.bodyHas(sup, p.agentJID("agent8")) {
		t.Error("the busy agent is listed in the queues view")
	}
	cs.shot(sup, "console-unlisted-4-queues")
}
