package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/parley-chat/parley/internal/metric"
	"github.com/parley-chat/parley/sessions/pgstore"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// leaderMetrics say which parleyd is active and count takeovers.
type leaderMetrics struct {
	leader    prometheus.Gauge
	takeovers prometheus.Counter
	purged    prometheus.Counter // retention.go's
}

func newLeaderMetrics(reg prometheus.Registerer) *leaderMetrics {
	m := &leaderMetrics{
		leader: prometheus.NewGauge(prometheus.GaugeOpts(metric.Opts("leader",
			"1 while this parleyd is the active one (holds the leader lock), 0 while it is a standby."))),
		takeovers: prometheus.NewCounter(prometheus.CounterOpts(metric.Opts("takeovers_total",
			"Times this parleyd became the active one after another parleyd (or an earlier run) had been."))),
		purged: prometheus.NewCounter(prometheus.CounterOpts(metric.Opts("sessions_purged_total",
			"Ended sessions removed by the retention job (--retention)."))),
	}
	reg.MustRegister(m.leader, m.takeovers, m.purged)
	return m
}

// becomeActive waits as a standby until this process holds the leader lock
// (sessions/pgstore, leader.go), serving /healthz, /metrics and a /readyz that
// says "standby" (503) meanwhile; it then makes the store's commits check the
// new epoch. The state is loaded from Postgres only after this returns, when
// the previous active parleyd can no longer commit.
func becomeActive(ctx context.Context, cfg *config, reg *prometheus.Registry, m *leaderMetrics, log *slog.Logger,
	pool *pgxpool.Pool, store *pgstore.Store) (*pgstore.Lease, error) {
	host, _ := os.Hostname()
	holder := fmt.Sprintf("%s pid %d http %s", host, os.Getpid(), cfg.HTTPAddr)
	el := &pgstore.Elector{Pool: pool, Holder: holder, Log: log, Stale: cfg.LeaderStale}

	ln, err := net.Listen("tcp", cfg.HTTPAddr)
	if err != nil {
		return nil, fmt.Errorf("http: %w", err)
	}
	var waitingFor atomic.Value // the active one's holder string
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{Registry: reg}))
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, r *http.Request) { fmt.Fprintln(w, "ok") })
	mux.HandleFunc("/readyz", func(w http.ResponseWriter, r *http.Request) {
		msg := "standby: waiting for the leader lock"
		if h, ok := waitingFor.Load().(string); ok {
			msg = "standby: " + h + " is active"
		}
		http.Error(w, msg, http.StatusServiceUnavailable)
	})
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	defer srv.Close() // the active server listens on the same address next

	start := time.Now()
	lease, err := el.Acquire(ctx, func(h string) {
		waitingFor.Store(h)
		log.Info("standby: another parleyd is active; waiting", "active", h)
	})
	if err != nil {
		if errors.Is(err, context.Canceled) || ctx.Err() != nil {
			return nil, nil
		}
		return nil, err
	}
	store.SetFence(lease.Epoch())
	m.leader.Set(1)
	if lease.Prev.Epoch > 0 {
		m.takeovers.Inc()
	}
	log.Info("active: took the leader lock", "epoch", lease.Epoch(), "previous", lease.Prev.Holder,
		"previous_epoch", lease.Prev.Epoch, "broke_stale_lock", lease.Prev.Broken, "waited", time.Since(start).Round(time.Millisecond))
	return lease, nil
}
