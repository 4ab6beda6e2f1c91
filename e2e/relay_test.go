package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	pxmpp "github.com/parley-chat/parley/xmpp"
)

// What the service relays without understanding it (XHTML-IM with mixed
// content, a XEP-0066 link, a XEP-0085 chat state) reaches every occupant
// through the real Prosody with its elements and text in document order, and
// the archive (XEP-0313) gives each one back the same (docs/protocol.md,
// "What is relayed").
func TestRelayedExtensionsInDocumentOrder(t *testing.T) {
	p := startParley(t)
	a := newAgent(t, p, "agent11")
	p.grant(p.agentJID("super"), "supervise")
	sup := p.agent("super")
	c := openChat(t, p, a, "Rita", "")
	join(sup, c.room, "Sup")
	occupants := map[string]*client{"visitor": c.v, "agent": a, "supervisor": sup}

	const (
		xhtml = `<html xmlns='http://jabber.org/protocol/xhtml-im'><body xmlns='http://www.w3.org/1999/xhtml'>` +
			`<p>Hello <strong>world</strong>, <em>again</em>!</p>` +
			`<p style='font-style:italic'>See <a href='https://shop.example/list?a=1&amp;b=2'>the list</a>: one, <span>two</span> &amp; three.<br/>Bye</p>` +
			`</body></html>`
		oob   = `<x xmlns='jabber:x:oob'><url>https://files.example/invoice.pdf?v=2&amp;lang=en</url><desc>Invoice &lt;November&gt; &amp; receipt</desc></x>`
		state = `<active xmlns='http://jabber.org/protocol/chatstates'/>`
	)
	// What each relayed part reads like once decoded and written again with
	// resolved names (xmpp.Element.String): the order of text and elements
	// is the sender's.
	const (
		xhtmlOut = `<html xmlns="http://jabber.org/protocol/xhtml-im"><body xmlns="http://www.w3.org/1999/xhtml">` +
			`<p xmlns="http://www.w3.org/1999/xhtml">Hello <strong xmlns="http://www.w3.org/1999/xhtml">world</strong>, <em xmlns="http://www.w3.org/1999/xhtml">again</em>!</p>` +
			`<p xmlns="http://www.w3.org/1999/xhtml" style="font-style:italic">See <a xmlns="http://www.w3.org/1999/xhtml" href="https://shop.example/list?a=1&amp;b=2">the list</a>: one, ` +
			`<span xmlns="http://www.w3.org/1999/xhtml">two</span> &amp; three.<br xmlns="http://www.w3.org/1999/xhtml"></br>Bye</p></body></html>`
		oobOut   = `<x xmlns="jabber:x:oob"><url xmlns="jabber:x:oob">https://files.example/invoice.pdf?v=2&amp;lang=en</url><desc xmlns="jabber:x:oob">Invoice &lt;November&gt; &amp; receipt</desc></x>`
		stateOut = `<active xmlns="http://jabber.org/protocol/chatstates"></active>`
	)
	msgs := []struct {
		id, from, nick, body, inner, want string
		sender                            *client
	}{
		{"x1", "visitor", "Rita", "Hello world, again! See the list: one, two & three. Bye", xhtml, xhtmlOut, c.v},
		{"o1", "agent", "Agent", "Your invoice", oob, oobOut, a},
		{"s1", "visitor", "Rita", "Thanks, that is all", state, stateOut, c.v},
	}
	for _, m := range msgs {
		m.sender.send(`<message xmlns='jabber:client' type='groupchat' to='%s' id='%s'><body>%s</body>%s</message>`,
			c.room, m.id, xmlEscape(m.body), m.inner)
	}
	var seen strings.Builder // every stanza checked, for test-artifacts/relay/
	defer func() { saveArtifact(t, filepath.Join("relay", "received.xml"), seen.String()) }()
	live := map[string]string{} // message id → relayed part, as the first occupant got it
	for who, cl := range occupants {
		for _, m := range msgs {
			got := cl.expect(fmt.Sprintf("message %s from the %s", m.id, m.from), func(e *pxmpp.Element) bool {
				return e.Name.Local == "message" && e.Get("from") == c.room+"/"+m.nick && e.Get("id") == m.id
			})
			fmt.Fprintf(&seen, "<!-- the %s, live -->\n%s\n", who, got)
			part := relayedPart(got)
			if part != m.want {
				t.Errorf("the %s received %s as\n%s\nwant\n%s", who, m.id, part, m.want)
			}
			if b := got.Child("", "body"); b == nil || b.Text != m.body {
				t.Errorf("the %s received %s with body %v", who, m.id, b)
			}
			live[m.id] = part
		}
	}

	// A content-free chat state is relayed to the others and kept nowhere.
	c.v.send(`<message xmlns='jabber:client' type='groupchat' to='%s' id='typing'><composing xmlns='http://jabber.org/protocol/chatstates'/></message>`, c.room)
	for who, cl := range map[string]*client{"agent": a, "supervisor": sup} {
		got := cl.expect("the visitor's composing state", func(e *pxmpp.Element) bool {
			return e.Name.Local == "message" && e.Get("id") == "typing"
		})
		if part := relayedPart(got); part != `<composing xmlns="http://jabber.org/protocol/chatstates"></composing>` {
			t.Errorf("the %s received the chat state as %s", who, got)
		}
	}

	// The archive gives every occupant the same, in the same order.
	forms := map[string]string{"visitor": tokenForm(c.token), "agent": "", "supervisor": ""}
	for who, cl := range occupants {
		if who == "visitor" {
			cl = p.visitor() // the visitor's archive is read with its token, from anywhere
		}
		byBody := map[string]*pxmpp.Element{}
		for _, m := range archivedMessages(t, cl, c.room, forms[who]) {
			fmt.Fprintf(&seen, "<!-- the %s, archived -->\n%s\n", who, m)
			if b := m.Child("", "body"); b != nil {
				byBody[b.Text] = m
			}
			if strings.Contains(m.String(), "composing") {
				t.Errorf("the %s's archive keeps a chat state alone: %s", who, m)
			}
		}
		for _, m := range msgs {
			am := byBody[m.body]
			if am == nil {
				t.Errorf("the %s's archive lacks %s (%q)", who, m.id, m.body)
				continue
			}
			if am.Get("from") != c.room+"/"+m.nick {
				t.Errorf("the %s's archive has %s from %q", who, m.id, am.Get("from"))
			}
			if part := relayedPart(am); part != live[m.id] {
				t.Errorf("the %s's archive gives %s back as\n%s\nlive it was\n%s", who, m.id, part, live[m.id])
			}
		}
	}
}

