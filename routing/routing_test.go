package routing

import (
	"errors"
	"reflect"
	"testing"
	"time"
)

// t0 is the injected clock's start; tests add durations to it.
var t0 = time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)

func at(d time.Duration) time.Time { return t0.Add(d) }

const timeout = 30 * time.Second

func newRouter() *Router {
	return New(Config{DefaultCapacity: 2, OfferTimeout: timeout})
}

func offer(session, agent string, deadline time.Time) Offer {
	return Offer{Session: session, Agent: agent, Deadline: deadline}
}

func mustEnqueue(t *testing.T, r *Router, session, queue string, arrived time.Time) int {
	t.Helper()
	pos, err := r.Enqueue(session, queue, arrived)
	if err != nil {
		t.Fatalf("Enqueue(%s, %s): %v", session, queue, err)
	}
	return pos
}

func equal[T any](t *testing.T, what string, got, want T) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("%s:\n got  %+v\n want %+v", what, got, want)
	}
}

func info(t *testing.T, r *Router, agent string) AgentInfo {
	t.Helper()
	ai, ok := r.Agent(agent)
	if !ok {
		t.Fatalf("Agent(%s) unknown", agent)
	}
	return ai
}

func TestLongestIdleChoice(t *testing.T) {
	type presence struct {
		agent string
		at    time.Duration
	}
	tests := []struct {
		name   string
		agents []presence
		want   string
	}{
		{"earliest idle wins", []presence{{"b@x", 2 * time.Second}, {"a@x", 3 * time.Second}, {"c@x", time.Second}}, "c@x"},
		{"tie broken by JID", []presence{{"b@x", time.Second}, {"c@x", time.Second}, {"a@x", time.Second}}, "a@x"},
		{"earlier beats smaller JID", []presence{{"a@x", 2 * time.Second}, {"z@x", time.Second}}, "z@x"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := newRouter()
			for _, p := range tc.agents {
				r.SetPresence(p.agent, "r", ShowAvailable, 0, at(p.at))
			}
			mustEnqueue(t, r, "s1", "sales", at(5*time.Second))
			res := r.Dispatch(at(10 * time.Second))
			equal(t, "offers", res.Offers, []Offer{offer("s1", tc.want, at(10*time.Second+timeout))})
		})
	}
}

func TestAcceptMakesAgentMostRecentlyBusy(t *testing.T) {
	r := newRouter()
	r.SetPresence("a@x", "r", ShowAvailable, 5, at(0))
	r.SetPresence("b@x", "r", ShowAvailable, 5, at(time.Second))
	mustEnqueue(t, r, "s1", "q", at(2*time.Second))
	res := r.Dispatch(at(2 * time.Second))
	equal(t, "first offer", res.Offers, []Offer{offer("s1", "a@x", at(2*time.Second+timeout))})
	if err := r.Accept("s1", "a@x", at(3*time.Second)); err != nil {
		t.Fatal(err)
	}
	ai := info(t, r, "a@x")
	equal(t, "a after accept", ai, AgentInfo{JID: "a@x", Show: ShowAvailable, Capacity: 5, Load: 1,
		Sessions: []string{"s1"}, IdleSince: at(3 * time.Second)})
	if r.Queued("s1") {
		t.Fatal("s1 still queued after Accept")
	}
	// a was idle longest before, b is now.
	mustEnqueue(t, r, "s2", "q", at(4*time.Second))
	res = r.Dispatch(at(4 * time.Second))
	equal(t, "second offer", res.Offers, []Offer{offer("s2", "b@x", at(4*time.Second+timeout))})
}

func TestCapacity(t *testing.T) {
	tests := []struct {
		name       string
		cfgDefault int
		capacities []int // successive presences of the same resource; the last wins
		want       int
	}{
		{"from presence", 2, []int{3}, 3},
		{"default when zero", 2, []int{0}, 2},
		{"default when negative", 2, []int{-1}, 2},
		{"latest presence wins", 2, []int{4, 1}, 1},
		{"latest presence without capacity means default", 2, []int{4, 0}, 2},
		{"zero default becomes one", 0, []int{0}, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := New(Config{DefaultCapacity: tc.cfgDefault, OfferTimeout: timeout})
			for _, c := range tc.capacities {
				r.SetPresence("a@x", "r", ShowAvailable, c, at(0))
			}
			if got := info(t, r, "a@x").Capacity; got != tc.want {
				t.Fatalf("Capacity = %d, want %d", got, tc.want)
			}
			for i, s := range []string{"s1", "s2", "s3", "s4", "s5"} {
				mustEnqueue(t, r, s, "q", at(time.Duration(i)*time.Second))
			}
			res := r.Dispatch(at(10 * time.Second))
			if len(res.Offers) != tc.want {
				t.Fatalf("%d offers, want %d: %+v", len(res.Offers), tc.want, res.Offers)
			}
			// Offers go in arrival order.
			for i, o := range res.Offers {
				if want := []string{"s1", "s2", "s3", "s4", "s5"}[i]; o.Session != want {
					t.Fatalf("offer %d for %s, want %s", i, o.Session, want)
				}
			}
			if got := info(t, r, "a@x").Pending; got != tc.want {
				t.Fatalf("Pending = %d, want %d", got, tc.want)
			}
		})
	}
}

