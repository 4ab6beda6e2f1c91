package sessions

import (
	"bytes"
	"testing"
	"time"
)

// another starts one more session on the visitor's cookie (new='true').
func (w *world) another(from, token, question string) string {
	w.t.Helper()
	_, r := w.request(from, RequestCmd{Queue: "support", Token: token, TokenKnown: true, New: true, Body: question})
	s := resultSession(w.t, r)
	if s["token"] != token {
		w.t.Fatalf("new session on token %q answered token %q", token, s["token"])
	}
	return s["id"]
}

// PROTOCOL 3: no token, a malformed or an unknown one: normal routing with a
// new token, never a prompt.
func TestRequestWithoutUsableTokenRoutes(t *testing.T) {
	cases := []struct {
		name  string
		token func(live string) string
		known bool
	}{
		{"no token", func(string) string { return "" }, false},
		{"malformed token", func(string) string { return "not a token!" }, true},
		{"too short", func(string) string { return "AAAA" }, true},
		{"well-formed but unknown", func(string) string { return "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" }, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			w := newWorld(t)
			w.signIn(alice)
			first, live := w.active(ann, "first") // a live session on another token
			tok := c.token(live)
			out, r := w.request(ann, RequestCmd{Queue: "support", Token: tok, TokenKnown: c.known, Body: "again"})
			s := resultSession(t, r)
			if s["id"] == first || s["state"] != "queued" {
				t.Errorf("result %v, want a new queued session", s)
			}
			if s["token"] == "" || s["token"] == tok || s["token"] == live {
				t.Errorf("token %q, want a new one", s["token"])
			}
			if len(out.Batch.Tokens) != 1 {
				t.Errorf("token rows %+v", out.Batch.Tokens)
			}
		})
	}
}

// A valid token with no live session: a new session on the same token.
func TestKnownTokenWithoutLiveSessions(t *testing.T) {
	w := newWorld(t)
	w.signIn(alice)
	sid, token := w.active(ann, "first")
	w.cmd(alice, sid, &CloseCmd{})
	w.advance(time.Hour)
	out, r := w.request(annLater, RequestCmd{Queue: "support", Token: token, TokenKnown: true, Body: "back"})
	s := resultSession(t, r)
	if s["id"] == sid || s["token"] != token {
		t.Errorf("result %v, want a new session repeating the token", s)
	}
	hash, _ := HashToken(token)
	if rec := w.record(s["id"]); !bytes.Equal(rec.TokenHash, hash) {
		t.Errorf("new session not bound to the token")
	}
	_ = out
}

