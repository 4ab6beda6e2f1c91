package e2e

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	pxmpp "github.com/parley-chat/parley/xmpp"
)

// Scenarios in the visitor's widget: Chromium (browser_driver_test.go) on the
// demo shop (widget_page_test.go), the agents mellium clients.

// agentFor signs an agent in (after granting it chat).
func agentFor(p *parley, name, extra string) *client {
	p.grant(p.agentJID(name), "chat")
	a := p.agent(name)
	signIn(p, a, extra)
	return a
}

// take waits for an offer of room and joins it as nick.
func take(a *client, room, nick string) {
	a.t.Helper()
	a.expect("offer of "+room, isOffer(room))
	join(a, room, nick)
}

func anyOffer(e *pxmpp.Element) bool {
	return e.Name.Local == "message" && e.Child(nsParley, "offer") != nil
}

func roomOf(p *parley, sid string) string { return sid + "@" + p.Domain }

// isReconnectNotice is the owner's headline telling that the visitor of sid
// reconnected.
func isReconnectNotice(sid string) func(*pxmpp.Element) bool {
	return func(e *pxmpp.Element) bool {
		r := e.Child(nsParley, "reconnected")
		return e.Name.Local == "message" && e.Get("type") == "headline" && r != nil && r.Get("session") == sid
	}
}

func hasChatState(from, state string) func(*pxmpp.Element) bool {
	return func(e *pxmpp.Element) bool {
		return e.Name.Local == "message" && e.Get("from") == from && e.Child("http://jabber.org/protocol/chatstates", state) != nil
	}
}

func isEventBy(room, typ, by string) func(*pxmpp.Element) bool {
	ev := isEvent(room, typ)
	return func(e *pxmpp.Element) bool {
		return ev(e) && e.Child(nsParley, "event").Get("by") == by
	}
}

// The visitor's whole path: the pre-chat form, the queue, an assigned agent,
// messages both ways with typing notifications, a link, and End chat.
func TestBrowserChat(t *testing.T) {
	p, b := startBrowser(t)
	b.open("shop")
	b.shot("shop", "01-shop")
	b.click("shop", launcher)
	b.waitFor("shop", `role=dialog[name="Chat with us"]`, "")
	b.shot("shop", "02-prechat-form")
	b.click("shop", launcher) // closes again
	b.startChat("shop", "Ann", "ann@example.org", "My order did not arrive")
	b.phase("shop", "chat")
	sid := b.session("shop")
	checkSessionID(t, sid)
	room := roomOf(p, sid)
	b.waitFor("shop", statusLine, "Waiting for an agent")
	b.line("shop", "My order did not arrive")

	a := agentFor(p, "agent1", "")
	take(a, room, "Alice")
	b.line("shop", "Alice has joined the chat.")
	b.waitFor("shop", statusLine, "You are chatting with Alice.")
	rec := p.session(sid)
	if rec.Visitor["name"] != "Ann" || rec.Visitor["email"] != "ann@example.org" || !strings.HasPrefix(rec.Visitor["page"], b.base) || rec.Visitor["language"] == "" {
		t.Errorf("visitor details: %v", rec.Visitor)
	}

	// The agent types, then answers with a link in the text and one as a file.
	a.send(`<message xmlns='jabber:client' type='groupchat' to='%s'><composing xmlns='http://jabber.org/protocol/chatstates'/></message>`, room)
	b.waitFor("shop", `css=.typing`, "Alice is typing…")
	b.shot("shop", "03-agent-typing")
	say(a, room, "Sorry about that! Tracking: https://track.example.net/HT-20417 (updated hourly).")
	b.line("shop", "Sorry about that!")
	b.waitGone("shop", `css=.typing`, "Alice is typing")
	if href := b.attr("shop", `css=li.message.theirs a`, "href"); href != "https://track.example.net/HT-20417" {
		t.Errorf("link in text: href %q", href)
	}
	a.send(`<message xmlns='jabber:client' type='groupchat' to='%s'><body>Here is the invoice</body><x xmlns='jabber:x:oob'><url>https://files.example.net/invoice-20417.pdf</url><desc>Invoice HT-20417 (PDF)</desc></x></message>`, room)
	b.waitFor("shop", `role=link[name="Invoice HT-20417 (PDF)"]`, "")
	if href := b.attr("shop", `role=link[name="Invoice HT-20417 (PDF)"]`, "href"); href != "https://files.example.net/invoice-20417.pdf" {
		t.Errorf("oob link href %q", href)
	}

	// The visitor types: the agent sees composing, then the message.
	b.typeText("shop", `role=textbox[name="Message"]`, "Thanks")
	a.expect("visitor composing", hasChatState(room+"/Ann", "composing"))
	b.press("shop", "Enter")
	b.waitFor("shop", `css=li.message.mine[data-status="sent"]`, "Thanks")
	a.expect("the visitor's message", isMsg(room+"/Ann", "Thanks"))
	b.shot("shop", "04-chat")
	// Markup from a message stays text.
	say(a, room, `&lt;img src=x onerror=alert(1)&gt; &lt;b&gt;bold&lt;/b&gt;`)
	b.line("shop", "<b>bold</b>")
	if n := b.count("shop", `css=li.message img, li.message b`); n != 0 {
		t.Errorf("message markup was rendered (%d elements)", n)
	}

	// End chat asks first; Cancel keeps the chat.
	b.click("shop", `role=button[name="End chat"]`)
	b.waitFor("shop", `css=.confirm`, "End this chat?")
	b.click("shop", `role=button[name="Cancel"]`)
	b.waitFor("shop", `role=textbox[name="Message"]`, "")
	b.click("shop", `role=button[name="End chat"]`)
	b.click("shop", `css=.confirm button.danger`)
	b.phase("shop", "ended")
	b.line("shop", "You ended the chat.")
	a.expect("closed event", isEventBy(room, "closed", "visitor"))
	b.shot("shop", "05-ended")
	if st := p.session(sid).State; st != "closed" {
		t.Errorf("session state %s after End chat", st)
	}
	b.checkClean("shop")
}