func TestPendingAndLoadCountAgainstCapacity(t *testing.T) {
	r := newRouter()
	r.SetPresence("a@x", "r", ShowChat, 2, at(0))
	r.Occupy("a@x", "old")
	mustEnqueue(t, r, "s1", "q", at(time.Second))
	mustEnqueue(t, r, "s2", "q", at(2*time.Second))

	res := r.Dispatch(at(3 * time.Second))
	equal(t, "offers with one slot free", res.Offers, []Offer{offer("s1", "a@x", at(3*time.Second+timeout))})
	ai := info(t, r, "a@x")
	if ai.Load != 1 || ai.Pending != 1 {
		t.Fatalf("Load %d Pending %d, want 1 1", ai.Load, ai.Pending)
	}
	// The pending offer fills the agent: nothing more.
	if res := r.Dispatch(at(4 * time.Second)); len(res.Offers) != 0 {
		t.Fatalf("offer beyond capacity: %+v", res.Offers)
	}
	// Accepting turns pending into load: still full.
	if err := r.Accept("s1", "a@x", at(5*time.Second)); err != nil {
		t.Fatal(err)
	}
	if res := r.Dispatch(at(5 * time.Second)); len(res.Offers) != 0 {
		t.Fatalf("offer beyond capacity after accept: %+v", res.Offers)
	}
	// Releasing a slot lets s2 through.
	r.Release("a@x", "old")
	res = r.Dispatch(at(6 * time.Second))
	equal(t, "offer after release", res.Offers, []Offer{offer("s2", "a@x", at(6*time.Second+timeout))})
	equal(t, "sessions", info(t, r, "a@x").Sessions, []string{"s1"})
}

func TestAwayShowsGetNoOffersButKeepSessions(t *testing.T) {
	for _, show := range []Show{ShowAway, ShowXA, ShowDND} {
		t.Run(showName(show), func(t *testing.T) {
			r := newRouter()
			r.SetPresence("a@x", "r", ShowAvailable, 3, at(0))
			r.Occupy("a@x", "old")
			mustEnqueue(t, r, "s1", "q", at(time.Second))
			res := r.Dispatch(at(time.Second))
			equal(t, "offer while available", res.Offers, []Offer{offer("s1", "a@x", at(time.Second+timeout))})

			r.SetPresence("a@x", "r", show, 3, at(2*time.Second))
			mustEnqueue(t, r, "s2", "q", at(2*time.Second))
			res = r.Dispatch(at(2 * time.Second))
			if len(res.Offers) != 0 {
				t.Fatalf("offer to %s agent: %+v", showName(show), res.Offers)
			}
			ai := info(t, r, "a@x")
			if ai.Show != show || ai.Load != 1 || ai.Pending != 1 || !r.Online("a@x") {
				t.Fatalf("got %+v online=%v", ai, r.Online("a@x"))
			}
			// The offer made before stays and may still be accepted.
			if err := r.Accept("s1", "a@x", at(3*time.Second)); err != nil {
				t.Fatal(err)
			}
			equal(t, "sessions", info(t, r, "a@x").Sessions, []string{"old", "s1"})

			// Back to chat: s2 is offered.
			r.SetPresence("a@x", "r", ShowChat, 3, at(4*time.Second))
			res = r.Dispatch(at(4 * time.Second))
			equal(t, "offer after chat", res.Offers, []Offer{offer("s2", "a@x", at(4*time.Second+timeout))})
		})
	}
}

func showName(s Show) string {
	return [...]string{"offline", "available", "chat", "away", "xa", "dnd"}[s]
}

