package pgstore

import (
	"context"
	"crypto/sha256"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Scale of the store (issue 13): the lookups parleyd makes on the way of a
// visitor's request and reconnect must not cost more when the database holds
// a million sessions than when it holds a thousand. scripts/bench.sh -scale
// prints the ratio of the p99 with 1M stored sessions over 1k.
//
//   - op=token is the request's lookup: TokenKnown, whether a visitor's token
//     was stored (gateway, before a request or a left message that carries one);
//   - op=session is the reconnect's lookup: Session, a session and its agents
//     by id (gateway, before a reconnect or an archive query).
//
// The schema is seeded in Postgres itself (generate_series, one statement
// per table): n sessions, each with its token, its owner in session_agents
// and four transcript entries; one in a hundred is live, the others closed.
// Each op measures PARLEY_BENCH_ROUNDS rounds (default 5) of b.N/rounds
// lookups of random stored keys per size, the sizes alternating, and reports
// the medians over the rounds of each round's p50, p99 and mean (µs); seeding
// once and taking rounds inside one run keeps a million-row seed from being
// repeated for every -count.

// scaleSeed fills a migrated schema with n sessions.
func scaleSeed(ctx context.Context, s *Store, n int) error {
	stmts := []string{
		`INSERT INTO visitor_tokens (hash, created_at)
SELECT sha256(convert_to('tok' || i, 'UTF8')), timestamptz '2026-01-01' + i * interval '1 second'
FROM generate_series(1, $1) i`,
		`INSERT INTO sessions (id, token_hash, queue, state, owner, visitor_jids, visitor, question,
	created_at, assigned_at, ended_at, updated_at)
SELECT 's' || i, sha256(convert_to('tok' || i, 'UTF8')), 'support',
	CASE WHEN i % 100 = 0 THEN 'active' ELSE 'closed' END,
	'agent' || (i % 500) || '@example.com', ARRAY['v' || i || '@guest.example.com/w1'],
	jsonb_build_object('name', 'Visitor ' || i, 'email', 'v' || i || '@example.org'), 'Where is my parcel?',
	timestamptz '2026-01-01' + i * interval '1 second',
	timestamptz '2026-01-01' + i * interval '1 second' + interval '30 seconds',
	CASE WHEN i % 100 = 0 THEN NULL ELSE timestamptz '2026-01-01' + i * interval '1 second' + interval '10 minutes' END,
	timestamptz '2026-01-01' + i * interval '1 second' + interval '10 minutes'
FROM generate_series(1, $1) i`,
		`INSERT INTO session_agents (session_id, jid, role, at)
SELECT 's' || i, 'agent' || (i % 500) || '@example.com', 'owner', timestamptz '2026-01-01' + i * interval '1 second' + interval '30 seconds'
FROM generate_series(1, $1) i`,
		`INSERT INTO transcript (session_id, seq, at, author_role, author_jid, nick, kind, body)
SELECT 's' || i, k, timestamptz '2026-01-01' + i * interval '1 second' + k * interval '1 minute',
	CASE WHEN k % 2 = 1 THEN 'visitor' ELSE 'agent' END,
	CASE WHEN k % 2 = 1 THEN 'v' || i || '@guest.example.com/w1' ELSE 'agent' || (i % 500) || '@example.com/desk' END,
	CASE WHEN k % 2 = 1 THEN 'Visitor ' || i ELSE 'agent' || (i % 500) END,
	'message', 'Hello, my parcel has not arrived yet: could you look it up?'
FROM generate_series(1, $1) i, generate_series(1, 4) k`,
		`ANALYZE`,
	}
	for _, q := range stmts {
		args := []any{n}
		if q == `ANALYZE` {
			args = nil
		}
		if _, err := s.pool.Exec(ctx, q, args...); err != nil {
			return err
		}
	}
	return nil
}

func benchRounds() int {
	if n, err := strconv.Atoi(os.Getenv("PARLEY_BENCH_ROUNDS")); err == nil && n > 0 {
		return n
	}
	return 5
}

// scaleStored are the sizes seeded: PARLEY_BENCH_STORED ("1000,1000000" by
// default; "1000" alone for a quick run).
func scaleStored() []int {
	v := os.Getenv("PARLEY_BENCH_STORED")
	if v == "" {
		v = "1000,1000000"
	}
	var out []int
	for _, f := range strings.Split(v, ",") {
		if n, err := strconv.Atoi(strings.TrimSpace(f)); err == nil && n > 0 {
			out = append(out, n)
		}
	}
	return out
}

// sizeName is how a size shows in a metric's unit: 1k, 1M, or the number.
func sizeName(n int) string {
	switch {
	case n%1000000 == 0:
		return strconv.Itoa(n/1000000) + "M"
	case n%1000 == 0:
		return strconv.Itoa(n/1000) + "k"
	}
	return strconv.Itoa(n)
}

// BenchmarkScaleLookup: see the top of this file. Every size is seeded
// first, each in a schema of its own; then each op measures the sizes in
// alternating rounds, so that whatever else the machine does at a moment
// weighs on all sizes alike. It reports, per size, the medians over the
// rounds (units p50-µs/1k, p99-µs/1M, …). Run it with a fixed count
// (-benchtime=5000x): b.N lookups per size and op, in rounds.
func BenchmarkScaleLookup(b *testing.B) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Minute)
	defer cancel()
	sizes := scaleStored()
	stores := make([]*Store, len(sizes))
	for i, n := range sizes {
		s, _ := newStore(b)
		start := time.Now()
		if err := scaleSeed(ctx, s, n); err != nil {
			b.Fatalf("seeding %d sessions: %v", n, err)
		}
		b.Logf("seeded %d sessions in %v", n, time.Since(start).Round(time.Millisecond))
		stores[i] = s
	}
	ops := []struct {
		name string
		do   func(s *Store, i int) error
	}{
		{"token", func(s *Store, i int) error {
			h := sha256.Sum256([]byte("tok" + strconv.Itoa(i)))
			known, err := s.TokenKnown(ctx, h[:])
			if err == nil && !known {
				b.Fatalf("token %d not known", i)
			}
			return err
		}},
		{"session", func(s *Store, i int) error {
			rec, agents, err := s.Session(ctx, "s"+strconv.Itoa(i))
			if err == nil && (rec.ID != "s"+strconv.Itoa(i) || len(agents) != 1) {
				b.Fatalf("session %d: %+v, %d agents", i, rec, len(agents))
			}
			return err
		}},
	}
	for _, op := range ops {
		b.Run("op="+op.name, func(b *testing.B) {
			rounds := benchRounds()
			per := max(b.N/rounds, 1)
			rngs := make([]*rand.Rand, len(sizes))
			for k, n := range sizes {
				rngs[k] = rand.New(rand.NewPCG(uint64(n), 13))
				for i := 0; i < 50; i++ { // warm the pool's connections and statements
					if err := op.do(stores[k], 1+rngs[k].IntN(n)); err != nil {
						b.Fatal(err)
					}
				}
			}
			lat := make([]time.Duration, 0, per)
			p50s := make([][]float64, len(sizes))
			p99s := make([][]float64, len(sizes))
			means := make([][]float64, len(sizes))
			b.ResetTimer()
			for r := 0; r < rounds; r++ {
				for k, n := range sizes {
					lat = lat[:0]
					var sum time.Duration
					for i := 0; i < per; i++ {
						key := 1 + rngs[k].IntN(n)
						t := time.Now()
						if err := op.do(stores[k], key); err != nil {
							b.Fatal(err)
						}
						d := time.Since(t)
						sum += d
						lat = append(lat, d)
					}
					slices.Sort(lat)
					p50s[k] = append(p50s[k], us(lat[len(lat)/2]))
					p99s[k] = append(p99s[k], us(lat[min(len(lat)-1, len(lat)*99/100)]))
					means[k] = append(means[k], us(sum)/float64(len(lat)))
				}
			}
			b.StopTimer()
			for k, n := range sizes {
				b.ReportMetric(median(p50s[k]), "p50-µs/"+sizeName(n))
				b.ReportMetric(median(p99s[k]), "p99-µs/"+sizeName(n))
				b.ReportMetric(median(means[k]), "mean-µs/"+sizeName(n))
			}
		})
	}
}

func us(d time.Duration) float64 { return float64(d.Nanoseconds()) / 1e3 }

func median(xs []float64) float64 {
	ys := slices.Clone(xs)
	slices.Sort(ys)
	if len(ys) == 0 {
		return 0
	}
	return ys[len(ys)/2]
}