// chatWithAgent runs the usual start of a test: page, form, agent takes the
// chat, a message each way. It returns the session id and room.
func chatWithAgent(b *browser, p *parley, a *client, page, name, question, agentNick string) (string, string) {
	b.t.Helper()
	b.startChat(page, name, "", question)
	b.phase(page, "chat")
	sid := b.session(page)
	checkSessionID(b.t, sid)
	room := roomOf(p, sid)
	take(a, room, agentNick)
	b.line(page, agentNick+" has joined the chat.")
	say(a, room, "Hello "+name+", how can I help?")
	b.line(page, "Hello "+name+", how can I help?")
	b.say(page, "Hi, it is about "+question)
	a.expect("the visitor's message", isMsg(room+"/"+name, "Hi, it is about "+question))
	return sid, room
}

// While no agent is free the visitor sees its place in the queue, and it
// moves up as the agent takes the chat ahead of it.
func TestBrowserQueuePosition(t *testing.T) {
	p, b := startBrowser(t)
	b.open("ann")
	b.startChat("ann", "Ann", "", "First in line")
	b.phase("ann", "chat")
	b.waitFor("ann", statusLine, "you are number 1 in the queue")
	b.line("ann", "You are number 1 in the queue.")

	// A second visitor, in a browser context of its own.
	b2 := newBrowser(t, p)
	b2.launch(launchOpts{})
	b2.open("bob")
	b2.startChat("bob", "Bob", "", "Second in line")
	b2.phase("bob", "chat")
	b2.waitFor("bob", statusLine, "you are number 2 in the queue")
	b2.shot("bob", "06-queue-position")

	a := agentFor(p, "agent2", `<agent xmlns='urn:parley:chat:0' max-chats='1'/>`)
	take(a, roomOf(p, b.session("ann")), "Alice")
	b.waitFor("ann", statusLine, "You are chatting with Alice.")
	b2.waitFor("bob", statusLine, "you are number 1 in the queue")
	b2.line("bob", "You are number 1 in the queue.")
	b.checkClean("ann")
}

// The agent suspends with a cause, the page says so; the agent's next
// message resumes the session, and the page shows that too.
func TestBrowserAgentSuspendResume(t *testing.T) {
	p, b := startBrowser(t)
	b.open("shop")
	a := agentFor(p, "agent3", "")
	sid, room := chatWithAgent(b, p, a, "shop", "Ann", "a refund", "Alice")

	if r := a.iq("set", room, `<suspend xmlns='urn:parley:chat:0' cause='Investigation'/>`); r.Get("type") != "result" {
		t.Fatalf("suspend: %s", r)
	}
	b.line("shop", "The agent suspended the chat (Investigation).")
	b.waitFor("shop", statusLine, "The chat is suspended.")
	if st := b.attr("shop", widgetRoot, "data-session-state"); st != "suspended" {
		t.Errorf("widget session state %q", st)
	}
	b.shot("shop", "07-suspended-by-agent")
	// The visitor may still write; the agent gets it.
	b.say("shop", "Take your time")
	a.expect("visitor message while suspended", isMsg(room+"/Ann", "Take your time"))

	say(a, room, "I found your parcel.")
	b.line("shop", "The chat has resumed.")
	b.line("shop", "I found your parcel.")
	b.waitFor("shop", statusLine, "You are chatting with Alice.")
	if st := p.session(sid).State; st != "active" {
		t.Errorf("session %s after the agent's message", st)
	}

	// The agent closes: a quiet line, the room is gone, a new chat may start.
	if r := a.iq("set", room, `<close xmlns='urn:parley:chat:0'/>`); r.Get("type") != "result" {
		t.Fatalf("close: %s", r)
	}
	b.line("shop", "The agent ended the chat.")
	b.phase("shop", "ended")
	b.waitFor("shop", statusLine, "This chat has ended.")
	b.click("shop", `role=button[name="Start a new chat"]`)
	b.phase("shop", "form")
	if v := b.attr("shop", `css=#parley-name`, "aria-invalid"); v != "" {
		t.Errorf("fresh form marked invalid: %q", v)
	}
}