// PROTOCOL 3: which session the prompt offers.
func TestPromptChoice(t *testing.T) {
	cases := []struct {
		name string
		// story builds the visitor's sessions (all on one token) and
		// returns the index of the one that must be offered.
		story func(w *world, sids []string, token string) int
		n     int
	}{
		{"one session in progress", func(w *world, s []string, _ string) int { return 0 }, 1},
		{"one queued session", func(w *world, s []string, _ string) int { return 0 }, 1},
		{"two in progress: the most recent", func(w *world, s []string, _ string) int { return 1 }, 2},
		{"three in progress: the most recent", func(w *world, s []string, _ string) int { return 2 }, 3},
		{"first suspended by the visitor", func(w *world, s []string, _ string) int {
			w.leave(ann, s[0], "Ann", true)
			return 0
		}, 2},
		{"first suspended by the visitor by IQ", func(w *world, s []string, _ string) int {
			w.cmd(ann, s[0], &SuspendCmd{})
			return 0
		}, 2},
		{"both suspended by the visitor: the most recently suspended", func(w *world, s []string, _ string) int {
			w.leave(ann, s[1], "Ann", true)
			w.advance(time.Minute)
			w.leave(ann, s[0], "Ann", true)
			return 0
		}, 2},
		{"first suspended by the agent: not the visitor's choice", func(w *world, s []string, _ string) int {
			w.cmd(alice, s[0], &SuspendCmd{Cause: "Investigation"})
			return 1
		}, 2},
		{"first suspended by the system: not explicit", func(w *world, s []string, _ string) int {
			w.leave(ann, s[0], "Ann", false)
			w.tick(w.cfg.IdleSuspend)
			return 1
		}, 2},
		{"suspended by the visitor then resumed", func(w *world, s []string, _ string) int {
			w.leave(ann, s[0], "Ann", true)
			w.say(alice, s[0], "hello?")
			return 1
		}, 2},
		{"visitor-suspended session with its cause changed by the agent", func(w *world, s []string, _ string) int {
			w.leave(ann, s[0], "Ann", true)
			w.cmd(alice, s[0], &SuspendCmd{Cause: "Investigation"})
			return 0
		}, 2},
		{"the most recent closed", func(w *world, s []string, _ string) int {
			w.cmd(alice, s[1], &CloseCmd{})
			return 0
		}, 2},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			w := newWorld(t, func(cfg *Config) { cfg.DefaultCapacity = 5 })
			if c.name != "one queued session" {
				w.signIn(alice)
			}
			sid, token, _ := w.newChat(ann, "q0")
			w.join(ann, sid, "Ann")
			if c.name != "one queued session" {
				w.join(alice, sid, "Alice")
			}
			sids := []string{sid}
			for i := 1; i < c.n; i++ {
				w.advance(time.Minute)
				s := w.another(ann, token, "q"+itoa(i))
				w.join(ann, s, "Ann")
				w.join(alice, s, "Alice")
				sids = append(sids, s)
			}
			w.advance(time.Minute)
			want := c.story(w, sids, token)
			w.advance(time.Minute)
			out, r := w.request(annLater, RequestCmd{Token: token, TokenKnown: true, Body: "hello again"})
			s := resultResumable(t, r)
			if s["id"] != sids[want] {
				t.Errorf("offered %s (%v), want session %d %s", s["id"], s, want, sids[want])
			}
			if s["room"] != sids[want]+"@"+service || s["state"] != string(w.record(sids[want]).State) ||
				s["started"] != w.record(sids[want]).CreatedAt.Format(time.RFC3339) {
				t.Errorf("offered session attributes %v", s)
			}
			if s["token"] != "" {
				t.Errorf("the prompt repeats the token: %v", s)
			}
			if !out.Batch.Empty() {
				t.Errorf("a prompt wrote %+v", out.Batch)
			}
		})
	}
}

// The prompt names who suspended the offered session.
func TestPromptSaysSuspendedBy(t *testing.T) {
	w := newWorld(t)
	w.signIn(alice)
	sid, token := w.active(ann, "Hi")
	w.leave(ann, sid, "Ann", true)
	_, r := w.request(annLater, RequestCmd{Token: token, TokenKnown: true})
	if s := resultResumable(t, r); s["state"] != "suspended" || s["suspended-by"] != "visitor" || s["id"] != sid {
		t.Errorf("prompt %v", s)
	}
}

// new='true' starts a new session bound to the same token, with live ones.
func TestNewTrueBindsSameToken(t *testing.T) {
	w := newWorld(t)
	w.signIn(alice)
	first, token := w.active(ann, "first")
	out, r := w.request(annLater, RequestCmd{Queue: "support", Token: token, TokenKnown: true, New: true, Body: "second"})
	s := resultSession(t, r)
	if s["id"] == first || s["token"] != token || s["state"] != "queued" {
		t.Errorf("result %v", s)
	}
	hash, _ := HashToken(token)
	rec := w.record(s["id"])
	if !bytes.Equal(rec.TokenHash, hash) || !equal(rec.VisitorJIDs, []string{annLater}) {
		t.Errorf("row %+v", rec)
	}
	if len(out.Batch.Transcript) == 0 || out.Batch.Transcript[0].Body != "second" {
		t.Errorf("transcript %+v", out.Batch.Transcript)
	}
	// The edge may not have seen the token yet (TokenKnown false): live
	// sessions prove it.
	_, r = w.request(annLater, RequestCmd{Token: token})
	if a := resultResumable(t, r); a["id"] != s["id"] {
		t.Errorf("prompt without TokenKnown offered %v", a)
	}
}

