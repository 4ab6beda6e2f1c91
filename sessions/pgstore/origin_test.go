package pgstore

import (
	"testing"

	"github.com/parley-chat/parley/sessions"
)

// At most one transcript entry per (session, sender, origin-id): a repeat
// that reaches the store (an engine that no longer remembers it) is left
// out, the batch still commits, and Load gives the origin-ids back so a
// restarted engine refuses repeats itself.
func TestOriginIDUniqueAcrossCommits(t *testing.T) {
	st, _ := newStore(t)
	ctx := ctxT(t)
	commit(t, st, &sessions.Batch{Sessions: []sessions.Record{record("s1", sessions.StateActive, 0), record("s2", sessions.StateActive, 0)}})

	e1 := entry("s1", 1, "message")
	e1.OriginID, e1.OriginSender, e1.Body = "o-1", "visitor", "hello"
	plain := entry("s1", 2, "message")
	commit(t, st, &sessions.Batch{Transcript: []sessions.Entry{e1, plain}})

	// The same origin-id again from the visitor (seq 3): not kept; the same
	// id from an agent, and in another session: kept.
	again := e1
	again.Seq = 3
	agent := entry("s1", 4, "message")
	agent.OriginID, agent.OriginSender = "o-1", "alice@example.com"
	other := entry("s2", 1, "message")
	other.OriginID, other.OriginSender = "o-1", "visitor"
	plain2 := entry("s1", 5, "message")
	commit(t, st, &sessions.Batch{Transcript: []sessions.Entry{again, agent, other, plain2}})

	got, _, count, err := st.Transcript(ctx, sessions.Query{Session: "s1", Max: 100})
	if err != nil {
		t.Fatal(err)
	}
	deepEqual(t, "seqs of s1", seqs(got), []int64{1, 2, 4, 5})
	if count != 4 {
		t.Errorf("count %d, want 4", count)
	}
	if got[0].OriginID != "o-1" || got[0].OriginSender != "visitor" || got[1].OriginID != "" {
		t.Errorf("origin-ids read back as %+v / %+v", got[0], got[1])
	}
	snap, err := st.Load(ctx, 10)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, e := range snap.History["s1"] {
		if e.Seq == 1 && e.OriginID == "o-1" && e.OriginSender == "visitor" {
			found = true
		}
	}
	if !found {
		t.Errorf("Load lost the origin-id: %+v", snap.History["s1"])
	}
	if snap.LastSeq["s1"] != 5 {
		t.Errorf("last seq %d", snap.LastSeq["s1"])
	}
}
