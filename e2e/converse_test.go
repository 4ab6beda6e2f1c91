package e2e

import (
	"encoding/json"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/parley-chat/parley/sessions"
	pxmpp "github.com/parley-chat/parley/xmpp"
)

// Stock Converse.js (web/agent: npm converse.js, no plugin, fully offline) in
// Debian's Chromium, as an agent would use it against the real Prosody and
// parleyd: one "add contact" of the sign-in address, an offer accepted from
// Converse's own invitation dialog, the session's events, a chat with a
// visitor, suspend/resume/canned/comment/details/close from Converse's own
// ad-hoc commands dialog, the room shown as gone after the close, and a
// conference invitation sent through Parley. Screenshots:
// test-artifacts/screenshots/converse-*.png.

// requireConverse skips (or fails in CI) without web/agent/node_modules.
func requireConverse(t *testing.T) {
	t.Helper()
	requireBrowser(t)
	if _, err := os.Stat("../web/agent/node_modules/converse.js/dist/converse.min.js"); err != nil {
		missingTool(t, "the Converse.js test needs web/agent/node_modules (npm ci in web/agent)")
	}
}

// serveAgentPage serves web/agent (the page and Converse's dist) on a free port.
func serveAgentPage(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dir, _ := filepath.Abs("../web/agent")
	srv := &http.Server{Handler: http.FileServer(http.Dir(dir)), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	return "http://" + ln.Addr().String() + "/"
}

// forgetContact removes addr from the account's roster (before and after a
// test that adds it), so that the test starts from a fresh roster and later
// tests' logins do not sign the account in by roster.
func forgetContact(t *testing.T, p *parley, name, addr string) {
	t.Helper()
	c := p.agent(name)
	defer c.close()
	r := c.iq("set", "", `<query xmlns='jabber:iq:roster'><item jid='`+addr+`' subscription='remove'/></query>`)
	if r.Get("type") != "result" && errorCondition(r) != "item-not-found" {
		t.Fatalf("roster remove: %s", r)
	}
}

func TestConverseAgent(t *testing.T) {
	requireConverse(t)
	p := startParley(t)
	const name, colleague = "agent9", "agent8"
	signin := "agents@" + p.Domain
	p.grant(p.agentJID(name), "chat")
	if err := p.store.CannedPut(t.Context(), sessions.Canned{ID: "wait", Title: "Please wait", Body: "Thank you for waiting, I am checking."}); err != nil {
		t.Fatal(err)
	}
	forgetContact(t, p, name, signin)
	t.Cleanup(func() { forgetContact(t, p, name, signin) })

	// A colleague (a plain client, one chat at most) busy with another visitor,
	// who will ask the Converse.js agent for help.
	p.grant(p.agentJID(colleague), "chat")
	c := p.agent(colleague)
	signIn(p, c, `<agent xmlns='urn:parley:chat:0' max-chats='1'/>`)
	v2 := p.visitor()
	s2 := request(p, v2, "", "<visitor name='Bo'/><body>Billing question</body>")
	room2 := s2.Get("room")
	join(v2, room2, "Bo")
	c.expect("offer", isOffer(room2))
	join(c, room2, "Cy")
	v2.expect("assigned", isEvent(room2, "assigned"))

	base := serveAgentPage(t)
	b := newBrowser(t, p)
	b.launch(launchOpts{})
	b.do("offline", map[string]any{"allow": []string{base}})
	const pg = "converse"
	b.do("newPage", map[string]any{"page": pg, "url": base + "?" + url.Values{
		"ws": {p.env.WSURL}, "jid": {p.agentJID(name)}}.Encode()})

	// Sign in to the XMPP server, then to Parley with one "add contact".
	b.fill(pg, "#converse-login-jid", p.agentJID(name))
	b.fill(pg, "#converse-login-password", p.env.Password)
	b.click(pg, `#converse-login button[type=submit]`)
	b.waitFor(pg, "converse-roster", "")
	b.click(pg, "converse-roster converse-dropdown .dropdown-toggle")
	b.click(pg, "a.add-contact")
	b.fill(pg, `converse-add-contact-modal input[name=jid]`, signin)
	b.fill(pg, `converse-add-contact-modal input[name=name]`, "Parley")
	b.click(pg, `converse-add-contact-modal button[type=submit]`)
	eventually(t, "the agent signed in by one add contact", func() bool { return p.metric("parley_agents_online") == 1 })
	b.waitFor(pg, "converse-roster", "Parley")
	b.shot(pg, "converse-1-signed-in")

	// An offer: Converse's own invitation dialog; accept it.
	v := p.visitor()
	s := request(p, v, "", "<visitor name='Ann' email='ann@example.org'/><body>Where is my parcel?</body>")
	room := s.Get("room")
	join(v, room, "Ann")
	b.waitFor(pg, "converse-confirm-modal.show", "Ann <ann@example.org>")
	b.shot(pg, "converse-2-offer")
	b.click(pg, `converse-confirm-modal.show button[type=submit]`)
	v.expect("assigned", isEvent(room, "assigned"))

	// The session's events and the chat.
	b.waitFor(pg, "converse-muc .chat-msg__text", "has joined the chat")
	say(v, room, "Hello, is anyone there?")
	b.waitFor(pg, "converse-muc .chat-msg__text", "Hello, is anyone there?")
	b.typeText(pg, "converse-muc textarea.chat-textarea", "Hi Ann, let me check.")
	b.press(pg, "Enter")
	b.waitFor(pg, "converse-muc .chat-msg__text", "Hi Ann, let me check.")
	v.expect("the agent's line", isMsg(room+"/"+name, "Hi Ann, let me check."))

	// Ad-hoc commands on the room, from Converse's own dialog.
	converseCommands(b, pg, room)
	converseCommand(b, pg, "Suspend the chat", func() {
		b.waitFor(pg, "converse-adhoc-commands label", "Cause")
	}, "Session suspended: Investigation")
	v.expect("suspended", isEvent(room, "suspended"))
	b.shot(pg, "converse-3-suspend")
	converseCommand(b, pg, "Resume the chat", nil, "Session resumed")
	v.expect("resumed", isEvent(room, "resumed"))
	converseCommand(b, pg, "Send a canned response", func() {
		b.waitFor(pg, "converse-adhoc-commands label", "Response")
	}, "Canned response posted")
	v.expect("the canned response", isMsg(room+"/"+name, "Thank you for waiting, I am checking."))
	converseCommand(b, pg, "Add an internal comment", func() {
		b.waitFor(pg, "converse-adhoc-commands label", "Comment")
		b.fill(pg, "converse-adhoc-commands textarea", "VIP customer, second parcel lost")
	}, "Comment added")
	converseCommand(b, pg, "Visitor details", nil, "Visitor details", true)
	b.waitFor(pg, "converse-adhoc-commands label", "E-mail")
	var values []string
	b.eval(pg, `[...document.querySelectorAll("converse-adhoc-commands input, converse-adhoc-commands textarea")].map(i => i.value)`, &values)
	if !slices.Contains(values, "ann@example.org") || !slices.Contains(values, "Where is my parcel?") {
		t.Errorf("details form values %q, want the visitor's e-mail and question", values)
	}
	b.eval(pg, `(document.querySelectorAll("converse-adhoc-commands label")[3]?.scrollIntoView(), 1)`, new(int))
	b.shot(pg, "converse-4-details")
	closeModal(b, pg)
	b.waitFor(pg, "converse-muc .chat-msg__text", "Chat suspended by the agent (Investigation)")
	b.waitFor(pg, "converse-muc .chat-msg__text", "Chat resumed by the agent")
	b.waitFor(pg, "converse-muc .chat-msg__text", "[internal note — not shown to the visitor] VIP customer")
	b.shot(pg, "converse-5-events")

	converseCommands(b, pg, room)
	converseCommand(b, pg, "Close the chat", nil, "Session closed")
	v.expect("closed", isEvent(room, "closed"))
	closeModal(b, pg)
	b.waitFor(pg, "converse-muc .chat-msg__text", "Chat closed by the agent")
	// Converse ignores the destroy presence; its next line finds the room
	// gone (not-acceptable, a self-ping, a rejoin answered <gone/>).
	b.typeText(pg, "converse-muc textarea.chat-textarea", "Anything else?")
	b.press(pg, "Enter")
	b.waitFor(pg, "text=This groupchat no longer exists", "")
	b.waitFor(pg, `text=The following reason was given: "Chat closed by the agent"`, "")
	b.shot(pg, "converse-6-closed")
	v.never("the comment", 300*time.Millisecond, isMsg("", "VIP customer"))

	// A conference invitation sent through Parley by the colleague.
	c.send(`<message xmlns='jabber:client' to='%s'><x xmlns='http://jabber.org/protocol/muc#user'><invite to='%s'><reason>billing, please help</reason></invite></x></message>`,
		room2, p.agentJID(name))
	b.waitFor(pg, "converse-confirm-modal.show", "billing, please help")
	b.shot(pg, "converse-7-conference")
	b.click(pg, `converse-confirm-modal.show button[type=submit]`)
	v2.expect("conference", func(e *pxmpp.Element) bool { return isEvent(room2, "conference")(e) })
	b.checkCleanConverse(pg, base)
}

// openCommands opens Converse's ad-hoc commands dialog and lists jid's commands.
func converseCommands(b *browser, pg, jid string) {
	b.t.Helper()
	b.click(pg, "converse-controlbox a.show-client-info")
	b.click(pg, `a[data-name="commands"]`)
	b.fill(pg, `converse-adhoc-commands input[name=jid], converse-adhoc-commands converse-autocomplete input`, jid)
	b.click(pg, `converse-adhoc-commands input[type=submit]`)
	b.waitFor(pg, "converse-adhoc-commands li", "Commands found")
}

// runCommand opens the command named name, lets fill fill its form, completes
// it and waits for the note.
func converseCommand(b *browser, pg, name string, fill func(), note string, keepOpen ...bool) {
	keep := len(keepOpen) > 0 && keepOpen[0]
	b.t.Helper()
	b.click(pg, `converse-adhoc-commands a[data-command-name="`+name+`"]`)
	if fill != nil {
		fill()
		b.click(pg, `converse-adhoc-commands input[data-action="complete"]`)
	}
	if fill != nil {
		// Completed after a form: Converse shows the note above the list.
		b.waitFor(pg, "converse-adhoc-commands .form-help", note)
		return
	}
	// Completed at once: the note (and a result form) under the command;
	// close it again so that the next one starts from the list.
	b.waitFor(pg, "converse-adhoc-commands .alert", note)
	if !keep {
		b.click(pg, `converse-adhoc-commands a[data-command-name="`+name+`"]`)
	}
}

func closeModal(b *browser, pg string) {
	b.t.Helper()
	b.press(pg, "Escape")
	b.waitGone(pg, "converse-user-settings-modal .modal-dialog", "")
}

// checkCleanConverse fails on script errors and on any request that left the
// page's own server (the offline route aborts them; none may be needed).
func (b *browser) checkCleanConverse(pg, base string) {
	b.t.Helper()
	var blocked []string
	if err := json.Unmarshal(b.do("blocked", map[string]any{}), &blocked); err != nil {
		b.t.Fatal(err)
	}
	for _, u := range blocked {
		// The fullscreen view's sponsor logos are decoration from the
		// project's website; anything else would be an asset not served locally.
		if !strings.HasPrefix(u, "https://conversejs.org/media/logos/") {
			b.t.Errorf("Converse.js needed %s, outside the local page (not offline)", u)
		}
	}
	for _, e := range b.log(pg).Errors {
		b.t.Errorf("page error: %s", e)
	}
}
