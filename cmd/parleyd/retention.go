// The retention job: the active parleyd purges what ended long enough ago.

package main

import (
	"context"
	"log/slog"
	"time"

	"github.com/parley-chat/parley/sessions/pgstore"
	"github.com/prometheus/client_golang/prometheus"
)

// retention purges, at start and then every period, the closed and expired
// sessions that ended more than days ago (--retention), while this parleyd
// is the active one (the store's fence refuses it otherwise).
func retention(ctx context.Context, store *pgstore.Store, days int, period time.Duration, purged prometheus.Counter, log *slog.Logger) error {
	if days <= 0 {
		return nil
	}
	for {
		if _, err := purgeOnce(ctx, store, days, time.Now(), purged, log); err != nil && ctx.Err() == nil {
			log.Error("retention: purge failed; trying again later", "err", err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(period):
		}
	}
}

// purgeOnce removes what ended more than days before now.
func purgeOnce(ctx context.Context, store *pgstore.Store, days int, now time.Time, purged prometheus.Counter, log *slog.Logger) (pgstore.EraseReport, error) {
	pctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	rep, err := store.Purge(pctx, now.AddDate(0, 0, -days))
	if err != nil {
		return rep, err
	}
	purged.Add(float64(len(rep.Erased)))
	for _, e := range rep.Erased {
		log.Info("retention: session purged", "session", e.Session, "state", string(e.State), "entries", e.Entries)
	}
	if len(rep.Erased) > 0 || rep.Tokens > 0 {
		log.Info("retention: purge done", "sessions", len(rep.Erased), "tokens", rep.Tokens, "retention_days", days)
	}
	return rep, nil
}
