package sessions

import (
	"testing"
	"time"

	"github.com/parley-chat/parley/muc"
	"mellium.im/xmpp/jid"
)

// assertSuspended checks the row and the event of a suspension.
func assertSuspended(t *testing.T, w *world, out Output, sid, by, cause string, explicit bool) {
	t.Helper()
	rec := w.record(sid)
	if rec.State != StateSuspended || string(rec.SuspendedBy) != by || rec.SuspendCause != cause || rec.Explicit != explicit ||
		!rec.SuspendedAt.Equal(w.now) || !rec.Deadline.Equal(w.now.Add(w.cfg.SuspendTimeout)) {
		t.Errorf("row %+v, want suspended by %s (%q) explicit=%v at %v expiring %v", rec, by, cause, explicit,
			w.now, w.now.Add(w.cfg.SuspendTimeout))
	}
	ev := eventOf(t, out, sid, "suspended")
	if ev.By != by || ev.State != "suspended" || ev.Cause != cause {
		t.Errorf("event %+v, want suspended by %s cause %q", ev, by, cause)
	}
}

// PROTOCOL 5: the visitor suspends by leaving with <p:suspend/> or by IQ.
func TestSuspendByVisitor(t *testing.T) {
	cases := []struct {
		name string
		do   func(w *world, sid string) Output
	}{
		{"unavailable presence with suspend", func(w *world, sid string) Output { return w.leave(ann, sid, "Ann", true) }},
		{"suspend IQ", func(w *world, sid string) Output { o, _ := w.cmd(ann, sid, &SuspendCmd{}); return o }},
		{"suspend IQ, cause ignored", func(w *world, sid string) Output { o, _ := w.cmd(ann, sid, &SuspendCmd{Cause: "whatever"}); return o }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			w := newWorld(t)
			w.signIn(alice)
			sid, _ := w.active(ann, "Hi")
			w.advance(time.Minute)
			out := c.do(w, sid)
			assertSuspended(t, w, out, sid, "visitor", "", true)
			if got := eventRecipients(out, sid, "suspended"); !contains(got, alice) {
				t.Errorf("suspended event sent to %v, want the agent among them", got)
			}
			if w.load(alice) != 0 {
				t.Errorf("alice's load %d, want 0: suspended sessions do not count", w.load(alice))
			}
		})
	}
}

// A visitor who suspends before any agent took the session leaves the queue;
// not back within the abandon time, the session is abandoned (docs/protocol.md,
// Waiting visitors): a visitor back an hour later must not jump the queue.
func TestSuspendWhileQueued(t *testing.T) {
	w := newWorld(t)
	sid, _, _ := w.newChat(ann, "Hi")
	w.join(ann, sid, "Ann")
	out := w.leave(ann, sid, "Ann", true)
	rec := w.record(sid)
	if rec.State != StateSuspended || rec.SuspendedBy != "visitor" || !rec.Explicit || !rec.Deadline.Equal(w.now.Add(w.cfg.AbandonAfter)) {
		t.Errorf("row %+v, want suspended by the visitor until the abandon time", rec)
	}
	eventOf(t, out, sid, "suspended")
	if w.eng.Router().Queued(sid) {
		t.Error("a suspended session is still queued")
	}
	w.signIn(alice)
	if got := offers(w.tick(time.Second)); len(got) != 0 {
		t.Errorf("a suspended session was offered: %v", got)
	}
	out = w.tick(w.cfg.AbandonAfter)
	eventOf(t, out, sid, "abandoned")
	if rec := w.record(sid); rec.State != StateAbandoned {
		t.Errorf("state %s after the abandon time, want abandoned", rec.State)
	}
}

// PROTOCOL 5: the agent suspends with a configured cause and may change it.
func TestSuspendByAgent(t *testing.T) {
	w := newWorld(t)
	w.signIn(alice)
	sid, _ := w.active(ann, "Hi")
	if w.load(alice) != 1 {
		t.Fatalf("load %d", w.load(alice))
	}

	out, r := w.cmd(alice, sid, &SuspendCmd{Cause: "Lunch"})
	if errCond(r) != "bad-request" || r.Err.Text == "" || !out.Batch.Empty() {
		t.Fatalf("unknown cause answered %+v, wrote %+v", r, out.Batch)
	}
	if w.record(sid).State != StateActive {
		t.Fatal("an unknown cause suspended the session")
	}

	w.advance(time.Minute)
	out, r = w.cmd(alice, sid, &SuspendCmd{Cause: "Investigation"})
	if r.Type != "result" {
		t.Fatalf("suspend answered %+v", r)
	}
	assertSuspended(t, w, out, sid, "agent", "Investigation", true)
	if got := eventRecipients(out, sid, "suspended"); !equal(got, sorted([]string{alice, ann})) {
		t.Errorf("event sent to %v", got)
	}
	if w.load(alice) != 0 {
		t.Errorf("alice's load %d after suspend, want 0", w.load(alice))
	}
	suspendedAt := w.now

	// The same IQ with another cause changes it; the session stays suspended.
	w.advance(time.Minute)
	out, r = w.cmd(alice, sid, &SuspendCmd{Cause: "Visitor Machine Restart"})
	if r.Type != "result" {
		t.Fatalf("cause change answered %+v", r)
	}
	rec := w.record(sid)
	if rec.State != StateSuspended || rec.SuspendCause != "Visitor Machine Restart" || !rec.SuspendedAt.Equal(suspendedAt) {
		t.Errorf("row after cause change %+v", rec)
	}
	if ev := eventOf(t, out, sid, "suspended"); ev.Cause != "Visitor Machine Restart" || ev.By != "agent" {
		t.Errorf("cause change event %+v", ev)
	}
	// The same cause again changes nothing.
	out, r = w.cmd(alice, sid, &SuspendCmd{Cause: "Visitor Machine Restart"})
	if r.Type != "result" || !out.Batch.Empty() {
		t.Errorf("same cause answered %+v, wrote %+v", r, out.Batch)
	}
	// An unknown cause while suspended is refused too.
	if _, r = w.cmd(alice, sid, &SuspendCmd{Cause: "nope"}); errCond(r) != "bad-request" {
		t.Errorf("unknown cause while suspended answered %+v", r)
	}
}