// Suspend, then the page is opened again: the prompt, before any form; Yes
// brings back the transcript and the agent is told; another page, No, shows
// the form filled in with the visitor's name and starts a new session.
func TestBrowserSuspendReconnectPrompt(t *testing.T) {
	p, b := startBrowser(t)
	b.open("shop")
	a := agentFor(p, "agent4", "")
	sid, room := chatWithAgent(b, p, a, "shop", "Ann", "my invoice", "Alice")

	b.click("shop", `role=button[name="Suspend"]`)
	b.phase("shop", "left")
	b.waitFor("shop", `css=.after`, "You suspended this chat.")
	a.expect("suspended by the visitor", isEventBy(room, "suspended", "visitor"))
	b.shot("shop", "08-suspended-by-visitor")
	b.do("closePage", map[string]any{"page": "shop"})

	b.open("again")
	b.promptFirst("again")
	b.shot("again", "09-reconnect-prompt")
	if f := b.focused("again"); f.Name != "Yes" {
		t.Errorf("focus at the prompt: %+v", f)
	}
	a.never("a reconnect notice for the probe", 300*time.Millisecond, isReconnectNotice(sid))
	b.answerPrompt("again", true)
	b.phase("again", "chat")
	if got := b.session("again"); got != sid {
		t.Fatalf("reconnected to %s, want %s", got, sid)
	}
	b.line("again", "Hello Ann, how can I help?")
	b.line("again", "Hi, it is about my invoice")
	b.line("again", "You suspended the chat.")
	b.line("again", "You reconnected to the chat.")
	a.expect("reconnect notice", isReconnectNotice(sid))
	// Nothing was typed, nothing is sent for the visitor.
	if draft := b.composer("again"); draft != "" {
		t.Errorf("composer holds %q", draft)
	}
	a.never("a new message from the visitor", 300*time.Millisecond, func(e *pxmpp.Element) bool {
		return isMsg(room+"/Ann", "")(e) && e.Child("urn:xmpp:delay", "delay") == nil
	})
	b.shot("again", "10-reconnected-transcript")
	if r := a.iq("set", room, `<resume xmlns='urn:parley:chat:0'/>`); r.Get("type") != "result" {
		t.Fatalf("resume: %s", r)
	}
	b.line("again", "The chat has resumed.")
	b.say("again", "Thanks for waiting")
	a.expect("message after reconnect", isMsg(room+"/Ann", "Thanks for waiting"))

	// Another page: the same chat is offered; No starts a new one.
	b.open("other")
	b.reconnectNo("other", "Ann", "Something else")
	if f := b.focused("other"); f.ID != "parley-message" {
		t.Errorf("focus in the new chat: %+v", f)
	}
	if got := b.session("other"); got == sid || !sessionIDRe.MatchString(got) {
		t.Fatalf("No gave session %q (the old one is %s)", got, sid)
	}
	b.line("other", "Something else")
	b.waitFor("other", statusLine, "Waiting for an agent")
	b.checkClean("again")
}

// Closing the page, or navigating away, suspends explicitly: the agent sees
// "suspended by the visitor", not a visitor who lost the connection. Each
// sends the suspend beacon too (parleyd's /beacon), which keeps the suspend
// when Prosody drops the presence read together with the socket's close.
func TestBrowserPageCloseSuspends(t *testing.T) {
	p, b := startBrowser(t)
	a := agentFor(p, "agent5", "")
	const accepted = `parley_beacons_total{result="accepted"}`
	beacons := p.metric(accepted)
	beaconed := func(what string, n float64) {
		t.Helper()
		eventually(t, what+": the beacon reached parleyd", func() bool { return p.metric(accepted) >= beacons+n })
	}

	b.open("closing")
	sid1, room1 := chatWithAgent(b, p, a, "closing", "Ann", "closing", "Alice")
	b.do("closePage", map[string]any{"page": "closing"})
	a.expect("suspended by closing the page", isEventBy(room1, "suspended", "visitor"))
	a.never("visitor-left after closing", 500*time.Millisecond, isEvent(room1, "visitor-left"))
	eventually(t, "session 1 suspended by the visitor", func() bool {
		r := p.session(sid1)
		return r.State == "suspended" && r.SuspendedBy == "visitor" && r.Explicit
	})
	beaconed("closing", 1)

	b.open("leaving")
	b.reconnectNo("leaving", "Ann", "navigating")
	sid2 := b.session("leaving")
	room2 := roomOf(p, sid2)
	take(a, room2, "Alice")
	b.line("leaving", "Alice has joined the chat.")
	b.do("goto", map[string]any{"page": "leaving", "url": b.base + "licenses.txt"})
	a.expect("suspended by navigating away", isEventBy(room2, "suspended", "visitor"))
	beaconed("navigating", 2)
}

