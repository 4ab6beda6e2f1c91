package e2e

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	pxmpp "github.com/parley-chat/parley/xmpp"
)

// RFC 6121 3.1: the agent's server sends a roster subscription request from the
// agent's bare JID (3.1.2); the service approves it, subscribes back and sends
// its current presence (3.1.5) at once, so the agent sees the service online
// without waiting for its server to probe. On every server of the test bed.
func TestRosterSubscribeFromBareJIDGetsPresence(t *testing.T) {
	p := startParley(t)
	p.grant(p.agentJID("agent6"), "chat")
	a := p.agent("agent6")
	a.iq("get", "", `<query xmlns='jabber:iq:roster'/>`)
	a.send(`<presence xmlns='jabber:client'/>`)
	subscribe(p, a)
	a.expect("the service subscribing back", isPresence(p.Domain, "subscribe"))
	// Before the agent approves anything: the service's own presence.
	a.expect("the service's current presence", isPresence(p.Domain, ""))
	if bare := p.agentJID("agent6"); !sawSubscribeFrom(p, bare) {
		t.Fatalf("the server did not send the subscribe from the bare JID %s; parleyd saw:\n%s", bare, p.output())
	}
	// Approving the service's request signs the agent in.
	a.send(`<presence xmlns='jabber:client' type='subscribed' to='%s'/>`, p.Domain)
	eventually(t, "agent counted online", func() bool { return p.metric("parley_agents_online") == 1 })
	v := p.visitor()
	s := request(p, v, "", `<visitor name='Sub'/>`)
	a.expect("an offer", isOffer(s.Get("room")))
}

// subscribe adds the service to c's roster (from an empty roster item: the
// servers keep rosters between runs) and waits for `subscribed`. A grant reaches
// parleyd through a Postgres notification a moment after it is written, so an
// `unsubscribed` is retried for a while.
func subscribe(p *parley, c *client) {
	c.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		c.iq("set", "", fmt.Sprintf(`<query xmlns='jabber:iq:roster'><item jid='%s' subscription='remove'/></query>`, p.Domain))
		c.send(`<presence xmlns='jabber:client' type='subscribe' to='%s'/>`, p.Domain)
		e := c.expect("an answer to subscribe", func(e *pxmpp.Element) bool {
			return e.Name.Local == "presence" && e.Get("from") == p.Domain && (e.Get("type") == "subscribed" || e.Get("type") == "unsubscribed")
		})
		if e.Get("type") == "subscribed" {
			return
		}
		if time.Now().After(deadline) {
			c.t.Fatalf("%s: subscription refused: %s", c.name, e)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// sawSubscribeFrom says whether parleyd logged (at debug level) an incoming
// subscribe from exactly bare.
func sawSubscribeFrom(p *parley, bare string) bool {
	for _, line := range strings.Split(p.output(), "\n") {
		_, quoted, ok := strings.Cut(line, "msg=in stanza=")
		if !ok {
			continue
		}
		raw, err := strconv.Unquote(quoted)
		if err != nil {
			continue
		}
		els, err := pxmpp.Parse(raw)
		if err != nil || len(els) != 1 {
			continue
		}
		if el := els[0]; el.Name.Local == "presence" && el.Get("type") == "subscribe" && el.Get("from") == bare {
			return true
		}
	}
	return false
}
