package xmpp

import (
	"fmt"
	"strconv"
	"sync"
	"testing"
	"time"

	"mellium.im/xmpp/jid"
)

const ackServer = "example.com"

func ackConfig(addr string) Config {
	cfg := testConfig(addr)
	cfg.AckTo = jid.MustParse(ackServer)
	cfg.AckEvery = 20 * time.Millisecond
	return cfg
}

// readUntilPing reads stanzas up to the next ping and returns their ids and
// the ping (nil when the connection ended first).
func (c *serverConn) readUntilPing() (ids []string, ping *Element) {
	c.t.Helper()
	for {
		el, err := c.readErr()
		if err != nil {
			return ids, nil
		}
		if el.Name.Local == "iq" && el.Child(nsPing, "ping") != nil {
			if el.Get("to") != ackServer || el.Get("type") != "get" {
				c.t.Fatalf("ping %s, want a get to %s", el, ackServer)
			}
			return ids, el
		}
		ids = append(ids, el.Get("id"))
	}
}

func (c *serverConn) answer(ping *Element) {
	c.t.Helper()
	c.write(fmt.Sprintf(`<iq type='result' from='%s' to='%s' id='%s'/>`, ackServer, ping.Get("from"), ping.Get("id")))
}

func sendIDs(t *testing.T, c *Conn, ids ...string) {
	t.Helper()
	for _, id := range ids {
		if err := c.Send(msg(id)); err != nil {
			t.Fatal(err)
		}
	}
}

// What the server acknowledged is not written again; what it did not is,
// first, on the next connection, in order, and then acknowledged there.
func TestConnWritesAgainWhatWasNotAcknowledged(t *testing.T) {
	srv := newFakeServer(t, testSecret)
	st := newStates()
	var resent []int
	cfg := ackConfig(srv.addr())
	cfg.OnResend = func(n, _ int) { resent = append(resent, n) }
	c := NewConn(cfg, func(*Element) {}, st.on)
	run(t, c)

	first := srv.next()
	st.expect(t, true)
	sendIDs(t, c, "1", "2")
	ids, ping := first.readUntilPing()
	if fmt.Sprint(ids) != "[1 2]" || ping == nil {
		t.Fatalf("read %v then ping %v, want [1 2] and a ping", ids, ping)
	}
	first.answer(ping)
	// Wait for the answer to be taken: the next ping covers only what follows.
	deadline := time.Now().Add(wait)
	for n := c.acks.unacked(); n != 0; n = c.acks.unacked() {
		if time.Now().After(deadline) {
			t.Fatalf("%d stanzas still unacknowledged after the answer", n)
		}
		time.Sleep(5 * time.Millisecond)
	}
	sendIDs(t, c, "3", "4")
	ids, ping = first.readUntilPing()
	if fmt.Sprint(ids) != "[3 4]" || ping == nil {
		t.Fatalf("read %v then ping %v, want [3 4] and a ping", ids, ping)
	}
	first.c.Close() // gone before answering: 3 and 4 may never have been routed

	st.expect(t, false)
	second := srv.next()
	st.expect(t, true)
	sendIDs(t, c, "5")
	ids, ping = second.readUntilPing()
	if fmt.Sprint(ids) != "[3 4 5]" || ping == nil {
		t.Fatalf("the new connection read %v then ping %v, want [3 4 5] (3 and 4 again, first) and a ping", ids, ping)
	}
	second.answer(ping)
	if fmt.Sprint(resent) != "[2]" {
		t.Errorf("OnResend told %v, want [2]", resent)
	}

	// An answer from anyone but the server, or to another id, acknowledges nothing.
	sendIDs(t, c, "6")
	ids, ping = second.readUntilPing()
	if fmt.Sprint(ids) != "[6]" || ping == nil {
		t.Fatalf("read %v then ping %v, want [6] and a ping", ids, ping)
	}
	second.write(fmt.Sprintf(`<iq type='result' from='mallory@example.com/x' to='%s' id='%s'/>`, testDomain, ping.Get("id")))
	second.write(fmt.Sprintf(`<iq type='result' from='%s' to='%s' id='%s9'/>`, ackServer, testDomain, c.acks.prefix))
	time.Sleep(50 * time.Millisecond)
	if c.acks.unacked() == 0 {
		t.Error("a forged answer acknowledged the stanzas")
	}
}

