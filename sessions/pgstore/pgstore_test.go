package pgstore

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/parley-chat/parley/internal/testbed"
	"github.com/parley-chat/parley/sessions"
)

// newPool returns a pool on a fresh schema of the test bed's database; the
// schema is dropped when the test ends.
func newPool(t testing.TB) *pgxpool.Pool {
	t.Helper()
	env := testbed.Get(t)
	dsn := testbed.Schema(t, env)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	pool, err := pgxpool.New(ctx, dsn)
	if err != nil {
		t.Fatalf("pool: %v", err)
	}
	t.Cleanup(pool.Close) // before the schema's drop
	return pool
}

// newStore returns a Store on a fresh, migrated schema and its registry.
func newStore(t testing.TB) (*Store, *prometheus.Registry) {
	t.Helper()
	pool := newPool(t)
	if err := Migrate(context.Background(), pool); err != nil {
		t.Fatalf("Migrate: %v", err)
	}
	reg := prometheus.NewRegistry()
	s, err := New(pool, reg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return s, reg
}

func ctxT(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// base is a time Postgres stores exactly (microseconds).
var base = time.Date(2025, 3, 1, 12, 0, 0, 123456000, time.UTC)

func at(minutes int) time.Time { return base.Add(time.Duration(minutes) * time.Minute) }

func hash(s string) []byte {
	h := sha256.Sum256([]byte(s))
	return h[:]
}

func record(id string, state sessions.State, created int) sessions.Record {
	return sessions.Record{
		ID: id, Queue: "sales", State: state,
		VisitorJIDs: []string{"guest-" + id + "@guest.example.test/web"},
		Visitor:     map[string]string{"name": "Ann " + id},
		Question:    "help with " + id,
		CreatedAt:   at(created), UpdatedAt: at(created),
	}
}

func entry(session string, seq int64, kind string) sessions.Entry {
	return sessions.Entry{
		Session: session, Seq: seq, At: at(int(seq)), AuthorRole: "visitor",
		AuthorJID: "guest@guest.example.test/web", Nick: "Ann", Kind: sessions.EntryKind(kind),
		Body: fmt.Sprintf("line %d", seq),
	}
}

func entries(session string, from, to int64) []sessions.Entry {
	var out []sessions.Entry
	for i := from; i <= to; i++ {
		out = append(out, entry(session, i, "message"))
	}
	return out
}

func commit(t testing.TB, s *Store, b *sessions.Batch) {
	t.Helper()
	if err := s.Commit(ctxT(t), b); err != nil {
		t.Fatalf("Commit: %v", err)
	}
}

// utc makes times comparable with reflect.DeepEqual (pgx returns local time).
func utc(t time.Time) time.Time {
	if t.IsZero() {
		return t
	}
	return t.UTC()
}

func normRecord(r sessions.Record) sessions.Record {
	r.CreatedAt, r.AssignedAt, r.SuspendedAt = utc(r.CreatedAt), utc(r.AssignedAt), utc(r.SuspendedAt)
	r.EndedAt, r.Deadline, r.UpdatedAt = utc(r.EndedAt), utc(r.Deadline), utc(r.UpdatedAt)
	return r
}

func normRecords(rs []sessions.Record) []sessions.Record {
	out := make([]sessions.Record, len(rs))
	for i, r := range rs {
		out[i] = normRecord(r)
	}
	return out
}

func normAgents(as []sessions.SessionAgent) []sessions.SessionAgent {
	out := make([]sessions.SessionAgent, len(as))
	for i, a := range as {
		a.At = utc(a.At)
		out[i] = a
	}
	return out
}

func normEntries(es []sessions.Entry) []sessions.Entry {
	out := make([]sessions.Entry, len(es))
	for i, e := range es {
		e.At = utc(e.At)
		out[i] = e
	}
	return out
}

func seqs(es []sessions.Entry) []int64 {
	out := []int64{}
	for _, e := range es {
		out = append(out, e.Seq)
	}
	return out
}

func ids(rs []sessions.Record) []string {
	out := []string{}
	for _, r := range rs {
		out = append(out, r.ID)
	}
	return out
}

func deepEqual(t *testing.T, what string, got, want any) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s:\n got  %#v\n want %#v", what, got, want)
	}
}

func tableExists(t *testing.T, pool *pgxpool.Pool, name string) bool {
	t.Helper()
	var exists bool
	if err := pool.QueryRow(ctxT(t), `SELECT to_regclass($1) IS NOT NULL`, name).Scan(&exists); err != nil {
		t.Fatalf("to_regclass(%s): %v", name, err)
	}
	return exists
}