// twoSessions makes a visitor with two sessions in two windows of one
// browser: the first, then a second after No to the prompt.
func twoSessions(b *browser, p *parley, a *client) (sid1, sid2 string) {
	b.t.Helper()
	b.open("w1")
	sid1, _ = chatWithAgent(b, p, a, "w1", "Ann", "the first matter", "Alice")
	b.open("w2")
	b.reconnectNo("w2", "Ann", "the second matter")
	sid2 = b.session("w2")
	take(a, roomOf(p, sid2), "Alice")
	b.line("w2", "Alice has joined the chat.")
	say(a, roomOf(p, sid2), "About the second matter, then")
	b.line("w2", "About the second matter, then")
	if sid1 == sid2 {
		b.t.Fatal("one session for two matters")
	}
	return sid1, sid2
}

// referenceScenario is one scenario of the reference page (visitor side):
// the visitor, with sessions in progress, does what the scenario says and
// asks for a chat again; the widget prompts before any form; Yes reconnects
// to the session the scenario names, with its transcript; later, No starts a
// new session.
type referenceScenario struct {
	name  string
	agent string // the test account that takes the chats
	// sessions starts the visitor's chats; leave is what the visitor does
	// before asking again (nil: nothing).
	sessions func(b *browser, p *parley, a *client) []string
	leave    func(b *browser, p *parley, a *client, sids []string)
	yesPage  string   // the page (window) that asks again and answers Yes
	yes      int      // the index in sessions' answer of the session Yes joins
	yesLines []string // lines of the transcript the Yes page shows
	// afterYes runs after the transcript, before the screenshot shot is saved
	// of yesPage; beforeNo before noPage asks again and answers No.
	afterYes func(b *browser, p *parley, a *client, sids []string)
	shot     string
	beforeNo func(b *browser, p *parley, a *client, sids []string)
	noPage   string
	noAsk    string // the question of the new chat after No
	afterNo  func(b *browser, p *parley, a *client, sids []string)
}

func restartBrowser(b *browser, _ *parley, _ *client, _ []string) { b.restart() }