func TestSuspendWithoutCauseTakesTheFirst(t *testing.T) {
	w := newWorld(t)
	w.signIn(alice)
	sid, _ := w.active(ann, "Hi")
	out, _ := w.cmd(alice, sid, &SuspendCmd{})
	assertSuspended(t, w, out, sid, "agent", "Investigation", true)
}

func TestSuspendRefused(t *testing.T) {
	cases := []struct{ name, from, want string }{
		{"supervisor", sue, "forbidden"},
		{"chat holder not involved", bob, "item-not-found"},
		{"stranger", eve, "item-not-found"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			w := newWorld(t)
			w.signIn(alice)
			sid, _ := w.active(ann, "Hi")
			w.join(sue, sid, "Sue")
			out, r := w.cmd(c.from, sid, &SuspendCmd{Cause: "Investigation"})
			if errCond(r) != c.want || !out.Batch.Empty() {
				t.Errorf("answered %+v wrote %+v, want %s", r, out.Batch, c.want)
			}
		})
	}
}

// PROTOCOL 5: a lost visitor connection leaves the session active with a
// visitor-left event; after the idle time with no visitor it is suspended by
// the system.
func TestSuspendBySystemAfterIdle(t *testing.T) {
	w := newWorld(t)
	w.signIn(alice)
	sid, _ := w.active(ann, "Hi")
	out := w.leave(ann, sid, "Ann", false)
	ev := eventOf(t, out, sid, "visitor-left")
	if ev.State != "active" || ev.By != "visitor" {
		t.Errorf("visitor-left event %+v", ev)
	}
	if got := eventRecipients(out, sid, "visitor-left"); !equal(got, []string{alice}) {
		t.Errorf("visitor-left sent to %v", got)
	}
	if w.record(sid).State != StateActive {
		t.Errorf("state %s after a plain leave", w.record(sid).State)
	}
	out = w.tick(w.cfg.IdleSuspend - time.Second)
	if len(events(out, sid)) != 0 || w.record(sid).State != StateActive {
		t.Fatalf("before the idle time: %v", eventTypes(out, sid))
	}
	out = w.tick(time.Second)
	assertSuspended(t, w, out, sid, "system", "", false)
	if w.load(alice) != 0 {
		t.Errorf("load %d after a system suspend", w.load(alice))
	}
	if got := eventRecipients(out, sid, "suspended"); !equal(got, []string{alice}) {
		t.Errorf("suspended sent to %v", got)
	}
	// Nothing more happens on later ticks.
	if out = w.tick(time.Minute); len(out.Batch.Transcript) != 0 {
		t.Errorf("later tick wrote %+v", out.Batch.Transcript)
	}
}

func TestVisitorBackBeforeIdleTimeStaysActive(t *testing.T) {
	w := newWorld(t)
	w.signIn(alice)
	sid, _ := w.active(ann, "Hi")
	w.leave(ann, sid, "Ann", false)
	w.advance(time.Minute)
	out := w.join(ann, sid, "Ann")
	if len(events(out, sid)) != 0 {
		t.Errorf("rejoin wrote events %v", eventTypes(out, sid))
	}
	out = w.tick(w.cfg.IdleSuspend * 2)
	if len(events(out, sid)) != 0 || w.record(sid).State != StateActive {
		t.Errorf("after the visitor came back: %v", eventTypes(out, sid))
	}
}

// A plain leave of one window while another is still there is not a departure.
func TestOneWindowLeavingIsNotVisitorLeft(t *testing.T) {
	w := newWorld(t)
	w.signIn(alice)
	sid, token := w.active(ann, "Hi")
	w.secondWindow(annTab2, sid, token)
	out := w.leave(ann, sid, "Ann", false)
	if len(events(out, sid)) != 0 {
		t.Errorf("events %v", eventTypes(out, sid))
	}
	if out = w.tick(w.cfg.IdleSuspend); w.record(sid).State != StateActive {
		t.Errorf("suspended while a window was open: %v", eventTypes(out, sid))
	}
}