// PROTOCOL 3: the answers to <reconnect/>.
func TestReconnectAnswers(t *testing.T) {
	w := newWorld(t)
	w.signIn(alice)
	sid, token := w.active(ann, "Hi")
	_, otherToken, _ := w.newChat("b1@guest.example.com/w", "other")

	cases := []struct {
		name string
		cmd  ReconnectCmd
		want string
	}{
		{"wrong token", ReconnectCmd{Session: sid, Token: otherToken}, "not-authorized"},
		{"malformed token", ReconnectCmd{Session: sid, Token: "x"}, "not-authorized"},
		{"no token", ReconnectCmd{Session: sid}, "not-authorized"},
		{"unknown session", ReconnectCmd{Session: "aaaaaaaaaaaaaaaaaaaaaaaaaa", Token: token}, "item-not-found"},
		{"stored record of another id", ReconnectCmd{Session: "aaaaaaaaaaaaaaaaaaaaaaaaaa", Token: token,
			Stored: &Record{ID: "bbbbbbbbbbbbbbbbbbbbbbbbbb", State: StateClosed}}, "item-not-found"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out, r := w.svc(annLater, &c.cmd)
			if errCond(r) != c.want || !out.Batch.Empty() {
				t.Errorf("answered %+v wrote %+v, want %s", r, out.Batch, c.want)
			}
			if presenceErr(w.join(annLater, sid, "Ann"), annLater) != "registration-required" {
				t.Error("a refused reconnect let the JID in")
			}
		})
	}
	if rec := w.record(sid); !equal(rec.VisitorJIDs, []string{ann}) {
		t.Errorf("visitor JIDs %v", rec.VisitorJIDs)
	}
}

// PROTOCOL 3: a reconnect to a session that ended answers a new session
// that replaces it.
func TestReconnectToEndedSessionReplaces(t *testing.T) {
	for _, end := range []State{StateClosed, StateExpired} {
		t.Run(string(end), func(t *testing.T) {
			w := newWorld(t)
			w.signIn(alice)
			sid, token := w.active(ann, "Hi")
			if end == StateClosed {
				w.cmd(ann, sid, &CloseCmd{})
			} else {
				w.leave(ann, sid, "Ann", true)
				w.tick(w.cfg.SuspendTimeout)
			}
			stored := w.record(sid)
			if stored.State != end {
				t.Fatalf("state %s", stored.State)
			}
			w.advance(time.Hour)

			// The wrong token is refused even for an ended session.
			_, other, _ := w.newChat("b1@guest.example.com/w", "other")
			if _, r := w.svc(annLater, &ReconnectCmd{Session: sid, Token: other, Stored: &stored}); errCond(r) != "not-authorized" {
				t.Errorf("wrong token answered %+v", r)
			}

			out, r := w.svc(annLater, &ReconnectCmd{Session: sid, Token: token, Stored: &stored})
			s := resultSession(t, r)
			if s["id"] == sid || s["replaces"] != sid || s["token"] != token || s["state"] != "queued" {
				t.Errorf("result %v, want a new session replacing %s", s, sid)
			}
			rec := w.record(s["id"])
			if rec.Replaces != sid || !bytes.Equal(rec.TokenHash, stored.TokenHash) || rec.Visitor["name"] != "Ann" ||
				rec.Queue != "support" || !equal(rec.VisitorJIDs, []string{annLater}) {
				t.Errorf("new row %+v", rec)
			}
			if got := offers(out)[s["id"]]; !equal(got, []string{alice}) {
				t.Errorf("new session offered to %v", got)
			}
			if e := presenceErr(w.join(annLater, s["id"], "Ann"), annLater); e != "" {
				t.Errorf("join of the new session: %s", e)
			}
		})
	}
}

// The configuration switch: reconnect at once instead of prompting.
func TestReconnectAlways(t *testing.T) {
	w := newWorld(t, func(c *Config) { c.ReconnectAlways = true })
	w.signIn(alice)
	sid, token := w.active(ann, "Hi")
	w.leave(ann, sid, "Ann", true)
	w.advance(time.Minute)
	out, r := w.request(annLater, RequestCmd{Token: token, TokenKnown: true, Body: "back"})
	s := resultSession(t, r)
	if s["id"] != sid || s["token"] != token || s["state"] != "suspended" {
		t.Errorf("result %v, want the suspended session", s)
	}
	eventOf(t, out, sid, "reconnected")
	if len(stanzas(out, "message", alice)) == 0 {
		t.Error("the owner was not told")
	}
	if e := presenceErr(w.join(annLater, sid, "Ann"), annLater); e != "" {
		t.Errorf("join: %s", e)
	}
	// new='true' still starts a new session.
	_, r = w.request(annLater, RequestCmd{Token: token, TokenKnown: true, New: true})
	if s2 := resultSession(t, r); s2["id"] == sid {
		t.Errorf("new='true' reconnected: %v", s2)
	}
	// No token: normal routing.
	_, r = w.request(annLater, RequestCmd{})
	if s3 := resultSession(t, r); s3["id"] == sid || s3["token"] == token {
		t.Errorf("no token reconnected: %v", s3)
	}
}

