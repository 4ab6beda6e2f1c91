package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/parley-chat/parley/internal/testbed"
	"github.com/parley-chat/parley/sessions"
)

// More of the agent console in Chromium against the real Prosody and
// parleyd: offline, file upload, offer alerts, pushed queue figures, unread
// counts and origin-ids.

func (b *browser) nonLocal() []string {
	b.t.Helper()
	var out []string
	if err := json.Unmarshal(b.do("nonLocal", nil), &out); err != nil {
		b.t.Fatal(err)
	}
	return out
}

// The console's login page (Converse's fullscreen view, footer included)
// loads everything from this machine: no sponsor logos from Converse's
// website, nothing else from outside. The recorder itself is checked: a
// request to another host made from the page is caught.
func TestAgentConsoleOffline(t *testing.T) {
	p := startConsole(t)
	b := newBrowser(t, p)
	b.launch(launchOpts{})
	b.do("localOnly", nil)
	b.do("newPage", map[string]any{"page": "login", "url": b.base + "agent/"})
	b.waitFor("login", "#converse-login-jid", "")
	b.do("waitFor", map[string]any{"page": "login", "target": "converse-footer", "state": "attached"})
	b.shot("login", "console-0-login")
	var imgs []string
	b.eval("login", `[...document.querySelectorAll("img")].map((i) => i.src).filter((s) => s && !s.startsWith("data:"))`, &imgs)
	for _, src := range imgs {
		if !strings.HasPrefix(src, b.base) {
			t.Errorf("the login page shows an image from %s", src)
		}
	}
	if got := b.nonLocal(); len(got) > 0 {
		t.Fatalf("the login page requested outside hosts: %v", got)
	}
	b.waitFor("login", "converse-footer .parley-footer", "Parley agent console")
	var ignored bool
	b.eval("login", `fetch("https://conversejs.org/media/logos/blokt.png").then(() => false, () => true)`, &ignored)
	if got := b.nonLocal(); len(got) != 1 || !strings.Contains(got[0], "conversejs.org") {
		t.Fatalf("the recorder missed a request to conversejs.org: %v", got)
	}
}

// A file from the console: the agent picks it in Converse's own upload
// button; Converse asks the agent's server's file share (XEP-0363, Prosody's
// mod_http_file_share) for a slot, uploads it and sends the jabber:x:oob
// message; the visitor's widget shows the link, and the link serves the
// bytes uploaded.
func TestAgentConsoleFileUpload(t *testing.T) {
	p := startConsole(t)
	if testbed.Get(t).UploadHost == "" {
		t.Fatal("the test bed's XMPP server has no file share (PARLEY_TEST_UPLOAD_HOST): restart it with scripts/testbed.sh down && scripts/testbed.sh up")
	}
	const a1 = "agent9"
	p.grant(p.agentJID(a1), "chat")
	c := availableConsole(t, p, a1, "available", "2")

	v := newBrowser(t, p)
	v.launch(launchOpts{})
	v.open("shop")
	v.startChat("shop", "Ann", "ann@example.org", "Can you send me the invoice?")
	c.waitFor(a1, ".parley-offer", "Chat request from Ann")
	c.click(a1, ".parley-offer .parley-accept")
	v.phase("shop", "chat")
	v.line("shop", a1+" has joined the chat.")

	content := []byte("Invoice 42\nParcel: 1 x blue teapot\nTotal: 31.00 EUR\n")
	path := filepath.Join(t.TempDir(), "invoice-42.txt")
	if err := os.WriteFile(path, content, 0o644); err != nil {
		t.Fatal(err)
	}
	c.do("setFiles", map[string]any{"page": a1, "target": "converse-muc input.fileupload", "files": []string{path}})

	// The visitor's widget shows it as a link to the file share.
	link := `css=ol.log li a[href*="/file_share/"][href$="invoice-42.txt"]`
	v.waitFor("shop", link, "")
	href := v.attr("shop", link, "href")
	if !strings.HasPrefix(href, "http://localhost:") {
		t.Fatalf("the link is %q", href)
	}
	if n := v.count("shop", link); n != 1 {
		t.Errorf("the widget shows the link %d times", n)
	}
	v.shot("shop", "console-19-file-visitor")
	// The agent sees it in the chat too.
	c.waitFor(a1, `converse-muc a[href="`+href+`"]`, "")
	c.shot(a1, "console-18-file-sent")

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", href, nil)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	got, _ := io.ReadAll(res.Body)
	if res.StatusCode != 200 || !bytes.Equal(got, content) {
		t.Fatalf("GET %s: %d %q, want the bytes uploaded %q", href, res.StatusCode, got, content)
	}
	// The transcript keeps it as a link.
	sid := v.session("shop")
	eventually(t, "the link in the transcript", func() bool {
		entries, _, _, err := p.store.Transcript(context.Background(), sessions.Query{Session: sid})
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range entries {
			if strings.Contains(e.Payload, href) {
				return true
			}
		}
		return false
	})
}

