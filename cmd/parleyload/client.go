package main

import (
	"context"
	"encoding/xml"
	"fmt"
	"net"
	"strings"
	"sync"
	"time"

	pxmpp "github.com/parley-chat/parley/xmpp"
	"mellium.im/sasl"
	"mellium.im/xmlstream"
	"mellium.im/xmpp"
	"mellium.im/xmpp/jid"
)

// client is one real XMPP client (mellium) logged in over c2s. Load messages
// (bodies starting with bodyPrefix) go straight to the loader; other stanzas
// go to the first waiter that matches, else to onStanza, else nowhere.
type client struct {
	name string
	sess *xmpp.Session
	JID  jid.JID
	l    *loader

	mu       sync.Mutex
	waiters  []*waiter
	onStanza func(*client, *pxmpp.Element) // called on the client's read goroutine: must not block
	done     chan struct{}
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
	conn, err := (&net.Dialer{}).DialContext(ctx, "tcp", c2s)
	if err != nil {
		return nil, fmt.Errorf("dial %s: %w", c2s, err)
	}
	origin, err := jid.Parse(host)
	mech := sasl.Anonymous
	if err == nil && user != "" {
		origin, err = jid.New(user, host, "")
		mech = sasl.Plain
	}
	if err != nil {
		conn.Close()
		return nil, fmt.Errorf("login %s@%s: %w", user, host, err)
	}
	// The test bed's Prosody offers no TLS on loopback: start as Secure so
	// that mellium offers SASL at once.
	sess, err := xmpp.NewSession(ctx, origin.Domain(), origin, conn, xmpp.Secure, xmpp.NewNegotiator(
		func(*xmpp.Session, *xmpp.StreamConfig) xmpp.StreamConfig {
			return xmpp.StreamConfig{Features: []xmpp.StreamFeature{
				xmpp.SASL("", password, mech), xmpp.BindResource(),
			}}
		}))
	if err != nil {
		conn.Close()
		return nil, fmt.Errorf("login %s@%s: %w", user, host, err)
	}
	c := &client{name: user, sess: sess, JID: sess.LocalAddr(), l: l, done: make(chan struct{})}
	if user == "" {
		c.name = "visitor"
	}
	go func() {
		defer close(c.done)
		defer conn.Close()
		_ = sess.Serve(xmpp.HandlerFunc(func(r xmlstream.TokenReadEncoder, start *xml.StartElement) error {
			el, err := pxmpp.Decode(*start, r)
			if err != nil {
				return err
			}
			c.dispatch(el)
			return nil
		}))
	}()
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
		err = fmt.Errorf("%s (%s) got no %s within %v", c.name, c.JID, what, d)
	case <-c.done:
		err = fmt.Errorf("%s (%s) lost its connection waiting for %s", c.name, c.JID, what)
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
	s := fmt.Sprintf(format, args...)
	els, err := pxmpp.Parse(s)
	if err != nil || len(els) != 1 {
		return fmt.Errorf("bad stanza %q: %v", s, err)
	}
	return c.send(ctx, els[0].TokenReader())
}

func (c *client) send(ctx context.Context, r xml.TokenReader) error {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := c.sess.Send(ctx, r); err != nil {
		return fmt.Errorf("%s (%s) send: %w", c.name, c.JID, err)
	}
	return nil
}

var (
	nameMessage = xml.Name{Local: "message"}
	nameBody    = xml.Name{Local: "body"}
)

// sendBody sends a message with only a body: the hot path, built as tokens.
// ctx must carry a deadline (it bounds the write).
func (c *client) sendBody(ctx context.Context, to, typ, body string) error {
	start := xml.StartElement{Name: nameMessage, Attr: []xml.Attr{
		{Name: xml.Name{Local: "to"}, Value: to},
		{Name: xml.Name{Local: "type"}, Value: typ},
	}}
	r := xmlstream.Wrap(xmlstream.Wrap(xmlstream.Token(xml.CharData(body)), xml.StartElement{Name: nameBody}), start)
	if err := c.sess.Send(ctx, r); err != nil {
		return fmt.Errorf("%s (%s) send: %w", c.name, c.JID, err)
	}
	return nil
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
		return el, fmt.Errorf("%s: IQ to %s answered %s", c.name, to, describeError(el))
	}
	return el, nil
}

// joinRoom enters room as nick with no history and waits for the self-presence.
func (c *client) joinRoom(ctx context.Context, d time.Duration, room, nick string) error {
	occupant := room + "/" + nick
	w := c.expect(func(e *pxmpp.Element) bool {
		return e.Name.Local == "presence" && e.Get("from") == occupant && (e.Get("type") == "error" || hasStatus(e, "110"))
	})
	if err := c.sendXML(ctx, `<presence xmlns='jabber:client' to='%s'><x xmlns='http://jabber.org/protocol/muc'><history maxstanzas='0'/></x></presence>`, xmlEscape(occupant)); err != nil {
		return err
	}
	el, err := c.await(ctx, w, d, "self-presence in "+room)
	if err != nil {
		return err
	}
	if el.Get("type") == "error" {
		return fmt.Errorf("%s could not join %s: %s", c.name, room, describeError(el))
	}
	return nil
}

// close ends the stream and the connection, waiting a moment for the server.
func (c *client) close() {
	// Not SetCloseDeadline: it races with Serve.
	_ = c.sess.Close()
	select {
	case <-c.done:
	case <-time.After(2 * time.Second):
	}
	_ = c.sess.Conn().Close()
}

func hasStatus(e *pxmpp.Element, code string) bool {
	x := e.Child("http://jabber.org/protocol/muc#user", "x")
	if x == nil {
		return false
	}
	for _, s := range x.ChildrenNamed("", "status") {
		if s.Get("code") == code {
			return true
		}
	}
	return false
}

// describeError names the error condition of a stanza, with its text.
func describeError(e *pxmpp.Element) string {
	er := e.Child("", "error")
	if er == nil {
		return "type " + e.Get("type")
	}
	cond, text := "", ""
	for _, ch := range er.Children {
		if ch.Name.Space != "urn:ietf:params:xml:ns:xmpp-stanzas" {
			continue
		}
		if ch.Name.Local == "text" {
			text = ch.Text
		} else {
			cond = ch.Name.Local
		}
	}
	if text != "" {
		return cond + " (" + text + ")"
	}
	return cond
}

func xmlEscape(s string) string {
	var b strings.Builder
	_ = xml.EscapeText(&b, []byte(s))
	return strings.ReplaceAll(b.String(), "'", "&#39;")
}