func TestOfflineCancelsOffersAndRequeues(t *testing.T) {
	r := newRouter()
	r.SetPresence("a@x", "r1", ShowAvailable, 2, at(0))
	r.SetPresence("a@x", "r2", ShowAway, 2, at(0))
	r.SetPresence("b@x", "r", ShowAvailable, 1, at(time.Second))
	r.Occupy("b@x", "busy")
	r.Occupy("a@x", "kept")
	mustEnqueue(t, r, "s2", "q", at(3*time.Second))
	mustEnqueue(t, r, "s1", "q", at(2*time.Second))
	res := r.Dispatch(at(4 * time.Second))
	equal(t, "offers", res.Offers, []Offer{offer("s1", "a@x", at(4*time.Second+timeout))})

	offline, cancelled := r.SetUnavailable("a@x", "r1", at(5*time.Second))
	if offline || cancelled != nil {
		t.Fatalf("one resource left: offline=%v cancelled=%v", offline, cancelled)
	}
	// The remaining resource is away: no new offers but the old one stays.
	equal(t, "show", info(t, r, "a@x").Show, ShowAway)
	equal(t, "offers", r.Offers(), []Offer{offer("s1", "a@x", at(4*time.Second+timeout))})

	offline, cancelled = r.SetUnavailable("a@x", "r2", at(6*time.Second))
	if !offline {
		t.Fatal("last resource gone but not offline")
	}
	equal(t, "cancelled", cancelled, []Offer{offer("s1", "a@x", at(4*time.Second+timeout))})
	ai := info(t, r, "a@x")
	equal(t, "offline agent", ai, AgentInfo{JID: "a@x", Show: ShowOffline, Capacity: 2, Load: 1,
		Sessions: []string{"kept"}, IdleSince: at(0)})
	if r.Online("a@x") {
		t.Fatal("Online after last resource left")
	}
	if !r.Queued("s1") || !r.Queued("s2") {
		t.Fatal("sessions left the queue")
	}
	equal(t, "no offers", r.Offers(), []Offer(nil))

	// Removing an unknown resource or agent changes nothing.
	if off, c := r.SetUnavailable("a@x", "r2", at(6*time.Second)); off || c != nil {
		t.Fatalf("again: %v %v", off, c)
	}
	if off, c := r.SetUnavailable("nobody@x", "r", at(6*time.Second)); off || c != nil {
		t.Fatalf("unknown: %v %v", off, c)
	}

	// b frees up: s1 (earliest) goes to b.
	r.Release("b@x", "busy")
	res = r.Dispatch(at(7 * time.Second))
	equal(t, "offers to b", res.Offers, []Offer{offer("s1", "b@x", at(7*time.Second+timeout))})

	// a comes back: it keeps its IdleSince (it was known before) and gets s2.
	r.SetPresence("a@x", "r3", ShowAvailable, 0, at(8*time.Second))
	equal(t, "idle since kept", info(t, r, "a@x").IdleSince, at(0))
	res = r.Dispatch(at(8 * time.Second))
	equal(t, "offers to a", res.Offers, []Offer{offer("s2", "a@x", at(8*time.Second+timeout))})
}

func TestDeclineMovesOnAndCooldownAllowsReoffer(t *testing.T) {
	r := newRouter()
	r.SetPresence("a@x", "r", ShowAvailable, 1, at(0))
	r.SetPresence("b@x", "r", ShowAvailable, 1, at(time.Second))
	mustEnqueue(t, r, "s1", "q", at(2*time.Second))
	res := r.Dispatch(at(2 * time.Second))
	equal(t, "first", res.Offers, []Offer{offer("s1", "a@x", at(2*time.Second+timeout))})

	if r.Decline("s1", "b@x", at(3*time.Second)) {
		t.Fatal("Decline by an agent without the offer accepted")
	}
	if r.Decline("nope", "a@x", at(3*time.Second)) {
		t.Fatal("Decline of an unknown session accepted")
	}
	if !r.Decline("s1", "a@x", at(3*time.Second)) {
		t.Fatal("Decline refused")
	}
	equal(t, "a pending", info(t, r, "a@x").Pending, 0)
	res = r.Dispatch(at(3 * time.Second))
	equal(t, "to b", res.Offers, []Offer{offer("s1", "b@x", at(3*time.Second+timeout))})

	if !r.Decline("s1", "b@x", at(4*time.Second)) {
		t.Fatal("Decline refused")
	}
	// Both on cooldown: a until 3s+30s, b until 4s+30s.
	res = r.Dispatch(at(4 * time.Second))
	if len(res.Offers) != 0 {
		t.Fatalf("offer during cooldown: %+v", res.Offers)
	}
	d, ok := r.NextDeadline()
	if !ok || !d.Equal(at(3*time.Second+timeout)) {
		t.Fatalf("NextDeadline = %v %v, want a's cooldown end", d, ok)
	}
	if res := r.Dispatch(at(3*time.Second + timeout - time.Nanosecond)); len(res.Offers) != 0 {
		t.Fatalf("offer just before cooldown end: %+v", res.Offers)
	}
	res = r.Dispatch(at(3*time.Second + timeout))
	equal(t, "re-offer to a", res.Offers, []Offer{offer("s1", "a@x", at(3*time.Second+2*timeout))})
	// a's cooldown is gone; b's remains, but s1 holds an offer so it is no deadline.
	d, ok = r.NextDeadline()
	if !ok || !d.Equal(at(3*time.Second+2*timeout)) {
		t.Fatalf("NextDeadline = %v %v, want the offer deadline", d, ok)
	}
}

