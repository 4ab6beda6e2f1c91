package main

import (
	"context"

	"golang.org/x/sync/errgroup"
)

// parts runs serve's long-lived parts (HTTP, the runner, the component
// connection, listeners, jobs), each in a goroutine of one errgroup. The
// first part to end, with or without an error, stops the others by
// cancelling their context; wait returns only once every part has ended,
// with the error that started the shutdown (nil for a clean stop). Errors a
// part returns while stopping are not that error.
type parts struct {
	g    *errgroup.Group
	ctx  context.Context
	stop context.CancelFunc
}

func newParts(ctx context.Context) *parts {
	ctx, stop := context.WithCancel(ctx)
	g, ctx := errgroup.WithContext(ctx)
	return &parts{g: g, ctx: ctx, stop: stop}
}

// run starts a part; fn must return once its context is done.
func (p *parts) run(fn func(ctx context.Context) error) {
	p.g.Go(func() error {
		defer p.stop()
		err := fn(p.ctx)
		if p.ctx.Err() != nil {
			return nil // stopping: not what stopped it
		}
		return err
	})
}

// wait stops nothing by itself: it waits for every part to end.
func (p *parts) wait() error {
	defer p.stop()
	return p.g.Wait()
}
