package e2e

import (
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/parley-chat/parley/internal/testbed"
)

// The widget's page object: the demo shop parleyd serves, with the visitor's
// widget (web/) on it, as a visitor uses it: the launcher, the pre-chat form,
// the reconnect prompt, the conversation, and what the page fetched. Each
// operation takes the name of the page (tab) it acts on.

// startWeb runs parleyd for browser tests, with the widget pointed at the
// test bed's WebSocket and anonymous host.
func startWeb(t *testing.T, args ...string) *parley {
	t.Helper()
	requireBrowser(t)
	env := testbed.Get(t)
	return startParley(t, append([]string{"--widget-websocket", env.WSURL, "--widget-anonymous-host", env.GuestHost}, args...)...)
}

const (
	launcher   = `role=button[name=/^Chat with us/]`
	widgetRoot = `css=div.parley`
	logLines   = `css=ol.log li`
	statusLine = `css=header .status`
)

// startBrowser runs parleyd for browser tests (startWeb, with args) and a
// browser (launched with no options) for the visitor.
func startBrowser(t *testing.T, args ...string) (*parley, *browser) {
	t.Helper()
	p := startWeb(t, args...)
	b := newBrowser(t, p)
	b.launch(launchOpts{})
	return p, b
}

// open loads the demo shop in a new page (tab) of the current browser.
func (b *browser) open(page string) {
	b.t.Helper()
	b.do("newPage", map[string]any{"page": page, "url": b.base})
	b.waitFor(page, `role=button[name=/^Chat with us/]`, "")
}

// startChat opens the widget and sends the pre-chat form (after the probe,
// when the page has a token cookie, found no chat in progress).
func (b *browser) startChat(page, name, email, question string) {
	b.t.Helper()
	b.click(page, launcher)
	b.sendForm(page, name, email, question)
}

// sendForm fills in the pre-chat form once it shows, and sends it.
func (b *browser) sendForm(page, name, email, question string) {
	b.t.Helper()
	b.phase(page, "form")
	// Nobody signed in: the widget offers to leave a message (issue 7); these
	// visitors ask for a chat all the same.
	b.waitFor(page, `css=div.parley[data-availability]:not([data-availability=""])`, "")
	if b.attr(page, widgetRoot, "data-mode") == "message" {
		b.click(page, `role=button[name="Ask for a chat instead"]`)
		b.waitFor(page, `css=div.parley[data-mode="chat"]`, "")
	}
	if name != "" {
		b.fill(page, `role=textbox[name="Your name"]`, name)
	}
	if email != "" {
		b.fill(page, `role=textbox[name="E-mail (optional)"]`, email)
	}
	if question != "" {
		b.fill(page, `role=textbox[name="How can we help?"]`, question)
	}
	b.click(page, `role=button[name="Start chat"]`)
}

// phase waits until the widget is in phase (form, prompt, chat, left, ended…).
func (b *browser) phase(page, phase string) {
	b.t.Helper()
	b.waitFor(page, fmt.Sprintf(`css=div.parley[data-phase=%q]`, phase), "")
}

// session is the id of the widget's current session.
func (b *browser) session(page string) string {
	b.t.Helper()
	return b.attr(page, widgetRoot, "data-session")
}

// line waits for a line of the conversation that contains text.
func (b *browser) line(page, text string) {
	b.t.Helper()
	b.waitFor(page, logLines, text)
}

func (b *browser) say(page, text string) {
	b.t.Helper()
	b.fill(page, `role=textbox[name="Message"]`, text)
	b.press(page, "Enter")
	b.waitFor(page, `css=li.message.mine[data-status="sent"]`, text)
}

// watch records every value the widget's data-state takes from now on
// (closed, connecting, prompt, form, joining, chat…), for states.
func (b *browser) watch(page string) {
	b.t.Helper()
	var ok bool
	b.eval(page, `(() => {
		const root = document.querySelector(".parley-widget-host").shadowRoot.querySelector("div.parley");
		// Each record holds the value before one change: with the value at
		// the end, every state in between, however quickly it passed.
		window.__parleyStates = [];
		window.__parleyObserver?.disconnect();
		window.__parleyObserver = new MutationObserver((records) => {
			for (const r of records) window.__parleyStates.push(r.oldValue);
		});
		window.__parleyObserver.observe(root, { attributes: true, attributeFilter: ["data-state"], attributeOldValue: true });
		return true;
	})()`, &ok)
}

// states is what the widget's data-state went through since watch, the
// state now last.
func (b *browser) states(page string) []string {
	b.t.Helper()
	var st []string
	b.eval(page, `(() => {
		const root = document.querySelector(".parley-widget-host").shadowRoot.querySelector("div.parley");
		for (const r of window.__parleyObserver.takeRecords()) window.__parleyStates.push(r.oldValue);
		return [...window.__parleyStates, root.dataset.state].filter((s, i, a) => i === 0 || s !== a[i - 1]);
	})()`, &st)
	return st
}