// suspendedChat is the opening of the resume stories: alice owns a session
// she suspended, ann and alice still in the room.
func suspendedChat(t *testing.T, w *world) (sid, token string) {
	t.Helper()
	w.signIn(alice)
	w.signIn(carol)
	w.presence(carol, "", "dnd", 0) // carol takes no offers
	sid, token = w.active(ann, "Hi")
	w.advance(time.Minute)
	if _, r := w.cmd(alice, sid, &SuspendCmd{Cause: "Investigation"}); r.Type != "result" {
		t.Fatalf("suspend answered %+v", r)
	}
	w.advance(time.Minute)
	return sid, token
}

// PROTOCOL 5: any action of the session's agent resumes it, and the action
// happens.
func TestAgentActionResumes(t *testing.T) {
	cases := []struct {
		name string
		kind string // of the entry the action writes after the event; "" none
		do   func(w *world, sid string) (Output, *Stanza)
	}{
		{"explicit resume", "", func(w *world, sid string) (Output, *Stanza) { return w.cmd(alice, sid, &ResumeCmd{}) }},
		{"groupchat message", "message", func(w *world, sid string) (Output, *Stanza) { return w.say(alice, sid, "I'm back"), nil }},
		{"link", "link", func(w *world, sid string) (Output, *Stanza) {
			return w.send(&Message{From: jid.MustParse(alice), Body: "https://x/manual.pdf", OOB: true,
				Payload: `<x xmlns="jabber:x:oob"><url>https://x/manual.pdf</url></x>`}, sid), nil
		}},
		{"file without body", "link", func(w *world, sid string) (Output, *Stanza) {
			return w.send(&Message{From: jid.MustParse(alice), OOB: true,
				Payload: `<x xmlns="jabber:x:oob"><url>https://x/f.png</url></x>`}, sid), nil
		}},
		{"comment message", "comment", func(w *world, sid string) (Output, *Stanza) {
			return w.send(&Message{From: jid.MustParse(alice), Body: "checked the warehouse", Comment: true}, sid), nil
		}},
		{"comment command", "comment", func(w *world, sid string) (Output, *Stanza) {
			return w.cmd(alice, sid, &CommentCmd{Text: "checked the warehouse"})
		}},
		{"canned response", "canned", func(w *world, sid string) (Output, *Stanza) {
			return w.cmd(alice, sid, &CannedCmd{ID: "thanks", Resolved: &Canned{ID: "thanks", Title: "Thanks", Body: "Thank you for waiting"}})
		}},
		{"conference invitation", "", func(w *world, sid string) (Output, *Stanza) {
			return w.send(&Message{From: jid.MustParse(alice), Invites: []Invite{{To: jid.MustParse("carol@example.com"), Reason: "help"}}}, sid), nil
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			w := newWorld(t)
			sid, _ := suspendedChat(t, w)
			out, r := c.do(w, sid)
			if r != nil && r.Type != "result" {
				t.Fatalf("answered %+v", r)
			}
			rec := w.record(sid)
			if rec.State != StateActive || rec.SuspendedBy != "" || rec.SuspendCause != "" || !rec.SuspendedAt.IsZero() || !rec.Deadline.IsZero() {
				t.Errorf("row %+v, want active with the suspension cleared", rec)
			}
			ev := eventOf(t, out, sid, "resumed")
			if ev.State != "active" || ev.By != "agent" {
				t.Errorf("resumed event %+v", ev)
			}
			tr := out.Batch.Transcript
			if tr[0].Kind != "event" {
				t.Errorf("first entry %+v, want the resumed event before the action", tr[0])
			}
			if c.kind != "" {
				if len(tr) != 2 || string(tr[1].Kind) != c.kind || tr[1].AuthorRole != "agent" {
					t.Errorf("entries %+v, want the event then a %s", tr, c.kind)
				}
			}
			if w.load(alice) != 1 {
				t.Errorf("alice's load %d after resume, want 1", w.load(alice))
			}
			if c.name == "conference invitation" && len(stanzas(out, "message", carol)) != 1 {
				t.Errorf("carol got no invitation: %+v", out.Out)
			}
			// The session no longer expires.
			if w.tick(w.cfg.SuspendTimeout); w.record(sid).State != StateActive {
				t.Errorf("a resumed session ended: %s", w.record(sid).State)
			}
		})
	}
}

// A resume of an active session is harmless.
func TestResumeActiveChangesNothing(t *testing.T) {
	w := newWorld(t)
	w.signIn(alice)
	sid, _ := w.active(ann, "Hi")
	out, r := w.cmd(alice, sid, &ResumeCmd{})
	if r.Type != "result" || !out.Batch.Empty() {
		t.Errorf("answered %+v wrote %+v", r, out.Batch)
	}
}

