package routing

import (
	"testing"
	"time"
)

// A held session (its visitor left) is never offered; the session behind it
// is offered first and moves up; the held one keeps its place when its
// visitor comes back.
func TestHeldSessionIsSkippedAndKeepsItsPlace(t *testing.T) {
	r := New(Config{DefaultCapacity: 1, OfferTimeout: timeout})
	mustEnqueue(t, r, "gone", "q", at(0))
	mustEnqueue(t, r, "here", "q", at(time.Second))
	if w := r.Hold("gone"); w != nil {
		t.Fatalf("Hold without an offer withdrew %+v", w)
	}
	if !r.Held("gone") || r.Held("here") {
		t.Fatal("Held is wrong")
	}
	r.SetPresence("a@x", "r", ShowAvailable, 0, at(0))
	res := r.Dispatch(at(2 * time.Second))
	equal(t, "offers", res.Offers, []Offer{offer("here", "a@x", at(2*time.Second+timeout))})
	equal(t, "positions", res.Positions, []Position{{Session: "here", Queue: "q", Position: 1}})

	// Back before anyone took it: first in the queue again, but the offer
	// out for the other session stands.
	r.Unhold("gone")
	res = r.Dispatch(at(3 * time.Second))
	equal(t, "offers after unhold", len(res.Offers), 0)
	equal(t, "positions after unhold", res.Positions, []Position{{Session: "gone", Queue: "q", Position: 1}, {Session: "here", Queue: "q", Position: 2}})
	if err := r.Accept("here", "a@x", at(4*time.Second)); err != nil {
		t.Fatal(err)
	}
	r.Release("a@x", "here")
	res = r.Dispatch(at(5 * time.Second))
	equal(t, "offers to the one that came back", res.Offers, []Offer{offer("gone", "a@x", at(5*time.Second+timeout))})
}

// Holding a session with an offer out withdraws the offer: the agent's slot
// is free at once and the agent, who did nothing wrong, is not on cooldown.
func TestHoldWithdrawsTheOffer(t *testing.T) {
	r := New(Config{DefaultCapacity: 1, OfferTimeout: timeout})
	r.SetPresence("a@x", "r", ShowAvailable, 0, at(0))
	mustEnqueue(t, r, "s1", "q", at(0))
	mustEnqueue(t, r, "s2", "q", at(time.Second))
	res := r.Dispatch(at(time.Second))
	equal(t, "first offer", res.Offers, []Offer{offer("s1", "a@x", at(time.Second+timeout))})
	equal(t, "pending", info(t, r, "a@x").Pending, 1)

	w := r.Hold("s1")
	if w == nil || *w != offer("s1", "a@x", at(time.Second+timeout)) {
		t.Fatalf("Hold withdrew %+v", w)
	}
	equal(t, "pending after the withdrawal", info(t, r, "a@x").Pending, 0)
	equal(t, "no offer left", len(r.Offers()), 0)
	res = r.Dispatch(at(2 * time.Second))
	equal(t, "the freed slot goes to the next", res.Offers, []Offer{offer("s2", "a@x", at(2*time.Second+timeout))})
	if err := r.Accept("s1", "a@x", at(3*time.Second)); err != ErrNoOffer {
		t.Fatalf("Accept of the withdrawn offer: %v, want ErrNoOffer", err)
	}
	if r.Hold("s1") != nil {
		t.Fatal("a second Hold withdrew something")
	}

	// Back: offered to the same agent again once it has room (no cooldown).
	r.Unhold("s1")
	r.Remove("s2")
	res = r.Dispatch(at(4 * time.Second))
	equal(t, "offer after the visitor came back", res.Offers, []Offer{offer("s1", "a@x", at(4*time.Second+timeout))})
}

