// Package pgstore owns Parley's PostgreSQL persistence: the schema and its
// embedded, numbered migrations (Migrate), the implementation of
// sessions.Store (Store), the admin operations the CLI uses (permissions,
// agent queues, canned responses, session listing) and the LISTEN loop that
// tells the service to reload permissions (Listen).
//
// Table names are never schema-qualified: the connection's search_path
// chooses the schema.
package pgstore

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/parley-chat/parley/sessions"
)

// NotifyChannel is the channel notified whenever permissions or agents change.
const NotifyChannel = "parley_permissions"

// Store implements sessions.Store on a pgx pool. It is safe for concurrent use.
type Store struct {
	pool     *pgxpool.Pool
	duration *prometheus.HistogramVec
	errors   *prometheus.CounterVec
	fence    atomic.Int64 // the leader epoch every commit checks (0: none); see leader.go
}

var _ sessions.Store = (*Store)(nil)

// New returns a Store on pool and registers its metrics with reg (nil: not
// registered). Several Stores may share one registry: they then share the
// collectors. The schema must have been migrated (Migrate).
func New(pool *pgxpool.Pool, reg prometheus.Registerer) (*Store, error) {
	if pool == nil {
		return nil, errors.New("pgstore: new: nil pool")
	}
	s := &Store{
		pool: pool,
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "parley_store_operation_duration_seconds",
			Help:    "Duration of Postgres store operations, by operation.",
			Buckets: prometheus.ExponentialBuckets(0.00025, 2, 15), // 250µs … ~4s
		}, []string{"op"}),
		errors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "parley_store_errors_total",
			Help: "Failed Postgres store operations, by operation (not-found answers excluded).",
		}, []string{"op"}),
	}
	if reg != nil {
		var err error
		if s.duration, err = register(reg, s.duration); err != nil {
			return nil, fmt.Errorf("pgstore: new: %w", err)
		}
		if s.errors, err = register(reg, s.errors); err != nil {
			return nil, fmt.Errorf("pgstore: new: %w", err)
		}
	}
	return s, nil
}

// register registers c, or returns the equal collector already registered.
func register[C prometheus.Collector](reg prometheus.Registerer, c C) (C, error) {
	if err := reg.Register(c); err != nil {
		var are prometheus.AlreadyRegisteredError
		if errors.As(err, &are) {
			if existing, ok := are.ExistingCollector.(C); ok {
				return existing, nil
			}
		}
		return c, err
	}
	return c, nil
}

// observe records the duration of op since start and counts *errp, if
// non-nil, as a failure unless it is sessions.ErrNotFound. Use it deferred.
func (s *Store) observe(op string, start time.Time, errp *error) {
	s.duration.WithLabelValues(op).Observe(time.Since(start).Seconds())
	if err := *errp; err != nil && !errors.Is(err, sessions.ErrNotFound) {
		s.errors.WithLabelValues(op).Inc()
	}
}

// sendBatch sends b on one connection in one round trip and reads all its
// results (running the callbacks queued on its queries). When b holds its
// own BEGIN and fails, the connection is rolled back before it returns to the
// pool (that is a second round trip, on failure only).
func (s *Store) sendBatch(ctx context.Context, b *pgx.Batch) error {
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return err
	}
	defer conn.Release()
	err = conn.SendBatch(ctx, b).Close()
	if err != nil {
		pc := conn.Conn().PgConn()
		if !pc.IsClosed() && !pc.IsBusy() && pc.TxStatus() != 'I' {
			rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
			// If this fails too, Release destroys the connection.
			_, _ = conn.Exec(rctx, "ROLLBACK")
			cancel()
		}
	}
	return err
}

// Ping checks that the database answers.
func (s *Store) Ping(ctx context.Context) (err error) {
	defer s.observe("ping", time.Now(), &err)
	if err = s.pool.Ping(ctx); err != nil {
		return fmt.Errorf("pgstore: ping: %w", err)
	}
	return nil
}

// ts converts a time to a timestamptz parameter; the zero time is NULL.
func ts(t time.Time) pgtype.Timestamptz {
	if t.IsZero() {
		return pgtype.Timestamptz{}
	}
	return pgtype.Timestamptz{Time: t, Valid: true}
}

// fromTS is the inverse of ts: NULL is the zero time.
func fromTS(t pgtype.Timestamptz) time.Time {
	if !t.Valid {
		return time.Time{}
	}
	return t.Time
}
