package e2e

import (
	"fmt"
	"strings"
	"testing"

	pxmpp "github.com/parley-chat/parley/xmpp"
)

// mam runs a XEP-0313 query on room and returns the bodies of the results and the <fin/>.
func mam(t *testing.T, c *client, room, form, set string) ([]string, *pxmpp.Element) {
	t.Helper()
	qid := fmt.Sprintf("m%d", len(c.log))
	r := c.iq("set", room, fmt.Sprintf(`<query xmlns='urn:xmpp:mam:2' queryid='%s'>%s%s</query>`, qid, form, set))
	if r.Get("type") != "result" {
		return nil, r
	}
	var bodies []string
	c.mu.Lock()
	for i, e := range c.log {
		res := e.Child("urn:xmpp:mam:2", "result")
		if e.Name.Local != "message" || res == nil || res.Get("queryid") != qid {
			continue
		}
		c.used[i] = true
		m := res.Child("urn:xmpp:forward:0", "forwarded").Child("jabber:client", "message")
		if m == nil {
			c.mu.Unlock()
			t.Fatalf("archived message not in jabber:client: %s", e)
		}
		if b := m.Child("", "body"); b != nil {
			bodies = append(bodies, b.Text)
		}
	}
	c.mu.Unlock()
	return bodies, r.Child("urn:xmpp:mam:2", "fin")
}

func tokenForm(token string) string {
	return `<x xmlns='jabber:x:data' type='submit'><field var='FORM_TYPE' type='hidden'><value>urn:xmpp:mam:2</value></field>` +
		`<field var='token'><value>` + token + `</value></field></x>`
}

func TestArchiveQueries(t *testing.T) {
	p := startParley(t)
	// Granted before the agent signs in: once the agent's grant has reached
	// parleyd (signIn waits for it), this one has too.
	p.grant(p.agentJID("super"), "supervise")
	a := newAgent(t, p, "agent9")
	sup := p.agent("super")
	c := openChat(t, p, a, "Yan", "")
	for i := 1; i <= 5; i++ {
		say(c.v, c.room, fmt.Sprintf("v%d", i))
		c.v.expect("reflection", isMsg(c.room+"/Yan", fmt.Sprintf("v%d", i)))
	}
	a.iq("set", c.room, `<comment xmlns='urn:parley:chat:0'>secret note</comment>`)
	if r := a.iq("set", c.room, `<close xmlns='urn:parley:chat:0'/>`); r.Get("type") != "result" {
		t.Fatalf("close: %s", r)
	}
	c.v.expect("closed", isEvent(c.room, "closed"))

	// The agent reads everything of the closed room, comments included.
	all, fin := mam(t, a, c.room, "", "")
	joined := strings.Join(all, "|")
	if !strings.Contains(joined, "question of Yan|") || !strings.Contains(joined, "|v1|v2|v3|v4|v5|") || !strings.Contains(joined, "secret note") || fin.Get("complete") != "true" {
		t.Fatalf("agent archive: %q %s", joined, fin)
	}
	// Paging: two at a time, then the next page after the last id.
	page, fin := mam(t, a, c.room, "", `<set xmlns='http://jabber.org/protocol/rsm'><max>2</max></set>`)
	if len(page) != 2 || fin.Get("complete") == "true" {
		t.Fatalf("first page: %v %s", page, fin)
	}
	last := fin.Child("http://jabber.org/protocol/rsm", "set").Child("", "last").Text
	next, _ := mam(t, a, c.room, "", `<set xmlns='http://jabber.org/protocol/rsm'><max>2</max><after>`+last+`</after></set>`)
	if len(next) != 2 || next[0] == page[1] {
		t.Fatalf("next page: %v after %v", next, page)
	}
	// The supervisor too.
	if sall, _ := mam(t, sup, c.room, "", ""); len(sall) != len(all) {
		t.Fatalf("supervisor archive: %v", sall)
	}
	// The visitor, from a new connection, with the token: all but comments.
	vall, _ := mam(t, p.visitor(), c.room, tokenForm(c.token), "")
	if strings.Contains(strings.Join(vall, "|"), "secret note") || len(vall) != len(all)-1 {
		t.Fatalf("visitor archive: %v", vall)
	}
	// Anyone else: nothing, not even that the room exists.
	for name, cl := range map[string]*client{"stranger": p.visitor(), "another agent": newAgent(t, p, "agent10")} {
		_, r := mam(t, cl, c.room, tokenForm("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"), "")
		if errorCondition(r) != "item-not-found" {
			t.Fatalf("%s: %s", name, r)
		}
	}
}
