package pgstore

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Listen takes a connection out of pool, LISTENs on channel and calls fn
// once as soon as it listens (so that a change made before, or while the
// caller was reconnecting, is not missed) and then on every notification, in
// this goroutine, until ctx ends; it then returns ctx.Err(). Any other error
// (lost connection…) is returned for the caller to retry. The connection is
// closed on return, never given back to the pool.
func Listen(ctx context.Context, pool *pgxpool.Pool, channel string, fn func()) error {
	pc, err := pool.Acquire(ctx)
	if err != nil {
		return listenErr(ctx, channel, err)
	}
	// A listening connection must not serve other queries: keep it.
	conn := pc.Hijack()
	defer func() {
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		conn.Close(cctx)
	}()

	if _, err := conn.Exec(ctx, "LISTEN "+pgx.Identifier{channel}.Sanitize()); err != nil {
		return listenErr(ctx, channel, err)
	}
	fn()
	for {
		if _, err := conn.WaitForNotification(ctx); err != nil {
			return listenErr(ctx, channel, err)
		}
		fn()
	}
}

func listenErr(ctx context.Context, channel string, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	return fmt.Errorf("pgstore: listen %q: %w", channel, err)
}
