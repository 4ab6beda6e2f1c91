package pgstore

import (
	"context"
	"errors"
	"log/slog"
	"testing"
	"time"

	"github.com/parley-chat/parley/sessions"
)

func elector(s *Store, holder string) *Elector {
	return &Elector{Pool: s.pool, Holder: holder, Log: slog.New(slog.DiscardHandler), Renew: 50 * time.Millisecond, Poll: 20 * time.Millisecond}
}

// One active at a time: the second waits, and takes over with the next
// epoch when the first releases.
func TestLeaderOneActiveAtATime(t *testing.T) {
	s, _ := newStore(t)
	a, err := elector(s, "a").Acquire(ctxT(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	waiting := make(chan string, 1)
	got := make(chan *Lease, 1)
	go func() {
		l, err := elector(s, "b").Acquire(ctxT(t), func(h string) { waiting <- h })
		if err != nil {
			t.Error(err)
		}
		got <- l
	}()
	select {
	case h := <-waiting:
		if h != "a" {
			t.Errorf("b waits for %q, want a", h)
		}
	case l := <-got:
		t.Fatalf("b acquired epoch %d while a holds %d", l.Epoch(), a.Epoch())
	case <-time.After(20 * time.Second):
		t.Fatal("b never said it waits")
	}
	// Still waiting after many polls and heartbeats.
	select {
	case l := <-got:
		t.Fatalf("b acquired epoch %d while a holds %d", l.Epoch(), a.Epoch())
	case <-time.After(300 * time.Millisecond):
	}
	a.Release()
	var b *Lease
	select {
	case b = <-got:
	case <-time.After(20 * time.Second):
		t.Fatal("b never took over after a released")
	}
	defer b.Release()
	if b.Epoch() != a.Epoch()+1 || b.Prev.Epoch != a.Epoch() || b.Prev.Holder != "a" {
		t.Errorf("b: epoch %d, previous %+v; a had %d", b.Epoch(), b.Prev, a.Epoch())
	}
	select {
	case <-a.Lost():
		t.Error("a released lease reports lost")
	default:
	}
}

// A paused leader (its heartbeat stops) is broken by a standby, and its
// commits are refused from then on (the fence); the new leader's go through.
func TestLeaderStaleHolderBrokenAndFenced(t *testing.T) {
	s, _ := newStore(t)
	old, err := New(s.pool, nil)
	if err != nil {
		t.Fatal(err)
	}
	ea := elector(old, "paused")
	ea.Renew = time.Hour // never beats: as if paused
	a, err := ea.Acquire(ctxT(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Release()
	old.SetFence(a.Epoch())
	commit(t, old, &sessions.Batch{Sessions: []sessions.Record{record("s1", sessions.StateQueued, 0)}})
	if got, err := s.ActiveEpoch(ctxT(t)); err != nil || got != a.Epoch() {
		t.Errorf("ActiveEpoch = %d, %v; want %d", got, err, a.Epoch())
	}

	eb := elector(s, "standby")
	eb.Stale = 200 * time.Millisecond
	b, err := eb.Acquire(ctxT(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Release()
	if !b.Prev.Broken || b.Prev.Holder != "paused" || b.Epoch() != a.Epoch()+1 {
		t.Errorf("takeover: epoch %d, previous %+v", b.Epoch(), b.Prev)
	}
	s.SetFence(b.Epoch())
	if got, err := old.ActiveEpoch(ctxT(t)); err != nil || got != b.Epoch() {
		t.Errorf("ActiveEpoch after the takeover = %d, %v; want %d", got, err, b.Epoch())
	}

	err = old.Commit(ctxT(t), &sessions.Batch{Sessions: []sessions.Record{record("s2", sessions.StateQueued, 1)},
		Transcript: []sessions.Entry{entry("s1", 1, "message")}})
	if !errors.Is(err, sessions.ErrFenced) {
		t.Fatalf("the old leader's commit after the takeover: %v, want ErrFenced", err)
	}
	if _, _, err := s.Session(ctxT(t), "s2"); !errors.Is(err, sessions.ErrNotFound) {
		t.Errorf("the fenced commit left session s2: %v", err)
	}
	entries, _, _, err := s.Transcript(ctxT(t), sessions.Query{Session: "s1"})
	if err != nil || len(entries) != 0 {
		t.Errorf("the fenced commit left %d entries (%v)", len(entries), err)
	}
	commit(t, s, &sessions.Batch{Sessions: []sessions.Record{record("s3", sessions.StateQueued, 2)}})
	if _, _, err := s.Session(ctxT(t), "s3"); err != nil {
		t.Errorf("the new leader's commit: %v", err)
	}
}

// A leader whose epoch was taken over learns it at its next heartbeat.
func TestLeaderLostWhenTakenOver(t *testing.T) {
	s, _ := newStore(t)
	a, err := elector(s, "a").Acquire(ctxT(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Release()
	if _, err := s.pool.Exec(context.Background(), `UPDATE leader SET epoch = epoch + 1, holder = 'other'`); err != nil {
		t.Fatal(err)
	}
	select {
	case <-a.Lost():
		if !errors.Is(a.Err(), sessions.ErrFenced) {
			t.Errorf("lost with %v", a.Err())
		}
	case <-time.After(20 * time.Second):
		t.Fatal("the lease never noticed the takeover")
	}
}

// The lock connection breaks (the database restarted it) while nobody else
// is active: the leader takes its lock back and stays active.
func TestLeaderSurvivesLockConnectionLoss(t *testing.T) {
	s, _ := newStore(t)
	a, err := elector(s, "a").Acquire(ctxT(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Release()
	var pid int
	if err := s.pool.QueryRow(ctxT(t), `SELECT pid FROM leader`).Scan(&pid); err != nil {
		t.Fatal(err)
	}
	if _, err := s.pool.Exec(ctxT(t), `SELECT pg_terminate_backend($1)`, pid); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		var now int
		if err := s.pool.QueryRow(ctxT(t), `SELECT pid FROM leader`).Scan(&now); err != nil {
			t.Fatal(err)
		}
		if now != pid && now != 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the lease never took its lock back")
		}
		time.Sleep(20 * time.Millisecond)
	}
	select {
	case <-a.Lost():
		t.Fatalf("lost: %v", a.Err())
	default:
	}
	// And it holds the lock: another cannot take it.
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	if l, err := elector(s, "b").Acquire(ctx, nil); err == nil {
		l.Release()
		t.Fatal("b acquired while a holds the lock again")
	}
}

// Fresh: true right after taking the lock and while the heartbeat goes
// through; false once it has not for half the staleness limit (as when paused).
func TestLeaseFresh(t *testing.T) {
	s, _ := newStore(t)
	e := elector(s, "a")
	e.Stale = 2 * time.Second
	a, err := e.Acquire(ctxT(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Release()
	time.Sleep(300 * time.Millisecond) // several beats
	if !a.Fresh() {
		t.Error("not fresh while beating")
	}
	e2 := elector(s, "b")
	e2.Renew, e2.Stale = time.Hour, 200*time.Millisecond
	a.Release()
	b, err := e2.Acquire(ctxT(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Release()
	if !b.Fresh() {
		t.Error("not fresh right after acquiring")
	}
	time.Sleep(150 * time.Millisecond)
	if b.Fresh() {
		t.Error("still fresh with no heartbeat for more than half the staleness limit")
	}
}
