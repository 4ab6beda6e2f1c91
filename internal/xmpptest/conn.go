package xmpptest

import (
	"context"
	"encoding/xml"
	"fmt"
	"net"
	"time"

	pxmpp "github.com/parley-chat/parley/xmpp"
	"mellium.im/sasl"
	"mellium.im/xmlstream"
	"mellium.im/xmpp"
	"mellium.im/xmpp/jid"
)

// writeBound bounds each write of a test client: a server that stopped
// reading fails the send instead of hanging the test.
const writeBound = 10 * time.Second

// handshakeBound is ctx's time left, or 15 s when ctx has no deadline.
func handshakeBound(ctx context.Context) time.Duration {
	if t, ok := ctx.Deadline(); ok {
		return time.Until(t)
	}
	return 15 * time.Second
}

// Conn is one real XMPP client (mellium) logged in over c2s, or a component
// (Component).
type Conn struct {
	// Name is the user's localpart, or "visitor" for an anonymous login.
	Name    string
	JID     jid.JID // the full JID the server bound
	Session *xmpp.Session

	done chan struct{}
	err  error // Serve's, once done is closed
}

// Login dials c2s and logs in with password as user@host, or anonymously to
// host when user is "". ctx bounds the dial and the negotiation. Nothing is
// read until Start.
func Login(ctx context.Context, c2s, user, host, password string) (*Conn, error) {
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
	// The test bed's servers offer no TLS on loopback: start as Secure so
	// that mellium offers SASL at once.
	conn = pxmpp.WriteBound(conn, writeBound)
	var sess *xmpp.Session
	err = pxmpp.Handshake(ctx, conn, handshakeBound(ctx), func(hctx context.Context) (err error) {
		sess, err = xmpp.NewSession(hctx, origin.Domain(), origin, conn, xmpp.Secure, xmpp.NewNegotiator(
			func(*xmpp.Session, *xmpp.StreamConfig) xmpp.StreamConfig {
				return xmpp.StreamConfig{Features: []xmpp.StreamFeature{
					xmpp.SASL("", password, mech), xmpp.BindResource(),
				}}
			}))
		return err
	})
	if err != nil {
		conn.Close()
		return nil, fmt.Errorf("login %s@%s: %w", user, host, err)
	}
	c := &Conn{Name: user, Session: sess, JID: sess.LocalAddr(), done: make(chan struct{})}
	if user == "" {
		c.Name = "visitor"
	}
	return c, nil
}

// Component connects to addr as the XEP-0114 component domain with secret:
// a stand-in for a service (parleyload's echo baseline). ctx bounds the dial
// and the handshake. Nothing is read until Start.
func Component(ctx context.Context, addr, domain, secret string) (*Conn, error) {
	conn, err := (&net.Dialer{}).DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("component %s: dial %s: %w", domain, addr, err)
	}
	return ComponentOver(ctx, conn, domain, secret)
}

// Start reads the stream on a goroutine of its own: each stanza, decoded whole,
// goes to handle (which must not block for long: it holds up the next one).
// When the stream ends the connection is closed and Done is closed.
func (c *Conn) Start(handle func(*pxmpp.Element)) {
	go func() {
		defer close(c.done)
		defer c.Session.Conn().Close()
		c.err = c.Session.Serve(xmpp.HandlerFunc(func(r xmlstream.TokenReadEncoder, start *xml.StartElement) error {
			el, err := pxmpp.Decode(*start, r)
			if err != nil {
				return err
			}
			handle(el)
			return nil
		}))
	}()
}

// Done is closed when the stream has ended (after Start).
func (c *Conn) Done() <-chan struct{} { return c.done }

// Err is why the stream ended (nil for a clean close); read it after Done.
func (c *Conn) Err() error {
	<-c.done
	return c.err
}

// Send writes one stanza given as tokens.
//
// ctx is checked before the send; the write itself is bounded by the
// connection's per-write bound, not by ctx (mellium would otherwise cut a
// concurrent write short once ctx ends: see pxmpp.Handshake).
func (c *Conn) Send(ctx context.Context, r xml.TokenReader) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("%s (%s) send: %w", c.Name, c.JID, err)
	}
	if err := c.Session.Send(context.WithoutCancel(ctx), r); err != nil {
		return fmt.Errorf("%s (%s) send: %w", c.Name, c.JID, err)
	}
	return nil
}

// SendXML writes one stanza written as XML text (format and args as for
// fmt.Sprintf): set-up, teardown and test stanzas. Escape the values put into
// attributes with Escape.
func (c *Conn) SendXML(ctx context.Context, format string, args ...any) error {
	s := fmt.Sprintf(format, args...)
	els, err := pxmpp.Parse(s)
	if err != nil || len(els) != 1 {
		return fmt.Errorf("bad stanza %q: %v", s, err)
	}
	return c.Send(ctx, els[0].TokenReader())
}

var (
	nameMessage = xml.Name{Local: "message"}
	nameBody    = xml.Name{Local: "body"}
	nameTo      = xml.Name{Local: "to"}
	nameType    = xml.Name{Local: "type"}
)

// SendBody sends a message with only a body, built as tokens (the hot path
// of a load run). ctx should carry a deadline: it bounds the write.
func (c *Conn) SendBody(ctx context.Context, to, typ, body string) error {
	start := xml.StartElement{Name: nameMessage, Attr: []xml.Attr{{Name: nameTo, Value: to}, {Name: nameType, Value: typ}}}
	return c.Send(ctx, xmlstream.Wrap(xmlstream.Wrap(xmlstream.Token(xml.CharData(body)), xml.StartElement{Name: nameBody}), start))
}

// Close ends the stream, waits up to wait for the server to end its side
// (after Start), and closes the connection.
func (c *Conn) Close(wait time.Duration) {
	// Not SetCloseDeadline: it races with Serve.
	_ = c.Session.Close()
	if wait > 0 {
		select {
		case <-c.done:
		case <-time.After(wait):
		}
	}
	_ = c.Session.Conn().Close()
}

// Drop cuts the TCP connection without closing the stream (a crash, a lost
// network).
func (c *Conn) Drop() { _ = c.Session.Conn().Close() }
