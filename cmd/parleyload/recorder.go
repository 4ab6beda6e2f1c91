package main

import (
	"sync"
	"sync/atomic"
	"time"
)

// recorder is what one mode's run records as messages arrive, in every
// scenario: each delivery's latency by direction, the first error stanza, and
// the counts of errors, duplicates, reflections, stale messages (of an
// earlier run) and foreign offers (parley: sessions of no chat of the run).
type recorder struct {
	mu        sync.Mutex
	latencies [2][]time.Duration // by direction
	firstErr  string

	errors, duplicates, reflections, stale, foreign atomic.Int64
}

// delivered records one delivery of direction d after lat.
func (r *recorder) delivered(d int, lat time.Duration) {
	r.mu.Lock()
	r.latencies[d] = append(r.latencies[d], lat)
	r.mu.Unlock()
}

// failed records an error stanza; the first one's text is kept.
func (r *recorder) failed(describe func() string) {
	r.errors.Add(1)
	r.mu.Lock()
	if r.firstErr == "" {
		r.firstErr = describe()
	}
	r.mu.Unlock()
}

// fill sets t's error counts and latency figures from what was recorded.
func (r *recorder) fill(t *tally) {
	t.Duplicates = r.duplicates.Load()
	t.Errors = r.errors.Load()
	t.Foreign = r.foreign.Load()
	r.mu.Lock()
	t.FirstError = r.firstErr
	fromV := append([]time.Duration(nil), r.latencies[fromVisitor]...)
	fromA := append([]time.Duration(nil), r.latencies[fromAgent]...)
	r.mu.Unlock()
	all := append(append([]time.Duration(nil), fromV...), fromA...)
	t.P50ms, t.P99ms, t.MaxMs = ms(percentile(all, 0.50)), ms(percentile(all, 0.99)), ms(percentile(all, 1))
	t.VisitorP50ms, t.VisitorP99ms = ms(percentile(fromV, 0.50)), ms(percentile(fromV, 0.99))
	t.AgentP50ms, t.AgentP99ms = ms(percentile(fromA, 0.50)), ms(percentile(fromA, 0.99))
}
