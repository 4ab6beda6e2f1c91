package xmpptest

import (
	"context"
	"fmt"
	"net"

	pxmpp "github.com/parley-chat/parley/xmpp"
	"mellium.im/xmpp"

	"mellium.im/xmpp/component"
	"mellium.im/xmpp/jid"
)

// ComponentOver is Component over a connection the caller dialled (and may
// have wrapped, e.g. to count what is written: parleyload's echo). On
// failure conn is closed.
func ComponentOver(ctx context.Context, conn net.Conn, domain, secret string) (*Conn, error) {
	j, err := jid.Parse(domain)
	if err != nil {
		conn.Close()
		return nil, fmt.Errorf("component domain %q: %w", domain, err)
	}
	conn = pxmpp.WriteBound(conn, writeBound)
	var sess *xmpp.Session
	err = pxmpp.Handshake(ctx, conn, handshakeBound(ctx), func(hctx context.Context) (err error) {
		sess, err = component.NewSession(hctx, j, []byte(secret), conn)
		return err
	})
	if err != nil {
		conn.Close()
		return nil, fmt.Errorf("component %s: %w", domain, err)
	}
	return &Conn{Name: domain, Session: sess, JID: j, done: make(chan struct{})}, nil
}