// The reference page's three scenarios of the visitor's side
// (chat-suspend-resume), as one table.
//
//  1. A visitor in a session sends a new request (a second window, the
//     launcher): prompted, before any form; Yes opens a second window on the
//     same room with the transcript so far; No starts a new session.
//  2. A visitor in two sessions restarts the computer without suspending
//     either: prompted for the second (most recent) session; Yes reconnects
//     to it; No starts a new one.
//  3. A visitor in two sessions suspends the first, then restarts: prompted
//     for the first (the suspended) session; Yes reconnects to it; No starts
//     a new one.
func TestBrowserReferenceScenarios(t *testing.T) {
	for _, sc := range []referenceScenario{{
		name:  "1-new-request-in-a-session",
		agent: "agent6",
		sessions: func(b *browser, p *parley, a *client) []string {
			b.open("first")
			sid, _ := chatWithAgent(b, p, a, "first", "Ann", "scenario one", "Alice")
			return []string{sid}
		},
		yesPage:  "second",
		yesLines: []string{"Hello Ann, how can I help?", "Hi, it is about scenario one"},
		afterYes: func(b *browser, p *parley, a *client, sids []string) {
			// Both windows get what is said from now on, whichever window says it.
			room := roomOf(p, sids[0])
			say(a, room, "Both windows see this")
			b.line("first", "Both windows see this")
			b.line("second", "Both windows see this")
			b.say("second", "Sent from the second window")
			b.waitFor("first", `css=li.message.mine`, "Sent from the second window")
			a.expect("message from the second window", isMsg(room+"/Ann", "Sent from the second window"))
		},
		shot: "11-scenario1-second-window",
		beforeNo: func(b *browser, p *parley, a *client, sids []string) {
			// Suspend in one window suspends the chat, though the other is still open.
			b.click("second", `role=button[name="Suspend"]`)
			b.phase("second", "left")
			a.expect("suspended from the second window", isEventBy(roomOf(p, sids[0]), "suspended", "visitor"))
			b.line("first", "You suspended the chat.")
			b.waitFor("first", statusLine, "The chat is suspended.")
		},
		noPage: "third",
		noAsk:  "A new matter",
		afterNo: func(b *browser, p *parley, a *client, sids []string) {
			if ph := b.attr("first", widgetRoot, "data-phase"); ph != "chat" {
				b.t.Errorf("first window in phase %s", ph)
			}
		},
	}, {
		name:  "2-restart-in-two-sessions",
		agent: "agent7",
		sessions: func(b *browser, p *parley, a *client) []string {
			sid1, sid2 := twoSessions(b, p, a)
			return []string{sid1, sid2}
		},
		leave: func(b *browser, p *parley, a *client, sids []string) {
			b.restart()
			a.expect("session 1: the visitor left", isEvent(roomOf(p, sids[0]), "visitor-left"))
			a.expect("session 2: the visitor left", isEvent(roomOf(p, sids[1]), "visitor-left"))
		},
		yesPage:  "after",
		yes:      1,
		yesLines: []string{"About the second matter, then"},
		shot:     "12-scenario2-reconnected",
		beforeNo: restartBrowser,
		noPage:   "again",
		noAsk:    "Fresh start",
	}, {
		name:  "3-suspend-one-then-restart",
		agent: "agent8",
		sessions: func(b *browser, p *parley, a *client) []string {
			sid1, sid2 := twoSessions(b, p, a)
			return []string{sid1, sid2}
		},
		leave: func(b *browser, p *parley, a *client, sids []string) {
			b.click("w1", `role=button[name="Suspend"]`)
			b.phase("w1", "left")
			a.expect("session 1 suspended by the visitor", isEventBy(roomOf(p, sids[0]), "suspended", "visitor"))
			b.restart()
		},
		yesPage:  "after",
		yes:      0,
		yesLines: []string{"Hi, it is about the first matter", "You suspended the chat."},
		shot:     "13-scenario3-reconnected",
		beforeNo: restartBrowser,
		noPage:   "again",
		noAsk:    "Fresh start",
	}} {
		t.Run(sc.name, func(t *testing.T) {
			p := startWeb(t)
			b := newBrowser(t, p)
			b.launch(launchOpts{})
			a := agentFor(p, sc.agent, "")
			sids := sc.sessions(b, p, a)
			if sc.leave != nil {
				sc.leave(b, p, a, sids)
			}

			b.open(sc.yesPage)
			b.reconnectYes(sc.yesPage)
			if got := b.session(sc.yesPage); got != sids[sc.yes] {
				t.Fatalf("Yes reconnected to %s, want session %d of %v", got, sc.yes+1, sids)
			}
			for _, l := range sc.yesLines {
				b.line(sc.yesPage, l)
			}
			if sc.afterYes != nil {
				sc.afterYes(b, p, a, sids)
			}
			b.shot(sc.yesPage, sc.shot)

			if sc.beforeNo != nil {
				sc.beforeNo(b, p, a, sids)
			}
			b.open(sc.noPage)
			b.reconnectNo(sc.noPage, "Ann", sc.noAsk)
			if got := b.session(sc.noPage); slices.Contains(sids, got) {
				t.Fatalf("No gave an old session %s (sessions %v)", got, sids)
			}
			b.line(sc.noPage, sc.noAsk)
			if sc.afterNo != nil {
				sc.afterNo(b, p, a, sids)
			}
		})
	}
}

// With cookies blocked the widget works, but every request is routed as new:
// no prompt, even right after a suspend.
func TestBrowserCookiesBlocked(t *testing.T) {
	p := startWeb(t)
	b := newBrowser(t, p)
	b.launch(launchOpts{blockCookies: true})
	b.open("shop")
	var kept string
	b.eval("shop", `(() => { document.cookie = "probe=1; SameSite=Lax"; return document.cookie; })()`, &kept)
	if kept != "" {
		t.Fatalf("the browser still keeps cookies: %q", kept)
	}
	a := agentFor(p, "agent9", "")
	sid1, room1 := chatWithAgent(b, p, a, "shop", "Ann", "no cookies", "Alice")
	b.click("shop", `role=button[name="Suspend"]`)
	b.phase("shop", "left")
	a.expect("suspended", isEventBy(room1, "suspended", "visitor"))
	// Within the page the token is still known: Return to chat works.
	b.click("shop", `role=button[name="Return to chat"]`)
	b.phase("shop", "chat")
	if got := b.session("shop"); got != sid1 {
		t.Errorf("Return to chat joined %s, want %s", got, sid1)
	}
	b.do("closePage", map[string]any{"page": "shop"})

	b.open("again")
	b.startChat("again", "Ann", "", "Still no cookies")
	b.phase("again", "chat")
	if got := b.session("again"); got == sid1 {
		t.Fatal("reconnected without cookies")
	}
	b.line("again", "Still no cookies")
	var cookies string
	b.eval("again", `document.cookie`, &cookies)
	if cookies != "" {
		t.Errorf("document.cookie = %q", cookies)
	}
}