func countOf(list []string, v string) int {
	n := 0
	for _, s := range list {
		if s == v {
			n++
		}
	}
	return n
}

// promptFirst is the visitor with a chat in progress (a token cookie)
// asking for a chat again, the launcher: the widget probes, which creates
// nothing, and asks "Reconnect?" before the pre-chat form, which never shows.
func (b *browser) promptFirst(page string) {
	b.t.Helper()
	created := b.p.metric(`parley_chat_requests_total{outcome="created"}`)
	b.watch(page)
	b.click(page, launcher)
	b.phase(page, "prompt")
	b.waitFor(page, `css=.prompt-text`, "You have a chat in progress. Reconnect?")
	if st := b.states(page); countOf(st, "form") != 0 || st[len(st)-1] != "prompt" {
		b.t.Errorf("%s: the widget went through %v before the prompt", page, st)
	}
	if got := b.p.metric(`parley_chat_requests_total{outcome="created"}`); got != created {
		b.t.Errorf("%s: the probe created a session (%v, before %v)", page, got, created)
	}
}

// reconnectYes asks for a chat with one in progress and answers Yes.
func (b *browser) reconnectYes(page string) {
	b.t.Helper()
	b.promptFirst(page)
	b.answerPrompt(page, true)
	b.phase(page, "chat")
}

// reconnectNo asks for a chat with one in progress, answers No, and sends
// the form, which shows filled in with the name of that chat (name). Its
// request starts a new chat at once (new='true'): no second prompt.
func (b *browser) reconnectNo(page, name, question string) {
	b.t.Helper()
	b.promptFirst(page)
	b.answerPrompt(page, false)
	b.phase(page, "form")
	if v := b.str("eval", map[string]any{"page": page, "expr": `document.querySelector(".parley-widget-host").shadowRoot.querySelector("#parley-name").value`}); v != name {
		b.t.Errorf("%s: the form after No holds the name %q, want %q", page, v, name)
	}
	b.sendForm(page, "", "", question)
	b.phase(page, "chat")
	if st := b.states(page); countOf(st, "prompt") != 1 {
		b.t.Errorf("%s: prompted again after No (states %v)", page, st)
	}
}

// answerPrompt waits for the reconnect prompt and answers it.
func (b *browser) answerPrompt(page string, yes bool) {
	b.t.Helper()
	b.phase(page, "prompt")
	b.waitFor(page, `css=.prompt-text`, "You have a chat in progress. Reconnect?")
	if yes {
		b.click(page, `role=button[name="Yes"]`)
	} else {
		b.click(page, `role=button[name="No"]`)
	}
}

// composer is what the message box holds.
func (b *browser) composer(page string) string {
	b.t.Helper()
	return b.str("eval", map[string]any{"page": page, "expr": `document.querySelector(".parley-widget-host").shadowRoot.querySelector("#parley-message").value`})
}

// checkClean fails on script errors, CSP violations and fetches from anywhere
// but parleyd and the XMPP server's WebSocket.
func (b *browser) checkClean(page string) {
	b.t.Helper()
	l := b.log(page)
	for _, e := range l.Errors {
		b.t.Errorf("%s: page error: %s", page, e)
	}
	for _, c := range l.Console {
		if strings.Contains(c, "Content Security Policy") || strings.Contains(c, "error:") {
			b.t.Errorf("%s: console %s", page, c)
		}
	}
	for _, u := range l.Requests {
		if !strings.HasPrefix(u, b.base) {
			b.t.Errorf("%s: fetched %s, outside parleyd", page, u)
		}
	}
	for _, u := range l.Sockets {
		if u != b.p.env.WSURL {
			b.t.Errorf("%s: WebSocket to %s, not the configured %s", page, u, b.p.env.WSURL)
		}
	}
	if len(l.Sockets) == 0 {
		b.t.Errorf("%s: the widget never opened its WebSocket", page)
	}
}

var sessionIDRe = regexp.MustCompile(`^[a-z2-7]{26}$`)

func checkSessionID(t *testing.T, sid string) {
	t.Helper()
	if !sessionIDRe.MatchString(sid) {
		t.Fatalf("widget shows no session id (got %q)", sid)
	}
}

// annWithAlice opens the shop in a new browser, starts Ann's chat there and
// has agent1 take it as Alice: where the widget's fault tests start. before,
// when set, runs once the page is open and before the chat starts.
func annWithAlice(t *testing.T, p *parley, before func(*browser)) (b *browser, a *client, sid, room string) {
	t.Helper()
	b = newBrowser(t, p)
	b.launch(launchOpts{})
	b.open("shop")
	if before != nil {
		before(b)
	}
	a = agentFor(p, "agent1", "")
	b.startChat("shop", "Ann", "", "Hello")
	b.phase("shop", "chat")
	sid = b.session("shop")
	room = roomOf(p, sid)
	take(a, room, "Alice")
	b.line("shop", "Alice has joined the chat.")
	return b, a, sid, room
}
