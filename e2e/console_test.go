package e2e

import (
	"strings"
	"testing"

	"github.com/parley-chat/parley/internal/testbed"
	"github.com/parley-chat/parley/sessions"
)

// The agent console (web/agent: stock Converse.js 14 and Parley's plugin,
// served by parleyd at /agent/) in Debian's Chromium against the real
// Prosody and parleyd: agents' consoles in their own browsers, the visitor's
// widget in another. Screenshots: test-artifacts/screenshots/console-*.png.

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
	b := newBrowser(t, p)
	b.launch(launchOpts{})
	b.do("offline", map[string]any{"allow": []string{b.base}})
	b.do("newPage", map[string]any{"page": name, "url": b.base + "agent/"})
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("%s console log: %+v", name, b.log(name))
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

func TestAgentConsole(t *testing.T) {
	p := startConsole(t)
	const a1, a2 = "agent1", "agent2"
	p.grant(p.agentJID(a1), "chat")
	p.grant(p.agentJID(a2), "chat")
	if err := p.store.CannedPut(t.Context(), sessions.Canned{ID: "wait", Title: "Please wait", Body: "Thank you for waiting, I am checking."}); err != nil {
		t.Fatal(err)
	}
	if err := p.store.CannedPut(t.Context(), sessions.Canned{ID: "bye", Title: "Goodbye", Body: "Have a nice day."}); err != nil {
		t.Fatal(err)
	}

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
