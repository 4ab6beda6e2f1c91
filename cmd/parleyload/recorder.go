package main

import (
	"fmt"
	"io"
	"strconv"
	"strings"
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

// stamp is what a load message's body says of it: the senders write
// "PREFIX TAG IDX DIR SEQ NANOS" (chat, direction v or a, sequence number,
// nanoseconds since the run's start).
type stamp struct {
	idx, dir, seq int
	sentAt        int64
}

// readStamp reads body's stamp for the run tagged tag; ok is false for a
// body of another run or one not written by the senders.
func readStamp(body, tag string) (s stamp, ok bool) {
	f := strings.Fields(body)
	if len(f) != 6 || f[1] != tag || len(f[3]) != 1 {
		return s, false
	}
	idx, err1 := strconv.Atoi(f[2])
	seq, err2 := strconv.Atoi(f[4])
	sentAt, err3 := strconv.ParseInt(f[5], 10, 64)
	d := strings.IndexByte("va", f[3][0])
	if err1 != nil || err2 != nil || err3 != nil || d < 0 || idx < 0 || seq < 0 {
		return s, false
	}
	return stamp{idx: idx, dir: d, seq: seq, sentAt: sentAt}, true
}

// printNotes writes what went wrong in a mode, if anything: its failure, its
// first error stanza, duplicates, foreign offers declined.
func printNotes(w io.Writer, mode string, t tally) {
	if t.Failure != "" {
		fmt.Fprintf(w, "  %s failed: %s\n", mode, t.Failure)
	}
	if t.FirstError != "" {
		fmt.Fprintf(w, "  %s: first error stanza: %s\n", mode, t.FirstError)
	}
	if t.Duplicates > 0 {
		fmt.Fprintf(w, "  %s: %d messages delivered twice\n", mode, t.Duplicates)
	}
	if t.Foreign > 0 {
		fmt.Fprintf(w, "  %s: declined %d offers of sessions from elsewhere\n", mode, t.Foreign)
	}
}