// PROTOCOL 5: only the session's agents resume; the visitor never.
func TestResumeRefused(t *testing.T) {
	cases := []struct {
		name string
		do   func(w *world, sid string) (Output, *Stanza)
		want string
	}{
		{"visitor", func(w *world, sid string) (Output, *Stanza) { return w.cmd(ann, sid, &ResumeCmd{}) }, "forbidden"},
		{"visitor's other JID with the session", func(w *world, sid string) (Output, *Stanza) { return w.cmd(ann, sid, &ResumeCmd{}) }, "forbidden"},
		{"supervisor", func(w *world, sid string) (Output, *Stanza) { return w.cmd(sue, sid, &ResumeCmd{}) }, "forbidden"},
		{"stranger", func(w *world, sid string) (Output, *Stanza) { return w.cmd(eve, sid, &ResumeCmd{}) }, "item-not-found"},
		{"chat holder not involved", func(w *world, sid string) (Output, *Stanza) { return w.cmd(bob, sid, &ResumeCmd{}) }, "item-not-found"},
		{"canned not found", func(w *world, sid string) (Output, *Stanza) { return w.cmd(alice, sid, &CannedCmd{ID: "zz"}) }, "item-not-found"},
		{"canned by the visitor", func(w *world, sid string) (Output, *Stanza) {
			return w.cmd(ann, sid, &CannedCmd{ID: "c", Resolved: &Canned{ID: "c", Body: "x"}})
		}, "forbidden"},
		{"invitation to a non-holder", func(w *world, sid string) (Output, *Stanza) {
			out := w.send(&Message{From: jid.MustParse(alice), Invites: []Invite{{To: jid.MustParse("eve@example.com")}}}, sid)
			r := stanzas(out, "message", alice)
			if len(r) != 1 {
				return out, nil
			}
			return out, r[0]
		}, "forbidden"},
		{"empty comment", func(w *world, sid string) (Output, *Stanza) { return w.cmd(alice, sid, &CommentCmd{}) }, "bad-request"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			w := newWorld(t)
			sid, _ := suspendedChat(t, w)
			w.join(sue, sid, "Sue")
			out, r := c.do(w, sid)
			if errCond(r) != c.want {
				t.Errorf("answered %+v, want %s", r, c.want)
			}
			if !out.Batch.Empty() {
				t.Errorf("wrote %+v", out.Batch)
			}
			if st := w.record(sid).State; st != StateSuspended {
				t.Errorf("state %s, want still suspended", st)
			}
		})
	}
}

// PROTOCOL 5: a visitor's message while suspended is kept and shown to the
// agents but does not resume the session; neither does a supervisor's.
func TestMessagesWhileSuspendedDoNotResume(t *testing.T) {
	w := newWorld(t)
	sid, _ := suspendedChat(t, w)
	w.join(sue, sid, "Sue")
	for _, who := range []struct{ from, role string }{{ann, "visitor"}, {sue, "supervisor"}} {
		out := w.say(who.from, sid, "hello from "+who.role)
		tr := out.Batch.Transcript
		if len(tr) != 1 || tr[0].AuthorRole != who.role || tr[0].Kind != "message" {
			t.Errorf("%s: transcript %+v", who.role, tr)
		}
		if got := recipients(roomMessages(out, sid, "hello from "+who.role)); !equal(got, sorted([]string{alice, ann, sue})) {
			t.Errorf("%s: delivered to %v", who.role, got)
		}
		if len(events(out, sid)) != 0 || w.record(sid).State != StateSuspended {
			t.Errorf("%s: events %v, state %s", who.role, eventTypes(out, sid), w.record(sid).State)
		}
	}
	// Chat states from the agent do not resume either: they are not actions.
	w.send(&Message{From: jid.MustParse(alice), HasState: true, Payload: `<active xmlns="http://jabber.org/protocol/chatstates"/>`}, sid)
	if w.record(sid).State != StateSuspended {
		t.Error("a chat state resumed the session")
	}
}

