package e2e

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/parley-chat/parley/internal/testbed"
	"github.com/parley-chat/parley/sessions"
	pxmpp "github.com/parley-chat/parley/xmpp"
)

// The agent console's page object (web/agent: stock Converse.js 14 and
// Parley's plugin, served by parleyd at /agent/) in Debian's Chromium
// (browser_driver_test.go) against the real Prosody and parleyd: each
// agent's console in a browser of its own, on a page named after the agent.
// The scenarios are in console*_test.go. Screenshots:
// test-artifacts/screenshots/console-*.png.

// startConsole runs parleyd with the widget and the console on the test bed.
func startConsole(t *testing.T, args ...string) *parley {
	t.Helper()
	requireConverse(t)
	env := testbed.Get(t)
	return startWeb(t, append([]string{"--agent-websocket", env.WSURL, "--agent-domain", env.AgentHost, "--offer-timeout", "60s"}, args...)...)
}

// console opens the agent console for name in a browser of its own and signs
// in to the XMPP server (not yet to Parley).
func console(t *testing.T, p *parley, name string) *browser {
	t.Helper()
	return consoleWith(t, p, name, consoleOpts{})
}

// consoleOpts are what a test sets up in the console's browser before the
// page loads.
type consoleOpts struct {
	query  string // appended to /agent/ (e.g. "?poll=0")
	init   string // a script run in the page before its own (initScript)
	notify bool   // grant the notification permission to parleyd's origin
	dupWS  bool   // relay the WebSocket through the driver (dupNext)
}

// consoleWith is console with options. Every console reaches this machine
// only: a request or WebSocket to any other host is aborted, and fails the
// test at its end (the console is fully offline).
func consoleWith(t *testing.T, p *parley, name string, o consoleOpts) *browser {
	t.Helper()
	b := newBrowser(t, p)
	b.launch(launchOpts{})
	b.do("localOnly", nil)
	if o.notify {
		b.do("grant", map[string]any{"permissions": []string{"notifications"}, "origin": strings.TrimSuffix(b.base, "/")})
	}
	if o.init != "" {
		b.do("initScript", map[string]any{"script": o.init})
	}
	if o.dupWS {
		b.do("dupWebSocket", nil)
	}
	b.do("newPage", map[string]any{"page": name, "url": b.base + "agent/" + o.query})
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("%s console log: %+v", name, b.log(name))
		}
		var out []string
		if err := json.Unmarshal(b.do("nonLocal", nil), &out); err != nil {
			t.Error(err)
		}
		if len(out) > 0 {
			t.Errorf("%s's console requested outside hosts: %v", name, out)
		}
	})
	consoleLogin(b, p, name)
	return b
}

func consoleLogin(b *browser, p *parley, name string) {
	b.t.Helper()
	b.fill(name, "#converse-login-jid", p.agentJID(name))
	b.fill(name, "#converse-login-password", p.env.Password)
	b.click(name, `#converse-login button[type=submit]`)
	b.waitFor(name, "converse-roster", "")
	b.waitFor(name, "#parley-load", "")
}

// setAvailability picks show and max chats in the console's control.
func setAvailability(b *browser, page, show, max string) {
	b.t.Helper()
	b.do("select", map[string]any{"page": page, "target": "#parley-show", "value": show})
	b.fill(page, "#parley-max", max)
	b.click(page, "#parley-apply")
}

func (b *browser) bodyHas(page, text string) bool {
	b.t.Helper()
	var has bool
	b.eval(page, "document.body.innerText.includes("+jsString(text)+")", &has)
	return has
}

func jsString(s string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`, "\n", `\n`).Replace(s) + "'"
}

// availableConsole opens name's console (console) and sets its availability
// to show with max chats, waiting until the load line says so.
func availableConsole(t *testing.T, p *parley, name, show, max string) *browser {
	t.Helper()
	c := console(t, p, name)
	setAvailability(c, name, show, max)
	label, ok := map[string]string{"available": "Available", "dnd": "Do not disturb"}[show]
	if !ok {
		t.Fatalf("availableConsole: no load line known for show %q", show)
	}
	c.waitFor(name, "#parley-load", label+" · 0 of "+max+" chats")
	return c
}

// offerTo has visitor v (a mellium client) ask for a chat as nick with
// question and enter the room; the offer shows in name's console c. It
// returns the session.
func offerTo(c *browser, name string, p *parley, v *client, nick, question string) *pxmpp.Element {
	c.t.Helper()
	s := request(p, v, "", "<visitor name='"+nick+"'/><body>"+question+"</body>")
	join(v, s.Get("room"), nick)
	c.waitFor(name, ".parley-offer", "Chat request from "+nick)
	return s
}

// acceptOffer accepts the offer shown in name's console; visitor v is told
// the chat is assigned.
func acceptOffer(c *browser, name string, v *client, room string) {
	c.t.Helper()
	c.click(name, ".parley-offer .parley-accept")
	v.expect("assigned", isEvent(room, "assigned"))
}

// consoleSay types text in the open chat of name's console and sends it.
func consoleSay(c *browser, name, text string) {
	c.t.Helper()
	c.typeText(name, "converse-muc textarea.chat-textarea", text)
	c.press(name, "Enter")
}

// putCanned stores the two canned responses the console tests pick from.
func putCanned(t *testing.T, p *parley) {
	t.Helper()
	for _, c := range []sessions.Canned{
		{ID: "wait", Title: "Please wait", Body: "Thank you for waiting, I am checking."},
		{ID: "bye", Title: "Goodbye", Body: "Have a nice day."},
	} {
		if err := p.store.CannedPut(t.Context(), c); err != nil {
			t.Fatal(err)
		}
	}
}
