package sessions

import (
	"slices"
	"testing"
	"time"

	"github.com/parley-chat/parley/routing"
)

// withdrawals are the Withdrawal values sent to `to`.
func withdrawals(out Output, to string) []*Withdrawal {
	var ws []*Withdrawal
	for _, o := range out.Out {
		if w, ok := o.(*Withdrawal); ok && w.To.String() == to {
			ws = append(ws, w)
		}
	}
	return ws
}

// A visitor who leaves the queue is never offered; the visitor behind it is
// offered first; after the abandon time it is abandoned.
func TestAbandonedVisitorIsNotOffered(t *testing.T) {
	w := newWorld(t)
	gone, _, _ := w.newChat(ann, "first")
	w.join(ann, gone, "Ann")
	w.advance(time.Second)
	here, _, _ := w.newChat("b1@guest.example.com/w", "second")
	w.join("b1@guest.example.com/w", here, "Bo")
	out := w.leave(ann, gone, "Ann", false)
	if rec := w.record(gone); rec.State != StateQueued || !rec.Deadline.Equal(w.now.Add(w.cfg.AbandonAfter)) {
		t.Fatalf("row after the visitor left %+v, want queued with the abandon deadline", rec)
	}
	if ev := eventOf(t, out, here, "queued"); ev.Position != "1" {
		t.Errorf("the visitor behind is told position %s, want 1", ev.Position)
	}
	out = w.signIn(alice)
	if got := offers(out); len(got[gone]) != 0 || !equal(got[here], []string{alice}) {
		t.Fatalf("offers %v: want only %s, to alice", got, here)
	}
	out = w.tick(w.cfg.AbandonAfter - time.Second)
	if w.record(gone).State != StateQueued {
		t.Fatalf("abandoned early: %v", eventTypes(out, gone))
	}
	out = w.tick(time.Second)
	eventOf(t, out, gone, "abandoned")
	rec := w.record(gone)
	if rec.State != StateAbandoned || rec.EndedAt.IsZero() || !rec.Deadline.IsZero() {
		t.Errorf("row %+v, want abandoned and ended", rec)
	}
	if _, live := w.eng.byID[gone]; live || w.eng.Router().Queued(gone) {
		t.Error("the abandoned session is still live or queued")
	}
	// Ended rooms answer their own people <gone/> with the reason (docs/protocol.md, standard clients).
	if e := presenceErr(w.join(ann, gone, "Ann"), ann); e != "gone" {
		t.Errorf("join of the abandoned room: %q", e)
	}
}

// An offer out for a visitor who leaves is withdrawn: the agent is told, its
// slot is free for the next visitor, and a late join is refused.
func TestOfferWithdrawnWhenTheVisitorLeaves(t *testing.T) {
	w := newWorld(t, func(c *Config) { c.DefaultCapacity = 1 })
	w.signIn(alice)
	gone, _, out := w.newChat(ann, "first")
	w.join(ann, gone, "Ann")
	if got := offers(out)[gone]; !equal(got, []string{alice}) {
		t.Fatalf("offered to %v", got)
	}
	w.advance(time.Second)
	next, _, out := w.newChat("b1@guest.example.com/w", "second")
	if len(offers(out)[next]) != 0 {
		t.Fatal("offered beyond capacity")
	}
	out = w.leave(ann, gone, "Ann", false)
	ws := withdrawals(out, alice)
	if len(ws) != 1 || ws[0].Session != gone || ws[0].Reason != WithdrawnVisitorLeft || ws[0].From.String() != gone+"@"+service || ws[0].Body == "" {
		t.Fatalf("withdrawals to alice %+v", ws)
	}
	if got := offers(out)[next]; !equal(got, []string{alice}) {
		t.Errorf("the freed slot went to %v, want alice for %s", got, next)
	}
	if e := presenceErr(w.join(alice, gone, "Alice"), alice); e != "registration-required" {
		t.Errorf("alice joining the withdrawn session: %q", e)
	}
	if w.record(gone).State != StateQueued {
		t.Errorf("state %s", w.record(gone).State)
	}
	// Withdrawn everywhere alice looks: her workspace, the service's rooms,
	// the room's commands (no decline of an offer she no longer has).
	listed := func() (inWorkspace, inDisco bool) {
		for _, s := range w.workspaceOf(alice).Sessions {
			inWorkspace = inWorkspace || s.ID == gone
		}
		_, r := w.svc(alice, &DiscoItemsCmd{})
		for _, it := range r.Payload.(*DiscoItems).Items {
			inDisco = inDisco || it.JID.Localpart() == gone
		}
		return inWorkspace, inDisco
	}
	if ws, disco := listed(); ws || disco {
		t.Errorf("the withdrawn session listed in alice's workspace %v, in disco#items %v", ws, disco)
	}
	if _, r := w.cmd(alice, gone, &AdHocCmd{Node: "decline"}); errCond(r) != "item-not-found" {
		t.Errorf("declining the withdrawn offer: %+v, want item-not-found", r)
	}
	// The visitor back, the offer stands again.
	w.join(ann, gone, "Ann")
	if ws, disco := listed(); !ws || !disco {
		t.Errorf("the session back from its hold: in alice's workspace %v, in disco#items %v; want both", ws, disco)
	}
}

