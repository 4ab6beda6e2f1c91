package e2e

import (
	"context"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/parley-chat/parley/sessions"
	pxmpp "github.com/parley-chat/parley/xmpp"
)

// Leave a message, end to end (issue 7): the widget in Chromium, with nobody
// signed in, offers the leave-a-message form; the message becomes a missed
// session; an agent finds it with the sessions command, reads it through
// MAM, takes it and answers; the visitor comes back with its cookie and sees
// the answer in the conversation.
func TestBrowserLeaveMessage(t *testing.T) {
	p := startWeb(t)
	b := newBrowser(t, p)
	b.launch(launchOpts{})
	b.open("shop")
	b.waitFor("shop", `css=.launcher-availability`, "We're away")
	b.shot("shop", "w7-01-launcher-away")
	b.click("shop", launcher)
	b.phase("shop", "form")
	b.waitFor("shop", `css=div.parley[data-mode="message"]`, "")
	b.waitFor("shop", `css=.availability`, "We're away. Leave us a message")
	b.fill("shop", `role=textbox[name="Your name"]`, "Ann")
	b.fill("shop", `role=textbox[name="E-mail (optional)"]`, "ann@example.org")
	b.fill("shop", `role=textbox[name="Your message"]`, "Please call me about order 20417")
	b.shot("shop", "w7-02-leave-message-form")
	b.click("shop", `role=button[name="Send message"]`)
	b.phase("shop", "sent")
	b.waitFor("shop", `css=.sent-text`, "Thank you, Ann! We have your message.")
	b.shot("shop", "w7-03-message-sent")
	b.checkClean("shop")

	list, err := p.store.ListSessions(context.Background(), sessions.StateMissed, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 1 || list[0].Question != "Please call me about order 20417" || list[0].Visitor["name"] != "Ann" || list[0].Visitor["email"] != "ann@example.org" {
		t.Fatalf("missed sessions %+v", list)
	}
	sid := list[0].ID
	if out := p.cli("sessions", "--state", "missed"); !strings.Contains(out, sid) {
		t.Errorf("parleyd sessions --state missed:\n%s", out)
	}
	if got := p.metric(`parley_missed_total{queue="default"}`); got != 1 {
		t.Errorf("missed_total %v", got)
	}

	// An agent signs in: the launcher of a new page says someone is there.
	a := agentFor(p, "agent3", "")
	b.open("later")
	b.waitFor("later", `css=.launcher-availability`, "An agent is available")
	b.shot("later", "w7-04-launcher-available")

	// The agent finds the message with the sessions command and reads it.
	listing := runCommand(a, p.Domain, "sessions")
	room := regexp.MustCompile(`[a-z2-7]{26}@` + regexp.QuoteMeta(p.Domain)).FindString(listing)
	if room != roomOf(p, sid) || !strings.Contains(listing, "missed") {
		t.Fatalf("sessions command does not list the missed session %s: %s", sid, listing)
	}
	a.send(`<iq xmlns='jabber:client' type='set' to='%s' id='mam1'><query xmlns='urn:xmpp:mam:2' queryid='q1'/></iq>`, room)
	a.expect("the message through MAM", func(e *pxmpp.Element) bool {
		return e.Name.Local == "message" && strings.Contains(e.String(), "Please call me about order 20417")
	})
	a.expect("the end of the MAM answer", func(e *pxmpp.Element) bool { return e.Name.Local == "iq" && e.Get("id") == "mam1" })

	// It takes the session and answers.
	if r := runCommand(a, room, "take"); !strings.Contains(r, `status="completed"`) {
		t.Fatalf("take: %s", r)
	}
	if rec := p.session(sid); rec.State != sessions.StateActive || rec.Owner != p.agentJID("agent3") {
		t.Fatalf("row after take %+v", rec)
	}
	join(a, room, "Alice")
	say(a, room, "Hello Ann, we will call you at 3 pm")
	a.expect("its own answer", isMsg(room+"/Alice", "Hello Ann, we will call you at 3 pm"))

	// The visitor comes back (the browser restarted, the cookie kept): the
	// reconnect prompt, Yes, and the answer in the conversation.
	b.restart()
	b.open("back")
	b.reconnectYes("back")
	if got := b.session("back"); got != sid {
		t.Fatalf("reconnected to %s, want %s", got, sid)
	}
	b.line("back", "Please call me about order 20417")
	b.line("back", "Hello Ann, we will call you at 3 pm")
	b.waitFor("back", statusLine, "You are chatting with")
	b.say("back", "Thanks, 3 pm is fine")
	a.expect("the visitor's reply", isMsg(room+"/Ann", "Thanks, 3 pm is fine"))
	b.shot("back", "w7-05-visitor-sees-reply")
	b.checkClean("back")
}

// Busy agents: the launcher and the form say so with the usual wait, the
// visitor waits in the queue with its position and estimated wait, and the
// status follows when an agent takes the chat.
func TestBrowserQueueWait(t *testing.T) {
	p := startWeb(t, "--offer-timeout", "30s")
	a := agentFor(p, "agent4", `<agent xmlns='urn:parley:chat:0' max-chats='1'/>`)
	// A first visitor (a mellium client) is answered after a short wait,
	// which gives the queue a wait figure, and keeps the agent busy.
	v := p.visitor()
	s := request(p, v, "", `<visitor name='Kim'/>`)
	first := s.Get("room")
	join(v, first, "Kim")
	a.expect("offer", isOffer(first))
	time.Sleep(1200 * time.Millisecond)
	join(a, first, "Alice")
	v.expect("assigned", isEvent(first, "assigned"))

	b := newBrowser(t, p)
	b.launch(launchOpts{})
	b.open("shop")
	b.waitFor("shop", `css=.launcher-availability`, "All agents are busy, less than a minute")
	b.shot("shop", "w7-06-launcher-busy")
	b.click("shop", launcher)
	b.phase("shop", "form")
	b.waitFor("shop", `css=.availability`, "All agents are busy, less than a minute")
	if mode := b.attr("shop", widgetRoot, "data-mode"); mode != "chat" {
		t.Errorf("busy agents: the form is in %q mode, want chat", mode)
	}
	b.sendForm("shop", "Ann", "", "Is my parcel lost?")
	b.phase("shop", "chat")
	b.waitFor("shop", statusLine, "you are number 1 in the queue (less than a minute)")
	b.line("shop", "You are number 1 in the queue. Estimated wait: less than a minute.")
	b.shot("shop", "w7-07-queued-with-wait")

	// The agent ends the first chat: its slot goes to Ann.
	if r := a.iq("set", first, `<close xmlns='urn:parley:chat:0'/>`); r.Get("type") != "result" {
		t.Fatalf("close: %s", r)
	}
	room := roomOf(p, b.session("shop"))
	take(a, room, "Alice")
	b.waitFor("shop", statusLine, "You are chatting with Alice.")
	b.checkClean("shop")
}