func appliedVersions(t *testing.T, pool *pgxpool.Pool) []int {
	t.Helper()
	rows, err := pool.Query(ctxT(t), `SELECT version FROM parley_migrations ORDER BY version`)
	if err != nil {
		t.Fatalf("parley_migrations: %v", err)
	}
	defer rows.Close()
	out := []int{}
	for rows.Next() {
		var v int
		if err := rows.Scan(&v); err != nil {
			t.Fatal(err)
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

var schemaTables = []string{"permissions", "agents", "visitor_tokens", "sessions", "session_agents", "transcript", "canned", "leader"}

func TestMigrateUpTwiceAndDown(t *testing.T) {
	t.Parallel()
	pool := newPool(t)
	ctx := ctxT(t)
	for i := 0; i < 2; i++ {
		if err := Migrate(ctx, pool); err != nil {
			t.Fatalf("Migrate #%d: %v", i+1, err)
		}
	}
	all, err := migrations()
	if err != nil {
		t.Fatal(err)
	}
	var want []int
	for _, m := range all {
		want = append(want, m.version)
	}
	deepEqual(t, "applied after two Migrate", appliedVersions(t, pool), want)
	for _, tbl := range schemaTables {
		if !tableExists(t, pool, tbl) {
			t.Errorf("table %s missing after Migrate", tbl)
		}
	}

	if err := migrateDown(ctx, pool, 0); err != nil {
		t.Fatalf("migrateDown: %v", err)
	}
	deepEqual(t, "applied after migrateDown", appliedVersions(t, pool), []int{})
	for _, tbl := range schemaTables {
		if tableExists(t, pool, tbl) {
			t.Errorf("table %s still there after migrateDown", tbl)
		}
	}
	var fns int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM pg_proc WHERE proname = 'parley_notify_permissions'
		AND pronamespace = current_schema()::regnamespace`).Scan(&fns); err != nil {
		t.Fatal(err)
	}
	if fns != 0 {
		t.Errorf("notify function still there after migrateDown")
	}

	// And up again from scratch.
	if err := Migrate(ctx, pool); err != nil {
		t.Fatalf("Migrate after down: %v", err)
	}
	deepEqual(t, "applied after re-Migrate", appliedVersions(t, pool), want)
	if !tableExists(t, pool, "transcript") {
		t.Errorf("transcript missing after re-Migrate")
	}
}

func TestMigrateConcurrent(t *testing.T) {
	t.Parallel()
	pool := newPool(t)
	ctx := ctxT(t)
	var wg sync.WaitGroup
	errs := make([]error, 6)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = Migrate(ctx, pool)
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("Migrate #%d: %v", i, err)
		}
	}
	all, err := migrations()
	if err != nil {
		t.Fatal(err)
	}
	var want []int
	for _, m := range all {
		want = append(want, m.version)
	}
	deepEqual(t, "applied", appliedVersions(t, pool), want)
}

func TestCommitRoundTrip(t *testing.T) {
	t.Parallel()
	s, _ := newStore(t)
	ctx := ctxT(t)

	tok := sessions.Token{Hash: hash("tok-a"), CreatedAt: at(0)}
	a := record("a", sessions.StateQueued, 0)
	a.TokenHash = tok.Hash
	a.Deadline = at(5)
	a.Replaces = "old"
	b := record("b", sessions.StateQueued, 1)
	b.Visitor = nil
	b.VisitorJIDs = nil
	commit(t, s, &sessions.Batch{
		Tokens:   []sessions.Token{tok},
		Sessions: []sessions.Record{a, b},
		Agents: []sessions.SessionAgent{
			{Session: "b", JID: "agent2@example.test", Role: "owner", At: at(2)},
		},
		Transcript: []sessions.Entry{entry("a", 1, "message"), entry("b", 1, "event"), entry("a", 2, "link")},
	})

	gotA, agentsA, err := s.Session(ctx, "a")
	if err != nil {
		t.Fatalf("Session a: %v", err)
	}
	deepEqual(t, "session a", normRecord(gotA), a)
	if len(agentsA) != 0 {
		t.Errorf("agents of a: %v, want none", agentsA)
	}
	gotB, agentsB, err := s.Session(ctx, "b")
	if err != nil {
		t.Fatalf("Session b: %v", err)
	}
	deepEqual(t, "session b", normRecord(gotB), b)
	deepEqual(t, "agents of b", normAgents(agentsB),
		[]sessions.SessionAgent{{Session: "b", JID: "agent2@example.test", Role: "owner", At: at(2)}})
	known, err := s.TokenKnown(ctx, tok.Hash)
	if err != nil || !known {
		t.Errorf("TokenKnown = %v, %v; want true", known, err)
	}

	// The session becomes active with an owner: upsert every column; agents
	// already present are ignored, new ones added; the token is not repeated.
	a.State = sessions.StateActive
	a.Owner = "agent1@example.test"
	a.AssignedAt = at(3)
	a.Deadline = time.Time{}
	a.Visitor = map[string]string{"name": "Ann", "email": "ann@example.com"}
	a.UpdatedAt = at(3)
	commit(t, s, &sessions.Batch{
		Tokens:   []sessions.Token{tok},
		Sessions: []sessions.Record{a},
		Agents: []sessions.SessionAgent{
			{Session: "a", JID: "agent1@example.test", Role: "owner", At: at(3)},
			{Session: "b", JID: "agent2@example.test", Role: "conference", At: at(9)}, // ignored
		},
		Transcript: []sessions.Entry{{
			Session: "a", Seq: 3, At: at(3), AuthorRole: "agent", AuthorJID: "agent1@example.test/desk",
			Nick: "Bob", Kind: "canned", Body: "Hello, \"Ann\" {x} \\ NULL\n✓", Payload: `<x xmlns="urn:x"/>`,
		}},
	})
	gotA, agentsA, err = s.Session(ctx, "a")
	if err != nil {
		t.Fatalf("Session a: %v", err)
	}
	deepEqual(t, "session a after upsert", normRecord(gotA), a)
	if gotA.Deadline != (time.Time{}) {
		t.Errorf("deadline = %v, want zero (NULL)", gotA.Deadline)
	}
	deepEqual(t, "agents of a", normAgents(agentsA),
		[]sessions.SessionAgent{{Session: "a", JID: "agent1@example.test", Role: "owner", At: at(3)}})
	_, agentsB, _ = s.Session(ctx, "b")
	if len(agentsB) != 1 || agentsB[0].Role != "owner" {
		t.Errorf("agents of b = %v, want the first row kept", agentsB)
	}

	es, complete, count, err := s.Transcript(ctx, sessions.Query{Session: "a", Max: 10})
	if err != nil {
		t.Fatalf("Transcript: %v", err)
	}
	want := []sessions.Entry{entry("a", 1, "message"), entry("a", 2, "link"), {
		Session: "a", Seq: 3, At: at(3), AuthorRole: "agent", AuthorJID: "agent1@example.test/desk",
		Nick: "Bob", Kind: "canned", Body: "Hello, \"Ann\" {x} \\ NULL\n✓", Payload: `<x xmlns="urn:x"/>`,
	}}
	deepEqual(t, "transcript of a", normEntries(es), want)
	if !complete || count != 3 {
		t.Errorf("complete, count = %v, %d; want true, 3", complete, count)
	}

	// One session twice in a batch: the last Record wins.
	c1 := record("c", sessions.StateQueued, 4)
	c2 := c1
	c2.State, c2.Owner, c2.AssignedAt, c2.UpdatedAt = sessions.StateActive, "agent1@example.test", at(5), at(5)
	commit(t, s, &sessions.Batch{Sessions: []sessions.Record{c1, c2}})
	if got, _, err := s.Session(ctx, "c"); err != nil || !reflect.DeepEqual(normRecord(got), c2) {
		t.Errorf("session c = %+v, %v; want the batch's last record %+v", got, err, c2)
	}

	if _, _, err := s.Session(ctx, "nope"); !errors.Is(err, sessions.ErrNotFound) {
		t.Errorf("Session(nope) error = %v, want ErrNotFound", err)
	}
}

func TestCommitAtomic(t *testing.T) {
	t.Parallel()
	s, _ := newStore(t)
	ctx := ctxT(t)
	commit(t, s, &sessions.Batch{
		Sessions:   []sessions.Record{record("a", sessions.StateActive, 0)},
		Transcript: entries("a", 1, 2),
	})
	newConns := s.pool.Stat().NewConnsCount()

	a := record("a", sessions.StateClosed, 0)
	a.EndedAt = at(9)
	bad := &sessions.Batch{
		Tokens:   []sessions.Token{{Hash: hash("tok-b"), CreatedAt: at(1)}},
		Sessions: []sessions.Record{a, record("b", sessions.StateQueued, 1)},
		Agents:   []sessions.SessionAgent{{Session: "b", JID: "agent1@example.test", Role: "owner", At: at(1)}},
		// b/1 is fine, a/2 already exists.
		Transcript: []sessions.Entry{entry("b", 1, "message"), entry("a", 3, "message"), entry("a", 2, "message")},
	}
	err := s.Commit(ctx, bad)
	if err == nil {
		t.Fatal("Commit with a duplicate seq succeeded")
	}
	if !strings.HasPrefix(err.Error(), "pgstore: commit: ") {
		t.Errorf("error %q not wrapped", err)
	}
	if known, _ := s.TokenKnown(ctx, hash("tok-b")); known {
		t.Error("token of the failed batch stored")
	}
	if _, _, err := s.Session(ctx, "b"); !errors.Is(err, sessions.ErrNotFound) {
		t.Errorf("session b of the failed batch: err = %v, want ErrNotFound", err)
	}
	got, _, err := s.Session(ctx, "a")
	if err != nil || got.State != sessions.StateActive || !got.EndedAt.IsZero() {
		t.Errorf("session a = %v/%v (err %v); want still active", got.State, got.EndedAt, err)
	}
	es, _, count, err := s.Transcript(ctx, sessions.Query{Session: "a"})
	if err != nil || count != 2 || !reflect.DeepEqual(seqs(es), []int64{1, 2}) {
		t.Errorf("transcript of a = %v, count %d, err %v; want [1 2], 2", seqs(es), count, err)
	}

	// The connection was rolled back and reused, not thrown away.
	commit(t, s, &sessions.Batch{Transcript: []sessions.Entry{entry("a", 3, "message")}})
	if n := s.pool.Stat().NewConnsCount(); n != newConns {
		t.Errorf("pool opened %d new connections after the failed batch", n-newConns)
	}

	// A duplicate within one batch fails as well.
	err = s.Commit(ctx, &sessions.Batch{Transcript: []sessions.Entry{entry("a", 4, "message"), entry("a", 4, "event")}})
	if err == nil {
		t.Fatal("Commit with a duplicate seq in the batch succeeded")
	}
	if _, _, count, _ := s.Transcript(ctx, sessions.Query{Session: "a"}); count != 3 {
		t.Errorf("count = %d after failed batch, want 3", count)
	}
}

func TestCommitEmptyNoRoundTrip(t *testing.T) {
	t.Parallel()
	s, _ := newStore(t)
	s.pool.Close() // any round trip would now fail
	if err := s.Commit(context.Background(), &sessions.Batch{}); err != nil {
		t.Errorf("Commit(empty) = %v", err)
	}
	if err := s.Commit(context.Background(), nil); err != nil {
		t.Errorf("Commit(nil) = %v", err)
	}
	if err := s.Ping(context.Background()); err == nil {
		t.Error("Ping on a closed pool succeeded: the test proves nothing")
	}
}

func TestLoad(t *testing.T) {
	t.Parallel()
	s, _ := newStore(t)
	ctx := ctxT(t)
	q := record("q", sessions.StateQueued, 0)
	act := record("act", sessions.StateActive, 1)
	act.Owner = "agent1@example.test"
	act.AssignedAt = at(2)
	sus := record("sus", sessions.StateSuspended, 2)
	sus.SuspendedBy, sus.SuspendCause, sus.Explicit, sus.SuspendedAt = "visitor", "closed tab", true, at(3)
	closed := record("closed", sessions.StateClosed, 3)
	closed.EndedAt = at(4)
	expired := record("expired", sessions.StateExpired, 4)
	expired.EndedAt = at(5)
	commit(t, s, &sessions.Batch{
		Sessions: []sessions.Record{closed, expired, act, q, sus},
		Agents: []sessions.SessionAgent{
			{Session: "act", JID: "agent1@example.test", Role: "owner", At: at(2)},
			{Session: "act", JID: "super@example.test", Role: "conference", At: at(3)},
			{Session: "closed", JID: "agent2@example.test", Role: "owner", At: at(3)},
		},
		Transcript: append(append(entries("q", 1, 3), entries("act", 1, 5)...), entries("closed", 1, 2)...),
	})
	if err := s.Grant(ctx, "agent1@example.test", "chat"); err != nil {
		t.Fatal(err)
	}
	if err := s.Grant(ctx, "super@example.test", "chat", "supervise"); err != nil {
		t.Fatal(err)
	}

	snap, err := s.Load(ctx, 3)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	deepEqual(t, "live sessions", normRecords(snap.Sessions), []sessions.Record{q, act, sus})
	deepEqual(t, "agents", normAgents(snap.Agents), []sessions.SessionAgent{
		{Session: "act", JID: "agent1@example.test", Role: "owner", At: at(2)},
		{Session: "act", JID: "super@example.test", Role: "conference", At: at(3)},
	})
	history := map[string][]int64{}
	for id, es := range snap.History {
		history[id] = seqs(es)
	}
	deepEqual(t, "history seqs", history, map[string][]int64{"q": {1, 2, 3}, "act": {3, 4, 5}})
	deepEqual(t, "history of act", normEntries(snap.History["act"]), entries("act", 3, 5))
	deepEqual(t, "last seq", snap.LastSeq, map[string]int64{"q": 3, "act": 5, "sus": 0})
	deepEqual(t, "permissions", snap.Permissions, map[string]map[string]bool{
		"agent1@example.test": {"chat": true},
		"super@example.test":  {"chat": true, "supervise": true},
	})

	snap, err = s.Load(ctx, 0)
	if err != nil {
		t.Fatalf("Load(0): %v", err)
	}
	if len(snap.History) != 0 {
		t.Errorf("Load(0) history = %v, want none", snap.History)
	}
	deepEqual(t, "last seq with no history", snap.LastSeq, map[string]int64{"q": 3, "act": 5, "sus": 0})
	deepEqual(t, "live sessions with no history", ids(snap.Sessions), []string{"q", "act", "sus"})
}

func TestTranscriptPaging(t *testing.T) {
	t.Parallel()
	s, _ := newStore(t)
	ctx := ctxT(t)
	es := entries("s", 1, 10)
	es[3].Kind = "comment" // seq 4
	es[6].Kind = "comment" // seq 7
	commit(t, s, &sessions.Batch{
		Sessions:   []sessions.Record{record("s", sessions.StateActive, 0), record("other", sessions.StateActive, 0)},
		Transcript: append(es, entries("other", 1, 4)...),
	})
	for _, c := range []struct {
		name     string
		q        sessions.Query
		want     []int64
		complete bool
		count    int
	}{
		{"first page", sessions.Query{Max: 3}, []int64{1, 2, 3}, false, 10},
		{"next page", sessions.Query{AfterSeq: 3, Max: 3}, []int64{4, 5, 6}, false, 10},
		{"page ending exactly at the end", sessions.Query{AfterSeq: 7, Max: 3}, []int64{8, 9, 10}, true, 10},
		{"short last page", sessions.Query{AfterSeq: 9, Max: 3}, []int64{10}, true, 10},
		{"after the end", sessions.Query{AfterSeq: 10, Max: 3}, []int64{}, true, 10},
		{"last page", sessions.Query{Last: true, Max: 3}, []int64{8, 9, 10}, false, 10},
		{"previous page", sessions.Query{Last: true, BeforeSeq: 8, Max: 3}, []int64{5, 6, 7}, false, 10},
		{"first page backwards", sessions.Query{Last: true, BeforeSeq: 4, Max: 3}, []int64{1, 2, 3}, true, 10},
		{"between after and before", sessions.Query{AfterSeq: 2, BeforeSeq: 6, Max: 10}, []int64{3, 4, 5}, true, 10},
		{"between, paged", sessions.Query{AfterSeq: 2, BeforeSeq: 6, Max: 2}, []int64{3, 4}, false, 10},
		{"start and end", sessions.Query{Start: at(3), End: at(6), Max: 10}, []int64{3, 4, 5, 6}, true, 4},
		{"start only, last", sessions.Query{Start: at(5), Last: true, Max: 2}, []int64{9, 10}, false, 6},
		{"end only", sessions.Query{End: at(2), Max: 10}, []int64{1, 2}, true, 2},
		{"no comments", sessions.Query{NoComments: true, Max: 5}, []int64{1, 2, 3, 5, 6}, false, 8},
		{"no comments, next", sessions.Query{NoComments: true, AfterSeq: 6, Max: 5}, []int64{8, 9, 10}, true, 8},
		{"no limit", sessions.Query{}, []int64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, true, 10},
		{"unknown session", sessions.Query{Session: "nope", Max: 5}, []int64{}, true, 0},
	} {
		t.Run(c.name, func(t *testing.T) {
			q := c.q
			if q.Session == "" {
				q.Session = "s"
			}
			got, complete, count, err := s.Transcript(ctx, q)
			if err != nil {
				t.Fatalf("Transcript(%+v): %v", q, err)
			}
			if !reflect.DeepEqual(seqs(got), c.want) || complete != c.complete || count != c.count {
				t.Errorf("Transcript(%+v) = %v, complete %v, count %d; want %v, %v, %d",
					q, seqs(got), complete, count, c.want, c.complete, c.count)
			}
			for _, e := range got {
				if e.Session != q.Session {
					t.Errorf("entry of session %q returned", e.Session)
				}
			}
		})
	}
	got, _, _, err := s.Transcript(ctx, sessions.Query{Session: "s", AfterSeq: 3, Max: 1})
	if err != nil {
		t.Fatal(err)
	}
	deepEqual(t, "entry 4 in full", normEntries(got), []sessions.Entry{es[3]})
}

func TestTokens(t *testing.T) {
	t.Parallel()
	s, _ := newStore(t)
	ctx := ctxT(t)
	h := hash("visitor token")
	if known, err := s.TokenKnown(ctx, h); err != nil || known {
		t.Fatalf("TokenKnown before = %v, %v; want false", known, err)
	}
	commit(t, s, &sessions.Batch{Tokens: []sessions.Token{{Hash: h, CreatedAt: at(0)}}})
	commit(t, s, &sessions.Batch{Tokens: []sessions.Token{{Hash: h, CreatedAt: at(5)}}}) // ignored
	if known, err := s.TokenKnown(ctx, h); err != nil || !known {
		t.Fatalf("TokenKnown after = %v, %v; want true", known, err)
	}
	var created time.Time
	if err := s.pool.QueryRow(ctx, `SELECT created_at FROM visitor_tokens WHERE hash = $1`, h).Scan(&created); err != nil {
		t.Fatal(err)
	}
	if !created.Equal(at(0)) {
		t.Errorf("created_at = %v, want the first insert's %v", created, at(0))
	}
	if known, _ := s.TokenKnown(ctx, hash("other")); known {
		t.Error("unknown token reported known")
	}
	// A session cannot point at a token that was never stored.
	r := record("x", sessions.StateQueued, 0)
	r.TokenHash = hash("never stored")
	if err := s.Commit(ctx, &sessions.Batch{Sessions: []sessions.Record{r}}); err == nil {
		t.Error("session with an unknown token hash committed")
	}
}

func TestPermissions(t *testing.T) {
	t.Parallel()
	s, _ := newStore(t)
	ctx := ctxT(t)
	if err := s.Grant(ctx, "a@example.test", "chat", "supervise"); err != nil {
		t.Fatalf("Grant: %v", err)
	}
	if err := s.Grant(ctx, "a@example.test", "chat"); err != nil {
		t.Fatalf("Grant again: %v", err)
	}
	if err := s.Grant(ctx, "b@example.test", "admin"); err != nil {
		t.Fatalf("Grant: %v", err)
	}
	perms, err := s.Permissions(ctx)
	if err != nil {
		t.Fatal(err)
	}
	deepEqual(t, "permissions", perms, map[string]map[string]bool{
		"a@example.test": {"chat": true, "supervise": true},
		"b@example.test": {"admin": true},
	})

	err = s.Grant(ctx, "a@example.test", "chat", "root", "sudo")
	if err == nil || !strings.Contains(err.Error(), `"root"`) || !strings.Contains(err.Error(), `"sudo"`) {
		t.Errorf("Grant(unknown) error = %v, want one naming root and sudo", err)
	}
	if err := s.Revoke(ctx, "a@example.test", "root"); err == nil || !strings.Contains(err.Error(), `"root"`) {
		t.Errorf("Revoke(unknown) error = %v, want one naming root", err)
	}
	if err := s.Grant(ctx, "a@example.test"); err == nil {
		t.Error("Grant of nothing succeeded")
	}

	if err := s.Revoke(ctx, "a@example.test", "supervise", "admin"); err != nil {
		t.Fatalf("Revoke: %v", err)
	}
	list, err := s.ListPermissions(ctx)
	if err != nil {
		t.Fatal(err)
	}
	deepEqual(t, "permission list", list, map[string][]string{
		"a@example.test": {"chat"},
		"b@example.test": {"admin"},
	})
	if err := s.Revoke(ctx, "b@example.test", "admin"); err != nil {
		t.Fatal(err)
	}
	list, _ = s.ListPermissions(ctx)
	deepEqual(t, "permission list after revoking all of b", list, map[string][]string{"a@example.test": {"chat"}})
}

func TestAgentQueues(t *testing.T) {
	t.Parallel()
	s, _ := newStore(t)
	ctx := ctxT(t)
	if err := s.SetAgentQueues(ctx, "a@example.test", []string{"sales", "support"}); err != nil {
		t.Fatal(err)
	}
	if err := s.SetAgentQueues(ctx, "b@example.test", []string{"billing"}); err != nil {
		t.Fatal(err)
	}
	if err := s.SetAgentQueues(ctx, "b@example.test", []string{"support"}); err != nil {
		t.Fatal(err)
	}
	got, err := s.AgentQueues(ctx)
	if err != nil {
		t.Fatal(err)
	}
	deepEqual(t, "agent queues", got, map[string][]string{
		"a@example.test": {"sales", "support"},
		"b@example.test": {"support"},
	})
	if err := s.SetAgentQueues(ctx, "a@example.test", nil); err != nil {
		t.Fatal(err)
	}
	got, _ = s.AgentQueues(ctx)
	deepEqual(t, "agent queues after lifting a's restriction", got, map[string][]string{"b@example.test": {"support"}})
}

func TestCanned(t *testing.T) {
	t.Parallel()
	s, _ := newStore(t)
	ctx := ctxT(t)
	list, err := s.CannedList(ctx)
	if err != nil || len(list) != 0 {
		t.Fatalf("CannedList empty = %v, %v", list, err)
	}
	for _, c := range []sessions.Canned{
		{ID: "thanks", Title: "Thanks", Body: "Thank you!"},
		{ID: "hello", Title: "Hello", Body: "Hello, how can I help?"},
		{ID: "bye", Title: "Bye", Body: "Goodbye."},
	} {
		if err := s.CannedPut(ctx, c); err != nil {
			t.Fatalf("CannedPut(%s): %v", c.ID, err)
		}
	}
	if err := s.CannedPut(ctx, sessions.Canned{ID: "hello", Title: "Hi", Body: "Hi there!"}); err != nil {
		t.Fatal(err)
	}
	list, err = s.CannedList(ctx)
	if err != nil {
		t.Fatal(err)
	}
	deepEqual(t, "canned list", list, []sessions.Canned{
		{ID: "bye", Title: "Bye", Body: "Goodbye."},
		{ID: "hello", Title: "Hi", Body: "Hi there!"},
		{ID: "thanks", Title: "Thanks", Body: "Thank you!"},
	})
	c, err := s.Canned(ctx, "hello")
	if err != nil {
		t.Fatal(err)
	}
	deepEqual(t, "canned hello", c, sessions.Canned{ID: "hello", Title: "Hi", Body: "Hi there!"})
	if err := s.CannedRemove(ctx, "bye"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Canned(ctx, "bye"); !errors.Is(err, sessions.ErrNotFound) {
		t.Errorf("Canned(removed) error = %v, want ErrNotFound", err)
	}
	if err := s.CannedRemove(ctx, "bye"); !errors.Is(err, sessions.ErrNotFound) {
		t.Errorf("CannedRemove(absent) error = %v, want ErrNotFound", err)
	}
	list, _ = s.CannedList(ctx)
	if len(list) != 2 || list[0].ID != "hello" || list[1].ID != "thanks" {
		t.Errorf("canned list after remove = %v", list)
	}
}

func TestListSessions(t *testing.T) {
	t.Parallel()
	s, _ := newStore(t)
	ctx := ctxT(t)
	c1 := record("c1", sessions.StateClosed, 0)
	c1.EndedAt = at(1)
	a2 := record("a2", sessions.StateActive, 2)
	c3 := record("c3", sessions.StateClosed, 3)
	c3.EndedAt = at(4)
	q4 := record("q4", sessions.StateQueued, 4)
	commit(t, s, &sessions.Batch{Sessions: []sessions.Record{a2, c1, q4, c3}})
	for _, c := range []struct {
		state sessions.State
		limit int
		want  []string
	}{
		{"", 0, []string{"q4", "c3", "a2", "c1"}},
		{"", 2, []string{"q4", "c3"}},
		{sessions.StateClosed, 0, []string{"c3", "c1"}},
		{sessions.StateClosed, 1, []string{"c3"}},
		{sessions.StateActive, 10, []string{"a2"}},
		{sessions.StateExpired, 10, []string{}},
	} {
		got, err := s.ListSessions(ctx, c.state, c.limit)
		if err != nil {
			t.Fatalf("ListSessions(%q, %d): %v", c.state, c.limit, err)
		}
		deepEqual(t, fmt.Sprintf("ListSessions(%q, %d)", c.state, c.limit), ids(got), c.want)
	}
	got, _ := s.ListSessions(ctx, sessions.StateClosed, 1)
	deepEqual(t, "closed session in full", normRecords(got), []sessions.Record{c3})
}

func TestListen(t *testing.T) {
	t.Parallel()
	s, _ := newStore(t)
	ctx, cancel := context.WithCancel(ctxT(t))
	calls := make(chan struct{}, 100)
	done := make(chan error, 1)
	go func() {
		done <- Listen(ctx, s.pool, NotifyChannel, func() { calls <- struct{}{} })
	}()
	wait := func(what string) {
		t.Helper()
		select {
		case <-calls:
		case err := <-done:
			t.Fatalf("Listen returned %v while waiting for %s", err, what)
		case <-time.After(10 * time.Second):
			t.Fatalf("no call for %s", what)
		}
	}
	drain := func() {
		for {
			select {
			case <-calls:
			default:
				return
			}
		}
	}
	wait("the initial call") // Listen is now listening
	drain()
	if err := s.Grant(context.Background(), "a@example.test", "chat"); err != nil {
		t.Fatal(err)
	}
	wait("the notification after Grant")
	drain()
	if err := s.SetAgentQueues(context.Background(), "a@example.test", []string{"sales"}); err != nil {
		t.Fatal(err)
	}
	wait("the notification after SetAgentQueues")

	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("Listen returned %v, want context.Canceled", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Listen did not return after cancel")
	}
}

// metric returns the histogram sample count and the error count of op.
func metric(t *testing.T, reg *prometheus.Registry, op string) (observed uint64, failed float64) {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			match := false
			for _, l := range m.GetLabel() {
				if l.GetName() == "op" && l.GetValue() == op {
					match = true
				}
			}
			if !match {
				continue
			}
			switch mf.GetName() {
			case "parley_store_operation_duration_seconds":
				observed = m.GetHistogram().GetSampleCount()
			case "parley_store_errors_total":
				failed = m.GetCounter().GetValue()
			}
		}
	}
	return observed, failed
}

func TestMetrics(t *testing.T) {
	t.Parallel()
	s, reg := newStore(t)
	ctx := ctxT(t)
	commit(t, s, &sessions.Batch{Sessions: []sessions.Record{record("a", sessions.StateQueued, 0)}})
	commit(t, s, &sessions.Batch{Transcript: entries("a", 1, 2)})
	if n, f := metric(t, reg, "commit"); n != 2 || f != 0 {
		t.Errorf("commit observed %d, failed %v; want 2, 0", n, f)
	}
	if err := s.Commit(ctx, &sessions.Batch{Transcript: entries("a", 2, 2)}); err == nil {
		t.Fatal("duplicate committed")
	}
	if n, f := metric(t, reg, "commit"); n != 3 || f != 1 {
		t.Errorf("commit observed %d, failed %v; want 3, 1", n, f)
	}
	if _, err := s.Canned(ctx, "none"); !errors.Is(err, sessions.ErrNotFound) {
		t.Fatal(err)
	}
	if n, f := metric(t, reg, "canned"); n != 1 || f != 0 {
		t.Errorf("canned observed %d, failed %v; want 1, 0 (not found is no failure)", n, f)
	}
	for _, call := range []struct {
		op string
		fn func() error
	}{
		{"ping", func() error { return s.Ping(ctx) }},
		{"load", func() error { _, err := s.Load(ctx, 10); return err }},
		{"transcript", func() error { _, _, _, err := s.Transcript(ctx, sessions.Query{Session: "a"}); return err }},
		{"session", func() error { _, _, err := s.Session(ctx, "a"); return err }},
		{"token_known", func() error { _, err := s.TokenKnown(ctx, hash("x")); return err }},
		{"permissions", func() error { _, err := s.Permissions(ctx); return err }},
		{"canned_list", func() error { _, err := s.CannedList(ctx); return err }},
		{"list_sessions", func() error { _, err := s.ListSessions(ctx, "", 0); return err }},
	} {
		before, _ := metric(t, reg, call.op)
		if err := call.fn(); err != nil {
			t.Fatalf("%s: %v", call.op, err)
		}
		if after, _ := metric(t, reg, call.op); after != before+1 {
			t.Errorf("%s observed %d times after one call, was %d", call.op, after, before)
		}
	}

	// A second Store on the same registry shares the collectors.
	s2, err := New(s.pool, reg)
	if err != nil {
		t.Fatalf("second New on one registry: %v", err)
	}
	if err := s2.Ping(ctx); err != nil {
		t.Fatal(err)
	}
	if n, _ := metric(t, reg, "ping"); n != 2 {
		t.Errorf("ping observed %d times across two stores, want 2", n)
	}
}

// BenchmarkCommit compares writing 100 transcript entries in one Commit with
// writing them in 100 Commits of one entry each; both report ns/entry.
func BenchmarkCommit(b *testing.B) {
	s, _ := newStore(b)
	ctx := context.Background()
	for _, c := range []struct {
		name     string
		perBatch int
	}{
		{"1x100", 100},
		{"100x1", 1},
	} {
		id := "bench-" + c.name
		if err := s.Commit(ctx, &sessions.Batch{Sessions: []sessions.Record{record(id, sessions.StateActive, 0)}}); err != nil {
			b.Fatal(err)
		}
		var seq int64 // b.Run calls the function several times: keep counting
		b.Run(c.name, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				for n := 0; n < 100; n += c.perBatch {
					batch := &sessions.Batch{Transcript: make([]sessions.Entry, 0, c.perBatch)}
					for k := 0; k < c.perBatch; k++ {
						seq++
						batch.Transcript = append(batch.Transcript, entry(id, seq, "message"))
					}
					if err := s.Commit(ctx, batch); err != nil {
						b.Fatal(err)
					}
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*100), "ns/entry")
		})
	}
}