// A suspended session that expires is not offered again: the visitor gets a
// new chat, by the form or by Return to chat (a session that replaces it).
func TestBrowserExpiredSession(t *testing.T) {
	p, b := startBrowser(t, "--suspend-timeout", "2s", "--abandon-after", "2s")
	a := agentFor(p, "agent10", "")
	b.open("shop")
	sid, room := chatWithAgent(b, p, a, "shop", "Ann", "expiry", "Alice")
	b.click("shop", `role=button[name="Suspend"]`)
	b.phase("shop", "left")
	a.expect("expired", isEvent(room, "expired"))
	eventually(t, "session expired", func() bool { return p.session(sid).State == "expired" })

	b.click("shop", `role=button[name="Return to chat"]`)
	b.phase("shop", "chat")
	replaced := b.session("shop")
	if replaced == sid {
		t.Fatal("joined the expired session")
	}
	b.line("shop", "Your previous chat had ended, so this is a new one.")
	if r := p.session(replaced); r.Replaces != sid {
		t.Errorf("new session replaces %q, want %s", r.Replaces, sid)
	}
	b.shot("shop", "14-expired-new-chat")
	b.do("closePage", map[string]any{"page": "shop"})
	// The replacement, still waiting for an agent, is suspended by the closed
	// page now: a visitor who leaves the queue abandons it (docs/protocol.md,
	// waiting visitors) once the abandon time has passed.
	eventually(t, "replacement abandoned", func() bool { return p.session(replaced).State == "abandoned" })

	b.open("later")
	b.watch("later")
	b.startChat("later", "Ann", "", "Hello again")
	b.phase("later", "chat")
	// The probe found nothing left to reconnect to: the form, no prompt.
	if st := b.states("later"); len(st) < 3 || strings.Join(st[:3], " ") != "closed connecting form" || countOf(st, "prompt") != 0 {
		t.Errorf("states %v, want closed, connecting (the probe), form, and no prompt", st)
	}
	if got := b.session("later"); got == sid || got == replaced {
		t.Fatalf("got an expired session %s", got)
	}
	b.line("later", "Hello again")
}

// In reconnect=always mode a request with a chat in progress reconnects at
// once. Here it comes from a form opened in a second tab before the chat
// started in the first (no cookie yet, so no probe): no prompt, the tab joins
// the chat under the visitor's name in it, and the question typed in the
// form, which the request did not deliver, is its first message there, after
// the transcript. The probe asks the same in both modes, so a page opened
// later gets the prompt (the widget cannot tell the modes apart), and nothing
// is reconnected before Yes.
func TestBrowserReconnectAlways(t *testing.T) {
	p, b := startBrowser(t, "--reconnect", "always")
	a := agentFor(p, "agent11", "")
	b.open("shop")
	b.open("other")
	b.watch("other")
	b.click("other", launcher)
	b.phase("other", "form")
	sid, room := chatWithAgent(b, p, a, "shop", "Ann", "always", "Alice")

	b.sendForm("other", "Annie", "", "Where is my parcel?")
	b.phase("other", "chat")
	if got := b.session("other"); got != sid {
		t.Fatalf("joined %s, want %s", got, sid)
	}
	if st := b.states("other"); countOf(st, "prompt") != 0 {
		t.Errorf("a prompt was shown (states %v)", st)
	}
	a.expect("reconnect notice", isReconnectNotice(sid))
	a.expect("the form's question, as the first message", isMsg(room+"/Ann", "Where is my parcel?"))
	b.waitFor("other", `css=li.message.mine[data-status="sent"]`, "Where is my parcel?")
	b.waitFor("shop", `css=li.message.mine`, "Where is my parcel?")
	lines := b.texts("other", logLines)
	hello, question := -1, -1
	for i, l := range lines {
		if strings.Contains(l, "Hello Ann, how can I help?") {
			hello = i
		}
		if strings.Contains(l, "Where is my parcel?") {
			question = i
		}
	}
	if hello < 0 || question < hello {
		t.Errorf("the question does not follow the transcript: %q", lines)
	}
	a.never("the question twice", 300*time.Millisecond, isMsg(room+"/Ann", "Where is my parcel?"))
	b.shot("other", "17-always-question-sent")

	b.do("closePage", map[string]any{"page": "shop"})
	b.do("closePage", map[string]any{"page": "other"})
	a.expect("suspended by closing the pages", isEventBy(room, "suspended", "visitor"))
	// Opening the widget again reconnects without asking: the probe's
	// answer says the service runs reconnect=always.
	b.open("again")
	b.watch("again")
	b.click("again", launcher)
	b.phase("again", "chat")
	if got := b.session("again"); got != sid {
		t.Fatalf("reopening joined %s, want %s", got, sid)
	}
	if st := b.states("again"); countOf(st, "form") != 0 {
		t.Errorf("the form was shown on reopening (states %v)", st)
	}
	a.expect("reconnect notice", isReconnectNotice(sid))
	b.line("again", "Where is my parcel?")
}

