package e2e

import (
	"context"
	"syscall"
	"testing"
	"time"

	"github.com/parley-chat/parley/sessions"
)

// received lists the bodies of groupchat messages from room a client got so far.
func received(c *client, room string) []string {
	bodies, _ := groupchat(c, room)
	return bodies
}

// A SIGKILL in the middle of a conversation loses nothing a client saw, and
// the sessions come back in their states.
func TestKillAndRestartKeepsEverythingDelivered(t *testing.T) {
	p := startParley(t)
	p.grant(p.agentJID("agent10"), "chat")
	a := p.agent("agent10")
	signIn(p, a, "")

	v := p.visitor()
	s := request(p, v, "", `<visitor name='Kim'/><body>first</body>`)
	room, sid := s.Get("room"), s.Get("id")
	join(v, room, "Kim")
	a.expect("offer", isOffer(room))
	join(a, room, "Agent")
	v.expect("assigned", isEvent(room, "assigned"))

	// A second session waits in the queue (capacity 1), a third is suspended by its visitor.
	a.send(`<presence xmlns='jabber:client' to='%s'><agent xmlns='urn:parley:chat:0' max-chats='1'/></presence>`, p.Domain)
	v2 := p.visitor()
	s2 := request(p, v2, "", `<visitor name='Lou'/>`)
	v3 := p.visitor()
	s3 := request(p, v3, "", `<visitor name='Max'/>`)
	join(v3, s3.Get("room"), "Max")
	v3.send(`<presence xmlns='jabber:client' type='unavailable' to='%s/Max'><suspend xmlns='urn:parley:chat:0'/></presence>`, s3.Get("room"))
	eventually(t, "third session suspended", func() bool { return p.session(s3.Get("id")).State == sessions.StateSuspended })

	// Both sides talk as fast as they can; parleyd is killed in the middle.
	stop := traffic(2*time.Millisecond, func(n int) {
		from := v
		if n%2 == 1 {
			from = a
		}
		from.send(`<message xmlns='jabber:client' type='groupchat' to='%s'><body>m%d</body></message>`, room, n)
	})
	time.Sleep(400 * time.Millisecond)
	p.stop(syscall.SIGKILL)
	sent := stop()
	time.Sleep(200 * time.Millisecond) // let in-flight stanzas land or bounce

	got := map[string]bool{}
	for _, b := range append(received(v, room), received(a, room)...) {
		got[b] = true
	}
	if len(got) < 10 {
		t.Fatalf("too few messages delivered before the kill to prove anything: %d of %d", len(got), sent)
	}
	entries, _, _, err := p.store.Transcript(context.Background(), sessions.Query{Session: sid})
	if err != nil {
		t.Fatal(err)
	}
	kept := map[string]bool{}
	for _, e := range entries {
		kept[e.Body] = true
	}
	for b := range got {
		if !kept[b] {
			t.Errorf("message %q reached a client but is not in the transcript", b)
		}
	}
	t.Logf("sent %d, delivered %d distinct, transcript %d entries", sent, len(got), len(entries))

	p.start()
	for id, want := range map[string]sessions.State{sid: sessions.StateActive, s2.Get("id"): sessions.StateQueued, s3.Get("id"): sessions.StateSuspended} {
		if st := p.session(id).State; st != want {
			t.Errorf("session %s is %s after restart, want %s", id, st, want)
		}
	}
	// XEP-0410: the clients' self-pings fail, so they rejoin and see the history.
	if r := v.iq("get", room+"/Kim", `<ping xmlns='urn:xmpp:ping'/>`); errorCondition(r) != "not-acceptable" {
		t.Fatalf("self-ping after restart: %s", r)
	}
	signIn(p, a, `<agent xmlns='urn:parley:chat:0' max-chats='2'/>`)
	join(a, room, "Agent")
	a.expect("history after restart", isMsg(room+"/Kim", "first"))
	join(v, room, "Kim")
	say(v, room, "still there?")
	a.expect("a message after restart", isMsg(room+"/Kim", "still there?"))
	// The queued session is offered once its visitor is in the room (a queued
	// session with no visitor present is never offered, docs/protocol.md)
	// now that the agent is back with room for it.
	a.never("the queued session offered before its visitor joined", 300*time.Millisecond, isOffer(s2.Get("room")))
	join(v2, s2.Get("room"), "Lou")
	a.expect("the queued session offered", isOffer(s2.Get("room")))
}
