package pgstore

import (
	"testing"
	"time"

	"github.com/parley-chat/parley/sessions"
)

// The states of issue 7: a missed session is live (Load brings it back), an
// abandoned one is not; both are listed by state.
func TestWaitingStatesRoundTrip(t *testing.T) {
	st, _ := newStore(t)
	ctx := ctxT(t)
	now := time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)
	b := &sessions.Batch{Sessions: []sessions.Record{
		{ID: "missed1", Queue: "q", State: sessions.StateMissed, Question: "call me", Visitor: map[string]string{"name": "Ann"}, CreatedAt: now, UpdatedAt: now},
		{ID: "aband1", Queue: "q", State: sessions.StateAbandoned, CreatedAt: now, EndedAt: now.Add(time.Minute), UpdatedAt: now},
		{ID: "queued1", Queue: "q", State: sessions.StateQueued, CreatedAt: now, Deadline: now.Add(2 * time.Minute), UpdatedAt: now},
	}}
	if err := st.Commit(ctx, b); err != nil {
		t.Fatal(err)
	}
	snap, err := st.Load(ctx, 10)
	if err != nil {
		t.Fatal(err)
	}
	live := map[string]sessions.Record{}
	for _, r := range snap.Sessions {
		live[r.ID] = r
	}
	if _, ok := live["missed1"]; !ok {
		t.Error("a missed session is not loaded at start")
	}
	if _, ok := live["aband1"]; ok {
		t.Error("an abandoned session is loaded at start")
	}
	if r := live["queued1"]; !r.Deadline.Equal(now.Add(2 * time.Minute)) {
		t.Errorf("the abandon deadline came back as %v", r.Deadline)
	}
	for state, id := range map[sessions.State]string{sessions.StateMissed: "missed1", sessions.StateAbandoned: "aband1"} {
		list, err := st.ListSessions(ctx, state, 10)
		if err != nil {
			t.Fatal(err)
		}
		if len(list) != 1 || list[0].ID != id {
			t.Errorf("ListSessions(%s) = %+v", state, list)
		}
	}
}