// relayedPart renders what the service relayed in a message: every child
// but those it writes itself (body, stanza-id, delay), in order.
func relayedPart(e *pxmpp.Element) string {
	var b strings.Builder
	for _, ch := range e.Children {
		switch {
		case ch.Name.Local == "body" && (ch.Name.Space == "jabber:client" || ch.Name.Space == ""),
			ch.Name.Space == "urn:xmpp:sid:0" && ch.Name.Local == "stanza-id",
			ch.Name.Space == "urn:xmpp:delay":
			continue
		}
		b.WriteString(ch.String())
	}
	return b.String()
}

// archivedMessages runs a XEP-0313 query on room and returns the archived
// messages (the forwarded jabber:client ones), oldest first.
func archivedMessages(t *testing.T, c *client, room, form string) []*pxmpp.Element {
	t.Helper()
	qid := fmt.Sprintf("r%d", time.Now().UnixNano())
	r := c.iq("set", room, fmt.Sprintf(`<query xmlns='urn:xmpp:mam:2' queryid='%s'>%s</query>`, qid, form))
	if r.Get("type") != "result" {
		t.Fatalf("archive query: %s", r)
	}
	var out []*pxmpp.Element
	c.mu.Lock()
	defer c.mu.Unlock()
	for i, e := range c.log {
		res := e.Child("urn:xmpp:mam:2", "result")
		if e.Name.Local != "message" || res == nil || res.Get("queryid") != qid {
			continue
		}
		c.used[i] = true
		fwd := res.Child("urn:xmpp:forward:0", "forwarded")
		if fwd == nil || fwd.Child("jabber:client", "message") == nil {
			t.Errorf("archived result without a jabber:client message: %s", e)
			continue
		}
		out = append(out, fwd.Child("jabber:client", "message"))
	}
	return out
}

// saveArtifact writes text to test-artifacts/NAME (for a person to look at).
func saveArtifact(t *testing.T, name, text string) {
	root, _ := filepath.Abs("..")
	path := filepath.Join(root, "test-artifacts", name)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Logf("artifact %s: %v", name, err)
		return
	}
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Logf("artifact %s: %v", name, err)
	}
}

func xmlEscape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
}