// alertRecorder records desktop notifications and sounds, and lets the test
// say whether the page is in the background (document.hidden).
const alertRecorder = `
window.__alerts = { notes: [], sounds: [] };
(() => {
  const N = window.Notification;
  if (N) window.Notification = new Proxy(N, { construct(t, args) { window.__alerts.notes.push(String(args[0])); return Reflect.construct(t, args); } });
  const play = HTMLMediaElement.prototype.play;
  HTMLMediaElement.prototype.play = function () { window.__alerts.sounds.push(this.src); return play.call(this); };
  Object.defineProperty(document, "hidden", { configurable: true, get: () => !!window.__hidden });
  Object.defineProperty(document, "visibilityState", { configurable: true, get: () => (window.__hidden ? "hidden" : "visible") });
})();
`

type alerts struct {
	Notes  []string `json:"notes"`
	Sounds []string `json:"sounds"`
}

func (b *browser) alerts(page string) alerts {
	b.t.Helper()
	var a alerts
	b.eval(page, "window.__alerts", &a)
	return a
}

// Offers while the console is in the background: a desktop notification
// and a sound; with both turned off in the availability control, neither;
// in the foreground, neither either.
func TestAgentConsoleOfferAlerts(t *testing.T) {
	p := startConsole(t)
	const a1 = "agent10"
	p.grant(p.agentJID(a1), "chat")
	c := consoleWith(t, p, a1, consoleOpts{init: alertRecorder, notify: true})
	setAvailability(c, a1, "available", "3")
	c.waitFor(a1, "#parley-load", "Available · 0 of 3 chats")
	var perm string
	c.eval(a1, "Notification.permission", &perm)
	if perm != "granted" {
		t.Fatalf("notification permission %q", perm)
	}
	if !c.checked(a1, "#parley-sound") || !c.checked(a1, "#parley-desktop") {
		t.Fatal("the alerts are not on by default")
	}

	// In the foreground: the card only.
	offer := func(name string) {
		t.Helper()
		v := p.visitor()
		s := request(p, v, "", "<visitor name='"+name+"'/><body>Hello</body>")
		join(v, s.Get("room"), name)
		c.waitFor(a1, ".parley-offer", "Chat request from "+name)
	}
	offer("Ann")
	// My chats lists the queued offer too.
	c.waitFor(a1, ".parley-chat.parley-offered", "Ann Offered · offer")
	if a := c.alerts(a1); len(a.Notes)+len(a.Sounds) != 0 {
		t.Fatalf("alerts with the page in the foreground: %+v", a)
	}

	// In the background: a notification and a sound.
	c.eval(a1, "window.__hidden = true", new(bool))
	offer("Bo")
	eventually(t, "a notification and a sound for Bo", func() bool {
		a := c.alerts(a1)
		return len(a.Notes) == 1 && len(a.Sounds) == 1
	})
	a := c.alerts(a1)
	if !strings.HasPrefix(a.Notes[0], "Chat request from Bo") || !strings.HasSuffix(a.Sounds[0], "/agent/converse/sounds/msg_received.ogg") {
		t.Fatalf("alerts %+v", a)
	}
	c.shot(a1, "console-20-alerts-on")

	// Both turned off (kept in the browser): nothing for the next offer.
	c.click(a1, "#parley-sound")
	c.click(a1, "#parley-desktop")
	if c.checked(a1, "#parley-sound") || c.checked(a1, "#parley-desktop") {
		t.Fatal("the alerts did not turn off")
	}
	var saved string
	c.eval(a1, `localStorage.getItem("parley-alerts")`, &saved)
	if saved != `{"sound":false,"desktop":false}` {
		t.Errorf("kept as %q", saved)
	}
	offer("Cy")
	// The card shows after the alerts would have been made (the same handler).
	if a := c.alerts(a1); len(a.Notes) != 1 || len(a.Sounds) != 1 {
		t.Fatalf("alerts while turned off: %+v", a)
	}
	c.shot(a1, "console-21-alerts-off")
}