// A chat started in one tab while the form is open in another, whose probe
// found nothing: its request brings the prompt after the form; Yes joins the
// chat and keeps the question in the composer.
func TestBrowserPromptAfterForm(t *testing.T) {
	p, b := startBrowser(t)
	a := agentFor(p, "agent4", "")
	b.open("shop")
	first, _ := chatWithAgent(b, p, a, "shop", "Ann", "a first matter", "Alice")
	b.click("shop", `role=button[name="End chat"]`)
	b.click("shop", `css=.confirm button.danger`)
	b.phase("shop", "ended")

	b.open("other")
	b.watch("other")
	b.click("other", launcher)
	b.phase("other", "form") // a cookie, nothing in progress
	b.click("shop", `role=button[name="Start a new chat"]`)
	b.sendForm("shop", "Ann", "", "a second matter")
	b.phase("shop", "chat")
	sid := b.session("shop")
	if sid == first {
		t.Fatal("a closed session again")
	}

	b.sendForm("other", "Ann", "", "Back again")
	b.answerPrompt("other", true)
	b.phase("other", "chat")
	if got := b.session("other"); got != sid {
		t.Fatalf("joined %s, want %s", got, sid)
	}
	if st := b.states("other"); len(st) < 3 || strings.Join(st[:3], " ") != "closed connecting form" || countOf(st, "prompt") != 1 {
		t.Errorf("states %v", st)
	}
	b.line("other", "a second matter")
	if draft := b.composer("other"); draft != "Back again" {
		t.Errorf("composer holds %q", draft)
	}
}

// Keyboard only, at phone width: the launcher, the form and the chat all work
// without a mouse, focus goes where the visitor needs it, and the open panel
// fills the screen without sideways scrolling.
func TestBrowserKeyboardAndPhone(t *testing.T) {
	p := startWeb(t)
	b := newBrowser(t, p)
	// An agent is there, so the form asks for a chat (with nobody there it
	// would offer to leave a message, issue 7).
	a := agentFor(p, "agent12", "")
	b.launch(launchOpts{phone: true})
	b.open("phone")
	b.waitFor("phone", `css=div.parley[data-availability="available"]`, "")
	b.shot("phone", "15-phone-shop")

	// Tab from the top of the page to the launcher.
	found := false
	for i := 0; i < 40 && !found; i++ {
		b.press("phone", "Tab")
		found = b.focused("phone").Name == "Chat with us"
	}
	if !found {
		t.Fatal("Tab never reached the launcher")
	}
	b.press("phone", "Enter")
	if f := b.focused("phone"); f.ID != "parley-name" {
		t.Fatalf("focus after opening: %+v", f)
	}
	if exp := b.attr("phone", `css=button.launcher`, "aria-expanded"); exp != "true" {
		t.Errorf("launcher aria-expanded %q", exp)
	}
	// An empty name is refused, with the error announced and focus on the field.
	b.press("phone", "Tab")
	b.press("phone", "Tab")
	b.press("phone", "Tab")
	if f := b.focused("phone"); f.Name != "Start chat" {
		t.Fatalf("tab order: focus on %+v, want the Start chat button", f)
	}
	b.press("phone", "Enter")
	b.waitFor("phone", `role=alert`, "Please enter your name.")
	if f := b.focused("phone"); f.ID != "parley-name" {
		t.Errorf("focus after the error: %+v", f)
	}
	if inv := b.attr("phone", `css=#parley-name`, "aria-invalid"); inv != "true" {
		t.Errorf("aria-invalid %q", inv)
	}
	b.do("type", map[string]any{"page": "phone", "target": `css=#parley-name`, "value": "Kim"})
	b.press("phone", "Tab")
	b.press("phone", "Tab")
	b.do("type", map[string]any{"page": "phone", "target": `css=#parley-question`, "value": "Phone question"})
	b.press("phone", "Tab")
	b.press("phone", "Enter")
	b.phase("phone", "chat")
	if f := b.focused("phone"); f.ID != "parley-message" {
		t.Errorf("focus in the chat: %+v", f)
	}
	room := roomOf(p, b.session("phone"))
	take(a, room, "Alice")
	say(a, room, "Hi Kim, I am on it.")
	b.line("phone", "Hi Kim, I am on it.")
	b.do("type", map[string]any{"page": "phone", "target": `css=#parley-message`, "value": "Typed on a phone"})
	b.press("phone", "Enter")
	a.expect("message typed with the keyboard", isMsg(room+"/Kim", "Typed on a phone"))

	// The panel covers the viewport; nothing scrolls sideways.
	var geo struct{ W, H, SW, PW, PH float64 }
	b.eval("phone", `(() => { const r = document.querySelector(".parley-widget-host").shadowRoot.querySelector(".panel").getBoundingClientRect();
		return {W: innerWidth, H: innerHeight, SW: document.documentElement.scrollWidth, PW: r.width, PH: r.height}; })()`, &geo)
	if geo.PW != geo.W || geo.PH != geo.H || geo.SW > geo.W {
		t.Errorf("phone layout: %+v", geo)
	}
	b.shot("phone", "16-phone-chat")

	// Escape minimizes and gives the focus back to the launcher.
	b.press("phone", "Escape")
	b.waitFor("phone", `css=div.parley[data-state="closed"]`, "")
	if f := b.focused("phone"); f.Name != "Chat with us" {
		t.Errorf("focus after Escape: %+v", f)
	}
	// An agent message while minimized shows on the launcher.
	say(a, room, "Are you still there?")
	b.waitFor("phone", launcher, "1 new")
	b.press("phone", "Enter")
	b.line("phone", "Are you still there?")
	b.checkClean("phone")
}

