package e2e

import (
	"strings"
	"testing"
	"time"
)

// run executes a service command with a submitted form given as field, value pairs.
func runCommand(c *client, to, node string, fields ...string) string {
	var form strings.Builder
	if len(fields) > 0 {
		form.WriteString(`<x xmlns='jabber:x:data' type='submit'>`)
		for i := 0; i+1 < len(fields); i += 2 {
			form.WriteString(`<field var='` + fields[i] + `'><value>` + fields[i+1] + `</value></field>`)
		}
		form.WriteString(`</x>`)
	}
	r := c.iq("set", to, `<command xmlns='http://jabber.org/protocol/commands' node='`+node+`' action='complete'>`+form.String()+`</command>`)
	return r.String()
}

// Admins manage permissions and canned responses with ad-hoc commands;
// supervisors see queues and agents' load.
func TestAdminAndSupervisorCommands(t *testing.T) {
	p := startParley(t)
	p.grant(p.agentJID("admin"), "admin")
	p.grant(p.agentJID("super"), "supervise")
	admin, super := p.agent("admin"), p.agent("super")

	// A grant reaches parleyd through a Postgres notification a moment after it
	// is written (slower on a loaded machine): ask again until it has arrived.
	var list string
	deadline := time.Now().Add(10 * time.Second)
	for {
		list = admin.iq("get", p.Domain, `<query xmlns='http://jabber.org/protocol/disco#items' node='http://jabber.org/protocol/commands'/>`).String()
		if strings.Contains(list, `node="grant"`) || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	for _, n := range []string{"grant", "revoke", "canned-add", "canned-remove"} {
		if !strings.Contains(list, `node="`+n+`"`) {
			t.Fatalf("admin's commands lack %s: %s", n, list)
		}
	}
	if strings.Contains(list, `node="queues"`) {
		t.Fatalf("admin sees supervisor commands: %s", list)
	}
	// The grant form, then the grant: the agent can sign in right after.
	form := admin.iq("set", p.Domain, `<command xmlns='http://jabber.org/protocol/commands' node='grant' action='execute'/>`).String()
	if !strings.Contains(form, `status="executing"`) || !strings.Contains(form, `var="permissions"`) {
		t.Fatalf("grant form: %s", form)
	}
	if r := runCommand(admin, p.Domain, "grant", "jid", p.agentJID("agent4"), "permissions", "chat"); !strings.Contains(r, "completed") {
		t.Fatalf("grant: %s", r)
	}
	a := p.agent("agent4")
	signIn(p, a, "")
	// Canned responses.
	if r := runCommand(admin, p.Domain, "canned-add", "id", "bye", "title", "Goodbye", "body", "Have a nice day"); !strings.Contains(r, "completed") {
		t.Fatalf("canned-add: %s", r)
	}
	if l := a.iq("get", p.Domain, `<canned xmlns='urn:parley:chat:0'/>`).String(); !strings.Contains(l, "Have a nice day") {
		t.Fatalf("canned list: %s", l)
	}
	if r := runCommand(admin, p.Domain, "canned-remove", "id", "nope"); errorCondition(mustParse(t, r)) != "item-not-found" {
		t.Fatalf("remove unknown: %s", r)
	}
	// Supervisor: queues and load; an agent may not.
	request(p, p.visitor(), "", "")
	if r := runCommand(super, p.Domain, "queues"); !strings.Contains(r, "queue default") || !strings.Contains(r, p.agentJID("agent4")) {
		t.Fatalf("queues: %s", r)
	}
	if r := runCommand(a, p.Domain, "grant", "jid", p.agentJID("agent5"), "permissions", "admin"); errorCondition(mustParse(t, r)) != "forbidden" {
		t.Fatalf("agent granting: %s", r)
	}
	// Revoking chat signs the agent out of routing: its next presence is refused.
	if r := runCommand(admin, p.Domain, "revoke", "jid", p.agentJID("agent4"), "permissions", "chat"); !strings.Contains(r, "completed") {
		t.Fatalf("revoke: %s", r)
	}
	eventually(t, "revoked agent refused", func() bool {
		a.send(`<presence xmlns='jabber:client' to='%s'><show>chat</show></presence>`, p.Domain)
		e := a.wait("presence error", isPresence(p.Domain, "error"), 300e6)
		return e != nil && errorCondition(e) == "forbidden"
	})
}
