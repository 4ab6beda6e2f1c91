package sessions

import (
	"fmt"
	"testing"
	"time"
)

func limited(c *Config) {
	c.QueueLimit = 100
	c.Limits = Limits{OpenSessions: 3, RequestsPerMinute: 10, QueuedSessions: 2}
}

// One anonymous connection flooding requests fills no more than its own
// share of the queue; an innocent visitor behind it is queued normally.
func TestFloodFromOneConnectionLeavesQueueOpen(t *testing.T) {
	w := newWorld(t, limited)
	created, refused := 0, map[string]int{}
	for i := 0; i < 1000; i++ {
		_, r := w.request(ann, RequestCmd{Queue: "support", Body: fmt.Sprint("spam ", i)})
		if c := errCond(r); c != "" {
			refused[c]++
			if r.Err.Type != "wait" && r.Err.Type != "cancel" || r.Err.Text == "" {
				t.Fatalf("refusal %+v lacks a type or a text", r.Err)
			}
			continue
		}
		created++
	}
	if created != 2 {
		t.Errorf("the flood created %d sessions, want 2 (the queued limit)", created)
	}
	if refused["policy-violation"] != 998 {
		t.Errorf("refusals %v, want 998 policy-violation", refused)
	}
	if n := w.eng.Router().QueueLengths()["support"]; n != 2 {
		t.Errorf("queue holds %d, want 2", n)
	}
	// The innocent visitor.
	_, r := w.request(annLater, RequestCmd{Queue: "support", Body: "Where is my parcel?"})
	if s := resultSession(t, r); s["state"] != "queued" {
		t.Errorf("the innocent visitor got %v", s)
	}
}

func TestRequestsPerMinutePerJIDAndToken(t *testing.T) {
	w := newWorld(t, func(c *Config) {
		c.Limits = Limits{RequestsPerMinute: 3}
	})
	_, token, _ := w.newChat(ann, "one")
	// Asking again with the token: prompts (not creating) count too.
	for i := 0; i < 2; i++ {
		_, r := w.request(ann, RequestCmd{Queue: "support", Token: token})
		resultResumable(t, r)
	}
	_, r := w.request(ann, RequestCmd{Queue: "support", Token: token, New: true})
	if errCond(r) != "policy-violation" || r.Err.Type != "wait" {
		t.Fatalf("the 4th request in a minute got %+v, want policy-violation (wait)", r)
	}
	// The same token from another connection: counted by token.
	_, r = w.request(annLater, RequestCmd{Queue: "support", Token: token, New: true})
	if errCond(r) != "policy-violation" {
		t.Fatalf("the token's 5th request from a new JID got %+v, want policy-violation", r)
	}
	// A probe is never limited.
	_, r = w.request(ann, RequestCmd{Token: token, Probe: true})
	if errCond(r) != "" {
		t.Fatalf("probe got %s", errCond(r))
	}
	// A minute later the window is empty again (the tick sweeps it).
	w.tick(61 * time.Second)
	_, r = w.request(ann, RequestCmd{Queue: "support", Token: token, New: true})
	resultSession(t, r)
	if len(w.eng.rates) == 0 {
		t.Error("no window kept for the new request")
	}
	w.tick(2 * time.Minute)
	if len(w.eng.rates) != 0 {
		t.Errorf("windows not swept after two idle minutes: %d left", len(w.eng.rates))
	}
}

func TestOpenSessionsPerToken(t *testing.T) {
	w := newWorld(t, func(c *Config) { c.Limits = Limits{OpenSessions: 3} })
	w.signIn(alice)
	sid, token := w.active(ann, "first")
	for i := 0; i < 2; i++ {
		_, r := w.request(ann, RequestCmd{Queue: "support", Token: token, New: true})
		resultSession(t, r)
	}
	// A new connection with the same cookie: the token has 3 open.
	_, r := w.request(annLater, RequestCmd{Queue: "support", Token: token, New: true})
	if errCond(r) != "policy-violation" || r.Err.Type != "cancel" {
		t.Fatalf("4th open session got %+v, want policy-violation (cancel)", r)
	}
	// Closing one makes room.
	w.cmd(alice, sid, &CloseCmd{})
	_, r = w.request(annLater, RequestCmd{Queue: "support", Token: token, New: true})
	resultSession(t, r)
}

func TestNoLimitsByDefault(t *testing.T) {
	w := newWorld(t, func(c *Config) { c.QueueLimit = 0 })
	for i := 0; i < 20; i++ {
		_, r := w.request(ann, RequestCmd{Queue: "support"})
		resultSession(t, r)
	}
}
