package main

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
)

var errPartFailed = errors.New("part failed")

// A failing part stops the others; wait returns only once each has ended,
// however long one of them takes to stop, and with the failure.
func TestPartsWaitForEveryPartToEnd(t *testing.T) {
	p := newParts(context.Background())
	quickEnded := make(chan struct{})
	release := make(chan struct{})
	var slowEnded, failEnded atomic.Bool
	p.run(func(ctx context.Context) error {
		<-ctx.Done()
		close(quickEnded)
		return ctx.Err() // an error while stopping is not the one reported
	})
	p.run(func(ctx context.Context) error {
		<-ctx.Done()
		<-release // still shutting down
		slowEnded.Store(true)
		return nil
	})
	p.run(func(ctx context.Context) error {
		failEnded.Store(true)
		return errPartFailed
	})
	waited := make(chan error, 1)
	go func() { waited <- p.wait() }()

	<-quickEnded // the failure stopped the others
	select {
	case err := <-waited:
		t.Fatalf("wait returned (%v) while a part was still stopping", err)
	default:
	}
	close(release)
	if err := <-waited; !errors.Is(err, errPartFailed) {
		t.Errorf("wait = %v, want %v", err, errPartFailed)
	}
	if !slowEnded.Load() || !failEnded.Load() {
		t.Errorf("wait returned before every part ended: slow %v, failing %v", slowEnded.Load(), failEnded.Load())
	}
}

// A part that ends without an error stops the others too (serve's parts run
// for as long as the process); cancelling the parent (a signal) stops them
// all. Either way wait reports no error.
func TestPartsStopTogether(t *testing.T) {
	for _, tc := range []struct {
		name   string
		cancel bool
	}{{"a part ends", false}, {"a signal", true}} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			p := newParts(ctx)
			var ended atomic.Int32
			for range 3 {
				p.run(func(ctx context.Context) error {
					<-ctx.Done()
					ended.Add(1)
					return ctx.Err()
				})
			}
			if tc.cancel {
				cancel()
			} else {
				p.run(func(context.Context) error { ended.Add(1); return nil })
			}
			if err := p.wait(); err != nil {
				t.Errorf("wait = %v, want nil", err)
			}
			if n, want := ended.Load(), map[bool]int32{true: 3, false: 4}[tc.cancel]; n != want {
				t.Errorf("%d parts ended before wait returned, want %d", n, want)
			}
		})
	}
}