// The reference product's help page, scenario 1: a visitor in a session
// sends a new request. Yes opens a second window on the same room with the
// transcript so far; No starts a new session.
func TestHelpPageScenario1(t *testing.T) {
	setup := func(t *testing.T) (*world, string, string) {
		w := newWorld(t)
		w.signIn(alice)
		sid, token := w.active(ann, "My order did not arrive")
		w.say(alice, sid, "Let me check")
		w.say(ann, sid, "Order 1234")
		w.advance(time.Minute)
		return w, sid, token
	}
	prompt := func(t *testing.T, w *world, sid, token string) {
		_, r := w.request(annTab2, RequestCmd{Queue: "support", Token: token, TokenKnown: true, Body: "Hello?"})
		if s := resultResumable(t, r); s["id"] != sid || s["state"] != "active" {
			t.Fatalf("prompt %v, want the session in progress", s)
		}
	}
	t.Run("yes", func(t *testing.T) {
		w, sid, token := setup(t)
		prompt(t, w, sid, token)
		_, r := w.svc(annTab2, &ReconnectCmd{Session: sid, Token: token})
		if s := resultSession(t, r); s["id"] != sid || s["room"] != sid+"@"+service {
			t.Fatalf("reconnect %v", s)
		}
		out := w.join(annTab2, sid, "Ann")
		got := bodies(history(out, annTab2))
		want := []string{"My order did not arrive", "Let me check", "Order 1234"}
		for _, b := range want {
			if !contains(got, b) {
				t.Errorf("second window's history %q lacks %q", got, b)
			}
		}
		// Both windows get what is said next.
		out = w.say(alice, sid, "Found it")
		if got := recipients(roomMessages(out, sid, "Found it")); !equal(got, sorted([]string{alice, ann, annTab2})) {
			t.Errorf("delivered to %v", got)
		}
		if w.eng.Stats().ByState[StateActive] != 1 || w.eng.Stats().ByState[StateQueued] != 0 {
			t.Errorf("stats %+v: yes must not start a session", w.eng.Stats())
		}
	})
	t.Run("no", func(t *testing.T) {
		w, sid, token := setup(t)
		prompt(t, w, sid, token)
		_, r := w.request(annTab2, RequestCmd{Queue: "support", Token: token, TokenKnown: true, New: true, Body: "Hello?"})
		s := resultSession(t, r)
		if s["id"] == sid || s["token"] != token {
			t.Errorf("no answered %v, want a new session on the same token", s)
		}
		if w.record(sid).State != StateActive {
			t.Error("the first session changed")
		}
	})
}

// restart makes both sessions lose the visitor without suspending: the
// widget's connection drops, then a new anonymous JID comes back.
func restartVisitor(w *world, sids ...string) {
	for _, s := range sids {
		if _, in := w.eng.byID[s].room.Lookup(mustJID(ann)); in {
			w.leave(ann, s, "Ann", false)
		}
	}
	w.advance(time.Minute)
}

// Scenario 2: two sessions, restart without suspending either: prompted for
// the second (most recent); Yes reconnects to it; No starts a new one.
func TestHelpPageScenario2(t *testing.T) {
	for _, late := range []bool{false, true} {
		name := "back before the idle time"
		if late {
			name = "back after the idle time"
		}
		t.Run(name, func(t *testing.T) {
			for _, yes := range []bool{true, false} {
				w := newWorld(t)
				w.signIn(alice)
				first, token := w.active(ann, "first chat")
				w.advance(time.Minute)
				second := w.another(ann, token, "second chat")
				w.join(ann, second, "Ann")
				w.join(alice, second, "Alice")
				restartVisitor(w, first, second)
				if late {
					w.tick(w.cfg.IdleSuspend) // both suspended by the system
					if w.record(first).SuspendedBy != "system" || w.record(second).SuspendedBy != "system" {
						t.Fatalf("not suspended by the system: %+v %+v", w.record(first), w.record(second))
					}
				}
				_, r := w.request(annLater, RequestCmd{Queue: "support", Token: token, TokenKnown: true, Body: "I'm back"})
				if s := resultResumable(t, r); s["id"] != second {
					t.Fatalf("prompted for %v, want the second session %s", s, second)
				}
				if yes {
					_, r = w.svc(annLater, &ReconnectCmd{Session: second, Token: token})
					if s := resultSession(t, r); s["id"] != second {
						t.Errorf("yes reconnected to %v", s)
					}
					out := w.join(annLater, second, "Ann")
					if got := bodies(history(out, annLater)); len(got) == 0 || got[0] != "second chat" {
						t.Errorf("history %q", got)
					}
				} else {
					_, r = w.request(annLater, RequestCmd{Queue: "support", Token: token, TokenKnown: true, New: true, Body: "I'm back"})
					if s := resultSession(t, r); s["id"] == first || s["id"] == second || s["token"] != token {
						t.Errorf("no answered %v", s)
					}
				}
			}
		})
	}
}