// A visitor who comes back within the abandon time keeps its place: it is
// ahead of the one who came later and is offered first.
func TestVisitorBackKeepsItsPlace(t *testing.T) {
	w := newWorld(t, func(c *Config) { c.DefaultCapacity = 1 })
	first, _, _ := w.newChat(ann, "first")
	w.join(ann, first, "Ann")
	w.advance(time.Second)
	second, _, _ := w.newChat("b1@guest.example.com/w", "second")
	w.join("b1@guest.example.com/w", second, "Bo")
	w.leave(ann, first, "Ann", false)
	w.tick(w.cfg.AbandonAfter - time.Second)
	out := w.join(ann, first, "Ann")
	if ev := eventOf(t, out, first, "queued"); ev.Position != "1" {
		t.Errorf("back: position %s, want 1", ev.Position)
	}
	if ev := eventOf(t, out, second, "queued"); ev.Position != "2" {
		t.Errorf("the later visitor: position %s, want 2", ev.Position)
	}
	if !w.record(first).Deadline.IsZero() {
		t.Error("the abandon deadline was not cleared")
	}
	out = w.signIn(alice)
	if got := offers(out); !equal(got[first], []string{alice}) || len(got[second]) != 0 {
		t.Errorf("offers %v, want the first session to alice", got)
	}
	if out = w.tick(time.Hour); w.record(first).State != StateQueued {
		t.Errorf("abandoned after the visitor came back: %v", eventTypes(out, first))
	}
}

// A visitor whose widget never joins abandons like one who left.
func TestVisitorWhoNeverJoinsAbandons(t *testing.T) {
	w := newWorld(t)
	w.signIn(alice)
	sid, _, out := w.newChat(ann, "Hi")
	if got := offers(out)[sid]; !equal(got, []string{alice}) {
		t.Fatalf("offered to %v (a new request is offered before its widget joins)", got)
	}
	out = w.tick(w.cfg.AbandonAfter)
	eventOf(t, out, sid, "abandoned")
	if ws := withdrawals(out, alice); len(ws) != 1 {
		t.Errorf("the outstanding offer was not withdrawn: %+v", ws)
	}
	if w.load(alice) != 0 {
		t.Errorf("load %d", w.load(alice))
	}
}

