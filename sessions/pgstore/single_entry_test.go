package pgstore

import (
	"testing"

	"github.com/parley-chat/parley/sessions"
)

// A batch of one transcript entry (the quiet path: written as one VALUES
// row, not an unnest) keeps every field and the same origin-id rule as a
// batch of many: a repeat from the same sender is left out, entries
// without an origin-id are all kept.
func TestSingleEntryCommitsKeepFieldsAndOriginRule(t *testing.T) {
	st, _ := newStore(t)
	ctx := ctxT(t)
	commit(t, st, &sessions.Batch{Sessions: []sessions.Record{record("s1", sessions.StateActive, 0)}})

	e1 := entry("s1", 1, "comment")
	e1.OriginID, e1.OriginSender, e1.Body = "o-1", "visitor", "a note <b>&</b>"
	e1.AuthorRole, e1.AuthorJID, e1.Nick = "agent", "alice@example.com/desk", "Alice"
	again := e1
	again.Seq = 2
	plain, plain2 := entry("s1", 3, "message"), entry("s1", 4, "message")
	for _, e := range []sessions.Entry{e1, again, plain, plain2} {
		commit(t, st, &sessions.Batch{Transcript: []sessions.Entry{e}})
	}
	got, _, count, err := st.Transcript(ctx, sessions.Query{Session: "s1", Max: 100})
	if err != nil {
		t.Fatal(err)
	}
	deepEqual(t, "seqs of s1", seqs(got), []int64{1, 3, 4})
	if count != 3 {
		t.Errorf("count %d, want 3", count)
	}
	g := got[0]
	if g.OriginID != "o-1" || g.OriginSender != "visitor" || g.Body != e1.Body || g.Kind != e1.Kind ||
		g.AuthorRole != "agent" || g.AuthorJID != e1.AuthorJID || g.Nick != "Alice" || !g.At.Equal(e1.At) {
		t.Errorf("read back %+v, want %+v", g, e1)
	}
	if got[1].OriginID != "" || got[1].OriginSender != "" {
		t.Errorf("an entry without origin-id read back with %q/%q", got[1].OriginID, got[1].OriginSender)
	}
}
