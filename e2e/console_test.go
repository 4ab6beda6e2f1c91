package e2e

import (
	"strings"
	"testing"

	pxmpp "github.com/parley-chat/parley/xmpp"
)

func TestAgentConsole(t *testing.T) {
	p := startConsole(t)
	const a1, a2 = "agent1", "agent2"
	p.grant(p.agentJID(a1), "chat")
	p.grant(p.agentJID(a2), "chat")
	putCanned(t, p)

	// Sign-in and availability, with no roster entry for the service.
	c1 := console(t, p, a1)
	c1.waitFor(a1, "#parley-load", "Not signed in to Parley")
	setAvailability(c1, a1, "available", "2")
	c1.waitFor(a1, "#parley-load", "Available · 0 of 2 chats")
	eventually(t, "agent1 signed in", func() bool { return p.metric("parley_agents_online") == 1 })
	c1.shot(a1, "console-1-signed-in")
	setAvailability(c1, a1, "dnd", "2")
	c1.waitFor(a1, "#parley-load", "Do not disturb · 0 of 2 chats")
	setAvailability(c1, a1, "available", "2")
	c1.waitFor(a1, "#parley-load", "Available · 0 of 2 chats")
}

// noOMEMO checks that the console loaded no OMEMO code: a chat's room must
// stay readable by the service (transcripts) and by the widget, so the
// console neither offers end-to-end encryption nor loads it.
func noOMEMO(t *testing.T, b *browser, page string) {
	t.Helper()
	for _, r := range b.log(page).Requests {
		if strings.Contains(r, "omemo") || strings.Contains(r, ".wasm") {
			t.Errorf("%s's console loaded %s", page, r)
		}
	}
}

