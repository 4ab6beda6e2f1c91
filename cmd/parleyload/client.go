package main

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/parley-chat/parley/internal/xmpptest"
	pxmpp "github.com/parley-chat/parley/xmpp"
)

// client is one real XMPP client (internal/xmpptest) logged in over c2s. Load
// messages (bodies starting with bodyPrefix) go straight to the loader; other
// stanzas go to the first waiter that matches, else to onStanza, else nowhere.
type client struct {
	*xmpptest.Conn
	l *loader

	mu       sync.Mutex
	waiters  []*waiter
	onStanza func(*client, *pxmpp.Element) // called on the client's read goroutine: must not block
}

type waiter struct {
	match func(*pxmpp.Element) bool
	ch    chan *pxmpp.Element
}

// login logs in with a password as user@host, or anonymously to host when
// user is "", and starts reading.
func login(ctx context.Context, l *loader, c2s, user, host, password string) (*client, error) {
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	conn, err := xmpptest.Login(ctx, c2s, user, host, password)
	if err != nil {
		return nil, err
	}
	c := &client{Conn: conn, l: l}
	conn.Start(c.dispatch)
	return c, nil
}

func (c *client) dispatch(el *pxmpp.Element) {
	if el.Name.Local == "message" {
		typ := el.Get("type")
		if b := el.Child("", "body"); b != nil && strings.HasPrefix(b.Text, bodyPrefix) {
			if typ == "error" {
				c.l.stanzaError(c, el)
			} else {
				c.l.receive(c, b.Text)
			}
			return
		}
	}
	// Presence and IQ errors (a refused sign-in or join, retried or
	// reported by whoever waits for them) are not counted.
	if el.Name.Local == "message" && el.Get("type") == "error" {
		c.l.stanzaError(c, el)
	}
	c.mu.Lock()
	for i, w := range c.waiters {
		if w.match(el) {
			c.waiters = append(c.waiters[:i:i], c.waiters[i+1:]...)
			c.mu.Unlock()
			w.ch <- el // buffered, one value
			return
		}
	}
	h := c.onStanza
	c.mu.Unlock()
	if h != nil {
		h(c, el)
	}
}

func (c *client) setHandler(h func(*client, *pxmpp.Element)) {
	c.mu.Lock()
	c.onStanza = h
	c.mu.Unlock()
}

// expect registers a waiter before the stanza that causes the answer is sent.
func (c *client) expect(match func(*pxmpp.Element) bool) *waiter {
	w := &waiter{match: match, ch: make(chan *pxmpp.Element, 1)}
	c.mu.Lock()
	c.waiters = append(c.waiters, w)
	c.mu.Unlock()
	return w
}

// await waits for w's stanza for at most d.
func (c *client) await(ctx context.Context, w *waiter, d time.Duration, what string) (*pxmpp.Element, error) {
	t := time.NewTimer(d)
	defer t.Stop()
	var err error
	select {
	case el := <-w.ch:
		return el, nil
	case <-ctx.Done():
		err = ctx.Err()
	case <-t.C:
		err = fmt.Errorf("%s (%s) got no %s within %v", c.Name, c.JID, what, d)
	case <-c.Done():
		err = fmt.Errorf("%s (%s) lost its connection waiting for %s", c.Name, c.JID, what)
	}
	c.mu.Lock()
	for i, x := range c.waiters {
		if x == w {
			c.waiters = append(c.waiters[:i:i], c.waiters[i+1:]...)
			break
		}
	}
	c.mu.Unlock()
	return nil, err
}

// sendXML sends one stanza written as XML text (setup and teardown stanzas).
func (c *client) sendXML(ctx context.Context, format string, args ...any) error {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	return c.SendXML(ctx, format, args...)
}

// sendBody sends a message with only a body: the hot path, built as tokens.
// ctx must carry a deadline (it bounds the write).
func (c *client) sendBody(ctx context.Context, to, typ, body string) error {
	return c.SendBody(ctx, to, typ, body)
}

// iq sends an IQ and waits for its answer; an error answer is an error.
func (c *client) iq(ctx context.Context, d time.Duration, typ, to, payload string) (*pxmpp.Element, error) {
	id := c.l.nextID("iq")
	w := c.expect(func(e *pxmpp.Element) bool { return e.Name.Local == "iq" && e.Get("id") == id })
	if err := c.sendXML(ctx, `<iq xmlns='jabber:client' type='%s' to='%s' id='%s'>%s</iq>`, typ, xmlEscape(to), id, payload); err != nil {
		return nil, err
	}
	el, err := c.await(ctx, w, d, "answer to IQ "+id)
	if err != nil {
		return nil, err
	}
	if el.Get("type") != "result" {
		return el, fmt.Errorf("%s: IQ to %s answered %s", c.Name, to, describeError(el))
	}
	return el, nil
}

// joinRoom enters room as nick with no history and waits for the self-presence.
func (c *client) joinRoom(ctx context.Context, d time.Duration, room, nick string) error {
	occupant := room + "/" + nick
	w := c.expect(func(e *pxmpp.Element) bool {
		return e.Name.Local == "presence" && e.Get("from") == occupant && (e.Get("type") == "error" || xmpptest.HasStatus(e, "110"))
	})
	if err := c.sendXML(ctx, `<presence xmlns='jabber:client' to='%s'><x xmlns='http://jabber.org/protocol/muc'><history maxstanzas='0'/></x></presence>`, xmlEscape(occupant)); err != nil {
		return err
	}
	el, err := c.await(ctx, w, d, "self-presence in "+room)
	if err != nil {
		return err
	}
	if el.Get("type") == "error" {
		return fmt.Errorf("%s could not join %s: %s", c.Name, room, describeError(el))
	}
	return nil
}

// close ends the stream and the connection, waiting a moment for the server.
func (c *client) close() { c.Close(2 * time.Second) }

var (
	describeError = xmpptest.DescribeError
	xmlEscape     = xmpptest.Escape
)
