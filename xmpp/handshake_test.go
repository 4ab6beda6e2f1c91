package xmpp

import (
	"context"
	"errors"
	"net"
	"testing"
	"time"
)

// mellium must get a context that never ends: its deadline goroutine acts on
// the context's end even after the call returned (see Handshake).
func TestHandshakeHandsMelliumAContextThatNeverEnds(t *testing.T) {
	a, b := net.Pipe()
	defer b.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	err := Handshake(ctx, a, time.Minute, func(hctx context.Context) error {
		if hctx.Done() != nil {
			t.Error("negotiate got a context that can end")
		}
		if _, ok := hctx.Deadline(); ok {
			t.Error("negotiate got a context with a deadline")
		}
		return nil
	})
	cancel()
	if err != nil {
		t.Fatal(err)
	}
	// The connection outlives the caller's context.
	go func() { _, _ = b.Write([]byte("x")) }()
	buf := make([]byte, 1)
	if _, err := a.Read(buf); err != nil {
		t.Fatalf("read after the handshake's context ended: %v", err)
	}
}

func TestHandshakeBoundedByTimerAndContext(t *testing.T) {
	stall := func(conn net.Conn) func(context.Context) error {
		return func(context.Context) error {
			_, err := conn.Read(make([]byte, 1)) // ends when conn is closed
			return err
		}
	}
	a, b := net.Pipe()
	defer b.Close()
	if err := Handshake(context.Background(), a, 20*time.Millisecond, stall(a)); !errors.Is(err, ErrHandshakeTimeout) {
		t.Errorf("stalled past the bound: %v, want ErrHandshakeTimeout", err)
	}
	c, d := net.Pipe()
	defer d.Close()
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(20*time.Millisecond, cancel)
	if err := Handshake(ctx, c, time.Minute, stall(c)); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v, want context.Canceled", err)
	}
	e, f := net.Pipe()
	defer f.Close()
	want := errors.New("refused")
	if err := Handshake(context.Background(), e, time.Minute, func(context.Context) error { return want }); err != want {
		t.Errorf("negotiate's error: %v, want %v", err, want)
	}
}

func TestWriteBoundEndsAStalledWrite(t *testing.T) {
	a, b := net.Pipe() // nobody reads b
	defer b.Close()
	w := WriteBound(a, 20*time.Millisecond)
	if _, err := w.Write([]byte("stalled")); err == nil {
		t.Fatal("a write nobody reads returned no error")
	} else if ne, ok := err.(net.Error); !ok || !ne.Timeout() {
		t.Fatalf("want a timeout, got %v", err)
	}
}
