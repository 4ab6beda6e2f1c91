package e2e

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/parley-chat/parley/internal/xmpptest"
	"github.com/parley-chat/parley/wire"
	pxmpp "github.com/parley-chat/parley/xmpp"
	"mellium.im/xmpp"
	"mellium.im/xmpp/jid"
)

// client is a real XMPP client (internal/xmpptest) logged in to the test
// bed's server. It keeps every stanza it receives so tests can wait for what
// they expect.
type client struct {
	t    testing.TB
	conn *xmpptest.Conn
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
	conn, err := xmpptest.Login(ctx, c2s, user, host, password)
	if err != nil {
		t.Fatal(err)
	}
	c := &client{t: t, conn: conn, name: conn.Name, sess: conn.Session, JID: conn.JID}
	c.cond = sync.NewCond(&c.mu)
	conn.Start(func(el *pxmpp.Element) {
		c.mu.Lock()
		c.log = append(c.log, el)
		c.used = append(c.used, false)
		c.cond.Broadcast()
		c.mu.Unlock()
	})
	go func() {
		<-conn.Done()
		c.mu.Lock()
		c.done = true
		c.cond.Broadcast()
		c.mu.Unlock()
	}()
	t.Cleanup(func() { c.close() })
	return c
}

func (c *client) close() { c.conn.Close(0) }

// drop cuts the TCP connection without closing the stream (a crash or restart).
func (c *client) drop() { c.conn.Drop() }

// send writes raw XML (one stanza).
func (c *client) send(format string, args ...any) {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := c.conn.SendXML(ctx, format, args...); err != nil {
		c.t.Fatal(err)
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

// Stanza predicates and error descriptions (internal/xmpptest), by the names
// the tests use.
var (
	isMsg          = xmpptest.IsMessage
	isEvent        = xmpptest.IsEvent
	isPresence     = xmpptest.IsPresence
	hasStatus      = xmpptest.HasStatus
	errorCondition = xmpptest.ErrorCondition
	errorText      = xmpptest.ErrorText
)

const nsParley = wire.NS

func mustParse(t testing.TB, s string) *pxmpp.Element {
	t.Helper()
	els, err := pxmpp.Parse(s)
	if err != nil || len(els) != 1 {
		t.Fatalf("parse %q: %v", s, err)
	}
	return els[0]
}
