package sessions

// Regression tests: rules of PROTOCOL.md the engine once broke, each named
// after the section it holds the engine to.

import (
	"testing"
	"time"

	"mellium.im/xmpp/jid"
)

// PROTOCOL 6: "When the owner is offline for longer than the configured grace
// time, the session is routed like a new request instead." The Runner ticks
// every 200ms, so a tick always runs between the owner going offline and a
// reconnect that comes later than the grace time; that tick forgets the
// owner went offline (it owns no active session) and the reconnect then goes
// to the gone owner, for ever.
func TestFixed_ReconnectAfterOwnerGoneBeyondGraceWithTicks(t *testing.T) {
	w := newWorld(t)
	w.signIn(alice)
	sid, token := w.active(ann, "Hi")
	w.leave(ann, sid, "Ann", true)
	w.signOut(alice)
	w.advance(time.Second)
	w.signIn(bob)
	w.tick(w.cfg.Grace) // what the Runner does anyway
	w.advance(time.Minute)
	out, r := w.svc(annLater, &ReconnectCmd{Session: sid, Token: token})
	resultSession(t, r)
	if got := eventTypes(out, sid); !contains(got, "transferred") {
		t.Errorf("events %v, want transferred: the owner has been offline longer than the grace time", got)
	}
	if got := offers(out)[sid]; !equal(got, []string{bob}) {
		t.Errorf("offered to %v, want bob", got)
	}
	// And it never comes: later ticks leave it with the gone owner.
	w.tick(w.cfg.Grace)
	if rec := w.record(sid); rec.Owner == bareOf(alice) {
		t.Errorf("after another grace time the session still belongs to the offline owner: %+v", rec)
	}
}

// Same rule after a restart: Restore marks only the owners of active
// sessions as offline, so a reconnect to a suspended session whose owner
// never signs in again is never routed to anyone else.
func TestFixed_ReconnectAfterRestartOwnerNeverBack(t *testing.T) {
	w := newWorld(t)
	w.signIn(alice)
	sid, token := w.active(ann, "Hi")
	w.leave(ann, sid, "Ann", true)
	snap := &Snapshot{Sessions: []Record{w.record(sid)}, Agents: w.agents,
		History: map[string][]Entry{sid: w.transcript[sid]}, LastSeq: map[string]int64{sid: int64(len(w.transcript[sid]))},
		Permissions: w.perms}

	w2 := newWorld(t)
	w2.now = w.now.Add(time.Minute)
	w2.eng.Restore(w2.now, snap)
	w2.transcript[sid] = w.transcript[sid]
	w2.signIn(bob)
	w2.tick(w2.cfg.Grace + time.Second)
	out, r := w2.svc(annLater, &ReconnectCmd{Session: sid, Token: token})
	resultSession(t, r)
	out2 := w2.tick(w2.cfg.Grace) // even given another grace time
	if !contains(eventTypes(out, sid), "transferred") && !contains(eventTypes(out2, sid), "transferred") {
		t.Errorf("the owner never came back after the restart, yet the reconnect was not routed to bob (events %v then %v)",
			eventTypes(out, sid), eventTypes(out2, sid))
	}
}

// PROTOCOL 5: "Only the session's agents (owner and conferenced agents) may
// suspend, resume, comment or close; others get <forbidden/>." A supervisor
// (or a former owner) in the room may add a comment with a <p:comment/>
// message; the <comment/> IQ refuses the same person.
func TestFixed_SupervisorMayNotComment(t *testing.T) {
	w := newWorld(t)
	w.signIn(alice)
	sid, _ := w.active(ann, "Hi")
	w.join(sue, sid, "Sue")
	out := w.send(&Message{From: jid.MustParse(sue), Body: "note from the supervisor", Comment: true}, sid)
	r := stanzas(out, "message", sue)
	if len(r) != 1 || errCond(r[0]) != "forbidden" || len(out.Batch.Transcript) != 0 {
		t.Errorf("supervisor's comment: answer %+v, transcript %+v; want forbidden and nothing kept", r, out.Batch.Transcript)
	}
}