func TestOfferTimeoutMovesOn(t *testing.T) {
	r := newRouter()
	r.SetPresence("a@x", "r", ShowAvailable, 1, at(0))
	r.SetPresence("b@x", "r", ShowAvailable, 1, at(time.Second))
	mustEnqueue(t, r, "s1", "q", at(2*time.Second))
	r.Dispatch(at(2 * time.Second))
	deadline := at(2*time.Second + timeout)

	res := r.Dispatch(deadline.Add(-time.Nanosecond))
	if len(res.Expired) != 0 || len(res.Offers) != 0 {
		t.Fatalf("before deadline: %+v", res)
	}
	res = r.Dispatch(deadline)
	equal(t, "expired", res.Expired, []Offer{offer("s1", "a@x", deadline)})
	equal(t, "next offer", res.Offers, []Offer{offer("s1", "b@x", deadline.Add(timeout))})
	equal(t, "a pending", info(t, r, "a@x").Pending, 0)

	// b lets it expire too, late: a's cooldown (deadline+30s) has ended by then, b's starts.
	late := deadline.Add(timeout + 5*time.Second)
	res = r.Dispatch(late)
	equal(t, "expired b", res.Expired, []Offer{offer("s1", "b@x", deadline.Add(timeout))})
	equal(t, "back to a", res.Offers, []Offer{offer("s1", "a@x", late.Add(timeout))})
	// b's cooldown runs from the Dispatch that expired its offer.
	r.Decline("s1", "a@x", late)
	r.Dispatch(late)
	d, ok := r.NextDeadline()
	if !ok || !d.Equal(late.Add(timeout)) {
		t.Fatalf("NextDeadline = %v %v, want %v", d, ok, late.Add(timeout))
	}
}

func TestDefaultOfferTimeout(t *testing.T) {
	r := New(Config{})
	r.SetPresence("a@x", "r", ShowAvailable, 0, at(0))
	mustEnqueue(t, r, "s1", "q", at(0))
	res := r.Dispatch(at(0))
	equal(t, "offers", res.Offers, []Offer{offer("s1", "a@x", at(DefaultOfferTimeout))})
}

func TestQueueOrderAcrossQueuesAndRequeue(t *testing.T) {
	r := newRouter()
	// Arrival: s1 (sales) 1s, s2 (support) 2s, s3 (sales) 3s, s4 (support) 4s.
	// Enqueued out of order on purpose.
	equal(t, "pos s3", mustEnqueue(t, r, "s3", "sales", at(3*time.Second)), 1)
	equal(t, "pos s1", mustEnqueue(t, r, "s1", "sales", at(1*time.Second)), 1)
	equal(t, "pos s4", mustEnqueue(t, r, "s4", "support", at(4*time.Second)), 1)
	equal(t, "pos s2", mustEnqueue(t, r, "s2", "support", at(2*time.Second)), 1)
	// Same instant: ordered by session ID.
	equal(t, "pos s0 tie", mustEnqueue(t, r, "s5", "sales", at(3*time.Second)), 3)

	// One agent with a single slot at a time: the offers follow arrival across queues.
	r.SetPresence("a@x", "r", ShowAvailable, 1, at(0))
	var got []string
	for i := 0; i < 5; i++ {
		now := at(time.Minute + time.Duration(i)*time.Second)
		res := r.Dispatch(now)
		if len(res.Offers) != 1 {
			t.Fatalf("round %d: %+v", i, res.Offers)
		}
		s := res.Offers[0].Session
		got = append(got, s)
		if err := r.Accept(s, "a@x", now); err != nil {
			t.Fatal(err)
		}
		r.Release("a@x", s)
	}
	equal(t, "order", got, []string{"s1", "s2", "s3", "s5", "s4"})

	// Requeue: s3 comes back with its original arrival and lands before s5 and s9.
	r2 := newRouter()
	mustEnqueue(t, r2, "s1", "sales", at(1*time.Second))
	mustEnqueue(t, r2, "s3", "sales", at(3*time.Second))
	mustEnqueue(t, r2, "s9", "sales", at(9*time.Second))
	if c := r2.Remove("s3"); c != nil {
		t.Fatalf("Remove returned offer %+v for a session without one", c)
	}
	if r2.Queued("s3") {
		t.Fatal("s3 still queued")
	}
	equal(t, "requeued place", mustEnqueue(t, r2, "s3", "sales", at(3*time.Second)), 2)
	// Enqueueing again just reports the position, whatever the arguments.
	equal(t, "duplicate", mustEnqueue(t, r2, "s3", "support", at(0)), 2)
	equal(t, "lengths", r2.QueueLengths(), map[string]int{"sales": 3})
}