func (b *browser) checked(page, target string) bool {
	b.t.Helper()
	var on bool
	b.eval(page, "document.querySelector("+jsString(target)+").checked", &on)
	return on
}

// The supervisor's queues view moves as visitors arrive and are taken, with
// the console's polling off (?poll=0): from the service's pushed <queues/>.
func TestAgentConsoleQueuesPushed(t *testing.T) {
	p := startConsole(t)
	const a1, sup = "agent11", "super"
	p.grant(p.agentJID(a1), "chat")
	p.grant(p.agentJID(sup), "supervise")
	cs := consoleWith(t, p, sup, consoleOpts{query: "?poll=0"})
	cs.waitFor(sup, "#parley-queue-list", "default: 0 waiting")

	c1 := console(t, p, a1)
	setAvailability(c1, a1, "dnd", "1")
	c1.waitFor(a1, "#parley-load", "Do not disturb · 0 of 1 chats")
	cs.waitFor(sup, "#parley-agent-list", p.agentJID(a1)+": 0 of 1 chats, dnd")
	cs.waitFor(sup, "#parley-queue-list", "default: 0 waiting, 0 of 0 agents free")

	v := p.visitor()
	s := request(p, v, "", "<visitor name='Ann'/><body>Where is my parcel?</body>")
	join(v, s.Get("room"), "Ann")
	cs.waitFor(sup, "#parley-queue-list", "default: 1 waiting")
	cs.shot(sup, "console-22-queues-pushed")
	v2 := p.visitor()
	request(p, v2, "", "<visitor name='Bo'/><body>Billing</body>")
	cs.waitFor(sup, "#parley-queue-list", "default: 2 waiting")

	// The agent becomes available and takes Ann: one waits, the agent is full.
	setAvailability(c1, a1, "available", "1")
	c1.waitFor(a1, ".parley-offer", "Chat request from Ann")
	c1.click(a1, ".parley-offer .parley-accept")
	v.expect("assigned", isEvent(s.Get("room"), "assigned"))
	cs.waitFor(sup, "#parley-queue-list", "default: 1 waiting")
	cs.waitFor(sup, "#parley-agent-list", p.agentJID(a1)+": 1 of 1 chats, available")
	cs.waitFor(sup, `.parley-all[data-room="`+s.Get("room")+`"]`, "Ann: active")
	cs.shot(sup, "console-23-queues-moved")
}

// Unread lines in My chats: a visitor's line arrives while the agent is in
// another chat; My chats counts it, and opening the chat clears it.
func TestAgentConsoleUnread(t *testing.T) {
	p := startConsole(t)
	const a1 = "agent12"
	p.grant(p.agentJID(a1), "chat")
	c := availableConsole(t, p, a1, "available", "2")
	take := func(name string) (string, *client) {
		t.Helper()
		v := p.visitor()
		room := offerTo(c, a1, p, v, name, "Hello").Get("room")
		acceptOffer(c, a1, v, room)
		c.waitFor(a1, `.parley-chat[data-room="`+room+`"]`, "Active")
		say(v, room, "Hi, "+name+" here.")
		c.waitFor(a1, "converse-muc .chat-msg__text", "Hi, "+name+" here.")
		return room, v
	}
	ann, _ := take("Ann")
	bo, vBo := take("Bo")
	// Back in Ann's chat, Bo writes twice.
	c.click(a1, `.parley-chat[data-room="`+ann+`"] .parley-open`)
	c.waitFor(a1, "converse-muc .chat-msg__text", "Hi, Ann here.")
	c.waitGone(a1, `.parley-chat[data-room="`+ann+`"] .parley-unread`, "")
	say(vBo, bo, "Are you still there?")
	say(vBo, bo, "Hello?")
	c.waitFor(a1, `.parley-chat[data-room="`+bo+`"] .parley-unread`, "2 unread")
	c.shot(a1, "console-24-unread")
	if n := c.count(a1, `.parley-chat[data-room="`+ann+`"] .parley-unread`); n != 0 {
		t.Errorf("Ann's chat shows %d unread counts", n)
	}
	// Opening Bo's chat clears it.
	c.click(a1, `.parley-chat[data-room="`+bo+`"] .parley-open`)
	c.waitFor(a1, "converse-muc .chat-msg__text", "Hello?")
	c.waitGone(a1, `.parley-chat[data-room="`+bo+`"] .parley-unread`, "")
}

