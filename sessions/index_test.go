package sessions

import (
	"math/rand/v2"
	"slices"
	"sort"
	"strconv"
	"testing"
	"time"

	"mellium.im/xmpp/jid"
)

// actsNow is the tick's rule for one session as the full scan applied it
// before the heap (the reference): would a tick at e.now act on s?
func actsNow(e *Engine, s *session) bool {
	ownerGone := func() bool {
		t, off := e.offline[s.rec.Owner]
		return off && !e.router.Online(s.rec.Owner) && e.now.Sub(t) >= e.cfg.Grace
	}
	switch s.rec.State {
	case StateQueued:
		return !s.rec.Deadline.IsZero() && !e.now.Before(s.rec.Deadline) && !s.room.Present("visitor")
	case StateActive:
		return (!s.visitorGone.IsZero() && !s.room.Present("visitor") && e.now.Sub(s.visitorGone) >= e.cfg.IdleSuspend) || ownerGone()
	case StateSuspended:
		return (!s.rec.Deadline.IsZero() && !e.now.Before(s.rec.Deadline)) || (s.reconnected && ownerGone())
	}
	return false
}

// checkIndexes compares every index with a full scan of the live sessions.
func checkIndexes(t *testing.T, e *Engine, step int) {
	t.Helper()
	x := &e.scale
	x.init()
	states := make(map[State]int)
	owners := make(map[string]map[string]struct{})
	conns := make(map[string]map[string]struct{})
	people := make(map[string]map[string]struct{})
	missed := make(map[string]struct{})
	for id, s := range e.byID {
		for _, m := range []map[string]bool{s.invited, s.offered} {
			for a := range m {
				addTo(people, a, id)
			}
		}
		for a := range s.agents {
			addTo(people, a, id)
		}
		if s.rec.State == StateMissed {
			missed[id] = struct{}{}
		}
		states[s.rec.State]++
		addTo(owners, s.rec.Owner, id)
		if len(s.rec.VisitorJIDs) > 0 {
			addTo(conns, s.rec.VisitorJIDs[0], id)
		}
		at, ok := e.wake(s)
		i, scheduled := x.timers.pos[id]
		switch {
		case ok != scheduled:
			t.Fatalf("step %d: session %s (%s) scheduled %v, has a timer %v", step, id, s.rec.State, scheduled, ok)
		case ok && !x.timers.items[i].at.Equal(at):
			t.Fatalf("step %d: session %s scheduled at %v, wakes at %v", step, id, x.timers.items[i].at, at)
		}
	}
	if len(x.timers.items) != len(x.timers.pos) {
		t.Fatalf("step %d: heap of %d items, %d positions", step, len(x.timers.items), len(x.timers.pos))
	}
	for _, it := range x.timers.items {
		if e.byID[it.key] == nil {
			t.Fatalf("step %d: heap holds %s, which is not live", step, it.key)
		}
	}
	for st, n := range x.states {
		if n != states[st] {
			t.Fatalf("step %d: %d sessions %s counted, %d live", step, n, st, states[st])
		}
	}
	for st, n := range states {
		if x.states[st] != n {
			t.Fatalf("step %d: %d sessions %s live, %d counted", step, n, st, x.states[st])
		}
	}
	sameSets := func(name string, got, want map[string]map[string]struct{}) {
		t.Helper()
		if len(got) != len(want) {
			t.Fatalf("step %d: %s index has %d keys, want %d", step, name, len(got), len(want))
		}
		for k, ids := range want {
			if len(got[k]) != len(ids) {
				t.Fatalf("step %d: %s index of %s has %d sessions, want %d", step, name, k, len(got[k]), len(ids))
			}
			for id := range ids {
				if _, ok := got[k][id]; !ok {
					t.Fatalf("step %d: %s index of %s lacks %s", step, name, k, id)
				}
			}
		}
	}
	sameSets("owner", x.byOwner, owners)
	sameSets("connection", x.byConn, conns)
	sameSets("person", x.byPerson, people)
	sameSets("missed", map[string]map[string]struct{}{"": x.missed}, map[string]map[string]struct{}{"": missed})
	// What an agent is shown from the indexes (disco#items, the sessions
	// command, its workspace) is what the rule gives over every session.
	for bare := range e.perms {
		if got, want := e.knownSessions(bare), e.scanKnown(bare); !slices.Equal(got, want) {
			t.Fatalf("step %d: %s knows of %v from the indexes, %v by the rule", step, bare, got, want)
		}
		var got, want []string
		for _, s := range e.linkedTo(bare) {
			if e.workspaceRole(s, bare) != "" {
				got = append(got, s.rec.ID)
			}
		}
		for id, s := range e.byID {
			if e.workspaceRole(s, bare) != "" {
				want = append(want, id)
			}
		}
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Fatalf("step %d: %s's workspace lists %v from the indexes, %v by a scan", step, bare, got, want)
		}
	}
	st := e.Stats()
	for _, s := range []State{StateQueued, StateActive, StateSuspended, StateMissed} {
		if st.ByState[s] != states[s] {
			t.Fatalf("step %d: Stats says %d %s, %d live", step, st.ByState[s], s, states[s])
		}
	}
}

