package e2e

import (
	"fmt"
	"strings"
	"testing"

	pxmpp "github.com/parley-chat/parley/xmpp"
)

// Every IQ of the suspend/resume/reconnect protocol against its bad inputs
// (PROTOCOL 9): malformed, wrong token, unknown session, not entitled,
// oversized. The session stays usable afterwards.
func TestBadInputPerIQ(t *testing.T) {
	p := startParley(t, "--max-body", "200")
	a := newAgent(t, p, "agent11")
	c := openChat(t, p, a, "Zoe", "")
	stranger := p.visitor()
	other := newAgent(t, p, "agent12")
	unknown := "aaaaaaaaaaaaaaaaaaaaaaaaaa@" + p.Domain
	big := strings.Repeat("x", 201)
	cases := []struct {
		name       string
		from       *client
		to         string
		payload    string
		cond, text string
	}{
		{"suspend: unknown cause", a, c.room, `<suspend xmlns='urn:parley:chat:0' cause='Lunch'/>`, "bad-request", "Lunch"},
		{"suspend: unknown session", a, unknown, `<suspend xmlns='urn:parley:chat:0'/>`, "item-not-found", ""},
		{"suspend: stranger", stranger, c.room, `<suspend xmlns='urn:parley:chat:0'/>`, "item-not-found", ""},
		{"resume: visitor", c.v, c.room, `<resume xmlns='urn:parley:chat:0'/>`, "forbidden", ""},
		{"resume: another agent", other, c.room, `<resume xmlns='urn:parley:chat:0'/>`, "item-not-found", ""},
		{"close: stranger", stranger, c.room, `<close xmlns='urn:parley:chat:0'/>`, "item-not-found", ""},
		{"close: unknown session", c.v, unknown, `<close xmlns='urn:parley:chat:0'/>`, "item-not-found", ""},
		{"comment: oversized", a, c.room, `<comment xmlns='urn:parley:chat:0'>` + big + `</comment>`, "bad-request", "200"},
		{"comment: empty", a, c.room, `<comment xmlns='urn:parley:chat:0'/>`, "bad-request", ""},
		{"comment: visitor", c.v, c.room, `<comment xmlns='urn:parley:chat:0'>hi</comment>`, "forbidden", ""},
		{"canned: no id", a, c.room, `<canned xmlns='urn:parley:chat:0'/>`, "bad-request", "id"},
		{"canned: unknown id", a, c.room, `<canned xmlns='urn:parley:chat:0' id='nope'/>`, "item-not-found", "nope"},
		{"canned: visitor", c.v, c.room, `<canned xmlns='urn:parley:chat:0' id='nope'/>`, "forbidden", ""},
		{"canned list: visitor", c.v, p.Domain, `<canned xmlns='urn:parley:chat:0'/>`, "forbidden", ""},
		{"reconnect: malformed", stranger, p.Domain, `<reconnect xmlns='urn:parley:chat:0' token='x'/>`, "bad-request", "session"},
		{"reconnect: wrong token", stranger, p.Domain, fmt.Sprintf(`<reconnect xmlns='urn:parley:chat:0' session='%s' token='%s'/>`, c.sid, otherToken(c.token)), "not-authorized", ""},
		{"reconnect: unknown session", stranger, p.Domain, fmt.Sprintf(`<reconnect xmlns='urn:parley:chat:0' session='nope' token='%s'/>`, c.token), "item-not-found", ""},
		{"request: oversized body", stranger, p.Domain, `<request xmlns='urn:parley:chat:0'><body>` + big + `</body></request>`, "bad-request", "body"},
		{"request to a room", stranger, c.room, `<request xmlns='urn:parley:chat:0'/>`, "service-unavailable", ""},
		{"unknown payload to a room", stranger, c.room, `<foo xmlns='urn:example:foo'/>`, "service-unavailable", ""},
		{"unknown payload to an unknown room", stranger, unknown, `<foo xmlns='urn:example:foo'/>`, "service-unavailable", ""},
		{"command: malformed action", a, c.room, `<command xmlns='http://jabber.org/protocol/commands' node='resume' action='dance'/>`, "bad-request", "dance"},
		{"mam: bad start", a, c.room, `<query xmlns='urn:xmpp:mam:2'><x xmlns='jabber:x:data' type='submit'><field var='start'><value>yesterday</value></field></x></query>`, "bad-request", "start"},
	}
	for _, tc := range cases {
		typ := "set"
		if strings.HasPrefix(tc.name, "canned list") {
			typ = "get"
		}
		r := tc.from.iq(typ, tc.to, tc.payload)
		if r.Get("type") != "error" || errorCondition(r) != tc.cond || !strings.Contains(errorText(r), tc.text) {
			t.Errorf("%s: got %s", tc.name, r)
		}
	}
	// Bad presence and messages.
	stranger.send(`<presence xmlns='jabber:client' to='%s'><x xmlns='http://jabber.org/protocol/muc'/></presence>`, c.room)
	if e := stranger.expect("a join without nick refused", isPresence(c.room, "error")); errorCondition(e) != "jid-malformed" {
		t.Errorf("join without nick: %s", e)
	}
	a.send(`<presence xmlns='jabber:client' to='%s'><agent xmlns='urn:parley:chat:0' max-chats='many'/></presence>`, p.Domain)
	if e := a.expect("bad max-chats", isPresence(p.Domain, "error")); errorCondition(e) != "bad-request" {
		t.Errorf("bad max-chats: %s", e)
	}
	say(c.v, c.room, big)
	if e := c.v.expect("oversized message", func(e *pxmpp.Element) bool { return e.Name.Local == "message" && e.Get("type") == "error" }); errorCondition(e) != "bad-request" {
		t.Errorf("oversized message: %s", e)
	}
	c.v.send(`<message xmlns='jabber:client' type='groupchat' to='%s/Agent'><body>psst</body></message>`, c.room)
	if e := c.v.expect("private message refused", func(e *pxmpp.Element) bool { return e.Name.Local == "message" && e.Get("type") == "error" }); errorCondition(e) != "not-allowed" {
		t.Errorf("private message: %s", e)
	}
	// A pretty-printed stanza (text between children) is an ordinary message.
	c.v.send("<message xmlns='jabber:client' type='groupchat' to='%s'>\n  <body>spaced out</body>\n</message>", c.room)
	a.expect("a pretty-printed message", isMsg(c.room+"/Zoe", "spaced out"))
	// After all that, the session works.
	say(c.v, c.room, "still fine")
	a.expect("a normal message", isMsg(c.room+"/Zoe", "still fine"))
}