// Restored queued sessions follow the same rule: not offered until the
// visitor rejoins; abandoned at the deadline, kept or started at restore.
func TestRestoredQueuedSessionsAbandon(t *testing.T) {
	w := newWorld(t)
	present, _, _ := w.newChat(ann, "present when the service stopped")
	w.join(ann, present, "Ann")
	w.advance(time.Second)
	away, _, _ := w.newChat("b1@guest.example.com/w", "away when it stopped")
	w.join("b1@guest.example.com/w", away, "Bo")
	w.leave("b1@guest.example.com/w", away, "Bo", false)
	snap := &Snapshot{History: map[string][]Entry{}, LastSeq: map[string]int64{}, Permissions: w.perms}
	for _, id := range []string{present, away} {
		snap.Sessions = append(snap.Sessions, w.record(id))
		snap.LastSeq[id] = w.transcript[id][len(w.transcript[id])-1].Seq
	}
	awayDeadline := w.record(away).Deadline

	start := w.now.Add(time.Minute)
	w2 := newWorld(t)
	w2.now = start
	w2.eng.Restore(start, snap)
	for id, e := range w.transcript {
		w2.transcript[id] = e
	}
	out := w2.step(Tick{})
	var written *Record
	for i := range out.Batch.Sessions {
		if out.Batch.Sessions[i].ID == present {
			written = &out.Batch.Sessions[i]
		}
	}
	if written == nil || !written.Deadline.Equal(start.Add(w.cfg.AbandonAfter)) {
		t.Fatalf("the restored session's abandon deadline was not written: %+v", written)
	}
	if out = w2.signIn(alice); len(offers(out)) != 0 {
		t.Fatalf("offered %v while no visitor is back", offers(out))
	}
	// The away one keeps its own deadline: gone a minute after the restart.
	out = w2.tick(awayDeadline.Sub(w2.now))
	eventOf(t, out, away, "abandoned")
	if w2.eng.byID[present] == nil {
		t.Fatal("the other session went too")
	}
	out = w2.join(ann, present, "Ann")
	if got := offers(out)[present]; !equal(got, []string{alice}) {
		t.Errorf("after the visitor rejoined: offered to %v", got)
	}
}

// The queued event carries the estimated wait: unknown before any answer,
// then the mean of recent waits less what the visitor already waited.
func TestQueuedEventCarriesTheWait(t *testing.T) {
	w := newWorld(t, func(c *Config) { c.DefaultCapacity = 1 })
	first, _, out := w.newChat(ann, "first")
	ev := eventOf(t, out, first, "queued")
	if a := lastEventAttrs(out, first, "queued"); a["wait"] != "" {
		t.Errorf("wait %q before any answer, want none", a["wait"])
	}
	_ = ev
	w.join(ann, first, "Ann")
	w.advance(2 * time.Minute)
	second, _, _ := w.newChat("b1@guest.example.com/w", "second")
	w.join("b1@guest.example.com/w", second, "Bo")
	w.advance(time.Minute)
	w.signIn(alice)
	out = w.join(alice, first, "Alice") // first waited 3 minutes
	if d, ok := w.eng.Router().EstimatedWait("support"); !ok || d != 3*time.Minute {
		t.Fatalf("estimate %v %v, want 3m", d, ok)
	}
	a := lastEventAttrs(out, second, "queued")
	// second waited 1 minute of the 3: 2 minutes left.
	if a["position"] != "1" || a["wait"] != "120" {
		t.Errorf("queued event of the second %v, want position 1 and wait 120", a)
	}
	if b := lastBody(out, second, "queued"); b != "You are number 1 in the queue; about 2 minutes to wait" {
		t.Errorf("body %q", b)
	}
}

func lastEventAttrs(out Output, sid, typ string) map[string]string {
	var a map[string]string
	for _, e := range out.Batch.Transcript {
		if ev, ok := e.Element.(*Event); ok && e.Session == sid && ev.Type == typ {
			a = eventAttrs(ev)
		}
	}
	return a
}

func lastBody(out Output, sid, typ string) string {
	b := ""
	for _, e := range out.Batch.Transcript {
		if ev, ok := eventFrom(e.Element); ok && e.Session == sid && ev.Type == typ {
			b = e.Body
		}
	}
	return b
}

