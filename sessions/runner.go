// The Runner: feeds the engine, commits each batch, then sends.

package sessions

import (
	"context"
	"errors"
	"log/slog"
	"sync/atomic"
	"time"
)

// ErrFenced is returned by a Store's Commit when another process has become
// the active one: this process must stop, its batch is not kept.
var ErrFenced = errors.New("sessions: fenced: another process is active")

// Outbox carries out what a batch decided once its rows are durable.
type Outbox interface {
	Deliver(out []Out)
	// Archive answers XEP-0313 queries the engine allowed.
	Archive(grants []MAMGrant)
	// Administer writes admin changes and answers them.
	Administer(ops []AdminOp)
}

// Runner owns the Engine: it takes inputs from any goroutine, runs them in
// batches, commits each batch's rows in one Store round trip and only then
// hands the stanzas to the Outbox. Timers run every TickEvery. Run
// (pipeline.go) decides a batch while the previous one commits.
type Runner struct {
	eng       *Engine
	store     Store
	box       Outbox
	clock     Clock
	log       *slog.Logger
	in        chan queued
	TickEvery time.Duration
	MaxBatch  int
	// OnBatch, when set, is called after each batch with the engine's stats.
	OnBatch func(Stats, time.Duration)
	// OnStage, when set before Run, is told how long each stage of a batch
	// took (stages.go): cheap enough to keep on.
	OnStage   func(stage string, d time.Duration)
	storeDown atomic.Bool
	fenced    error
}

type wallClock struct{}

func (wallClock) Now() time.Time { return time.Now() }

// NewRunner wraps an engine. queue bounds the inputs waiting.
func NewRunner(eng *Engine, store Store, box Outbox, clock Clock, log *slog.Logger, queue int) *Runner {
	if clock == nil {
		clock = wallClock{}
	}
	if log == nil {
		log = slog.Default()
	}
	return &Runner{eng: eng, store: store, box: box, clock: clock, log: log,
		in: make(chan queued, queue), TickEvery: 200 * time.Millisecond, MaxBatch: 256}
}

// Submit queues an input without blocking; false when the queue is full.
func (r *Runner) Submit(in Input) bool {
	select {
	case r.in <- queued{in: in, at: time.Now()}:
		return true
	default:
		return false
	}
}

// StoreHealthy reports whether the last commit succeeded.
func (r *Runner) StoreHealthy() bool { return !r.storeDown.Load() }

// commit retries until the batch is durable or ctx ends, or the store says
// another process is active (ErrFenced); then false: nothing of the batch is
// sent, so no client saw what was not kept.
func (r *Runner) commit(ctx context.Context, b *Batch) bool {
	if b.Empty() {
		return true
	}
	wait := 50 * time.Millisecond
	for {
		cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		err := r.store.Commit(cctx, b)
		cancel()
		if err == nil {
			if r.storeDown.Swap(false) {
				r.log.Info("store is back")
			}
			return true
		}
		if ctx.Err() != nil {
			return false
		}
		if errors.Is(err, ErrFenced) {
			// Another process is active: nothing of this batch may be sent.
			r.log.Error("commit refused: another parleyd is active now; stopping", "err", err)
			r.fenced = err
			return false
		}
		r.storeDown.Store(true)
		b.Replay = true // the failed attempt may have committed (Batch.Replay)
		r.log.Error("commit failed; retrying", "err", err, "in", wait)
		select {
		case <-ctx.Done():
			return false
		case <-time.After(wait):
		}
		// At most half a second between attempts: while the store is down
		// new messages are refused with a wait error (gateway), so its
		// return must be noticed soon.
		if wait *= 2; wait > 500*time.Millisecond {
			wait = 500 * time.Millisecond
		}
	}
}

// Stats counts what the engine holds, for gauges.
type Stats struct {
	ByState map[State]int
	Queues  map[string]int
	Agents  int // agents online
}

// Stats returns current counts.
func (e *Engine) Stats() Stats {
	st := Stats{ByState: map[State]int{StateQueued: 0, StateActive: 0, StateSuspended: 0, StateMissed: 0}, Queues: e.router.QueueLengths()}
	e.countStates(st.ByState)
	st.Agents = e.router.OnlineCount()
	return st
}