// PROTOCOL 5: a suspended session expires after the suspend timeout; the
// room is destroyed.
func TestSuspendedSessionExpires(t *testing.T) {
	w := newWorld(t)
	sid, _ := suspendedChat(t, w) // suspended one minute ago
	w.join(sue, sid, "Sue")
	occupants := sorted([]string{alice, ann, sue})

	out := w.tick(w.cfg.SuspendTimeout - 2*time.Minute)
	if len(out.Batch.Transcript) != 0 {
		t.Fatalf("expired early: %v", eventTypes(out, sid))
	}
	out = w.tick(time.Minute)
	ev := eventOf(t, out, sid, "expired")
	if ev.State != "expired" || ev.By != "system" {
		t.Errorf("expired event %+v", ev)
	}
	if got := eventRecipients(out, sid, "expired"); !equal(got, occupants) {
		t.Errorf("expired sent to %v", got)
	}
	rec := w.record(sid)
	if rec.State != StateExpired || !rec.EndedAt.Equal(w.now) || !rec.Deadline.IsZero() {
		t.Errorf("row %+v", rec)
	}
	var destroyed []string
	for _, o := range out.Out {
		if p, ok := o.(*muc.Presence); ok && p.Destroyed && p.Type == "unavailable" && p.DestroyReason != "" {
			destroyed = append(destroyed, p.To.String())
		}
	}
	if !equal(sorted(destroyed), occupants) {
		t.Errorf("destroy presences to %v, want %v", destroyed, occupants)
	}
	// Gone: no join, no actions, no more timers.
	// Its visitor learns it is gone (XEP-0045 7.2.x: <gone/>, with the
	// reason); a stranger still learns nothing.
	if out := w.join(ann, sid, "Ann"); presenceErr(out, ann) != "gone" {
		t.Error("joined an expired room, or was not told it is gone")
	}
	if presenceErr(w.join(eve, sid, "Eve"), eve) != "registration-required" {
		t.Error("a stranger learned that the room existed")
	}
	if _, r := w.cmd(alice, sid, &ResumeCmd{}); errCond(r) != "item-not-found" {
		t.Errorf("resume of an expired session answered %+v", r)
	}
	if out = w.tick(time.Hour); len(out.Batch.Sessions) != 0 {
		t.Errorf("later tick wrote %+v", out.Batch.Sessions)
	}
	if st := w.eng.Stats(); st.ByState[StateSuspended] != 0 {
		t.Errorf("stats %+v", st)
	}
}

// A session suspended by the system expires too.
func TestSystemSuspendedSessionExpires(t *testing.T) {
	w := newWorld(t)
	w.signIn(alice)
	sid, _ := w.active(ann, "Hi")
	w.leave(ann, sid, "Ann", false)
	w.tick(w.cfg.IdleSuspend)
	out := w.tick(w.cfg.SuspendTimeout)
	eventOf(t, out, sid, "expired")
}

// PROTOCOL 7 and 5: close by the agent or the visitor; nobody else.
func TestClose(t *testing.T) {
	cases := []struct {
		name, from string
		suspended  bool
		by, err    string
	}{
		{"by the agent", alice, false, "agent", ""},
		{"by the visitor", ann, false, "visitor", ""},
		{"suspended, by the agent", alice, true, "agent", ""},
		{"suspended, by the visitor", ann, true, "visitor", ""},
		{"by a supervisor", sue, false, "", "forbidden"},
		{"by a chat holder not involved", bob, false, "", "item-not-found"},
		{"by a stranger", eve, false, "", "item-not-found"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			w := newWorld(t)
			w.signIn(alice)
			sid, _ := w.active(ann, "Hi")
			w.join(sue, sid, "Sue")
			if c.suspended {
				w.cmd(alice, sid, &SuspendCmd{})
			}
			w.advance(time.Minute)
			out, r := w.cmd(c.from, sid, &CloseCmd{})
			if c.err != "" {
				if errCond(r) != c.err || !out.Batch.Empty() {
					t.Errorf("answered %+v wrote %+v, want %s", r, out.Batch, c.err)
				}
				return
			}
			if r == nil || r.Type != "result" {
				t.Fatalf("answered %+v", r)
			}
			if ev := eventOf(t, out, sid, "closed"); ev.By != c.by || ev.State != "closed" {
				t.Errorf("closed event %+v", ev)
			}
			if rec := w.record(sid); rec.State != StateClosed || !rec.EndedAt.Equal(w.now) {
				t.Errorf("row %+v", rec)
			}
			var destroyed int
			for _, o := range out.Out {
				if p, ok := o.(*muc.Presence); ok && p.Destroyed {
					destroyed++
				}
			}
			if destroyed != 3 {
				t.Errorf("%d destroy presences, want 3", destroyed)
			}
			if w.load(alice) != 0 {
				t.Errorf("load %d after close", w.load(alice))
			}
		})
	}
}

// Closing a queued session takes it out of the queue.
func TestCloseQueued(t *testing.T) {
	w := newWorld(t)
	sid, _, _ := w.newChat(ann, "Hi")
	w.cmd(ann, sid, &CloseCmd{})
	if w.eng.Router().Queued(sid) || w.record(sid).State != StateClosed {
		t.Errorf("queued=%v state=%s", w.eng.Router().Queued(sid), w.record(sid).State)
	}
}