func TestPositionsReportedOnlyOnChange(t *testing.T) {
	r := newRouter()
	mustEnqueue(t, r, "s1", "q", at(1*time.Second))
	mustEnqueue(t, r, "s2", "q", at(2*time.Second))
	mustEnqueue(t, r, "p1", "p", at(3*time.Second))

	res := r.Dispatch(at(4 * time.Second))
	equal(t, "first report", res.Positions, []Position{
		{Session: "p1", Queue: "p", Position: 1},
		{Session: "s1", Queue: "q", Position: 1},
		{Session: "s2", Queue: "q", Position: 2},
	})
	if res := r.Dispatch(at(5 * time.Second)); res.Positions != nil {
		t.Fatalf("no change but positions %+v", res.Positions)
	}
	// A newcomer at the end: only it is reported.
	mustEnqueue(t, r, "s3", "q", at(6*time.Second))
	res = r.Dispatch(at(6 * time.Second))
	equal(t, "newcomer", res.Positions, []Position{{Session: "s3", Queue: "q", Position: 3}})

	// An offer does not change positions.
	r.SetPresence("a@x", "r", ShowAvailable, 1, at(7*time.Second))
	res = r.Dispatch(at(7 * time.Second))
	equal(t, "offer", res.Offers, []Offer{offer("s1", "a@x", at(7*time.Second+timeout))})
	if res.Positions != nil {
		t.Fatalf("offer changed positions: %+v", res.Positions)
	}
	// s1 is accepted: the others move up.
	if err := r.Accept("s1", "a@x", at(8*time.Second)); err != nil {
		t.Fatal(err)
	}
	res = r.Dispatch(at(8 * time.Second))
	equal(t, "moved up", res.Positions, []Position{
		{Session: "s2", Queue: "q", Position: 1},
		{Session: "s3", Queue: "q", Position: 2},
	})
	// An early requeue pushes the others back.
	mustEnqueue(t, r, "s0", "q", at(0))
	res = r.Dispatch(at(9 * time.Second))
	equal(t, "pushed back", res.Positions, []Position{
		{Session: "s0", Queue: "q", Position: 1},
		{Session: "s2", Queue: "q", Position: 2},
		{Session: "s3", Queue: "q", Position: 3},
	})
}

func TestQueueLimit(t *testing.T) {
	r := New(Config{DefaultCapacity: 1, OfferTimeout: timeout, QueueLimit: 2})
	mustEnqueue(t, r, "s1", "q", at(1*time.Second))
	mustEnqueue(t, r, "s2", "q", at(2*time.Second))
	pos, err := r.Enqueue("s3", "q", at(3*time.Second))
	if !errors.Is(err, ErrQueueFull) || pos != 0 {
		t.Fatalf("third: pos %d err %v, want ErrQueueFull", pos, err)
	}
	if r.Queued("s3") {
		t.Fatal("rejected session queued")
	}
	// Already queued: not an error even though the queue is full.
	equal(t, "dup", mustEnqueue(t, r, "s2", "q", at(2*time.Second)), 2)
	// Other queues have their own limit.
	mustEnqueue(t, r, "t1", "other", at(4*time.Second))
	if _, err := r.Enqueue("u1", "never", at(0)); err != nil {
		t.Fatal(err)
	}
	r.Remove("u1")
	// Room again after a removal.
	r.Remove("s1")
	equal(t, "after removal", mustEnqueue(t, r, "s3", "q", at(3*time.Second)), 2)
	equal(t, "lengths", r.QueueLengths(), map[string]int{"q": 2, "other": 1, "never": 0})

	r0 := New(Config{DefaultCapacity: 1, OfferTimeout: timeout})
	for i := 0; i < 100; i++ {
		mustEnqueue(t, r0, string(rune('a'+i%26))+string(rune('0'+i/26)), "q", at(time.Duration(i)))
	}
	equal(t, "unlimited", r0.QueueLengths()["q"], 100)
}

func TestQueueRestriction(t *testing.T) {
	r := newRouter()
	r.SetPresence("sales@x", "r", ShowAvailable, 5, at(0))
	r.SetPresence("support@x", "r", ShowAvailable, 5, at(time.Second))
	r.SetPresence("any@x", "r", ShowAvailable, 5, at(2*time.Second))
	r.SetQueues("sales@x", []string{"sales", "sales", "vip"})
	r.SetQueues("support@x", []string{"support"})
	equal(t, "queues", info(t, r, "sales@x").Queues, []string{"sales", "vip"})

	mustEnqueue(t, r, "s1", "support", at(3*time.Second))
	mustEnqueue(t, r, "s2", "sales", at(4*time.Second))
	mustEnqueue(t, r, "s3", "billing", at(5*time.Second))
	res := r.Dispatch(at(6 * time.Second))
	d := at(6*time.Second + timeout)
	equal(t, "offers", res.Offers, []Offer{
		offer("s1", "support@x", d),
		offer("s2", "sales@x", d),
		offer("s3", "any@x", d),
	})
	equal(t, "Offers()", r.Offers(), res.Offers)

	// Lifting the restriction (empty = all): sales@x, idle longest, takes billing.
	r.SetQueues("sales@x", []string{})
	if q := info(t, r, "sales@x").Queues; q != nil {
		t.Fatalf("Queues = %v, want nil", q)
	}
	mustEnqueue(t, r, "s4", "billing", at(7*time.Second))
	res = r.Dispatch(at(7 * time.Second))
	equal(t, "billing", res.Offers, []Offer{offer("s4", "sales@x", at(7*time.Second+timeout))})

	// Queues set before presence: the agent is known, offline.
	r.SetQueues("new@x", []string{"x"})
	ai := info(t, r, "new@x")
	if ai.Show != ShowOffline || r.Online("new@x") {
		t.Fatalf("new agent %+v", ai)
	}
	mustEnqueue(t, r, "s5", "x", at(8*time.Second))
	if res := r.Dispatch(at(8 * time.Second)); len(res.Offers) != 1 || res.Offers[0].Agent == "new@x" {
		t.Fatalf("offline agent offered, or nobody: %+v", res.Offers)
	}
}

