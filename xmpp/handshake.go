package xmpp

import (
	"context"
	"errors"
	"net"
	"time"
)

// ErrHandshakeTimeout is a negotiation that took longer than its bound.
var ErrHandshakeTimeout = errors.New("xmpp: stream negotiation timed out")

// Handshake runs negotiate (mellium's NewSession and the like) on conn,
// bounded by ctx and by d, without handing mellium a context that may end
// once negotiate has returned.
//
// Written by hand because of how mellium (v0.22) bounds a negotiation and a
// Send by their context: a goroutine waits for either the context's end or
// the call's return, and on the context's end sets the connection's deadline
// in the past and clears it again. When the caller cancels the context just
// after the call returned (the usual defer cancel()), that goroutine may
// still choose the cancellation and cut a read or write that has begun since
// short with "i/o timeout", breaking a stream that was fine. Here mellium
// gets a context that is never done; the bound is a timer and an
// AfterFunc that close conn, so a stalled negotiation still ends.
func Handshake(ctx context.Context, conn net.Conn, d time.Duration, negotiate func(context.Context) error) error {
	timer := time.AfterFunc(d, func() { conn.Close() })
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	err := negotiate(context.WithoutCancel(ctx))
	intime, alive := timer.Stop(), stop()
	switch {
	case !alive:
		return ctx.Err()
	case !intime:
		return ErrHandshakeTimeout
	}
	return err
}

// WriteBound wraps conn so that each Write must finish within d: the bound
// on a stalled peer for senders that hand mellium a context that is never
// done (see Handshake for why). mellium writes under its own lock, so the
// deadline set here is never another writer's.
func WriteBound(conn net.Conn, d time.Duration) net.Conn { return &writeBound{conn, d} }

type writeBound struct {
	net.Conn
	d time.Duration
}

func (w *writeBound) Write(p []byte) (int, error) {
	if err := w.Conn.SetWriteDeadline(time.Now().Add(w.d)); err != nil {
		return 0, err
	}
	return w.Conn.Write(p)
}