// availabilityOf asks the service for one queue.
func (w *world) availabilityOf(queue string) routing.QueueAvailability {
	w.t.Helper()
	q := &IQ{From: mustJID(ann), To: mustJID(service), ID: w.nextID(), Type: "get", Cmd: &AvailabilityCmd{Queue: queue}}
	out := w.step(q)
	for _, o := range out.Out {
		if a, ok := o.(*Availability); ok && a.ID == q.ID {
			if len(a.Queues) != 1 {
				w.t.Fatalf("availability %+v", a)
			}
			return a.Queues[0]
		}
	}
	w.t.Fatalf("no availability answer: %+v", out.Out)
	return routing.QueueAvailability{}
}

func TestAvailabilityIQ(t *testing.T) {
	w := newWorld(t, func(c *Config) { c.DefaultCapacity = 1 })
	if a := w.availabilityOf("support"); a.Status != routing.StatusAway || a.WaitKnown {
		t.Errorf("no agents: %+v", a)
	}
	w.signIn(alice)
	if a := w.availabilityOf("support"); a.Status != routing.StatusAvailable {
		t.Errorf("a free agent: %+v", a)
	}
	w.active(ann, "Hi")
	sid, _, _ := w.newChat("b1@guest.example.com/w", "waiting")
	w.join("b1@guest.example.com/w", sid, "Bo")
	if a := w.availabilityOf("support"); a.Status != routing.StatusBusy || a.Waiting != 1 || !a.WaitKnown || a.Wait != 0 {
		t.Errorf("busy: %+v", a)
	}
	_, r := w.iq(ann, mustJID(service), "get", &AvailabilityCmd{Queue: "nope"})
	if errCond(r) != "item-not-found" {
		t.Errorf("unknown queue: %+v", r)
	}
	q := &IQ{From: mustJID(ann), To: mustJID(service), ID: "all", Type: "get", Cmd: &AvailabilityCmd{}}
	for _, o := range w.step(q).Out {
		if a, ok := o.(*Availability); ok && len(a.Queues) != 2 {
			t.Errorf("every queue: %+v", a.Queues)
		}
	}
}