// PROTOCOL 1: nobody else "learns that it exists"; PROTOCOL 9: an unknown
// payload gets service-unavailable. A stranger can tell a live room from a
// missing one by the answer to an IQ the room does not support.
func TestFixed_StrangerLearnsRoomExists(t *testing.T) {
	w := newWorld(t)
	w.signIn(alice)
	sid, _ := w.active(ann, "Hi")
	const missing = "aaaaaaaaaaaaaaaaaaaaaaaaaa"
	cases := []struct {
		name     string
		to       func(room string) jid.JID
		typ      string
		cmd      Cmd
		wantBoth string
	}{
		{"unknown payload to the room", roomJID, "set", &VersionCmd{}, "service-unavailable"},
		{"IQ to an occupant", func(r string) jid.JID { return occupantJID(r, "Ann") }, "get", &DiscoInfoCmd{}, ""},
		{"canned get to the room", roomJID, "get", &CannedCmd{ID: "x"}, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, live := w.iq(eve, c.to(sid), c.typ, c.cmd)
			_, gone := w.iq(eve, c.to(missing), c.typ, c.cmd)
			if errCond(live) != errCond(gone) {
				t.Errorf("a stranger gets %q from a live room and %q from a missing one", errCond(live), errCond(gone))
			}
			if c.wantBoth != "" && (errCond(live) != c.wantBoth || errCond(gone) != c.wantBoth) {
				t.Errorf("answers %q / %q, want %q for both", errCond(live), errCond(gone), c.wantBoth)
			}
		})
	}
}

// PROTOCOL 7: a canned response is posted "into the room as the agent", and
// post's own comment says so, but an agent not in the room (working from a
// client with no plugin, or from the CLI) posts from the room's bare JID:
// Announce clears the nick, so the visitor sees a system message.
func TestFixed_CannedFromAbsentAgentComesFromTheRoom(t *testing.T) {
	w := newWorld(t)
	w.signIn(alice)
	sid, _ := w.active(ann, "Hi")
	w.leave(alice, sid, "Alice", false)
	out, _ := w.cmd(alice, sid, &CannedCmd{ID: "t", Resolved: &Canned{ID: "t", Body: "Thank you for waiting"}})
	ms := roomMessages(out, sid, "Thank you for waiting")
	if len(ms) != 1 || ms[0].From.Resourcepart() == "" {
		t.Errorf("canned response delivered %+v, want it from the agent's nick", ms)
	}
	if tr := out.Batch.Transcript; len(tr) != 1 || tr[0].Nick == "" {
		t.Errorf("transcript %+v", tr)
	}
}

// PROTOCOL 4: states go queued → active ⇄ suspended → closed or expired, once.
// A session that ends stays reachable until the end of its batch (Process
// forgets it only then), and the Runner batches up to 256 inputs: a second
// close in the same batch closes it again (two closed events, Observer.Ended
// twice), and a request on its token is prompted to reconnect to the closed
// session.
func TestFixed_EndedSessionStillActionableInSameBatch(t *testing.T) {
	t.Run("second close", func(t *testing.T) {
		w := newWorld(t)
		w.signIn(alice)
		sid, _ := w.active(ann, "Hi")
		out := w.step(
			&IQ{From: jid.MustParse(alice), To: roomJID(sid), ID: "c1", Type: "set", Cmd: &CloseCmd{}},
			&IQ{From: jid.MustParse(ann), To: roomJID(sid), ID: "c2", Type: "set", Cmd: &CloseCmd{}},
		)
		if got := eventTypes(out, sid); len(got) != 1 {
			t.Errorf("events %v, want one closed", got)
		}
		if r := reply(out, "c2"); errCond(r) != "item-not-found" {
			t.Errorf("second close answered %+v, want item-not-found (the session is gone)", r)
		}
	})
	t.Run("request on its token", func(t *testing.T) {
		w := newWorld(t)
		w.signIn(alice)
		sid, token := w.active(ann, "Hi")
		out := w.step(
			&IQ{From: jid.MustParse(ann), To: roomJID(sid), ID: "c", Type: "set", Cmd: &CloseCmd{}},
			&IQ{From: jid.MustParse(annLater), To: jid.MustParse(service), ID: "r", Type: "set",
				Cmd: &RequestCmd{Token: token, TokenKnown: true, Queue: "support"}},
		)
		r := reply(out, "r")
		if a, ok := r.Payload.(*SessionAnswer); !ok || a.ID == sid {
			t.Errorf("request after the close answered %q, want a new session", r.Payload)
		}
	})
}