// The whole working day in the console: offers accepted and declined (the
// declined one moves to the second console), messages both ways, the
// visitor's details before and after suspend/resume, the reference page's
// flow (suspend with a cause, the visitor closes the window, comes back and
// reconnects, the console says so, the agent resumes by sending a canned
// response), a comment the visitor never sees, and My chats after a reload.
func TestAgentConsoleWorkspace(t *testing.T) {
	p := startConsole(t)
	const a1, a2 = "agent1", "agent2"
	p.grant(p.agentJID(a1), "chat")
	p.grant(p.agentJID(a2), "chat")
	putCanned(t, p)
	c1 := availableConsole(t, p, a1, "available", "3")
	c2 := availableConsole(t, p, a2, "available", "1")
	eventually(t, "two agents signed in", func() bool { return p.metric("parley_agents_online") == 2 })

	// Bo (a plain XMPP visitor) is offered to agent1, who signed in first:
	// agent1 declines, the offer moves to agent2's console, who accepts.
	bo := p.visitor()
	sBo := request(p, bo, "", "<visitor name='Bo' email='bo@example.org' page='https://shop.example/cart'/><body>Billing question</body>")
	roomBo := sBo.Get("room")
	join(bo, roomBo, "Bo")
	c1.waitFor(a1, ".parley-offer", "Chat request from Bo")
	c1.waitFor(a1, ".parley-offer", "bo@example.org")
	c1.waitFor(a1, ".parley-offer", "Billing question")
	c1.waitFor(a1, ".parley-offer .parley-countdown", " s left")
	c1.shot(a1, "console-2-offer")
	c1.click(a1, ".parley-offer .parley-decline")
	c2.waitFor(a2, ".parley-offer", "Chat request from Bo")
	c2.shot(a2, "console-3-offer-moved")
	c2.click(a2, ".parley-offer .parley-accept")
	bo.expect("Bo assigned to agent2", isEvent(roomBo, "assigned"))
	c2.waitFor(a2, ".parley-chat", "Bo")
	c2.waitFor(a2, "#parley-load", "1 of 1 chats")

	// Ann in the widget, offered to agent1 (agent2 is full); accepted.
	v := newBrowser(t, p)
	v.launch(launchOpts{})
	v.open("shop")
	v.startChat("shop", "Ann", "ann@example.org", "Where is my parcel?")
	c1.waitFor(a1, ".parley-offer", "Chat request from Ann")
	c1.click(a1, ".parley-offer .parley-accept")
	v.phase("shop", "chat")
	v.line("shop", a1+" has joined the chat.")
	sid := v.session("shop")
	room := roomOf(p, sid)
	c1.waitFor(a1, ".parley-chat", "Ann")
	c1.waitFor(a1, ".parley-chat", "Active")
	c1.waitFor(a1, "#parley-load", "1 of 3 chats")

	// Messages both ways.
	consoleSay(c1, a1, "Hi Ann, let me check.")
	v.line("shop", "Hi Ann, let me check.")
	v.say("shop", "Thank you!")
	c1.waitFor(a1, "converse-muc .chat-msg__text", "Thank you!")

	// The details pane, before and after suspend/resume.
	c1.click(a1, `.parley-chat[data-room="`+room+`"] .parley-open`)
	c1.waitFor(a1, "#parley-details", "ann@example.org")
	c1.waitFor(a1, "#parley-details", "Where is my parcel?")
	c1.shot(a1, "console-4-chat")
	c1.do("select", map[string]any{"page": a1, "target": "#parley-cause", "value": "Visitor Machine Restart"})
	c1.click(a1, "#parley-suspend")
	c1.waitFor(a1, ".parley-chat", "Suspended (Visitor Machine Restart)")
	c1.waitFor(a1, "#parley-details", "ann@example.org")
	if r := p.session(sid); r.State != "suspended" || r.SuspendCause != "Visitor Machine Restart" {
		t.Fatalf("after suspend: %+v", r)
	}
	c1.shot(a1, "console-5-suspended")
	c1.click(a1, "#parley-resume")
	c1.waitFor(a1, ".parley-chat", "Active")
	c1.waitFor(a1, "#parley-details", "ann@example.org")

	// The reference flow: suspended with a cause; the visitor closes the
	// window, comes back, reconnects; the console says so; a canned
	// response resumes the chat.
	c1.do("select", map[string]any{"page": a1, "target": "#parley-cause", "value": "Investigation"})
	c1.click(a1, "#parley-suspend")
	c1.waitFor(a1, ".parley-chat", "Suspended (Investigation)")
	v.do("closePage", map[string]any{"page": "shop"})
	v.open("back")
	v.reconnectYes("back")
	c1.waitFor(a1, ".parley-isback", "Ann is back: Resume?")
	c1.shot(a1, "console-6-is-back")
	c1.fill(a1, "#parley-canned-search", "wait")
	c1.waitGone(a1, ".parley-canned-item", "Have a nice day.")
	c1.click(a1, `.parley-canned-item[data-id="wait"]`)
	v.line("back", "Thank you for waiting, I am checking.")
	c1.waitFor(a1, ".parley-chat", "Active")
	c1.waitGone(a1, ".parley-isback", "")
	if r := p.session(sid); r.State != "active" {
		t.Fatalf("after the canned response: %+v", r)
	}

	// A comment: marked as an internal note in the console, never in the
	// visitor's page (the line after it arrives there, the comment does not).
	c1.fill(a1, "#parley-comment-text", "VIP customer, second parcel lost")
	c1.click(a1, "#parley-comment")
	c1.waitFor(a1, "converse-muc .chat-msg__text", "Internal note, not shown to the visitor: VIP customer")
	consoleSay(c1, a1, "I found it.")
	v.line("back", "I found it.")
	if v.bodyHas("back", "VIP customer") {
		t.Error("the visitor's page shows the comment")
	}
	c1.shot(a1, "console-7-comment")

	// Reload: My chats comes back from the service.
	c1.do("goto", map[string]any{"page": a1, "url": c1.base + "agent/"})
	if c1.bodyHas(a1, "Ann") {
		// Converse kept its session: nothing to do.
	} else {
		consoleLogin(c1, p, a1)
	}
	c1.waitFor(a1, `.parley-chat[data-room="`+room+`"]`, "Ann")
	c1.waitFor(a1, "#parley-load", "1 of 3 chats")
	c1.shot(a1, "console-8-after-reload")

	// Close with confirmation.
	c1.click(a1, `.parley-chat[data-room="`+room+`"] .parley-open`)
	c1.click(a1, "#parley-close")
	c1.click(a1, `converse-confirm-modal.show button[type=submit]`)
	c1.waitGone(a1, `.parley-chat[data-room="`+room+`"]`, "")
	v.phase("back", "ended")
	noOMEMO(t, c1, a1)
	noOMEMO(t, c2, a2)
}