// PROTOCOL 6: an agent offline longer than the grace time loses its active
// sessions to the next agent, who gets the whole transcript.
func TestAgentOfflineBeyondGraceTransfers(t *testing.T) {
	w := newWorld(t)
	w.signIn(alice)
	sid, _ := w.active(ann, "Hi")
	w.say(alice, sid, "Hello Ann")
	w.advance(time.Second)
	w.signIn(bob)
	w.signOut(alice)
	w.step(&Presence{From: jid.MustParse(alice), To: occupantJID(sid, "Alice"), Type: "unavailable"})

	out := w.tick(w.cfg.Grace - time.Second)
	if len(out.Batch.Transcript) != 0 || w.record(sid).State != StateActive {
		t.Fatalf("before the grace time: %v", eventTypes(out, sid))
	}
	out = w.tick(time.Second)
	ev := eventOf(t, out, sid, "transferred")
	if ev.State != "queued" || ev.By != "system" {
		t.Errorf("transferred event %+v", ev)
	}
	if got := eventRecipients(out, sid, "transferred"); !equal(got, []string{ann}) {
		t.Errorf("transferred sent to %v", got)
	}
	if got := offers(out)[sid]; !equal(got, []string{bob}) {
		t.Errorf("offered to %v, want bob", got)
	}
	if rec := w.record(sid); rec.State != StateQueued || rec.Owner != "" {
		t.Errorf("row %+v", rec)
	}
	if w.load(alice) != 0 {
		t.Errorf("alice keeps load %d", w.load(alice))
	}
	out = w.join(bob, sid, "Bob")
	if rec := w.record(sid); rec.State != StateActive || rec.Owner != bareOf(bob) {
		t.Errorf("row after bob joined %+v", rec)
	}
	got := bodies(history(out, bob))
	if len(got) < 4 || got[0] != "Hi" || got[3] != "Hello Ann" {
		t.Errorf("bob's history %q, want the whole transcript", got)
	}
	// The previous owner keeps read access.
	if presenceErr(w.join(alice, sid, "Alice"), alice) != "" {
		t.Error("the previous owner may not rejoin")
	}
	if _, r := w.cmd(alice, sid, &MAMCmd{}); r != nil {
		t.Errorf("the previous owner's archive query answered %+v", r)
	}
}

// Back within the grace time: nothing happens.
func TestAgentBackWithinGrace(t *testing.T) {
	w := newWorld(t)
	w.signIn(alice)
	sid, _ := w.active(ann, "Hi")
	w.signIn(bob)
	w.signOut(alice)
	w.tick(w.cfg.Grace - time.Second)
	w.signIn(alice)
	for i := 0; i < 3; i++ {
		out := w.tick(w.cfg.Grace)
		if len(out.Batch.Transcript) != 0 || len(offers(out)) != 0 {
			t.Errorf("tick %d: %v offers %v", i, eventTypes(out, sid), offers(out))
		}
	}
	if rec := w.record(sid); rec.State != StateActive || rec.Owner != bareOf(alice) || w.load(alice) != 1 {
		t.Errorf("row %+v load %d", rec, w.load(alice))
	}
}

// Going away keeps the sessions: only going offline counts.
func TestAgentAwayKeepsSessions(t *testing.T) {
	w := newWorld(t)
	w.signIn(alice)
	sid, _ := w.active(ann, "Hi")
	w.signIn(bob)
	w.presence(alice, "", "xa", 0)
	out := w.tick(2 * w.cfg.Grace)
	if len(out.Batch.Transcript) != 0 || w.record(sid).Owner != bareOf(alice) {
		t.Errorf("%v owner %s", eventTypes(out, sid), w.record(sid).Owner)
	}
}

// PROTOCOL 5: a reconnect to a suspended session goes to its owner, with an
// invitation when it is not in the room; the session stays suspended.
func TestReconnectToSuspendedTellsOwner(t *testing.T) {
	for _, inRoom := range []bool{true, false} {
		name := "owner in the room"
		if !inRoom {
			name = "owner not in the room"
		}
		t.Run(name, func(t *testing.T) {
			w := newWorld(t)
			w.signIn(alice)
			sid, token := w.active(ann, "Hi")
			w.leave(ann, sid, "Ann", true)
			if !inRoom {
				w.leave(alice, sid, "Alice", false)
			}
			w.advance(time.Hour / 4)
			out, r := w.svc(annLater, &ReconnectCmd{Session: sid, Token: token})
			s := resultSession(t, r)
			if s["id"] != sid || s["state"] != "suspended" || s["token"] != token {
				t.Errorf("result %v", s)
			}
			head, invites := 0, 0
			for _, o := range messagesTo(out, alice) {
				if m, ok := o.(*Stanza); ok {
					if a, ok := m.Payload.(*Reconnected); ok {
						head++
						if m.Type != "headline" || a.Session != sid || m.From.String() != sid+"@"+service {
							t.Errorf("headline %+v", m)
						}
					}
				}
				if _, ok := o.(*Invitation); ok {
					invites++
				}
			}
			if head != 1 {
				t.Errorf("%d headlines to the owner, want 1", head)
			}
			if want := map[bool]int{true: 0, false: 1}[inRoom]; invites != want {
				t.Errorf("%d invitations, want %d", invites, want)
			}
			eventOf(t, out, sid, "reconnected")
			if rec := w.record(sid); rec.State != StateSuspended || rec.SuspendedBy != "visitor" {
				t.Errorf("row %+v, want still suspended by the visitor", rec)
			}
			// The new JID may join and gets the history.
			out = w.join(annLater, sid, "Ann")
			if e := presenceErr(out, annLater); e != "" {
				t.Fatalf("join after reconnect: %s", e)
			}
			if got := bodies(history(out, annLater)); len(got) == 0 || got[0] != "Hi" {
				t.Errorf("history %q", got)
			}
			if w.record(sid).State != StateSuspended {
				t.Error("joining resumed the session")
			}
			// Until the owner resumes it.
			if !inRoom {
				w.join(alice, sid, "Alice")
			}
			w.cmd(alice, sid, &ResumeCmd{})
			if w.record(sid).State != StateActive {
				t.Errorf("state %s after the owner resumed", w.record(sid).State)
			}
		})
	}
}

