package main

import (
	"context"
	"fmt"
	"time"

	"github.com/parley-chat/parley/internal/xmpptest"
	pxmpp "github.com/parley-chat/parley/xmpp"
)

// The day scenario's sends go through these, never with a context that ends
// right after the send. mellium bounds a Send by its context with a goroutine
// that, once the context is done, sets the connection's write deadline in
// the past and clears it again; when the caller cancels its context just
// after Send returned, that goroutine may still pick the cancellation and
// cut a write of another goroutine on the same connection short with "i/o
// timeout", which breaks the stream (seen with 4 joins at once per agent
// connection, 2,500 connections, a busy machine). Sends here use a context
// that is never done; what waits for an answer is bounded by its own timer.

// daySend sends one stanza written as XML text on c.
func daySend(c *client, format string, args ...any) error {
	return c.Conn.SendXML(context.Background(), format, args...)
}

// dayIQ is client.iq through daySend.
func dayIQ(ctx context.Context, c *client, d time.Duration, typ, to, payload string) (*pxmpp.Element, error) {
	id := c.l.nextID("iq")
	w := c.expect(func(e *pxmpp.Element) bool { return e.Name.Local == "iq" && e.Get("id") == id })
	if err := daySend(c, `<iq xmlns='jabber:client' type='%s' to='%s' id='%s'>%s</iq>`, typ, xmlEscape(to), id, payload); err != nil {
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

// dayJoin is client.joinRoom through daySend.
func dayJoin(ctx context.Context, c *client, d time.Duration, room, nick string) error {
	occupant := room + "/" + nick
	w := c.expect(func(e *pxmpp.Element) bool {
		return e.Name.Local == "presence" && e.Get("from") == occupant && (e.Get("type") == "error" || xmpptest.HasStatus(e, "110"))
	})
	if err := daySend(c, `<presence xmlns='jabber:client' to='%s'><x xmlns='http://jabber.org/protocol/muc'><history maxstanzas='0'/></x></presence>`, xmlEscape(occupant)); err != nil {
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

// dayLogin is login with the same care: the negotiation's context is never
// cancelled once it succeeded (mellium's deadline goroutine would otherwise
// cut the first read short), only when it takes longer than 15 s.
func dayLogin(l *loader, c2s, user, host, password string) (*client, error) {
	ctx, cancel := context.WithCancel(context.Background())
	t := time.AfterFunc(15*time.Second, cancel)
	conn, err := xmpptest.Login(ctx, c2s, user, host, password)
	if !t.Stop() || err != nil {
		cancel()
		if err == nil {
			conn.Close(0)
			err = fmt.Errorf("login %s@%s: took more than 15s", user, host)
		}
		return nil, err
	}
	c := &client{Conn: conn, l: l}
	conn.Start(c.dispatch)
	return c, nil
}
