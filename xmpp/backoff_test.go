package xmpp

import (
	"errors"
	"fmt"
	"net"
	"sync"
	"testing"
	"time"

	"mellium.im/xmpp/stream"
)

func TestBackoff(t *testing.T) {
	cfg := Config{MinBackoff: 200 * time.Millisecond, MaxBackoff: 10 * time.Second, RefusedBackoff: 400 * time.Millisecond}
	var b backoff
	// Refused, again and again: never more than RefusedBackoff, however long.
	for i := 0; i < 100; i++ {
		if w := b.next(cfg, false, true, 1); w > cfg.RefusedBackoff {
			t.Fatalf("attempt %d while refused waits %v, cap %v", i, w, cfg.RefusedBackoff)
		}
	}
	// Other failures (a refused handshake) double up to MaxBackoff.
	var waits []time.Duration
	for i := 0; i < 10; i++ {
		waits = append(waits, b.next(cfg, false, false, 1))
	}
	if waits[0] != 800*time.Millisecond || waits[1] != 1600*time.Millisecond || waits[9] != cfg.MaxBackoff {
		t.Errorf("waits after handshake failures %v, want doubling from the refused cap to %v", waits, cfg.MaxBackoff)
	}
	// The server refusing again (restarting) brings it down to the cap at once.
	if w := b.next(cfg, false, true, 1); w != cfg.RefusedBackoff {
		t.Errorf("refused after long waits: %v, want %v", w, cfg.RefusedBackoff)
	}
	// A connection that was up starts again from MinBackoff.
	if w := b.next(cfg, true, false, 1); w != cfg.MinBackoff {
		t.Errorf("after a connection that was up: %v, want %v", w, cfg.MinBackoff)
	}
	// Jitter: between half and all of the step.
	if lo, hi := b.next(cfg, true, false, 0), b.next(cfg, true, false, 0.999); lo != cfg.MinBackoff/2 || hi <= lo || hi > cfg.MinBackoff {
		t.Errorf("jitter range [%v, %v], want [%v, %v]", lo, hi, cfg.MinBackoff/2, cfg.MinBackoff)
	}
}

func TestRefused(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	_, err = net.Dial("tcp", addr)
	if !refused(err) {
		t.Errorf("refused(%v) = false", err)
	}
	if refused(errors.New("xmpp: component handshake: not-authorized")) {
		t.Error("a handshake failure counted as refused")
	}
}

// The server goes away (its port refuses connections) and comes back on the
// same port: the component reconnects, having kept its waits under
// RefusedBackoff the whole time, whatever the number of attempts. How long
// after the server's return it connects is logged, not asserted.
func TestConnBackSoonAfterServerRestart(t *testing.T) {
	srv := newFakeServer(t, testSecret)
	addr := srv.addr()
	st := newStates()
	cfg := testConfig(addr)
	cfg.MinBackoff, cfg.MaxBackoff, cfg.RefusedBackoff = 20*time.Millisecond, 5*time.Second, 40*time.Millisecond
	var mu sync.Mutex
	var waits []time.Duration
	refusals := make(chan struct{}, 1000)
	cfg.OnRetry = func(err error, w time.Duration) {
		mu.Lock()
		waits = append(waits, w)
		mu.Unlock()
		if refused(err) {
			refusals <- struct{}{}
		}
	}
	c := NewConn(cfg, func(*Element) {}, st.on)
	run(t, c)
	first := srv.next()
	st.expect(t, true)

	// The server stops: the listener and the connection close.
	srv.ln.Close()
	first.c.Close()
	st.expect(t, false)
	for i := 0; i < 10; i++ { // ten refused dials at least
		select {
		case <-refusals:
		case <-time.After(wait):
			t.Fatalf("only %d refused dials within %v", i, wait)
		}
	}
	// Back on the same port.
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatalf("listen again on %s: %v", addr, err)
	}
	back := time.Now()
	srv2 := &fakeServer{t: t, ln: ln, secret: testSecret, conns: make(chan *serverConn, 16)}
	go srv2.accept()
	t.Cleanup(func() { ln.Close() })
	srv2.next()
	st.expect(t, true)
	t.Logf("connected %v after the server listened again", time.Since(back).Round(time.Millisecond))
	mu.Lock()
	defer mu.Unlock()
	for i, w := range waits[1:] { // the first wait follows the dropped connection
		if w > cfg.RefusedBackoff {
			t.Errorf("wait %d was %v while refused, cap %v (all: %v)", i+1, w, cfg.RefusedBackoff, waits)
		}
	}
}

func TestRefusedConflict(t *testing.T) {
	if !refused(fmt.Errorf("xmpp: component handshake: %w", stream.Conflict)) {
		t.Error("a conflict (the old connection still there) not retried soon")
	}
	if refused(fmt.Errorf("xmpp: component handshake: %w", stream.NotAuthorized)) {
		t.Error("not-authorized retried soon")
	}
}

// While MayConnect says no, the component does not dial; once it says yes,
// it connects.
func TestConnMayConnect(t *testing.T) {
	srv := newFakeServer(t, testSecret)
	st := newStates()
	cfg := testConfig(srv.addr())
	cfg.RefusedBackoff = 5 * time.Millisecond
	var mu sync.Mutex
	may, asked := false, 0
	cfg.MayConnect = func() bool {
		mu.Lock()
		defer mu.Unlock()
		asked++
		return may
	}
	c := NewConn(cfg, func(*Element) {}, st.on)
	run(t, c)
	for deadline := time.Now().Add(wait); ; time.Sleep(5 * time.Millisecond) {
		mu.Lock()
		n := asked
		mu.Unlock()
		if n >= 5 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("MayConnect not asked again and again")
		}
	}
	if n := srv.accepts(); n != 0 {
		t.Fatalf("%d connections while MayConnect said no", n)
	}
	mu.Lock()
	may = true
	mu.Unlock()
	srv.next()
	st.expect(t, true)
}