// PROTOCOL 6: owner offline longer than the grace time when the visitor
// reconnects: routed like a new request.
func TestReconnectOwnerGoneBeyondGraceRoutesAgain(t *testing.T) {
	w := newWorld(t)
	w.signIn(alice)
	sid, token := w.active(ann, "Hi")
	w.leave(ann, sid, "Ann", true)
	w.signOut(alice)
	w.advance(time.Second)
	w.signIn(bob)
	w.advance(w.cfg.Grace)
	out, r := w.svc(annLater, &ReconnectCmd{Session: sid, Token: token})
	resultSession(t, r)
	eventOf(t, out, sid, "transferred")
	if got := offers(out)[sid]; !equal(got, []string{bob}) {
		t.Errorf("offered to %v, want bob", got)
	}
	if rec := w.record(sid); rec.State != StateQueued || rec.Owner != "" {
		t.Errorf("row %+v", rec)
	}
	if len(stanzas(out, "message", bareOf(alice))) != 0 {
		t.Error("the gone owner was told")
	}
}

// Owner offline but within grace at the reconnect: told; when the grace
// runs out with the session still waiting, it is routed again.
func TestReconnectOwnerWithinGraceThenGone(t *testing.T) {
	w := newWorld(t)
	w.signIn(alice)
	sid, token := w.active(ann, "Hi")
	w.leave(ann, sid, "Ann", true)
	w.signOut(alice)
	w.signIn(bob)
	w.advance(time.Minute)
	out, _ := w.svc(annLater, &ReconnectCmd{Session: sid, Token: token})
	if len(stanzas(out, "message", bareOf(alice))) == 0 {
		t.Errorf("the owner (offline, within grace) was not told: %+v", out.Out)
	}
	if w.record(sid).State != StateSuspended {
		t.Fatalf("state %s", w.record(sid).State)
	}
	out = w.tick(w.cfg.Grace - time.Minute)
	eventOf(t, out, sid, "transferred")
	if got := offers(out)[sid]; !equal(got, []string{bob}) {
		t.Errorf("offered to %v", got)
	}
}

// A reconnect to a session nobody has taken yet just lets the new JID in.
func TestReconnectToQueued(t *testing.T) {
	w := newWorld(t)
	sid, token, _ := w.newChat(ann, "Hi")
	out, r := w.svc(annLater, &ReconnectCmd{Session: sid, Token: token})
	if s := resultSession(t, r); s["state"] != "queued" {
		t.Errorf("result %v", s)
	}
	if got := w.record(sid).VisitorJIDs; !equal(got, []string{ann, annLater}) {
		t.Errorf("visitor JIDs %v", got)
	}
	_ = out
	if e := presenceErr(w.join(annLater, sid, "Ann"), annLater); e != "" {
		t.Errorf("join: %s", e)
	}
}

// A visitor who suspended before any agent took the session and reconnects
// goes back to the queue at its old place.
func TestReconnectToSuspendedQueuedRequeues(t *testing.T) {
	w := newWorld(t)
	sid, token, _ := w.newChat(ann, "Hi")
	w.cmd(ann, sid, &SuspendCmd{})
	w.advance(time.Minute)
	w.signIn(alice)
	out, r := w.svc(annLater, &ReconnectCmd{Session: sid, Token: token})
	resultSession(t, r)
	if rec := w.record(sid); rec.State != StateQueued {
		t.Errorf("row %+v", rec)
	}
	if got := offers(out)[sid]; !equal(got, []string{alice}) {
		t.Errorf("offered to %v", got)
	}
}

