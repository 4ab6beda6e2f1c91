package e2e

import "testing"

// A transfer between two consoles: agent5 picks agent6 in the console's
// picker and transfers the live chat; agent6 accepts in its console and
// becomes the owner (My chats moves from one console to the other, the
// loads follow); the visitor keeps chatting with agent6.
func TestAgentConsoleTransfer(t *testing.T) {
	p := startConsole(t)
	const a1, a2 = "agent5", "agent6"
	p.grant(p.agentJID(a1), "chat")
	p.grant(p.agentJID(a2), "chat")
	c1 := availableConsole(t, p, a1, "available", "2")
	c2 := availableConsole(t, p, a2, "dnd", "2")

	v := p.visitor()
	s := offerTo(c1, a1, p, v, "Ann", "Where is my parcel?")
	room := s.Get("room")
	acceptOffer(c1, a1, v, room)
	c1.waitFor(a1, `.parley-chat[data-room="`+room+`"]`, "Ann")
	c1.waitFor(a1, "#parley-load", "1 of 2 chats")

	// The transfer, from agent5's picker.
	c1.click(a1, `.parley-chat[data-room="`+room+`"] .parley-open`)
	c1.waitFor(a1, "#parley-agent", p.agentJID(a2))
	c1.do("select", map[string]any{"page": a1, "target": "#parley-agent", "value": p.agentJID(a2)})
	c1.click(a1, "#parley-transfer")
	c2.waitFor(a2, `role=alertdialog[name=/transfers a chat to you/]`, "")
	c2.shot(a2, "console-11-transfer-offer")
	c2.click(a2, `role=alertdialog[name=/transfers a chat to you/] >> role=button[name="Accept"]`)
	v.expect("the transferred event", isEventBy(room, "transferred", "agent"))

	// agent6 owns it now: its My chats has it, agent5's no longer.
	c2.waitFor(a2, `.parley-chat[data-room="`+room+`"]`, "Ann")
	c2.waitFor(a2, "#parley-load", "1 of 2 chats")
	c1.waitGone(a1, `.parley-chat[data-room="`+room+`"]`, "")
	c1.waitFor(a1, "#parley-load", "0 of 2 chats")
	eventually(t, "agent6 stored as the owner", func() bool { return p.session(s.Get("id")).Owner == p.agentJID(a2) })

	// The visitor keeps chatting, now with agent6.
	say(v, room, "Is anyone there?")
	c2.waitFor(a2, "converse-muc .chat-msg__text", "Is anyone there?")
	consoleSay(c2, a2, "Yes, I took over your chat.")
	v.expect("agent6's line", isMsg(room+"/"+a2, "Yes, I took over your chat."))
	c2.shot(a2, "console-12-after-transfer")
}
