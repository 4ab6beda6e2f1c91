package e2e

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/parley-chat/parley/sessions"
	pxmpp "github.com/parley-chat/parley/xmpp"
)

// A visitor's javascript: link (jabber:x:oob) is refused with not-acceptable
// through the real Prosody and never reaches the agent or the transcript as
// a link; an https link does.
func TestUnsafeLinkNotRelayed(t *testing.T) {
	p := startParley(t)
	p.grant(p.agentJID("agent8"), "chat")
	a := p.agent("agent8")
	signIn(p, a, "")
	c := openChat(t, p, a, "Lin", "")
	c.v.send(`<message xmlns='jabber:client' type='groupchat' to='%s' id='js'><body>click</body><x xmlns='jabber:x:oob'><url>javascript:alert(1)</url></x></message>`, c.room)
	e := c.v.expect("the refusal", func(e *pxmpp.Element) bool {
		return e.Name.Local == "message" && e.Get("id") == "js" && e.Get("type") == "error"
	})
	if errorCondition(e) != "not-acceptable" || !strings.Contains(errorText(e), "http, https and mailto") {
		t.Errorf("javascript: link answered with %s", e)
	}
	c.v.send(`<message xmlns='jabber:client' type='groupchat' to='%s' id='ok'><body>order</body><x xmlns='jabber:x:oob'><url>https://shop.example/order/42</url></x></message>`, c.room)
	got := a.expect("the https link", isMsg(c.room+"/Lin", "order"))
	if x := got.Child("jabber:x:oob", "x"); x == nil || x.Child("jabber:x:oob", "url") == nil || x.Child("jabber:x:oob", "url").Text != "https://shop.example/order/42" {
		t.Errorf("the https link arrived as %s", got)
	}
	a.never("the javascript: link", 300*time.Millisecond, func(e *pxmpp.Element) bool { return strings.Contains(e.String(), "javascript:") })
	entries, _, _, err := p.store.Transcript(context.Background(), sessions.Query{Session: c.sid})
	if err != nil {
		t.Fatal(err)
	}
	for _, entry := range entries {
		if strings.Contains(entry.Body+entry.Payload, "javascript:") {
			t.Errorf("the transcript kept %+v", entry)
		}
	}
}