// Leave a message: a missed session, listed to agents, taken by one (by
// command or by joining), then an ordinary session the visitor reconnects to.
func TestLeaveMessageTakeAndReconnect(t *testing.T) {
	rec := &recorderW{}
	w := newWorld(t, func(c *Config) { c.Observer = rec })
	w.signIn(carol) // signed in: told of the message
	out, r := w.svc(ann, &LeaveMessageCmd{Queue: "sales", Visitor: map[string]string{"name": "Ann", "email": "ann@example.org"}, Body: "Call me back"})
	s := resultSession(t, r)
	sid, token := s["id"], s["token"]
	var notices []*MissedNotice
	for _, o := range out.Out {
		if n, ok := o.(*MissedNotice); ok {
			notices = append(notices, n)
		}
	}
	if len(notices) != 1 || notices[0].To.String() != carol || notices[0].Session != sid || notices[0].Queue != "sales" {
		t.Errorf("missed notices %+v, want one to carol", notices)
	}
	if s["state"] != "missed" || token == "" {
		t.Fatalf("result %v", s)
	}
	if got := w.record(sid); got.State != StateMissed || got.Question != "Call me back" || got.Queue != "sales" {
		t.Errorf("row %+v", got)
	}
	if tr := w.transcript[sid]; len(tr) != 1 || tr[0].Body != "Call me back" || tr[0].AuthorRole != "visitor" {
		t.Errorf("transcript %+v", tr)
	}
	if rec.missed != "sales" {
		t.Errorf("missed metric heard %q", rec.missed)
	}
	// Listed to chat holders by the sessions command and in disco#items.
	_, r = w.svc(bob, &AdHocCmd{Node: "sessions"})
	words := formWords(commandOf(r).Form)
	if len(commandOf(r).Form.Items) == 0 {
		t.Fatalf("sessions command %+v", r.Payload)
	}
	if !slices.Contains(words, sid+"@"+service) || !slices.Contains(words, "missed") {
		t.Errorf("sessions command does not list the missed session: %q", r.Payload)
	}
	// Nobody is offered it, and an empty body is refused.
	if out := w.signIn(alice); len(offers(out)) != 0 {
		t.Errorf("missed session offered: %v", offers(out))
	}
	_, r = w.svc(ann, &LeaveMessageCmd{Body: "  "})
	if errCond(r) != "bad-request" {
		t.Errorf("empty message: %+v", r)
	}
	// eve holds no permission: not found.
	_, r = w.cmd(eve, sid, &AdHocCmd{Node: "take"})
	if errCond(r) != "item-not-found" {
		t.Errorf("eve's take: %+v", r)
	}
	out, r = w.cmd(bob, sid, &AdHocCmd{Node: "take"})
	if r == nil || r.Type != "result" {
		t.Fatalf("take %+v", r)
	}
	eventOf(t, out, sid, "assigned")
	if got := w.record(sid); got.State != StateActive || got.Owner != bareOf(bob) || got.AssignedAt.IsZero() {
		t.Errorf("row after take %+v", got)
	}
	if w.load(bob) != 1 {
		t.Errorf("bob's load %d", w.load(bob))
	}
	_, r = w.cmd(alice, sid, &AdHocCmd{Node: "take"})
	if errCond(r) != "not-allowed" {
		t.Errorf("a second take by another agent: %q", errCond(r))
	}
	w.join(bob, sid, "Bob")
	w.say(bob, sid, "Hello Ann, about your call")
	// The visitor comes back with its cookie: prompted, reconnects, sees the reply.
	_, r = w.request(annLater, RequestCmd{Queue: "sales", Token: token, TokenKnown: true, Probe: true})
	if p := resultResumable(t, r); p["id"] != sid {
		t.Fatalf("probe %v", p)
	}
	_, r = w.svc(annLater, &ReconnectCmd{Session: sid, Token: token})
	resultSession(t, r)
	got := bodies(history(w.join(annLater, sid, "Ann"), annLater))
	if len(got) < 2 || got[0] != "Call me back" || !contains(got, "Hello Ann, about your call") {
		t.Errorf("visitor's history %q", got)
	}
}

// Joining a missed room takes it.
func TestJoinTakesMissedSession(t *testing.T) {
	w := newWorld(t)
	_, r := w.svc(ann, &LeaveMessageCmd{Body: "Hello?"})
	sid := resultSession(t, r)["id"]
	p := map[string]map[string]bool{}
	for k, v := range w.perms {
		p[k] = v
	}
	w.step(&Reload{Permissions: p, Queues: map[string][]string{bareOf(carol): {"sales"}}}) // carol serves another queue
	if e := presenceErr(w.join(carol, sid, "Carol"), carol); e != "registration-required" {
		t.Errorf("an agent of another queue joined: %q", e)
	}
	out := w.join(alice, sid, "Alice")
	eventOf(t, out, sid, "assigned")
	if got := w.record(sid); got.State != StateActive || got.Owner != bareOf(alice) {
		t.Errorf("row %+v", got)
	}
}

type recorderW struct {
	recorder
	missed, abandoned string
	answered          []time.Duration
}

func (r *recorderW) FirstOffer(string, time.Duration)   {}
func (r *recorderW) Answered(q string, d time.Duration) { r.answered = append(r.answered, d) }
func (r *recorderW) Abandoned(q string)                 { r.abandoned = q }
func (r *recorderW) Missed(q string)                    { r.missed = q }

func containsText(s, sub string) bool {
	return len(sub) > 0 && len(s) >= len(sub) && indexOf(s, sub) >= 0
}

func indexOf(s, sub string) int {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return i
		}
	}
	return -1
}
