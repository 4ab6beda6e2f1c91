package sessions

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// recorder is an Observer that writes down what it hears.
type recorder struct{ calls []string }

func (r *recorder) add(f string, a ...any)   { r.calls = append(r.calls, fmt.Sprintf(f, a...)) }
func (r *recorder) Request(o string)         { r.add("request %s", o) }
func (r *recorder) Offer(o string)           { r.add("offer %s", o) }
func (r *recorder) Suspend(by, c string)     { r.add("suspend %s %s", by, c) }
func (r *recorder) Resume(how string)        { r.add("resume %s", how) }
func (r *recorder) Prompt(s string)          { r.add("prompt %s", s) }
func (r *recorder) Reconnect(route string)   { r.add("reconnect %s", route) }
func (r *recorder) Ended(s State, by string) { r.add("ended %s %s", s, by) }

// take returns what was heard since the last take.
func (r *recorder) take() string {
	s := strings.Join(r.calls, "; ")
	r.calls = nil
	return s
}

// The metrics hear one outcome per decision.
func TestObserverHearsDecisions(t *testing.T) {
	rec := &recorder{}
	w := newWorld(t, func(c *Config) { c.Observer = rec; c.QueueLimit = 2 })
	rec.take()
	w.signIn(alice)
	w.advance(time.Second)
	w.signIn(bob)

	steps := []struct {
		name string
		do   func() string
		want string
	}{
		{"request", func() string { w.newChat(ann, "Hi"); return "" }, "request created; offer sent"},
		{"offer times out", func() string { w.tick(w.cfg.OfferTimeout); return "" }, "offer expired; offer sent"},
		{"declined", func() string {
			w.send(&Message{From: mustJID(bob), Decline: true}, w.only(StateQueued))
			return ""
		}, "offer declined"},
		{"offered again after the cooldown", func() string { w.tick(w.cfg.OfferTimeout); return "" }, "offer sent"},
		{"accepted", func() string {
			w.join(ann, w.only(StateQueued), "Ann")
			w.join(alice, w.only(StateQueued), "Alice")
			return ""
		}, "offer accepted"},
		{"bad request", func() string { w.request(ann, RequestCmd{Queue: "nope"}); return "" }, "request bad_request"},
		{"suspend", func() string { w.cmd(alice, w.only(StateActive), &SuspendCmd{Cause: "Investigation"}); return "" }, "suspend agent Investigation"},
		{"resume by message", func() string { w.say(alice, w.only(StateSuspended), "back"); return "" }, "resume message"},
		{"prompt", func() string {
			w.request(annLater, RequestCmd{Token: w.tokenOf(w.only(StateActive)), TokenKnown: true})
			return ""
		}, "prompt in_progress; request prompt"},
		{"reconnect", func() string {
			sid := w.only(StateActive)
			w.svc(annLater, &ReconnectCmd{Session: sid, Token: w.tokenOf(sid)})
			return ""
		}, "reconnect owner"},
		{"wrong token", func() string {
			w.svc(annLater, &ReconnectCmd{Session: w.only(StateActive), Token: "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"})
			return ""
		}, "reconnect not_authorized"},
		{"close", func() string { w.cmd(alice, w.only(StateActive), &CloseCmd{}); return "" }, "ended closed agent"},
	}
	for _, s := range steps {
		s.do()
		if got := rec.take(); got != s.want {
			t.Errorf("%s: heard %q, want %q", s.name, got, s.want)
		}
	}
}

// only returns the id of the one live session in state st.
func (w *world) only(st State) string {
	w.t.Helper()
	var ids []string
	for id, r := range w.recs {
		if r.State == st {
			ids = append(ids, id)
		}
	}
	if len(ids) != 1 {
		w.t.Fatalf("%d sessions %s, want 1", len(ids), st)
	}
	return ids[0]
}

// tokenOf finds the token the engine answered for sid (from the first result).
func (w *world) tokenOf(sid string) string {
	w.t.Helper()
	tok, ok := w.tokenBySID[sid]
	if !ok {
		w.t.Fatalf("no token seen for %s", sid)
	}
	return tok
}