// Enqueue's position and Availability's count leave held sessions out.
func TestHeldSessionsAreNotCounted(t *testing.T) {
	r := New(Config{DefaultCapacity: 1, OfferTimeout: timeout, QueueLimit: 3})
	mustEnqueue(t, r, "s1", "q", at(0))
	r.Hold("s1")
	equal(t, "position behind a held session", mustEnqueue(t, r, "s2", "q", at(time.Second)), 1)
	equal(t, "waiting", r.Availability("q").Waiting, 1)
	mustEnqueue(t, r, "s3", "q", at(2*time.Second))
	// A held session still holds its place against the limit.
	equal(t, "full", r.Availability("q").Full, true)
	if _, err := r.Enqueue("s4", "q", at(3*time.Second)); err != ErrQueueFull {
		t.Fatalf("Enqueue into a full queue: %v", err)
	}
}

// The estimate is the mean of the last WaitWindow waits of the queue, and
// unknown before the first.
func TestEstimatedWait(t *testing.T) {
	r := newRouter()
	if _, ok := r.EstimatedWait("q"); ok {
		t.Fatal("an estimate before any wait")
	}
	r.RecordWait("q", time.Minute)
	r.RecordWait("q", 3*time.Minute)
	r.RecordWait("other", time.Hour)
	if d, ok := r.EstimatedWait("q"); !ok || d != 2*time.Minute {
		t.Fatalf("estimate %v %v, want 2m", d, ok)
	}
	for i := 0; i < WaitWindow; i++ {
		r.RecordWait("q", 10*time.Second)
	}
	if d, _ := r.EstimatedWait("q"); d != 10*time.Second {
		t.Fatalf("after %d short waits the estimate is %v, want 10s (older waits fall out)", WaitWindow, d)
	}
	r.RecordWait("q", -time.Second) // a clock step back counts as no wait
	if d, _ := r.EstimatedWait("q"); d != 9*time.Second {
		t.Fatalf("estimate %v, want 9s", d)
	}
}

// Availability with no agents, with a free agent, with busy agents, and
// with agents who take no new chats.
func TestAvailability(t *testing.T) {
	r := New(Config{DefaultCapacity: 1, OfferTimeout: timeout})
	r.SetQueues("sales@x", []string{"sales"})
	check := func(name string, q string, want Status, agents, free, waiting int) {
		t.Helper()
		got := r.Availability(q)
		if got.Status != want || got.Agents != agents || got.Free != free || got.Waiting != waiting {
			t.Fatalf("%s: %+v, want %v agents=%d free=%d waiting=%d", name, got, want, agents, free, waiting)
		}
	}
	check("nobody", "q", StatusAway, 0, 0, 0)
	r.SetPresence("dnd@x", "r", ShowDND, 0, at(0))
	r.SetPresence("sales@x", "r", ShowAvailable, 0, at(0))
	check("only a dnd agent and one of another queue", "q", StatusAway, 0, 0, 0)
	r.SetPresence("a@x", "r", ShowChat, 0, at(0))
	check("a free agent", "q", StatusAvailable, 1, 1, 0)
	mustEnqueue(t, r, "s1", "q", at(0))
	r.Dispatch(at(time.Second)) // the offer takes a@x's slot
	check("the only agent has an offer out", "q", StatusBusy, 1, 0, 1)
	if err := r.Accept("s1", "a@x", at(2*time.Second)); err != nil {
		t.Fatal(err)
	}
	mustEnqueue(t, r, "s2", "q", at(3*time.Second))
	check("busy with a chat, one waiting", "q", StatusBusy, 1, 0, 1)
	if got := r.Availability("q"); got.WaitKnown {
		t.Fatalf("a wait estimate before any wait was recorded: %+v", got)
	}
	r.RecordWait("q", 2*time.Minute)
	if got := r.Availability("q"); !got.WaitKnown || got.Wait != 2*time.Minute {
		t.Fatalf("wait %+v, want 2m", got)
	}
	r.SetUnavailable("a@x", "r", at(4*time.Second))
	check("signed out", "q", StatusAway, 0, 0, 1)
	if s := StatusBusy.String(); s != "busy" {
		t.Fatalf("StatusBusy is %q", s)
	}
}