// An error answers a ping too (a server without XEP-0199 still answers in
// order), and a connection with nothing new written sends no ping.
func TestConnAckByErrorAndNoIdlePings(t *testing.T) {
	srv := newFakeServer(t, testSecret)
	c := NewConn(ackConfig(srv.addr()), func(*Element) {}, nil)
	run(t, c)
	sc := srv.next()
	sendIDs(t, c, "1")
	_, ping := sc.readUntilPing()
	if ping == nil {
		t.Fatal("no ping")
	}
	sc.write(fmt.Sprintf(`<iq type='error' from='%s' to='%s' id='%s'><error type='cancel'><service-unavailable xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq>`,
		ackServer, testDomain, ping.Get("id")))
	deadline := time.Now().Add(wait)
	for n := c.acks.unacked(); n != 0; n = c.acks.unacked() {
		if time.Now().After(deadline) {
			t.Fatalf("%d stanzas unacknowledged after an error answer", n)
		}
		time.Sleep(5 * time.Millisecond)
	}
	// Ten ticks with nothing written: the next thing read is the next stanza.
	time.Sleep(10 * ackConfig("").AckEvery)
	sendIDs(t, c, "2")
	if ids, ping := sc.readUntilPing(); fmt.Sprint(ids) != "[2]" || ping == nil {
		t.Errorf("read %v before the ping, want [2]: an idle connection pings nobody", ids)
	}
}

// A stanza written on maxWrites connections that each ended before the
// server acknowledged it is let go, counted: one the server closes the
// stream on must not take every next connection down with it.
func TestConnLetsGoOfAStanzaAfterMaxWrites(t *testing.T) {
	srv := newFakeServer(t, testSecret)
	cfg := ackConfig(srv.addr())
	var mu sync.Mutex
	var resent, dropped []int
	cfg.OnResend = func(r, d int) {
		mu.Lock()
		resent, dropped = append(resent, r), append(dropped, d)
		mu.Unlock()
	}
	c := NewConn(cfg, func(*Element) {}, nil)
	run(t, c)
	sc := srv.next()
	sendIDs(t, c, "poison")
	for i := 0; i < maxWrites; i++ {
		if ids, _ := sc.readUntilPing(); fmt.Sprint(ids) != "[poison]" {
			t.Fatalf("connection %d read %v, want [poison]", i+1, ids)
		}
		sc.c.Close() // the server closes the stream on it, every time
		sc = srv.next()
	}
	sendIDs(t, c, "next")
	if ids, _ := sc.readUntilPing(); fmt.Sprint(ids) != "[next]" {
		t.Fatalf("after %d connections the server read %v, want [next] alone", maxWrites, ids)
	}
	mu.Lock()
	defer mu.Unlock()
	if fmt.Sprint(resent) != "[1 1 0]" || fmt.Sprint(dropped) != "[0 0 1]" {
		t.Errorf("OnResend told resent %v, dropped %v; want [1 1 0] and [0 0 1]", resent, dropped)
	}
}

// Past maxUnacked unacknowledged stanzas the oldest are let go and counted
// at once (the writer tells OnResend then, not at the next connection); the
// next connection writes again the newest maxUnacked.
func TestAcksLetGoPastTheWindow(t *testing.T) {
	a := newAcks()
	els := make([]*Element, maxUnacked)
	for i := range els {
		els[i] = New("", "message", "id", strconv.Itoa(i))
	}
	if n := a.written(els); n != 0 {
		t.Fatalf("a full window let go of %d", n)
	}
	if n := a.written([]*Element{New("", "message", "id", "a"), New("", "message", "id", "b")}); n != 2 {
		t.Fatalf("two past the window let go of %d, want 2", n)
	}
	again, dropped := a.connected()
	if dropped != 0 || len(again) != maxUnacked || again[0].Get("id") != "2" || again[len(again)-1].Get("id") != "b" {
		t.Fatalf("the next connection: %d again (%s … %s), %d dropped; want %d from 2 to b, 0 dropped (told already)",
			len(again), again[0].Get("id"), again[len(again)-1].Get("id"), dropped, maxUnacked)
	}
}
