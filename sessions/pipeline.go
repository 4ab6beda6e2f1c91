// The pipelined runner: decide the next batch while the last one commits.

package sessions

import (
	"context"
	"time"
)

// The runner is a pipeline of two goroutines (issue 13): the one that owns
// the engine decides the next batch while the other commits the previous one
// and then delivers it. Commits run one at a time in the order the batches
// were decided, and a batch is delivered only after its own commit, so
// delivery stays in commit order and nothing is sent before it is durable.
// At most one decided batch waits for the committer: a slow or failing store
// holds the engine back after one batch instead of letting decisions pile up.

// decided is a batch the engine decided, on its way to the committer.
type decided struct {
	out   Output
	stats Stats // the gauges, when refreshed with this batch
	fresh bool  // stats holds a refresh
	start time.Time
	sent  time.Time // when it went to the committer
}

// Run processes inputs until ctx ends (nil) or the store says another
// process is active (ErrFenced).
func (r *Runner) Run(ctx context.Context) error {
	tick := time.NewTicker(r.TickEvery)
	defer tick.Stop()
	pipe := make(chan decided, 1)
	stopped := make(chan struct{}) // the committer ended (fenced, or ctx done)
	go func() {
		defer close(stopped)
		r.commitLoop(ctx, pipe)
	}()
	defer func() {
		close(pipe)
		<-stopped // nothing is delivered after Run returns
	}()
	batch := make([]Input, 0, r.MaxBatch)
	var lastStats time.Time
	for {
		batch = batch[:0]
		select {
		case <-ctx.Done():
			return nil
		case <-stopped:
			return r.fenced
		case q := <-r.in:
			r.stage(StageQueue, q.at)
			batch = append(batch, q.in)
		case <-tick.C:
			batch = append(batch, Tick{})
		}
	drain:
		for len(batch) < r.MaxBatch {
			select {
			case q := <-r.in:
				batch = append(batch, q.in)
			default:
				break drain
			}
		}
		d := decided{start: time.Now()}
		d.out = r.eng.Process(r.clock.Now(), batch)
		r.stage(StageEngine, d.start)
		for _, p := range d.out.Panics {
			r.log.Error("input dropped: the engine panicked on it", "panic", p)
		}
		if r.OnBatch != nil && time.Since(lastStats) >= r.TickEvery {
			// The gauges are kept by the engine (index.go): reading them
			// is cheap, but once per tick is enough.
			d.stats, d.fresh, lastStats = r.eng.Stats(), true, time.Now()
		}
		d.sent = time.Now()
		select {
		case pipe <- d:
		case <-ctx.Done():
			return nil
		case <-stopped:
			return r.fenced
		}
	}
}

// commitLoop commits each decided batch in order, then delivers it; it ends
// when pipe is closed, ctx ends or a commit is fenced (r.fenced set).
func (r *Runner) commitLoop(ctx context.Context, pipe <-chan decided) {
	var stats Stats
	for d := range pipe {
		r.stage(StagePipe, d.sent)
		t := time.Now()
		if !r.commit(ctx, &d.out.Batch) {
			return
		}
		if !d.out.Batch.Empty() {
			r.stage(StageCommit, t)
		}
		t = time.Now()
		r.box.Deliver(d.out.Out)
		if len(d.out.MAM) > 0 {
			r.box.Archive(d.out.MAM)
		}
		if len(d.out.Admin) > 0 {
			r.box.Administer(d.out.Admin)
		}
		r.stage(StageDeliver, t)
		if r.OnBatch != nil {
			if d.fresh {
				stats = d.stats
			}
			r.OnBatch(stats, time.Since(d.start))
		}
	}
}