// PROTOCOL 5: the suspend deadline survives a restart; Restore brings live
// sessions back with their history.
func TestRestore(t *testing.T) {
	w := newWorld(t)
	w.signIn(alice)
	active, activeToken := w.active(ann, "Active question")
	w.say(alice, active, "Looking into it")
	w.cmd(alice, active, &CommentCmd{Text: "internal"})
	susp, _ := w.active("b1@guest.example.com/w", "Suspended question")
	w.cmd(alice, susp, &SuspendCmd{Cause: "Investigation"})
	queued, _, _ := w.newChat("c1@guest.example.com/w", "Queued question")
	w.say("b1@guest.example.com/w", susp, "are you there") // kept while suspended

	// What a store would give back, built from what the engine wrote.
	snap := &Snapshot{History: map[string][]Entry{}, LastSeq: map[string]int64{}, Permissions: w.perms}
	for _, id := range []string{active, susp, queued} {
		snap.Sessions = append(snap.Sessions, w.record(id))
		snap.History[id] = w.transcript[id]
		snap.LastSeq[id] = w.transcript[id][len(w.transcript[id])-1].Seq
	}
	snap.Agents = w.agents

	// The service is down longer than the suspend timeout.
	down := w.now.Add(w.cfg.SuspendTimeout + time.Minute)
	w2 := newWorld(t)
	w2.now = down
	w2.eng.Restore(down, snap)
	for id, e := range w.transcript {
		w2.transcript[id] = e
	}
	for _, r := range snap.Sessions {
		w2.recs[r.ID] = r
	}
	if st := w2.eng.Stats(); st.ByState[StateActive] != 1 || st.ByState[StateSuspended] != 1 || st.ByState[StateQueued] != 1 {
		t.Fatalf("stats after restore %+v", st)
	}

	// The first tick expires the session whose deadline passed while down.
	out := w2.step(Tick{})
	eventOf(t, out, susp, "expired")
	if w2.record(susp).State != StateExpired {
		t.Errorf("suspended session %s after the first tick", w2.record(susp).State)
	}
	if len(events(out, active)) != 0 {
		t.Errorf("active session events %v", eventTypes(out, active))
	}

	// The queued session's visitor never joined and the abandon time passed
	// while the service was down: abandoned, never offered.
	eventOf(t, out, queued, "abandoned")
	if w2.record(queued).State != StateAbandoned {
		t.Errorf("queued session %s after the first tick", w2.record(queued).State)
	}

	// The agent comes back and rejoins: the whole history, comment included.
	out = w2.signIn(alice)
	if got := offers(out)[queued]; len(got) != 0 {
		t.Errorf("abandoned session offered to %v after restore", got)
	}
	out = w2.join(alice, active, "Alice")
	if e := presenceErr(out, alice); e != "" {
		t.Fatalf("owner rejoin: %s", e)
	}
	got := bodies(history(out, alice))
	if len(got) != len(w.transcript[active]) || got[0] != "Active question" || got[len(got)-1] != "internal" {
		t.Errorf("owner's history %q", got)
	}
	// The visitor rejoins; no comment for it.
	out = w2.join(ann, active, "Ann")
	for _, b := range bodies(history(out, ann)) {
		if b == "internal" {
			t.Error("visitor got the comment")
		}
	}
	// Numbering goes on.
	out = w2.say(ann, active, "still here")
	if tr := out.Batch.Transcript; len(tr) != 1 || tr[0].Seq != snap.LastSeq[active]+1 {
		t.Errorf("first entry after restore %+v, want seq %d", tr, snap.LastSeq[active]+1)
	}
	// The token still works.
	_, r := w2.request(annLater, RequestCmd{Token: activeToken, TokenKnown: true})
	if s := resultResumable(t, r); s["id"] != active {
		t.Errorf("prompt after restore for %v", s)
	}
}

// Restore: an owner who does not come back loses its active sessions after
// the grace time, counted from the start.
func TestRestoreOwnerNotBack(t *testing.T) {
	// (Without the visitor back, the idle time would suspend it first.)
	w := newWorld(t)
	w.signIn(alice)
	sid, _ := w.active(ann, "Hi")
	snap := &Snapshot{Sessions: []Record{w.record(sid)}, Agents: w.agents,
		History: map[string][]Entry{sid: w.transcript[sid]}, LastSeq: map[string]int64{sid: 3}, Permissions: w.perms}

	w2 := newWorld(t)
	w2.now = w.now.Add(time.Hour)
	w2.eng.Restore(w2.now, snap)
	w2.transcript[sid] = w.transcript[sid]
	w2.join(ann, sid, "Ann") // the visitor is back; only the owner is missing
	w2.signIn(bob)
	if out := w2.tick(w2.cfg.Grace - time.Second); len(events(out, sid)) != 0 {
		t.Errorf("before grace: %v", eventTypes(out, sid))
	}
	out := w2.tick(time.Second)
	eventOf(t, out, sid, "transferred")
	if got := offers(out)[sid]; !equal(got, []string{bob}) {
		t.Errorf("offered to %v", got)
	}
}

// Revoking chat takes an agent out of routing.
func TestReloadRevokesChat(t *testing.T) {
	w := newWorld(t)
	w.signIn(alice)
	w.grant(bareOf(alice))
	if _, ok := w.eng.Router().Agent(bareOf(alice)); ok {
		t.Error("router still knows alice")
	}
	sid, _, out := w.newChat(ann, "Hi")
	if len(offers(out)[sid]) != 0 {
		t.Errorf("offered to %v", offers(out)[sid])
	}
	if presenceErr(w.join(alice, sid, "Alice"), alice) != "registration-required" {
		t.Error("revoked agent joined")
	}
}
