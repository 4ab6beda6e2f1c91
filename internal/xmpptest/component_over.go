package xmpptest

import (
	"context"
	"fmt"
	"net"

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
	sess, err := component.NewSession(ctx, j, []byte(secret), conn)
	if err != nil {
		conn.Close()
		return nil, fmt.Errorf("component %s: %w", domain, err)
	}
	return &Conn{Name: domain, Session: sess, JID: j, done: make(chan struct{})}, nil
}