func TestOccupyReleaseIdempotent(t *testing.T) {
	r := newRouter()
	// Occupy before presence (restart rebuild) makes the agent known.
	r.Occupy("a@x", "s1")
	r.Occupy("a@x", "s1")
	r.Occupy("a@x", "s2")
	r.Occupy("a@x", "s3") // beyond the default capacity of 2: still counted
	ai := info(t, r, "a@x")
	equal(t, "after occupy", ai, AgentInfo{JID: "a@x", Show: ShowOffline, Capacity: 2, Load: 3,
		Sessions: []string{"s1", "s2", "s3"}})

	r.Release("a@x", "s2")
	r.Release("a@x", "s2")
	r.Release("a@x", "never")
	r.Release("nobody@x", "s1")
	if _, ok := r.Agent("nobody@x"); ok {
		t.Fatal("Release created an agent")
	}
	ai = info(t, r, "a@x")
	if ai.Load != 2 || !reflect.DeepEqual(ai.Sessions, []string{"s1", "s3"}) {
		t.Fatalf("after release: %+v", ai)
	}
	// Presence arrives: IdleSince set now; still full so no offer.
	r.SetPresence("a@x", "r", ShowAvailable, 0, at(time.Minute))
	equal(t, "idle", info(t, r, "a@x").IdleSince, at(time.Minute))
	mustEnqueue(t, r, "q1", "q", at(time.Minute))
	if res := r.Dispatch(at(time.Minute)); len(res.Offers) != 0 {
		t.Fatalf("full agent offered %+v", res.Offers)
	}
	r.Release("a@x", "s1")
	if res := r.Dispatch(at(time.Minute)); len(res.Offers) != 1 {
		t.Fatalf("offers after release: %+v", res.Offers)
	}
}

func TestMultiResourceBestShow(t *testing.T) {
	tests := []struct {
		shows []Show
		want  Show
	}{
		{[]Show{ShowDND, ShowXA}, ShowXA},
		{[]Show{ShowXA, ShowAway}, ShowAway},
		{[]Show{ShowAway, ShowAvailable, ShowDND}, ShowAvailable},
		{[]Show{ShowAvailable, ShowChat}, ShowChat},
		{[]Show{ShowChat, ShowDND}, ShowChat},
		{[]Show{ShowOffline}, ShowAvailable}, // not a presence show: read as no <show/>
		{[]Show{ShowDND, Show(42)}, ShowAvailable},
	}
	for _, tc := range tests {
		r := newRouter()
		for i, s := range tc.shows {
			r.SetPresence("a@x", string(rune('a'+i)), s, 0, at(0))
		}
		if got := info(t, r, "a@x").Show; got != tc.want {
			t.Errorf("%v: Show = %v, want %v", tc.shows, got, tc.want)
		}
	}

	// Dropping the best resource falls back to the next best.
	r := newRouter()
	r.SetPresence("a@x", "desk", ShowChat, 0, at(0))
	r.SetPresence("a@x", "phone", ShowDND, 0, at(time.Second))
	r.SetPresence("a@x", "desk", ShowAway, 0, at(2*time.Second)) // same resource: replaced
	equal(t, "desk away", info(t, r, "a@x").Show, ShowAway)
	r.SetPresence("a@x", "desk", ShowChat, 0, at(3*time.Second))
	if off, _ := r.SetUnavailable("a@x", "desk", at(4*time.Second)); off {
		t.Fatal("offline with phone left")
	}
	equal(t, "phone", info(t, r, "a@x").Show, ShowDND)
	equal(t, "idle since first presence", info(t, r, "a@x").IdleSince, at(0))
	if !r.Online("a@x") {
		t.Fatal("dnd agent not online")
	}
	// The last resource leaves: offline, nothing to cancel.
	off, cancelled := r.SetUnavailable("a@x", "phone", at(5*time.Second))
	if !off || cancelled != nil {
		t.Fatalf("last resource: offline=%v cancelled=%v", off, cancelled)
	}
	equal(t, "offline", info(t, r, "a@x").Show, ShowOffline)
}

