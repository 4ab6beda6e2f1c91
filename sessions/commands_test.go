package sessions

import (
	"slices"
	"testing"
)

func TestAdHocOnRoom(t *testing.T) {
	w := newWorld(t)
	w.signIn(alice)
	w.signIn(carol)
	sid, _ := w.active(ann, "Where is my order?")

	// The list depends on who asks.
	_, r := w.iq(alice, roomJID(sid), "get", &DiscoItemsCmd{Node: NSCommands})
	for _, node := range []string{"suspend", "resume", "close", "canned", "comment", "conference", "details"} {
		if !slices.Contains(itemNodes(r.Payload), node) {
			t.Errorf("agent's commands lack %s: %s", node, r.Payload)
		}
	}
	_, r = w.iq(ann, roomJID(sid), "get", &DiscoItemsCmd{Node: NSCommands})
	if nodes := itemNodes(r.Payload); slices.Contains(nodes, "resume") || !slices.Contains(nodes, "suspend") {
		t.Errorf("visitor's commands: %s", r.Payload)
	}

	// suspend: a form with the causes first, then the submission does it.
	_, r = w.cmd(alice, sid, &AdHocCmd{Node: "suspend", Action: "execute"})
	if c := commandOf(r); c.Status != CmdExecuting || !slices.Contains(formWords(c.Form), "Visitor Machine Restart") {
		t.Fatalf("suspend form: %s", r.Payload)
	}
	_, r = w.cmd(alice, sid, &AdHocCmd{Node: "suspend", Action: "complete", Form: map[string][]string{"cause": {"Visitor Machine Restart"}}})
	if commandOf(r).Status != CmdCompleted || w.record(sid).SuspendCause != "Visitor Machine Restart" {
		t.Fatalf("suspend: %s %+v", r.Payload, w.record(sid))
	}
	// canned: the list comes from the edge; posting resumes.
	canned := []Canned{{ID: "hi", Title: "Hello", Body: "Hello there"}}
	_, r = w.cmd(alice, sid, &AdHocCmd{Node: "canned", Canned: canned})
	if !slices.Contains(formWords(commandOf(r).Form), "Hello") {
		t.Fatalf("canned form: %s", r.Payload)
	}
	out, _ := w.cmd(alice, sid, &AdHocCmd{Node: "canned", Action: "complete", Canned: canned, Form: map[string][]string{"id": {"hi"}}})
	if w.record(sid).State != StateActive || len(roomMessages(out, sid, "Hello there")) == 0 {
		t.Fatalf("canned did not post and resume: %v", eventTypes(out, sid))
	}
	// details: a result form with the visitor's question.
	_, r = w.cmd(alice, sid, &AdHocCmd{Node: "details"})
	if words := formWords(commandOf(r).Form); !slices.Contains(words, NS+"#visitor") || !slices.Contains(words, "Where is my order?") {
		t.Fatalf("details: %s", r.Payload)
	}
	// the visitor may not resume; an unknown node is item-not-found; cancel cancels.
	if _, r = w.cmd(ann, sid, &AdHocCmd{Node: "resume"}); errCond(r) != "forbidden" {
		t.Fatalf("visitor resume: %+v", r)
	}
	if _, r = w.cmd(alice, sid, &AdHocCmd{Node: "nope"}); errCond(r) != "item-not-found" {
		t.Fatalf("unknown node: %+v", r)
	}
	if _, r = w.cmd(alice, sid, &AdHocCmd{Node: "comment", Action: "cancel"}); commandOf(r).Status != CmdCanceled {
		t.Fatalf("cancel: %+v", r)
	}
	// conference with mode transfer: carol takes the session over when she joins.
	_, r = w.cmd(alice, sid, &AdHocCmd{Node: "conference", Action: "complete",
		Form: map[string][]string{"jid": {bareOf(carol)}, "mode": {"transfer"}}})
	if commandOf(r).Status != CmdCompleted {
		t.Fatalf("transfer: %+v", r)
	}
	out = w.join(carol, sid, "Carol")
	if ev := eventOf(t, out, sid, "transferred"); ev.Agent != "Carol" {
		t.Fatalf("transferred event: %+v", ev)
	}
	if rec := w.record(sid); rec.Owner != bareOf(carol) {
		t.Fatalf("owner after transfer: %s", rec.Owner)
	}
	if w.load(alice) != 0 || w.load(carol) != 1 {
		t.Fatalf("loads after transfer: alice %d carol %d", w.load(alice), w.load(carol))
	}
	// a conference to someone without chat is refused.
	if _, r = w.cmd(carol, sid, &AdHocCmd{Node: "conference", Action: "complete",
		Form: map[string][]string{"jid": {bareOf(eve)}}}); errCond(r) != "forbidden" {
		t.Fatalf("conference to eve: %+v", r)
	}
	// the service's command lists carol's sessions.
	_, r = w.svc(carol, &AdHocCmd{Node: "sessions"})
	if !slices.Contains(formWords(commandOf(r).Form), roomJID(sid).String()) {
		t.Fatalf("sessions command: %s", r.Payload)
	}
	if _, r = w.svc(eve, &AdHocCmd{Node: "sessions"}); errCond(r) != "forbidden" {
		t.Fatalf("sessions for eve: %+v", r)
	}
}

// An agent signing in again (after a restart of its client or of the service)
// is invited back to the sessions it owns and is not in.
func TestSignInInvitesBackToOwnSessions(t *testing.T) {
	w := newWorld(t)
	w.signIn(alice)
	sid, _ := w.active(ann, "Hi")
	w.leave(alice, sid, "Alice", false)
	w.signOut(alice)
	out := w.signIn(alice)
	found := false
	for _, o := range messagesTo(out, alice) {
		if inv, ok := o.(*Invitation); ok && inv.Room.String() == sid+"@"+service {
			found = true
		}
	}
	if !found {
		t.Fatalf("no invitation back to %s: %+v", sid, out.Out)
	}
	// While it is in the room, a new resource gets no invitation.
	w.join(alice, sid, "Alice")
	out = w.signIn("alice@example.com/phone")
	if ms := stanzas(out, "message", "alice@example.com/phone"); len(ms) != 0 {
		t.Fatalf("invited although present: %+v", ms)
	}
}

// itemNodes are the nodes of a disco#items answer.
func itemNodes(p Payload) []string {
	items, _ := p.(*DiscoItems)
	if items == nil {
		return nil
	}
	var nodes []string
	for _, it := range items.Items {
		nodes = append(nodes, it.Node)
	}
	return nodes
}

// commandOf is the command reply r carries (a zero one when it carries none).
func commandOf(r *Stanza) *CommandReply {
	if r != nil {
		if c, ok := r.Payload.(*CommandReply); ok {
			return c
		}
	}
	return &CommandReply{}
}

// formWords are the title, labels, values and option labels and values of
// a form, its table included.
func formWords(f *Form) []string {
	if f == nil {
		return nil
	}
	words := []string{f.Title}
	add := func(fs []Field) {
		for _, fl := range fs {
			words = append(words, fl.Label)
			words = append(words, fl.Values...)
			for _, o := range fl.Options {
				words = append(words, o.Label, o.Value)
			}
		}
	}
	add(f.Fields)
	add(f.Reported)
	for _, row := range f.Items {
		add(row)
	}
	return words
}