// PROTOCOL 5: "after the configured idle time with no visitor present it
// becomes suspended by system". A visitor whose widget never joins the room
// (it crashed right after the request) is never counted as gone: the agent
// who takes the session keeps it active, using a capacity slot, for ever.
// After a restart the same session would be suspended (Restore counts the
// visitor gone from the start).
func TestFixed_VisitorWhoNeverJoinsIsNeverSuspended(t *testing.T) {
	w := newWorld(t)
	w.signIn(alice)
	sid, _, _ := w.newChat(ann, "Hi")
	w.join(alice, sid, "Alice")
	out := w.tick(w.cfg.IdleSuspend)
	if rec := w.record(sid); rec.State != StateSuspended || rec.SuspendedBy != "system" {
		t.Errorf("no visitor for %v: state %s (events %v), want suspended by system", w.cfg.IdleSuspend, rec.State, eventTypes(out, sid))
	}
}

// docs/protocol.md: "A late join still takes a waiting session. [...] Once
// another agent owns it the late agent gets registration-required."
// PROTOCOL 1: nobody else ever joins a session room. An agent whose offer
// timed out keeps its offered mark for ever, and entry() lets it in as a
// conferenced agent once someone else owns the session: it gets the whole
// transcript, a conference row, and may suspend or close the session.
func TestFixed_LateAgentJoinsAfterAnotherOwnsIt(t *testing.T) {
	w := newWorld(t)
	w.signIn(alice)
	w.advance(time.Second)
	w.signIn(bob)
	sid, _, _ := w.newChat(ann, "Hi")
	w.tick(w.cfg.OfferTimeout) // alice's offer times out; bob gets it
	w.join(bob, sid, "Bob")
	if w.record(sid).Owner != bareOf(bob) {
		t.Fatalf("owner %q", w.record(sid).Owner)
	}
	out := w.join(alice, sid, "Alice")
	if e := presenceErr(out, alice); e != "registration-required" {
		t.Errorf("late agent's join answered %q (events %v, agent rows %+v), want registration-required",
			e, eventTypes(out, sid), out.Batch.Agents)
	}
	if _, r := w.cmd(alice, sid, &CloseCmd{}); r.Type == "result" {
		t.Error("the late agent closed a session it was never given")
	}
}

// docs/protocol.md: rooms are semi-anonymous ("the visitor does not see the
// agents' JIDs") and `<event/>` carries `agent`, "the agent's nick". The
// conference event carries the invited agent's bare JID instead, and it is
// delivered to the visitor.
func TestFixed_ConferenceEventShowsAgentJIDToVisitor(t *testing.T) {
	w := newWorld(t)
	w.signIn(alice)
	w.signIn(carol)
	w.presence(carol, "", "dnd", 0)
	sid, _ := w.active(ann, "Hi")
	w.send(&Message{From: jid.MustParse(alice), Invites: []Invite{{To: jid.MustParse("carol@example.com")}}}, sid)
	out := w.join(carol, sid, "Carol")
	ev := eventOf(t, out, sid, "conference")
	if ev.Agent != "Carol" {
		t.Errorf("conference event agent=%q, sent to %v; want the nick Carol", ev.Agent, eventRecipients(out, sid, "conference"))
	}
}