func TestNextDeadline(t *testing.T) {
	r := newRouter()
	if _, ok := r.NextDeadline(); ok {
		t.Fatal("deadline on an empty router")
	}
	r.SetPresence("a@x", "r", ShowAvailable, 5, at(0))
	mustEnqueue(t, r, "s1", "q", at(0))
	if _, ok := r.NextDeadline(); ok {
		t.Fatal("deadline before any offer")
	}
	r.Dispatch(at(time.Second)) // offers s1, deadline 31s
	mustEnqueue(t, r, "s2", "q", at(2*time.Second))
	r.Dispatch(at(5 * time.Second)) // offers s2, deadline 35s
	d, ok := r.NextDeadline()
	if !ok || !d.Equal(at(time.Second+timeout)) {
		t.Fatalf("got %v %v, want earliest offer deadline", d, ok)
	}
	// s1 declined at 10s: cooldown to 40s; s2's offer (35s) is now the earliest.
	r.Decline("s1", "a@x", at(10*time.Second))
	d, _ = r.NextDeadline()
	equal(t, "after decline", d, at(5*time.Second+timeout))
	// s2 accepted: only the cooldown of s1 is left.
	if err := r.Accept("s2", "a@x", at(11*time.Second)); err != nil {
		t.Fatal(err)
	}
	d, _ = r.NextDeadline()
	equal(t, "cooldown", d, at(10*time.Second+timeout))
	// A removed session's cooldown is no deadline.
	r.Remove("s1")
	if d, ok := r.NextDeadline(); ok {
		t.Fatalf("deadline %v with nothing queued", d)
	}
}

func TestForget(t *testing.T) {
	r := newRouter()
	r.SetPresence("a@x", "r", ShowAvailable, 5, at(0))
	r.SetPresence("b@x", "r", ShowAvailable, 5, at(time.Second))
	r.Occupy("a@x", "old")
	mustEnqueue(t, r, "s2", "q", at(2*time.Second))
	mustEnqueue(t, r, "s1", "q", at(3*time.Second))
	mustEnqueue(t, r, "s3", "q", at(4*time.Second))
	r.Dispatch(at(5 * time.Second))
	r.Decline("s3", "a@x", at(6*time.Second)) // a on cooldown for s3
	r.Dispatch(at(6 * time.Second))           // s3 to b
	d := at(5*time.Second + timeout)
	equal(t, "offers", r.Offers(), []Offer{offer("s1", "a@x", d), offer("s2", "a@x", d), offer("s3", "b@x", at(6*time.Second+timeout))})

	equal(t, "forget", r.Forget("a@x"), []Offer{offer("s1", "a@x", d), offer("s2", "a@x", d)})
	if _, ok := r.Agent("a@x"); ok {
		t.Fatal("forgotten agent still known")
	}
	if r.Online("a@x") {
		t.Fatal("forgotten agent online")
	}
	if r.Forget("a@x") != nil {
		t.Fatal("second Forget returned offers")
	}
	if err := r.Accept("s1", "a@x", at(7*time.Second)); !errors.Is(err, ErrNoOffer) {
		t.Fatalf("Accept after Forget: %v", err)
	}
	// b, the only agent left, gets s2 and s1 in arrival order.
	res := r.Dispatch(at(7 * time.Second))
	equal(t, "to b", res.Offers, []Offer{offer("s2", "b@x", at(7*time.Second+timeout)), offer("s1", "b@x", at(7*time.Second+timeout))})

	// a comes back fresh: new IdleSince, no cooldown for s3, no old load.
	r.SetPresence("a@x", "r", ShowAvailable, 5, at(8*time.Second))
	equal(t, "fresh", info(t, r, "a@x"), AgentInfo{JID: "a@x", Show: ShowAvailable, Capacity: 5, IdleSince: at(8 * time.Second)})
	r.Decline("s3", "b@x", at(8*time.Second))
	res = r.Dispatch(at(8 * time.Second))
	equal(t, "s3 to a", res.Offers, []Offer{offer("s3", "a@x", at(8*time.Second+timeout))})
}

func TestRemoveAndAcceptErrors(t *testing.T) {
	r := newRouter()
	r.SetPresence("a@x", "r", ShowAvailable, 1, at(0))
	if r.Remove("nope") != nil {
		t.Fatal("Remove of unknown session returned an offer")
	}
	if err := r.Accept("nope", "a@x", at(0)); !errors.Is(err, ErrNoOffer) {
		t.Fatalf("Accept unknown: %v", err)
	}
	mustEnqueue(t, r, "s1", "q", at(0))
	if err := r.Accept("s1", "a@x", at(0)); !errors.Is(err, ErrNoOffer) {
		t.Fatalf("Accept before offer: %v", err)
	}
	r.Dispatch(at(time.Second))
	if err := r.Accept("s1", "b@x", at(2*time.Second)); !errors.Is(err, ErrNoOffer) {
		t.Fatalf("Accept by other agent: %v", err)
	}
	c := r.Remove("s1")
	if c == nil || *c != offer("s1", "a@x", at(time.Second+timeout)) {
		t.Fatalf("Remove returned %+v", c)
	}
	if r.Queued("s1") || r.Offers() != nil {
		t.Fatal("session or offer left after Remove")
	}
	ai := info(t, r, "a@x")
	if ai.Pending != 0 || ai.Load != 0 {
		t.Fatalf("agent after Remove: %+v", ai)
	}
	equal(t, "lengths", r.QueueLengths(), map[string]int{"q": 0})
}

