package main

import (
	"context"
	"fmt"
	"net"
	"sync/atomic"
	"time"

	"github.com/parley-chat/parley/internal/xmpptest"
	pxmpp "github.com/parley-chat/parley/xmpp"
)

const nsComponent = "jabber:component:accept"

// startEcho connects a trivial XEP-0114 component as domain: every message
// sent to it goes back to its sender, from the component. stop ends it.
// meter, when not nil, counts what the component writes, and sent the
// stanzas it sends back.
func startEcho(ctx context.Context, addr, domain, secret string, meter *pxmpp.WireMeter, sent *atomic.Uint64, logf func(string, ...any)) (stop func(), err error) {
	if addr == "" || secret == "" || domain == "" {
		return nil, fmt.Errorf("echo needs --xmpp-addr, --secret and --echo-domain")
	}
	hctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	conn, err := (&net.Dialer{}).DialContext(hctx, "tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("echo: dial %s: %w", addr, err)
	}
	c, err := xmpptest.ComponentOver(hctx, meter.Wrap(conn), domain, secret)
	if err != nil {
		return nil, fmt.Errorf("echo: %w", err)
	}
	// IQs are answered by mellium (service-unavailable), errors dropped.
	c.Start(func(el *pxmpp.Element) {
		if el.Name.Local != "message" || el.Get("type") == "error" {
			return
		}
		from, to := el.Get("from"), el.Get("to")
		el.Set("from", to).Set("to", from)
		if err := c.Send(context.Background(), el.Strip(nsComponent).TokenReader()); err != nil {
			logf("echo component: %v", err)
			return
		}
		sent.Add(1)
	})
	go func() {
		if err := c.Err(); err != nil {
			logf("echo component: %v", err)
		}
	}()
	return func() { c.Close(3 * time.Second) }, nil
}
