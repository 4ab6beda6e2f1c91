package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/parley-chat/parley/internal/testbed"
	"github.com/parley-chat/parley/sessions"
	"github.com/parley-chat/parley/sessions/pgstore"
	"github.com/prometheus/client_golang/prometheus"
)

func privacyStore(t *testing.T) (string, *pgstore.Store, *pgxpool.Pool) {
	t.Helper()
	dsn := testbed.Schema(t, testbed.Get(t))
	pool, err := pgxpool.New(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	if err := pgstore.Migrate(context.Background(), pool); err != nil {
		t.Fatal(err)
	}
	st, err := pgstore.New(pool, nil)
	if err != nil {
		t.Fatal(err)
	}
	return dsn, st, pool
}

func newToken(t *testing.T) (string, []byte) {
	raw := make([]byte, 18)
	if _, err := rand.Read(raw); err != nil {
		t.Fatal(err)
	}
	tok := base64.RawURLEncoding.EncodeToString(raw)
	h, ok := sessions.HashToken(tok)
	if !ok {
		t.Fatal("token not accepted")
	}
	return tok, h
}

func ended(id string, endedAt time.Time, token []byte, email string) sessions.Record {
	return sessions.Record{ID: id, Queue: "default", State: sessions.StateClosed, TokenHash: token,
		VisitorJIDs: []string{"v@guest.example.test/w"}, Visitor: map[string]string{"name": "Vi", "email": email},
		CreatedAt: endedAt.Add(-time.Hour), UpdatedAt: endedAt, EndedAt: endedAt}
}

// `parleyd erase` by session, e-mail and token, against Postgres: it says
// what it removed, and the data is gone.
func TestEraseCommand(t *testing.T) {
	clearEnv(t)
	dsn, st, pool := privacyStore(t)
	tok, h := newToken(t)
	now := time.Now().UTC().Truncate(time.Microsecond)
	b := &sessions.Batch{
		Tokens:   []sessions.Token{{Hash: h, CreatedAt: now}},
		Sessions: []sessions.Record{ended("s-one", now, h, "vi@example.org"), ended("s-two", now, nil, "VI@example.org"), ended("s-three", now, nil, "x@example.org")},
		Transcript: []sessions.Entry{
			{Session: "s-one", Seq: 1, At: now, AuthorRole: "visitor", Kind: "message", Body: "my address is …"},
			{Session: "s-one", Seq: 2, At: now, AuthorRole: "agent", Kind: "message", Body: "thanks"},
		},
	}
	if err := st.Commit(context.Background(), b); err != nil {
		t.Fatal(err)
	}
	runErase := func(args ...string) string {
		t.Helper()
		var out, errb bytes.Buffer
		if err := run(context.Background(), append([]string{"erase", "--database-url", dsn}, args...), &out, &errb); err != nil {
			t.Fatalf("erase %v: %v\n%s", args, err, errb.String())
		}
		return out.String()
	}
	out := runErase("--token", tok)
	if !strings.Contains(out, "erased session s-one (closed): 2 transcript entries, visitor details email, name, 1 visitor JIDs") ||
		!strings.Contains(out, "removed 1 visitor token") {
		t.Errorf("erase --token printed:\n%s", out)
	}
	out = runErase("--email", "vi@EXAMPLE.org")
	if !strings.Contains(out, "erased session s-two") || strings.Contains(out, "s-three") {
		t.Errorf("erase --email printed:\n%s", out)
	}
	if out := runErase("--session", "nope"); !strings.Contains(out, "nothing matched") {
		t.Errorf("erase of an unknown session printed:\n%s", out)
	}
	var left int
	if err := pool.QueryRow(context.Background(), `SELECT (SELECT count(*) FROM sessions WHERE id <> 's-three') + (SELECT count(*) FROM transcript) + (SELECT count(*) FROM visitor_tokens)`).Scan(&left); err != nil || left != 0 {
		t.Errorf("%d rows left (%v)", left, err)
	}
	var errb bytes.Buffer
	if err := run(context.Background(), []string{"erase", "--database-url", dsn, "--session", "a", "--email", "b"}, &bytes.Buffer{}, &errb); err == nil {
		t.Error("erase with two selectors succeeded")
	}
	if err := run(context.Background(), []string{"erase", "--database-url", dsn, "--token", "short"}, &bytes.Buffer{}, &errb); err == nil {
		t.Error("erase with a malformed token succeeded")
	}
}

// The retention job removes what ended more than --retention days ago and
// keeps the rest.
func TestRetentionPurge(t *testing.T) {
	_, st, _ := privacyStore(t)
	now := time.Now().UTC().Truncate(time.Microsecond)
	if err := st.Commit(context.Background(), &sessions.Batch{Sessions: []sessions.Record{
		ended("s-old", now.AddDate(0, 0, -31), nil, "a@example.org"),
		ended("s-new", now.AddDate(0, 0, -29), nil, "b@example.org"),
	}}); err != nil {
		t.Fatal(err)
	}
	purged := prometheus.NewCounter(prometheus.CounterOpts{Name: "purged"})
	reg := prometheus.NewRegistry()
	reg.MustRegister(purged)
	count := func() float64 {
		fams, err := reg.Gather()
		if err != nil || len(fams) != 1 {
			t.Fatalf("gather: %v", err)
		}
		return fams[0].GetMetric()[0].GetCounter().GetValue()
	}
	rep, err := purgeOnce(context.Background(), st, 30, now, purged, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Erased) != 1 || rep.Erased[0].Session != "s-old" || count() != 1 {
		t.Errorf("purged %+v (counter %v), want s-old", rep, count())
	}
	if _, _, err := st.Session(context.Background(), "s-new"); err != nil {
		t.Errorf("s-new: %v", err)
	}
}
