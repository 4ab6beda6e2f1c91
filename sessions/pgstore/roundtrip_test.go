package pgstore

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/parley-chat/parley/internal/testbed"
	"github.com/parley-chat/parley/sessions"
)

// tripCounter counts network round trips: each switch from writing to
// reading on a connection is one.
type tripCounter struct {
	mu      sync.Mutex
	trips   int
	writing map[net.Conn]bool
}

type countingConn struct {
	net.Conn
	c *tripCounter
}

func (cc countingConn) Write(p []byte) (int, error) {
	cc.c.mu.Lock()
	cc.c.writing[cc] = true
	cc.c.mu.Unlock()
	return cc.Conn.Write(p)
}

// Read counts a round trip when it returns the first bytes after a write:
// the count is taken when the answer arrives, not when the read starts, since
// pgx may already be reading (its background reader) when the next request
// is written.
func (cc countingConn) Read(p []byte) (int, error) {
	n, err := cc.Conn.Read(p)
	if n > 0 {
		cc.c.mu.Lock()
		if cc.c.writing[cc] {
			cc.c.writing[cc] = false
			cc.c.trips++
		}
		cc.c.mu.Unlock()
	}
	return n, err
}

func (c *tripCounter) take() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := c.trips
	c.trips = 0
	return n
}

// TestRoundTrips checks, on a one-connection pool whose traffic is counted,
// that Commit (any size), Load, Session and Transcript each cost one round
// trip once the connection has prepared their statements, and that an empty
// Commit costs none.
func TestRoundTrips(t *testing.T) {
	t.Parallel()
	env := testbed.Get(t)
	dsn := testbed.Schema(t, env)
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		t.Fatal(err)
	}
	counter := &tripCounter{writing: map[net.Conn]bool{}}
	dial := cfg.ConnConfig.DialFunc
	cfg.ConnConfig.DialFunc = func(ctx context.Context, network, addr string) (net.Conn, error) {
		conn, err := dial(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		return countingConn{Conn: conn, c: counter}, nil
	}
	cfg.MaxConns = 1
	cfg.ShouldPing = func(context.Context, pgxpool.ShouldPingParams) bool { return false }
	ctx := ctxT(t)
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	if err := Migrate(ctx, pool); err != nil {
		t.Fatal(err)
	}
	s, err := New(pool, prometheus.NewRegistry())
	if err != nil {
		t.Fatal(err)
	}
	full := func(id string, tok string, n int64) *sessions.Batch {
		r := record(id, sessions.StateActive, 0)
		r.TokenHash = hash(tok)
		return &sessions.Batch{
			Tokens:     []sessions.Token{{Hash: hash(tok), CreatedAt: at(0)}},
			Sessions:   []sessions.Record{r},
			Agents:     []sessions.SessionAgent{{Session: id, JID: "agent1@example.test", Role: "owner", At: at(1)}},
			Transcript: entries(id, 1, n),
		}
	}
	ops := []struct {
		name string
		fn   func() error
	}{
		{"Commit of 100 entries and every row type", func() error { return s.Commit(ctx, full("b", "tb", 100)) }},
		{"Commit of 3 entries", func() error { return s.Commit(ctx, full("c", "tc", 3)) }},
		{"Load", func() error { _, err := s.Load(ctx, 20); return err }},
		{"Session", func() error { _, _, err := s.Session(ctx, "b"); return err }},
		{"Session of an absent id", func() error {
			if _, _, err := s.Session(ctx, "absent"); !errors.Is(err, sessions.ErrNotFound) {
				return fmt.Errorf("err = %v, want ErrNotFound", err)
			}
			return nil
		}},
		{"Session after a not-found", func() error { _, _, err := s.Session(ctx, "b"); return err }},
		{"Transcript", func() error {
			_, _, _, err := s.Transcript(ctx, sessions.Query{Session: "b", Max: 10, Last: true})
			return err
		}},
	}
	// Warm up: the connection prepares each statement once.
	if err := s.Commit(ctx, full("a", "ta", 2)); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Load(ctx, 20); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.Session(ctx, "a"); err != nil {
		t.Fatal(err)
	}
	if _, _, _, err := s.Transcript(ctx, sessions.Query{Session: "a", Max: 10, Last: true}); err != nil {
		t.Fatal(err)
	}
	counter.take()
	for _, op := range ops {
		if err := op.fn(); err != nil {
			t.Fatalf("%s: %v", op.name, err)
		}
		if n := counter.take(); n != 1 {
			t.Errorf("%s took %d round trips, want 1", op.name, n)
		}
	}
	if err := s.Commit(ctx, &sessions.Batch{}); err != nil {
		t.Fatal(err)
	}
	if n := counter.take(); n != 0 {
		t.Errorf("empty Commit took %d round trips, want 0", n)
	}
	_, _, count, err := s.Transcript(ctx, sessions.Query{Session: "b"})
	if err != nil || count != 100 {
		t.Errorf("transcript of b: count %d, err %v; want 100", count, err)
	}
}