// Scenario 3: two sessions, the first suspended, then a restart: prompted
// for the first (the suspended) session; Yes reconnects to it; No starts a
// new one.
func TestHelpPageScenario3(t *testing.T) {
	for _, late := range []bool{false, true} {
		name := "back before the idle time"
		if late {
			name = "back after the idle time"
		}
		t.Run(name, func(t *testing.T) {
			for _, yes := range []bool{true, false} {
				w := newWorld(t)
				w.signIn(alice)
				first, token := w.active(ann, "first chat")
				w.advance(time.Minute)
				second := w.another(ann, token, "second chat")
				w.join(ann, second, "Ann")
				w.join(alice, second, "Alice")
				w.advance(time.Minute)
				w.leave(ann, first, "Ann", true) // Suspend, or closing the window
				restartVisitor(w, second)
				if late {
					w.tick(w.cfg.IdleSuspend) // the second becomes suspended by the system, later than the first
				}
				_, r := w.request(annLater, RequestCmd{Queue: "support", Token: token, TokenKnown: true, Body: "I'm back"})
				s := resultResumable(t, r)
				if s["id"] != first || s["suspended-by"] != "visitor" {
					t.Fatalf("prompted for %v, want the first (suspended) session %s", s, first)
				}
				if yes {
					out, r := w.svc(annLater, &ReconnectCmd{Session: first, Token: token})
					if s := resultSession(t, r); s["id"] != first || s["state"] != "suspended" {
						t.Errorf("yes reconnected to %v", s)
					}
					// Routed to its agent, who must resume it.
					if len(stanzas(out, "message", alice)) == 0 {
						t.Error("the owner was not told")
					}
					out = w.join(annLater, first, "Ann")
					if got := bodies(history(out, annLater)); len(got) == 0 || got[0] != "first chat" {
						t.Errorf("history %q", got)
					}
					if w.record(first).State != StateSuspended {
						t.Error("the session resumed by itself")
					}
				} else {
					_, r = w.request(annLater, RequestCmd{Queue: "support", Token: token, TokenKnown: true, New: true, Body: "I'm back"})
					if s := resultSession(t, r); s["id"] == first || s["id"] == second || s["token"] != token {
						t.Errorf("no answered %v", s)
					}
				}
			}
		})
	}
}

// The reference page's note: cookies disabled, so no token: normal routing.
func TestHelpPageNoCookies(t *testing.T) {
	w := newWorld(t)
	w.signIn(alice)
	sid, _ := w.active(ann, "Hi")
	w.leave(ann, sid, "Ann", true)
	_, r := w.request(annLater, RequestCmd{Queue: "support", Body: "Hi again"})
	if s := resultSession(t, r); s["id"] == sid {
		t.Errorf("without a token the visitor got its old session %v", s)
	}
}

// The reference page's note: a session that expired before it was resumed
// gives a new session when the visitor reconnects.
func TestHelpPageExpiredGivesNewSession(t *testing.T) {
	w := newWorld(t)
	w.signIn(alice)
	sid, token := w.active(ann, "Hi")
	w.leave(ann, sid, "Ann", true)
	w.tick(w.cfg.SuspendTimeout)
	// No live session left on the token: the request itself starts a new one.
	_, r := w.request(annLater, RequestCmd{Queue: "support", Token: token, TokenKnown: true, Body: "Hi again"})
	s := resultSession(t, r)
	if s["id"] == sid || s["token"] != token {
		t.Errorf("result %v", s)
	}
}
