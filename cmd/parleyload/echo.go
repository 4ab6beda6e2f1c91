package main

import (
	"context"
	"encoding/xml"
	"fmt"
	"net"
	"time"

	pxmpp "github.com/parley-chat/parley/xmpp"
	"mellium.im/xmlstream"
	"mellium.im/xmpp"
	"mellium.im/xmpp/component"
	"mellium.im/xmpp/jid"
)

const nsComponent = "jabber:component:accept"

// startEcho connects a trivial XEP-0114 component as domain: every message
// sent to it goes back to its sender, from the component. stop ends it.
func startEcho(ctx context.Context, addr, domain, secret string, logf func(string, ...any)) (stop func(), err error) {
	if addr == "" || secret == "" || domain == "" {
		return nil, fmt.Errorf("echo needs --xmpp-addr, --secret and --echo-domain")
	}
	j, err := jid.Parse(domain)
	if err != nil {
		return nil, fmt.Errorf("--echo-domain: %w", err)
	}
	hctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	conn, err := (&net.Dialer{}).DialContext(hctx, "tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("echo component: dial %s: %w", addr, err)
	}
	sess, err := component.NewSession(hctx, j, []byte(secret), conn)
	if err != nil {
		conn.Close()
		return nil, fmt.Errorf("echo component %s: %w", domain, err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		err := sess.Serve(xmpp.HandlerFunc(func(t xmlstream.TokenReadEncoder, start *xml.StartElement) error {
			if start.Name.Local != "message" {
				return nil // mellium answers IQs with service-unavailable
			}
			el, err := pxmpp.Decode(*start, t)
			if err != nil {
				return err
			}
			if el.Get("type") == "error" {
				return nil
			}
			from, to := el.Get("from"), el.Get("to")
			el.Set("from", to).Set("to", from)
			// The element is read whole, so the handler may write its answer.
			_, err = xmlstream.Copy(t, el.Strip(nsComponent).TokenReader())
			return err
		}))
		if err != nil {
			logf("echo component: %v", err)
		}
	}()
	return func() {
		// Not SetCloseDeadline: it races with Serve.
		_ = sess.Close()
		select {
		case <-done:
		case <-time.After(3 * time.Second):
		}
		_ = conn.Close()
	}, nil
}