// TestTimersHeapMatchesScan drives the engine with random visitors and
// agents (requests, joins, leaves, suspends, reconnects, sign-ins and
// sign-outs, messages) on the injected clock. After every step the indexes
// must equal a full scan of the sessions, and before every tick each session
// the full scan's rules would act on must be due on the heap.
func TestTimersHeapMatchesScan(t *testing.T) {
	for seed := uint64(1); seed <= 12; seed++ {
		t.Run("seed="+strconv.FormatUint(seed, 10), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(seed, 13))
			w := newWorld(t, func(c *Config) {
				c.Limits = Limits{OpenSessions: 2, QueuedSessions: 2}
				c.QueueLimit = 0
			})
			visitors := []string{"v1@guest.example.com/w1", "v2@guest.example.com/w1", "v3@guest.example.com/w1", "v4@guest.example.com/w1"}
			agents := []string{alice, bob, carol}
			nick := map[string]string{alice: "Alice", bob: "Bob", carol: "Carol"}
			sessionsOf := make(map[string][]string) // visitor -> session ids it got
			var all []string                        // every session id
			pick := func(list []string) string { return list[rng.IntN(len(list))] }
			acted := 0
			seen := make(map[string]bool) // what the story's sessions held at some step
			watched := 0                  // steps after which a supervisor watched the queue figures
			for step := 0; step < 400; step++ {
				v := pick(visitors)
				switch op := rng.IntN(16); op {
				case 0, 1:
					c := RequestCmd{Queue: "support", Body: "help"}
					if ids := sessionsOf[v]; len(ids) > 0 && rng.IntN(2) == 0 {
						c.Token = w.tokenBySID[pick(ids)]
						c.New = rng.IntN(3) == 0
					}
					_, r := w.request(v, c)
					if r != nil && r.Type == "result" {
						if a, ok := r.Payload.(*SessionAnswer); ok && a.ID != "" {
							sessionsOf[v] = append(sessionsOf[v], a.ID)
							all = append(all, a.ID)
						}
					}
				case 2, 3:
					if ids := sessionsOf[v]; len(ids) > 0 {
						w.join(v, pick(ids), "Ann")
					}
				case 4:
					if ids := sessionsOf[v]; len(ids) > 0 {
						w.leave(v, pick(ids), "Ann", rng.IntN(3) == 0)
					}
				case 5:
					w.signIn(pick(agents))
				case 6:
					w.signOut(pick(agents))
				case 7:
					if len(all) > 0 {
						a := pick(agents)
						w.join(a, pick(all), nick[a])
					}
				case 8:
					if len(all) > 0 {
						a := pick(agents)
						w.leave(a, pick(all), nick[a], false)
					}
				case 9:
					if ids := sessionsOf[v]; len(ids) > 0 {
						w.say(v, pick(ids), "hello")
					}
				case 12: // a missed session (which any agent serving its queue may take)
					if _, r := w.svc(v, &LeaveMessageCmd{Body: "call me"}); r != nil && r.Type == "result" {
						if a, ok := r.Payload.(*SessionAnswer); ok && a.ID != "" {
							sessionsOf[v] = append(sessionsOf[v], a.ID)
							all = append(all, a.ID)
						}
					}
				case 13: // an agent invites another (refused unless it is one of the session's agents)
					a, to := pick(agents), pick(agents)
					var owned []string
					for id, s := range w.eng.byID {
						if s.agents[jid.MustParse(a).Bare().String()] == RoleOwner {
							owned = append(owned, id)
						}
					}
					if sort.Strings(owned); len(owned) > 0 {
						w.send(&Message{From: jid.MustParse(a), Invites: []Invite{{To: jid.MustParse(to).Bare()}}}, pick(owned))
					}
				case 15: // carol's permission revoked or given back (the figures list chat holders only)
					if _, has := w.perms[bareOf(carol)][PermChat]; has {
						w.grant(bareOf(carol))
					} else {
						w.grant(bareOf(carol), PermChat)
					}
				case 14: // an agent declines (its offer or invitation, if it has one)
					if len(all) > 0 {
						w.send(&Message{From: jid.MustParse(pick(agents)), Decline: true}, pick(all))
					}
				default:
					w.advance(time.Duration(rng.IntN(200)) * time.Second)
					w.eng.now = w.now.UTC()
					due := make(map[string]bool)
					for _, it := range w.eng.scale.timers.items {
						if !it.at.After(w.eng.now) {
							due[it.key] = true
						}
					}
					var acting []string
					for id, s := range w.eng.byID {
						if actsNow(w.eng, s) {
							acting = append(acting, id)
							if !due[id] {
								t.Fatalf("step %d: the scan acts on %s (%s) at %v, the heap has it not due", step, id, s.rec.State, w.now)
							}
						}
					}
					sort.Strings(acting)
					acted += len(acting)
					w.step(Tick{})
				}
				checkIndexes(t, w.eng, step)
				// The figures pushed to a watching supervisor are the
				// figures now, unless the push waits for QueuePushEvery
				// to pass: the push's gate (the router's version) saw
				// every change.
				if q := w.eng.qwatch; q != nil && len(q.until) > 0 {
					waits := w.eng.now.Sub(q.pushedAt) < QueuePushEvery
					as, unlisted := w.eng.onlineAgents("")
					if now := w.eng.queueKey(w.eng.queueFigures(), as, unlisted); now != q.last && !waits {
						t.Fatalf("step %d: the supervisor was last pushed\n%s\nthe figures are\n%s", step, q.last, now)
					}
					watched++
				} else {
					w.workspaceOf(sue) // subscribe (again, after QueueWatchTTL)
				}
				for _, s := range w.eng.byID {
					if s.rec.State == StateMissed {
						seen["missed"] = true
					}
					if len(s.invited) > 0 {
						seen["invited"] = true
					}
					if len(s.offered) > 0 {
						seen["offered"] = true
					}
				}
			}
			if acted == 0 {
				t.Fatalf("no tick acted on any session: the story tests nothing")
			}
			if watched < 100 {
				t.Fatalf("a supervisor watched after %d steps only", watched)
			}
			if len(seen) < 3 {
				t.Fatalf("the story had sessions %v only: it does not test the index of people", seen)
			}
		})
	}
}

// TestDeadlineHeap checks the heap alone against a sorted list under random
// sets, changes and removals.
func TestDeadlineHeap(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 7))
	h := &deadlineHeap{pos: make(map[string]int)}
	want := make(map[string]time.Time)
	for i := 0; i < 5000; i++ {
		k := "k" + strconv.Itoa(rng.IntN(50))
		switch rng.IntN(3) {
		case 0, 1:
			at := t0.Add(time.Duration(rng.IntN(100)) * time.Second)
			h.set(k, at)
			want[k] = at
		default:
			h.remove(k)
			delete(want, k)
		}
		if h.Len() != len(want) {
			t.Fatalf("op %d: heap of %d, want %d", i, h.Len(), len(want))
		}
		if len(want) > 0 {
			min := ""
			for k, at := range want {
				if min == "" || at.Before(want[min]) || (at.Equal(want[min]) && k < min) {
					min = k
				}
			}
			if h.items[0].key != min || !h.items[0].at.Equal(want[min]) {
				t.Fatalf("op %d: heap top %v, want %s at %v", i, h.items[0], min, want[min])
			}
		}
	}
}
