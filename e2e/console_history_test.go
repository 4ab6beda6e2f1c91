package e2e

import "testing"

// The whole transcript when the agent comes back: the console is loaded
// again in a browser with nothing stored (so nothing can come from
// Converse's cache), the agent signs in, opens the chat from My chats and
// sees the lines said before, fetched from the service with no setting in
// the console: stock Converse queries the room's archive (urn:xmpp:mam:2 on
// the room JID, seen in parleyd's debug log) on joining it.
func TestAgentConsoleHistory(t *testing.T) {
	p := startConsole(t)
	const a1 = "agent7"
	p.grant(p.agentJID(a1), "chat")
	c1 := availableConsole(t, p, a1, "available", "2")

	v := p.visitor()
	room := offerTo(c1, a1, p, v, "Ann", "Where is my parcel?").Get("room")
	acceptOffer(c1, a1, v, room)
	consoleSay(c1, a1, "Hi Ann, let me check.")
	v.expect("agent7's line", isMsg(room+"/"+a1, "Hi Ann, let me check."))
	say(v, room, "It was due on Monday.")
	c1.waitFor(a1, "converse-muc .chat-msg__text", "It was due on Monday.")
	c1.do("closePage", map[string]any{"page": a1})

	// A fresh browser: empty storage.
	c2 := console(t, p, a1)
	setAvailability(c2, a1, "available", "2")
	c2.waitFor(a1, `.parley-chat[data-room="`+room+`"]`, "Ann")
	c2.click(a1, `.parley-chat[data-room="`+room+`"] .parley-open`)
	c2.waitFor(a1, "converse-muc .chat-msg__text", "Where is my parcel?")
	c2.waitFor(a1, "converse-muc .chat-msg__text", "Hi Ann, let me check.")
	c2.waitFor(a1, "converse-muc .chat-msg__text", "It was due on Monday.")
	c2.shot(a1, "console-13-history")
	// And the chat goes on.
	say(v, room, "Any news?")
	c2.waitFor(a1, "converse-muc .chat-msg__text", "Any news?")
}
