package pgstore

import (
	"context"
	"crypto/sha256"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"testing"
	"time"
)

// Scale of the store (issue 13): the lookups parleyd makes on the way of a
// visitor's request and reconnect must not cost more when the database holds
// a million sessions than when it holds a thousand. scripts/bench.sh -scale
// prints the ratio of the p99 with stored=1000000 over stored=1000.
//
//   - op=token is the request's lookup: TokenKnown, whether a visitor's token
//     was stored (gateway, before a request or a left message that carries one);
//   - op=session is the reconnect's lookup: Session, a session and its agents
//     by id (gateway, before a reconnect or an archive query).
//
// The schema is seeded in Postgres itself (generate_series, one statement
// per table): n sessions, each with its token, its owner in session_agents
// and four transcript entries; one in a hundred is live, the others closed.
// Each benchmark measures PARLEY_BENCH_ROUNDS rounds (default 5) of b.N/rounds
// lookups of random stored keys and reports the medians over the rounds of
// each round's p50, p99 and mean (µs); seeding once and taking rounds inside one
// run keeps a million-row seed from being repeated for every -count.

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

// BenchmarkScaleLookup: see the top of this file. Run it with a fixed count
// (-benchtime=5000x): b.N lookups per op, in rounds.
func BenchmarkScaleLookup(b *testing.B) {
	for _, n := range []int{1000, 1000000} {
		b.Run("stored="+strconv.Itoa(n), func(b *testing.B) {
			s, _ := newStore(b)
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Minute)
			defer cancel()
			start := time.Now()
			if err := scaleSeed(ctx, s, n); err != nil {
				b.Fatalf("seeding %d sessions: %v", n, err)
			}
			b.Logf("seeded %d sessions in %v", n, time.Since(start).Round(time.Millisecond))
			ops := []struct {
				name string
				do   func(i int) error
			}{
				{"token", func(i int) error {
					h := sha256.Sum256([]byte("tok" + strconv.Itoa(i)))
					known, err := s.TokenKnown(ctx, h[:])
					if err == nil && !known {
						b.Fatalf("token %d not known", i)
					}
					return err
				}},
				{"session", func(i int) error {
					rec, agents, err := s.Session(ctx, "s"+strconv.Itoa(i))
					if err == nil && (rec.ID != "s"+strconv.Itoa(i) || len(agents) != 1) {
						b.Fatalf("session %d: %+v, %d agents", i, rec, len(agents))
					}
					return err
				}},
			}
			for _, op := range ops {
				b.Run("op="+op.name, func(b *testing.B) {
					rng := rand.New(rand.NewPCG(uint64(n), 13))
					for i := 0; i < 50; i++ { // warm the pool's connections and statements
						if err := op.do(1 + rng.IntN(n)); err != nil {
							b.Fatal(err)
						}
					}
					rounds := benchRounds()
					per := max(b.N/rounds, 1)
					lat := make([]time.Duration, 0, per)
					var p50s, p99s, means []float64
					b.ResetTimer()
					for r := 0; r < rounds; r++ {
						lat = lat[:0]
						for i := 0; i < per; i++ {
							k := 1 + rng.IntN(n)
							t := time.Now()
							if err := op.do(k); err != nil {
								b.Fatal(err)
							}
							lat = append(lat, time.Since(t))
						}
						var sum time.Duration
						for _, d := range lat {
							sum += d
						}
						means = append(means, us(sum)/float64(len(lat)))
						slices.Sort(lat)
						p50s = append(p50s, us(lat[len(lat)/2]))
						p99s = append(p99s, us(lat[min(len(lat)-1, len(lat)*99/100)]))
					}
					b.StopTimer()
					b.ReportMetric(median(p50s), "p50-µs")
					b.ReportMetric(median(p99s), "p99-µs")
					b.ReportMetric(median(means), "mean-µs")
				})
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
