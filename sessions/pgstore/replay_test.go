package pgstore

import (
	"testing"

	"github.com/parley-chat/parley/sessions"
)

// A batch the Runner commits again after a failed attempt (Batch.Replay)
// commits although its rows are there already (the attempt committed and
// only its answer was lost), and leaves them as they were; the same batch
// as a first attempt fails on them, as a repeated seq must.
func TestCommitReplayOfACommittedBatch(t *testing.T) {
	t.Parallel()
	s, _ := newStore(t)
	ctx := ctxT(t)
	withOrigin := entry("a", 2, "message")
	withOrigin.OriginID, withOrigin.OriginSender = "o-2", "visitor"
	batches := map[string]func() *sessions.Batch{
		"several entries": func() *sessions.Batch {
			return &sessions.Batch{
				Tokens:     []sessions.Token{{Hash: hash("tok-a"), CreatedAt: at(1)}},
				Sessions:   []sessions.Record{record("a", sessions.StateActive, 0)},
				Agents:     []sessions.SessionAgent{{Session: "a", JID: "agent1@example.test", Role: "owner", At: at(1)}},
				Transcript: []sessions.Entry{entry("a", 1, "event"), withOrigin},
			}
		},
		"one entry": func() *sessions.Batch {
			return &sessions.Batch{Transcript: []sessions.Entry{entry("a", 3, "message")}}
		},
	}
	for _, name := range []string{"several entries", "one entry"} {
		commit(t, s, batches[name]())
		if err := s.Commit(ctx, batches[name]()); err == nil {
			t.Errorf("%s: the same batch committed twice as a first attempt", name)
		}
		again := batches[name]()
		again.Replay = true
		if err := s.Commit(ctx, again); err != nil {
			t.Errorf("%s: the replay of a committed batch failed: %v", name, err)
		}
	}

	// A replay that finds some of its rows and not others writes the others.
	changed := entry("a", 3, "message")
	changed.Body = "not the row that was kept"
	mixed := &sessions.Batch{Replay: true, Transcript: []sessions.Entry{changed, entry("a", 4, "message")}}
	commit(t, s, mixed)

	got, _, count, err := s.Transcript(ctx, sessions.Query{Session: "a", Max: 100})
	if err != nil {
		t.Fatal(err)
	}
	deepEqual(t, "seqs", seqs(got), []int64{1, 2, 3, 4})
	if count != 4 {
		t.Errorf("count %d, want 4", count)
	}
	if len(got) == 4 && (got[2].Body != "line 3" || got[1].OriginID != "o-2") {
		t.Errorf("a replay changed the rows kept: %+v, %+v", got[1], got[2])
	}
}
