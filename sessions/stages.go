// Stage timings of the runner (issue 13): where a quiet message's time goes.

package sessions

import "time"

// The stages a batch goes through in the runner, as told to Runner.OnStage.
// Together with the connection's own (xmpp.Config.OnStage) they break a
// message's time in parleyd down, from its stanza read to its copies written.
const (
	StageQueue   = "queue"   // an input's wait from Submit until a batch takes it (the batch's first input)
	StageEngine  = "engine"  // Engine.Process of the batch
	StagePipe    = "pipe"    // a decided batch's wait for the committer
	StageCommit  = "commit"  // the batch's commit (non-empty batches only), retries included
	StageDeliver = "deliver" // handing the committed batch's output to the Outbox
)

// queued is an input on its way to the runner, with when it was submitted.
type queued struct {
	in Input
	at time.Time
}

func (r *Runner) stage(name string, since time.Time) {
	if r.OnStage != nil {
		r.OnStage(name, time.Since(since))
	}
}