// The token cookie is first-party, SameSite=Lax, with the configured
// lifetime. It is the only one: the name cookie of earlier versions goes.
func TestBrowserTokenCookie(t *testing.T) {
	_, b := startBrowser(t)
	b.open("shop")
	var kept string
	b.eval("shop", `(() => { document.cookie = "parley_token_nick=Old%20Name; Path=/; SameSite=Lax; Max-Age=86400"; return document.cookie; })()`, &kept)
	if !strings.Contains(kept, "parley_token_nick") {
		t.Fatalf("could not set the old cookie: %q", kept)
	}
	b.startChat("shop", "Ann", "", "cookie check")
	b.phase("shop", "chat")
	var cookies []struct {
		Name     string  `json:"name"`
		Value    string  `json:"value"`
		Domain   string  `json:"domain"`
		Path     string  `json:"path"`
		Expires  float64 `json:"expires"`
		SameSite string  `json:"sameSite"`
		HTTPOnly bool    `json:"httpOnly"`
	}
	if err := json.Unmarshal(b.do("cookies", nil), &cookies); err != nil {
		t.Fatal(err)
	}
	found := map[string]bool{}
	for _, c := range cookies {
		found[c.Name] = true
		days := (c.Expires - float64(time.Now().Unix())) / 86400
		if c.SameSite != "Lax" || c.Path != "/" || c.Domain != "127.0.0.1" || days < 29.9 || days > 30.1 {
			t.Errorf("cookie %s: %+v (%.2f days)", c.Name, c, days)
		}
		if c.Name == "parley_token" && len(c.Value) < 22 {
			t.Errorf("token %q", c.Value)
		}
	}
	if !found["parley_token"] || len(found) != 1 {
		t.Errorf("cookies: %+v", cookies)
	}
}

// A lost connection just drops (the service sees a plain unavailable, not a
// suspend); the widget reconnects with a new JID, rejoins with the token it
// holds, and the transcript shows no line twice.
func TestBrowserConnectionLost(t *testing.T) {
	p, b := startBrowser(t)
	a := agentFor(p, "agent1", "")
	b.open("shop")
	sid, room := chatWithAgent(b, p, a, "shop", "Ann", "a flaky line", "Alice")

	var ok bool
	b.eval("shop", `(() => { const ws = window.parley.chat.client.socket.socket; ws.close(); return true; })()`, &ok)
	a.expect("the visitor left (not suspended)", isEvent(room, "visitor-left"))
	a.expect("the visitor came back", isEvent(room, "reconnected"))
	b.line("shop", "You reconnected to the chat.")
	if got := b.session("shop"); got != sid {
		t.Fatalf("rejoined %s, want %s", got, sid)
	}
	if st := p.session(sid).State; st != "active" {
		t.Errorf("session %s after a lost connection", st)
	}
	say(a, room, "Still there?")
	b.line("shop", "Still there?")
	b.say("shop", "Yes, back again")
	a.expect("message after the reconnect", isMsg(room+"/Ann", "Yes, back again"))
	if n := b.count("shop", `css=ol.log li:has-text("Hello Ann, how can I help?")`); n != 1 {
		t.Errorf("the agent's first line shows %d times", n)
	}
}