func TestAgentsSorted(t *testing.T) {
	r := newRouter()
	if got := r.Agents(); len(got) != 0 {
		t.Fatalf("Agents() = %+v", got)
	}
	r.SetPresence("c@x", "r", ShowAway, 3, at(0))
	r.SetQueues("a@x", []string{"q"})
	r.Occupy("b@x", "s")
	var jids []string
	for _, a := range r.Agents() {
		jids = append(jids, a.JID)
	}
	equal(t, "order", jids, []string{"a@x", "b@x", "c@x"})
	// Copies: mutating them does not reach the router.
	ai := r.Agents()
	ai[0].Queues[0] = "changed"
	ai[1].Sessions[0] = "changed"
	equal(t, "queues", info(t, r, "a@x").Queues, []string{"q"})
	equal(t, "sessions", info(t, r, "b@x").Sessions, []string{"s"})
}

// TestDispatchScale checks that a full Dispatch over hundreds of sessions and
// agents gives every session to a distinct agent in idle order.
func TestDispatchScale(t *testing.T) {
	r := newRouter()
	const n = 300
	for i := 0; i < n; i++ {
		r.SetPresence(jid(i), "r", ShowAvailable, 1, at(time.Duration(i)*time.Second))
		mustEnqueue(t, r, jid(i)+"/s", "q", at(time.Hour+time.Duration(i)*time.Second))
	}
	res := r.Dispatch(at(2 * time.Hour))
	if len(res.Offers) != n || len(res.Positions) != n {
		t.Fatalf("%d offers %d positions", len(res.Offers), len(res.Positions))
	}
	for i, o := range res.Offers {
		if o.Agent != jid(i) || o.Session != jid(i)+"/s" {
			t.Fatalf("offer %d = %+v", i, o)
		}
	}
	allocs := testing.AllocsPerRun(10, func() { r.Dispatch(at(2 * time.Hour)) })
	if allocs > 0 {
		t.Fatalf("idle Dispatch allocates %v times", allocs)
	}
}

func jid(i int) string {
	return string(rune('a'+i/100)) + string(rune('a'+i/10%10)) + string(rune('a'+i%10)) + "@x"
}

func BenchmarkDispatch(b *testing.B) {
	r := newRouter()
	for i := 0; i < 300; i++ {
		r.SetPresence(jid(i), "r", ShowAway, 1, at(0))
		mustEnqueueB(b, r, jid(i)+"/s", "q", at(time.Duration(i)))
	}
	r.SetPresence(jid(0), "r", ShowAvailable, 0, at(0))
	r.Occupy(jid(0), "x")
	r.Occupy(jid(0), "y")
	b.ReportAllocs()
	for b.Loop() {
		r.Dispatch(at(time.Hour))
	}
}

func mustEnqueueB(b *testing.B, r *Router, s, q string, t time.Time) {
	if _, err := r.Enqueue(s, q, t); err != nil {
		b.Fatal(err)
	}
}

// A session goes round every eligible agent before any gets it a second
// time, even when an early decliner's cooldown has ended.
func TestOffersGoRoundBeforeRepeating(t *testing.T) {
	r := New(Config{DefaultCapacity: 2, OfferTimeout: time.Second})
	r.SetPresence("a@x", "r", ShowAvailable, 0, at(0))
	r.SetPresence("b@x", "r", ShowAvailable, 0, at(time.Millisecond))
	r.SetPresence("c@x", "r", ShowAvailable, 0, at(2*time.Millisecond))
	mustEnqueue(t, r, "s1", "q", at(0))
	equal(t, "first offer", r.Dispatch(at(0)).Offers, []Offer{offer("s1", "a@x", at(time.Second))})
	r.Decline("s1", "a@x", at(0))
	equal(t, "after decline", r.Dispatch(at(0)).Offers, []Offer{offer("s1", "b@x", at(time.Second))})
	// b lets it time out after a's cooldown ended: c has not had it yet.
	res := r.Dispatch(at(1500 * time.Millisecond))
	equal(t, "after timeout", res.Offers, []Offer{offer("s1", "c@x", at(2500*time.Millisecond))})
	// c declines too: a new round starts with the agent idle longest whose cooldown ended.
	r.Decline("s1", "c@x", at(1600*time.Millisecond))
	equal(t, "new round", r.Dispatch(at(1600*time.Millisecond)).Offers, []Offer{offer("s1", "a@x", at(2600*time.Millisecond))})
}
