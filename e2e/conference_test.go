package e2e

import (
	"fmt"
	"strings"
	"testing"
	"time"

	pxmpp "github.com/parley-chat/parley/xmpp"
)

// Through the real server: a conferenced agent joins as moderator and sees
// comments; <history maxstanzas/> is honoured; a visitor reconnecting to a
// suspended session whose owner is not in the room brings the owner a
// mediated invitation as well as the notice.
func TestConferenceHistoryAndReconnectInvitation(t *testing.T) {
	p := startParley(t)
	a := newAgent(t, p, "agent1")
	b := newAgent(t, p, "agent2")
	c := openChat(t, p, a, "Abe", "")
	for i := 1; i <= 3; i++ {
		say(c.v, c.room, fmt.Sprintf("line %d", i))
		a.expect("line", isMsg(c.room+"/Abe", fmt.Sprintf("line %d", i)))
	}
	a.iq("set", c.room, `<comment xmlns='urn:parley:chat:0'>for agents</comment>`)

	a.send(`<message xmlns='jabber:client' to='%s'><x xmlns='http://jabber.org/protocol/muc#user'><invite to='%s'/></x></message>`, c.room, p.agentJID("agent2"))
	b.expect("the invitation", func(e *pxmpp.Element) bool { return e.Get("from") == c.room && e.Child(nsParley, "conference") != nil })
	// Join asking for one line of history only.
	b.send(`<presence xmlns='jabber:client' to='%s/Bo'><x xmlns='http://jabber.org/protocol/muc'><history maxstanzas='1'/></x></presence>`, c.room)
	self := b.expect("self-presence", func(e *pxmpp.Element) bool {
		return e.Name.Local == "presence" && e.Get("from") == c.room+"/Bo" && hasStatus(e, "110")
	})
	if item := self.Child("http://jabber.org/protocol/muc#user", "x").Child("", "item"); item.Get("role") != "moderator" || item.Get("affiliation") != "admin" {
		t.Fatalf("conferenced agent's item: %s", self)
	}
	b.expect("the one history line: the comment", isMsg(c.room+"/Agent", "for agents"))
	b.never("older history", 300*time.Millisecond, isMsg(c.room+"/Abe", "line"))
	c.v.expect("conference event", func(e *pxmpp.Element) bool {
		return isEvent(c.room, "conference")(e) && eventAttr(e, "agent") == "Bo"
	})

	// The owner leaves the room and suspends from outside; the visitor comes back.
	a.send(`<presence xmlns='jabber:client' type='unavailable' to='%s/Agent'/>`, c.room)
	if r := a.iq("set", c.room, `<suspend xmlns='urn:parley:chat:0'/>`); r.Get("type") != "result" {
		t.Fatalf("suspend from outside the room: %s", r)
	}
	c.v.expect("suspended", isEvent(c.room, "suspended"))
	c.v.drop()
	yes(t, p, p.visitor(), c.sid, c.token)
	a.expect("notice", func(e *pxmpp.Element) bool {
		return e.Get("type") == "headline" && e.Child(nsParley, "reconnected") != nil
	})
	inv := a.expect("a mediated invitation back", func(e *pxmpp.Element) bool {
		x := e.Child("http://jabber.org/protocol/muc#user", "x")
		return e.Get("from") == c.room && x != nil && x.Child("", "invite") != nil
	})
	if !strings.Contains(inv.String(), "reconnected") {
		t.Fatalf("invitation: %s", inv)
	}
}