// Colleagues and supervisors: a supervisor's queues view moves as a visitor
// waits, a link sent from the console reaches the visitor as jabber:x:oob,
// and a conference from one console is accepted in the other.
func TestAgentConsoleTeam(t *testing.T) {
	p := startConsole(t)
	const a1, a2, sup = "agent3", "agent4", "super"
	p.grant(p.agentJID(a1), "chat")
	p.grant(p.agentJID(a2), "chat")
	p.grant(p.agentJID(sup), "supervise")
	cs := console(t, p, sup)
	cs.waitFor(sup, "#parley-queue-list", "default: 0 waiting")

	c1 := availableConsole(t, p, a1, "available", "1")
	c2 := availableConsole(t, p, a2, "dnd", "1")
	cs.waitFor(sup, "#parley-agent-list", p.agentJID(a1)+": 0 of 1 chats, available")
	cs.waitFor(sup, "#parley-agent-list", p.agentJID(a2)+": 0 of 1 chats, dnd")

	v := p.visitor()
	room := offerTo(c1, a1, p, v, "Ann", "Where is my parcel?").Get("room")
	acceptOffer(c1, a1, v, room)

	// A second visitor waits: agent3 is full, agent4 busy.
	v2 := p.visitor()
	request(p, v2, "", "<visitor name='Bo'/><body>Billing</body>")
	cs.waitFor(sup, "#parley-queue-list", "default: 1 waiting")
	cs.waitFor(sup, "#parley-agent-list", p.agentJID(a1)+": 1 of 1 chats, available")
	cs.shot(sup, "console-9-queues")

	// A link.
	c1.click(a1, `.parley-chat[data-room="`+room+`"] .parley-open`)
	c1.fill(a1, "#parley-link-url", "https://shop.example/track/42")
	c1.click(a1, "#parley-link")
	v.expect("the link with jabber:x:oob", func(e *pxmpp.Element) bool {
		x := e.Child("jabber:x:oob", "x")
		return e.Name.Local == "message" && e.Get("from") == room+"/"+a1 && x != nil && x.Child("jabber:x:oob", "url") != nil &&
			x.Child("jabber:x:oob", "url").Text == "https://shop.example/track/42"
	})

	// A conference: agent4 is invited from agent3's picker and accepts.
	c1.waitFor(a1, "#parley-agent", p.agentJID(a2))
	c1.do("select", map[string]any{"page": a1, "target": "#parley-agent", "value": p.agentJID(a2)})
	c1.click(a1, "#parley-conference")
	// Found by its ARIA role and name, accepted from the keyboard.
	c2.waitFor(a2, `role=alertdialog[name=/invites you to a conference/]`, "")
	c2.shot(a2, "console-10-conference-invite")
	c2.do("press", map[string]any{"page": a2, "target": `role=alertdialog[name=/invites you to a conference/] >> role=button[name="Accept"]`, "key": "Enter"})
	v.expect("the conference event", isEvent(room, "conference"))
	c2.waitFor(a2, `.parley-chat[data-room="`+room+`"]`, "conference")
	consoleSay(c2, a2, "Hello, I am helping.")
	v.expect("agent4's line", isMsg(room+"/"+a2, "Hello, I am helping."))
	c1.waitFor(a1, "converse-muc .chat-msg__text", "Hello, I am helping.")

	// The supervisor monitors the chat from the queues view: it joins as a
	// moderator and hears what follows.
	cs.waitFor(sup, `.parley-all[data-room="`+room+`"]`, "Ann: active, "+p.agentJID(a1))
	cs.shot(sup, "console-14-all-chats")
	cs.click(sup, `.parley-all[data-room="`+room+`"] .parley-monitor`)
	v.expect("the supervisor joins as a moderator", func(e *pxmpp.Element) bool {
		x := e.Child("http://jabber.org/protocol/muc#user", "x")
		if e.Name.Local != "presence" || e.Get("from") != room+"/"+sup || x == nil {
			return false
		}
		it := x.Child("http://jabber.org/protocol/muc#user", "item")
		return it != nil && it.Get("role") == "moderator"
	})
	say(v, room, "Thanks to you both.")
	cs.waitFor(sup, "converse-muc .chat-msg__text", "Thanks to you both.")
	cs.waitFor(sup, "converse-muc .chat-msg__text", "Hello, I am helping.")
	cs.shot(sup, "console-15-monitor")
}