// A line from the console carries stock Converse's XEP-0359 <origin-id/>;
// the same stanza sent twice (a resend, here the console's own WebSocket
// frame repeated) reaches the visitor and the transcript once.
func TestAgentConsoleOriginID(t *testing.T) {
	p := startConsole(t)
	const a1 = "agent1"
	p.grant(p.agentJID(a1), "chat")
	c := consoleWith(t, p, a1, consoleOpts{dupWS: true})
	setAvailability(c, a1, "available", "2")
	c.waitFor(a1, "#parley-load", "Available · 0 of 2 chats")
	v := p.visitor()
	s := offerTo(c, a1, p, v, "Ann", "Hello")
	room, sid := s.Get("room"), s.Get("id")
	acceptOffer(c, a1, v, room)

	const line = "This line is sent twice, shown once."
	c.do("dupNext", map[string]any{"match": line})
	consoleSay(c, a1, line)
	v.expect("the line", isMsg(room+"/"+a1, line))
	eventually(t, "the frame sent twice", func() bool {
		var done bool
		if err := json.Unmarshal(c.do("dupDone", nil), &done); err != nil {
			t.Fatal(err)
		}
		return done
	})
	v.never("the line again", 1500*time.Millisecond, isMsg(room+"/"+a1, line))
	entries, _, _, err := p.store.Transcript(context.Background(), sessions.Query{Session: sid})
	if err != nil {
		t.Fatal(err)
	}
	var kept []sessions.Entry
	for _, e := range entries {
		if e.Body == line {
			kept = append(kept, e)
		}
	}
	if len(kept) != 1 || kept[0].OriginID == "" {
		t.Fatalf("the transcript kept %+v, want the line once with its origin-id", kept)
	}
	if n := c.count(a1, `converse-muc .chat-msg__text:has-text("`+line+`")`); n != 1 {
		t.Errorf("the console shows the line %d times", n)
	}
	c.shot(a1, "console-25-origin-id")
}

// Availability with the service in the account's roster: the subscription
// made once (as an agent's other client would), the console's login
// presence reaches the service and signs the agent in, and the console's
// control still sets show and max chats and signs out.
func TestAgentConsoleRoster(t *testing.T) {
	p := startConsole(t)
	const a1 = "agent3"
	p.grant(p.agentJID(a1), "chat")
	forgetContact(t, p, a1, p.Domain)
	t.Cleanup(func() { forgetContact(t, p, a1, p.Domain) })
	a := p.agent(a1)
	a.iq("get", "", `<query xmlns='jabber:iq:roster'/>`)
	a.send(`<presence xmlns='jabber:client'/>`)
	subscribe(p, a)
	a.expect("the service subscribing back", isPresence(p.Domain, "subscribe"))
	a.send(`<presence xmlns='jabber:client' type='subscribed' to='%s'/>`, p.Domain)
	a.close()
	eventually(t, "agent3 offline again", func() bool { return p.metric("parley_agents_online") == 0 })

	c := console(t, p, a1)
	// Signed in by the login's presence alone: nothing clicked.
	c.waitFor(a1, "#parley-load", "Available · 0 of ")
	eventually(t, "agent3 signed in by roster", func() bool { return p.metric("parley_agents_online") == 1 })
	c.shot(a1, "console-26-roster")
	setAvailability(c, a1, "away", "2")
	c.waitFor(a1, "#parley-load", "Away · 0 of 2 chats")
	setAvailability(c, a1, "offline", "2")
	c.waitFor(a1, "#parley-load", "Not signed in to Parley")
	eventually(t, "agent3 signed out", func() bool { return p.metric("parley_agents_online") == 0 })
}
