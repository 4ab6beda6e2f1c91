package main

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/parley-chat/parley/sessions"
	"github.com/parley-chat/parley/sessions/pgstore"
	"github.com/prometheus/client_golang/prometheus"
)

// commitResult is the latency of one durable commit of one transcript
// entry through parleyd's own store (pgstore.Commit, what the runner does
// for a quiet message), measured on --database-url in the same run as the
// modes: the "one commit" of the unloaded latency budget.
type commitResult struct {
	Commits int     `json:"commits"`
	P50ms   float64 `json:"p50_ms"`
	P99ms   float64 `json:"p99_ms"`
	Gap     string  `json:"gap"` // the idle time before each timed commit
}

// commitProbe commits n single-entry batches one after the other, each after
// gap of idle time, to a closed session of its own (parleyd never loads it)
// and times each. The gap is what a quiet service's commit finds: on this
// kind of machine an idle backend's wake-up doubles a commit's latency
// (docs/benchmarks.md, "The quiet path, stage by stage"). Each commit checks
// the active parleyd's fence, as that parleyd's own commits do: the probe's
// commit is a quiet message's, statement for statement.
func commitProbe(ctx context.Context, databaseURL string, n int, gap time.Duration) (*commitResult, error) {
	pool, err := pgxpool.New(ctx, databaseURL)
	if err != nil {
		return nil, fmt.Errorf("commit probe: %w", err)
	}
	defer pool.Close()
	store, err := pgstore.New(pool, prometheus.NewRegistry())
	if err != nil {
		return nil, err
	}
	epoch, err := store.ActiveEpoch(ctx)
	if err != nil {
		return nil, fmt.Errorf("commit probe: %w", err)
	}
	store.SetFence(epoch)
	now := time.Now().UTC()
	id := "parleyload-commit-" + newTag()
	if err := store.Commit(ctx, &sessions.Batch{Sessions: []sessions.Record{{
		ID: id, Queue: "parleyload", State: sessions.StateClosed,
		VisitorJIDs: []string{"probe@parleyload.invalid/probe"}, Visitor: map[string]string{},
		CreatedAt: now, UpdatedAt: now,
	}}}); err != nil {
		return nil, fmt.Errorf("commit probe: %w", err)
	}
	// The first commits warm the pool's connection up: not counted.
	ds := make([]time.Duration, 0, n)
	for i := -5; i < n; i++ {
		e := sessions.Entry{Session: id, Seq: int64(i + 6), At: time.Now().UTC(), AuthorRole: "visitor",
			AuthorJID: "probe@parleyload.invalid/probe", Nick: "probe", Kind: "message", Body: fmt.Sprintf("probe %d", i)}
		if gap > 0 {
			time.Sleep(gap)
		}
		t0 := time.Now()
		if err := store.Commit(ctx, &sessions.Batch{Transcript: []sessions.Entry{e}}); err != nil {
			return nil, fmt.Errorf("commit probe: %w", err)
		}
		if i >= 0 {
			ds = append(ds, time.Since(t0))
		}
	}
	return &commitResult{Commits: n, P50ms: ms(percentile(ds, 0.5)), P99ms: ms(percentile(ds, 0.99)), Gap: gap.String()}, nil
}

// medianCommit is the medians of the rounds' figures (nil for none).
func medianCommit(rs []commitResult) *commitResult {
	if len(rs) == 0 {
		return nil
	}
	var p50, p99 []float64
	for _, r := range rs {
		p50, p99 = append(p50, r.P50ms), append(p99, r.P99ms)
	}
	return &commitResult{Commits: rs[0].Commits, P50ms: median(p50), P99ms: median(p99), Gap: rs[0].Gap}
}
