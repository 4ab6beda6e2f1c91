package e2e

import (
	"context"
	"encoding/xml"
	"fmt"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	pxmpp "github.com/parley-chat/parley/xmpp"
	"mellium.im/sasl"
	"mellium.im/xmlstream"
	"mellium.im/xmpp"
	"mellium.im/xmpp/jid"
)

// client is a real XMPP client (mellium) logged in to the test Prosody. It
// keeps every stanza it receives so tests can wait for what they expect.
type client struct {
	t    testing.TB
	name string
	sess *xmpp.Session
	JID  jid.JID

	mu   sync.Mutex
	cond *sync.Cond
	log  []*pxmpp.Element
	used []bool
	done bool
}

// dial logs in: with a password as user@host, or anonymously to host when user is "".
func dial(t testing.TB, c2s, user, host, password string) *client {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := (&net.Dialer{}).DialContext(ctx, "tcp", c2s)
	if err != nil {
		t.Fatalf("dial %s: %v", c2s, err)
	}
	origin := jid.MustParse(host)
	mech := sasl.Anonymous
	if user != "" {
		origin = jid.MustParse(user + "@" + host)
		mech = sasl.Plain
	}
	sess, err := xmpp.NewSession(ctx, origin.Domain(), origin, conn, xmpp.Secure, xmpp.NewNegotiator(
		func(*xmpp.Session, *xmpp.StreamConfig) xmpp.StreamConfig {
			return xmpp.StreamConfig{Features: []xmpp.StreamFeature{
				xmpp.SASL("", password, mech), xmpp.BindResource(),
			}}
		}))
	if err != nil {
		conn.Close()
		t.Fatalf("login %s@%s: %v", user, host, err)
	}
	c := &client{t: t, name: user, sess: sess, JID: sess.LocalAddr()}
	if user == "" {
		c.name = "visitor"
	}
	c.cond = sync.NewCond(&c.mu)
	go func() {
		err := sess.Serve(xmpp.HandlerFunc(func(r xmlstream.TokenReadEncoder, start *xml.StartElement) error {
			el, err := pxmpp.Decode(*start, r)
			if err != nil {
				return err
			}
			c.mu.Lock()
			c.log = append(c.log, el)
			c.used = append(c.used, false)
			c.cond.Broadcast()
			c.mu.Unlock()
			return nil
		}))
		_ = err
		c.mu.Lock()
		c.done = true
		c.cond.Broadcast()
		c.mu.Unlock()
		conn.Close()
	}()
	t.Cleanup(func() { c.close() })
	return c
}

func (c *client) close() {
	_ = c.sess.Close()
	_ = c.sess.Conn().Close()
}

// drop cuts the TCP connection without closing the stream (a crash or restart).
func (c *client) drop() { _ = c.sess.Conn().Close() }

// send writes raw XML (one stanza).
func (c *client) send(format string, args ...any) {
	c.t.Helper()
	s := fmt.Sprintf(format, args...)
	els, err := pxmpp.Parse(s)
	if err != nil || len(els) != 1 {
		c.t.Fatalf("bad test stanza %q: %v", s, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := c.sess.Send(ctx, els[0].TokenReader()); err != nil {
		c.t.Fatalf("%s send: %v", c.name, err)
	}
}

// expect waits for the first stanza not yet taken that matches, and takes it.
func (c *client) expect(what string, match func(*pxmpp.Element) bool) *pxmpp.Element {
	c.t.Helper()
	el := c.wait(what, match, 10*time.Second)
	if el == nil {
		c.t.Fatalf("%s (%s) never received %s; got:\n%s", c.name, c.JID, what, c.dump())
	}
	return el
}

// never fails if a stanza that matches arrives within d.
func (c *client) never(what string, d time.Duration, match func(*pxmpp.Element) bool) {
	c.t.Helper()
	if el := c.wait(what, match, d); el != nil {
		c.t.Fatalf("%s received %s, which it must not: %s", c.name, what, el)
	}
}

func (c *client) wait(what string, match func(*pxmpp.Element) bool, d time.Duration) *pxmpp.Element {
	deadline := time.Now().Add(d)
	timer := time.AfterFunc(d, func() {
		c.mu.Lock()
		c.cond.Broadcast()
		c.mu.Unlock()
	})
	defer timer.Stop()
	c.mu.Lock()
	defer c.mu.Unlock()
	for {
		for i, el := range c.log {
			if !c.used[i] && match(el) {
				c.used[i] = true
				return el
			}
		}
		if time.Now().After(deadline) || c.done {
			return nil
		}
		c.cond.Wait()
	}
}

func (c *client) dump() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var b strings.Builder
	for i, el := range c.log {
		mark := " "
		if c.used[i] {
			mark = "x"
		}
		fmt.Fprintf(&b, "  %s %s\n", mark, el)
	}
	return b.String()
}

// iq sends an IQ and waits for its answer.
func (c *client) iq(typ, to, payload string) *pxmpp.Element {
	c.t.Helper()
	id := fmt.Sprintf("q%d", time.Now().UnixNano())
	if to == "" {
		c.send(`<iq xmlns='jabber:client' type='%s' id='%s'>%s</iq>`, typ, id, payload)
	} else {
		c.send(`<iq xmlns='jabber:client' type='%s' to='%s' id='%s'>%s</iq>`, typ, to, id, payload)
	}
	return c.expect("answer to IQ "+id, func(e *pxmpp.Element) bool {
		return e.Name.Local == "iq" && e.Get("id") == id
	})
}

// Stanza predicates.

func isMsg(from string, body string) func(*pxmpp.Element) bool {
	return func(e *pxmpp.Element) bool {
		if e.Name.Local != "message" || (from != "" && e.Get("from") != from) {
			return false
		}
		b := e.Child("", "body")
		return b != nil && strings.Contains(b.Text, body)
	}
}

func isEvent(room, typ string) func(*pxmpp.Element) bool {
	return func(e *pxmpp.Element) bool {
		// System lines come from the service's nick (docs/protocol.md).
		if e.Name.Local != "message" || e.Get("from") != room+"/Parley" {
			return false
		}
		ev := e.Child(nsParley, "event")
		return ev != nil && ev.Get("type") == typ
	}
}

func isPresence(from, typ string) func(*pxmpp.Element) bool {
	return func(e *pxmpp.Element) bool {
		return e.Name.Local == "presence" && e.Get("from") == from && e.Get("type") == typ
	}
}

func errorCondition(e *pxmpp.Element) string {
	er := e.Child("", "error")
	if er == nil {
		return ""
	}
	for _, c := range er.Children {
		if c.Name.Space == "urn:ietf:params:xml:ns:xmpp-stanzas" && c.Name.Local != "text" {
			return c.Name.Local
		}
	}
	return ""
}

func errorText(e *pxmpp.Element) string {
	if er := e.Child("", "error"); er != nil {
		if t := er.Child("urn:ietf:params:xml:ns:xmpp-stanzas", "text"); t != nil {
			return t.Text
		}
	}
	return ""
}

const nsParley = "urn:parley:chat:0"

func mustParse(t testing.TB, s string) *pxmpp.Element {
	t.Helper()
	els, err := pxmpp.Parse(s)
	if err != nil || len(els) != 1 {
		t.Fatalf("parse %q: %v", s, err)
	}
	return els[0]
}
