package xmpp

import (
	"context"
	"crypto/sha1"
	"encoding/hex"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"mellium.im/xmpp/jid"
)

// wait bounds every wait in these tests: generous, since nothing here
// measures speed.
const wait = 20 * time.Second

const (
	testDomain = "chat.example.com"
	testSecret = "s3cret"
)

// fakeServer is the server side of XEP-0114 on loopback: it accepts, does the
// handshake and hands each authenticated connection to the test.
type fakeServer struct {
	t        *testing.T
	ln       net.Listener
	secret   string
	conns    chan *serverConn
	mu       sync.Mutex
	accepted int
	all      []net.Conn
}

// serverConn is one authenticated component connection, seen from the server.
type serverConn struct {
	t  *testing.T
	c  net.Conn
	d  *xml.Decoder
	id string
}

func newFakeServer(t *testing.T, secret string) *fakeServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &fakeServer{t: t, ln: ln, secret: secret, conns: make(chan *serverConn, 16)}
	go s.accept()
	t.Cleanup(func() {
		ln.Close()
		s.mu.Lock()
		defer s.mu.Unlock()
		for _, c := range s.all {
			c.Close()
		}
	})
	return s
}

func (s *fakeServer) addr() string { return s.ln.Addr().String() }

func (s *fakeServer) accepts() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.accepted
}

func (s *fakeServer) accept() {
	for {
		c, err := s.ln.Accept()
		if err != nil {
			return
		}
		s.mu.Lock()
		s.accepted++
		n := s.accepted
		s.all = append(s.all, c)
		s.mu.Unlock()
		go s.handshake(c, fmt.Sprintf("stream-%d", n))
	}
}

func (s *fakeServer) handshake(c net.Conn, id string) {
	_ = c.SetDeadline(time.Now().Add(wait))
	d := xml.NewDecoder(c)
	start, err := nextStart(d)
	if err != nil || start.Name.Local != "stream" || start.Name.Space != "http://etherx.jabber.org/streams" {
		c.Close()
		return
	}
	if !hasAttr(start, "", "xmlns", NSComponent) || !hasAttr(start, "", "to", testDomain) {
		c.Close()
		return
	}
	fmt.Fprintf(c, `<?xml version='1.0'?><stream:stream xmlns='jabber:component:accept' xmlns:stream='http://etherx.jabber.org/streams' id='%s' from='%s'>`, id, testDomain)
	hs, err := nextStart(d)
	if err != nil || hs.Name.Local != "handshake" {
		c.Close()
		return
	}
	var digest string
	if err := d.DecodeElement(&digest, &hs); err != nil {
		c.Close()
		return
	}
	sum := sha1.Sum([]byte(id + s.secret))
	if strings.TrimSpace(digest) != hex.EncodeToString(sum[:]) {
		fmt.Fprint(c, `<stream:error><not-authorized xmlns='urn:ietf:params:xml:ns:xmpp-streams'/></stream:error></stream:stream>`)
		c.Close()
		return
	}
	fmt.Fprint(c, `<handshake/>`)
	_ = c.SetDeadline(time.Time{})
	s.conns <- &serverConn{t: s.t, c: c, d: d, id: id}
}

func hasAttr(st xml.StartElement, space, local, value string) bool {
	for _, a := range st.Attr {
		if a.Name.Space == space && a.Name.Local == local && a.Value == value {
			return true
		}
	}
	return false
}

func nextStart(d *xml.Decoder) (xml.StartElement, error) {
	for {
		tok, err := d.Token()
		if err != nil {
			return xml.StartElement{}, err
		}
		if st, ok := tok.(xml.StartElement); ok {
			return st, nil
		}
	}
}

// next waits for the server's next authenticated connection.
func (s *fakeServer) next() *serverConn {
	s.t.Helper()
	select {
	case c := <-s.conns:
		return c
	case <-time.After(wait):
		s.t.Fatalf("no component connection within %v", wait)
		return nil
	}
}

// read returns the next stanza the component wrote.
func (c *serverConn) read() *Element {
	c.t.Helper()
	el, err := c.readErr()
	if err != nil {
		c.t.Fatalf("server reading a stanza: %v", err)
	}
	return el
}

func (c *serverConn) readErr() (*Element, error) {
	_ = c.c.SetReadDeadline(time.Now().Add(wait))
	for {
		tok, err := c.d.Token()
		if err != nil {
			return nil, err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			return Decode(t.Copy(), c.d)
		case xml.EndElement:
			return nil, io.EOF // </stream:stream>
		}
	}
}

// write sends raw XML to the component.
func (c *serverConn) write(s string) {
	c.t.Helper()
	_ = c.c.SetWriteDeadline(time.Now().Add(wait))
	if _, err := io.WriteString(c.c, s); err != nil {
		c.t.Fatalf("server writing: %v", err)
	}
}

func testConfig(addr string) Config {
	return Config{
		Domain:     jid.MustParse(testDomain),
		Addr:       addr,
		Secret:     testSecret,
		MinBackoff: 5 * time.Millisecond,
		MaxBackoff: 50 * time.Millisecond,
		Logger:     slog.New(slog.DiscardHandler),
	}
}

// run starts c.Run and stops it when the test ends, checking it returns.
func run(t *testing.T, c *Conn) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- c.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Run returned %v after cancel, want nil", err)
			}
		case <-time.After(wait):
			t.Errorf("Run did not return within %v of cancel", wait)
		}
	})
}

// states collects onState calls.
type states struct{ ch chan bool }

func newStates() *states { return &states{ch: make(chan bool, 64)} }

func (s *states) on(up bool) { s.ch <- up }

func (s *states) expect(t *testing.T, want bool) {
	t.Helper()
	select {
	case got := <-s.ch:
		if got != want {
			t.Fatalf("onState(%v), want onState(%v)", got, want)
		}
	case <-time.After(wait):
		t.Fatalf("no onState(%v) within %v", want, wait)
	}
}

// handled collects stanzas given to the handler.
type handled struct{ ch chan *Element }

func newHandled() *handled { return &handled{ch: make(chan *Element, 64)} }

func (h *handled) handle(el *Element) { h.ch <- el }

func (h *handled) next(t *testing.T) *Element {
	t.Helper()
	select {
	case el := <-h.ch:
		return el
	case <-time.After(wait):
		t.Fatalf("handler got nothing within %v", wait)
		return nil
	}
}

func msg(id string) *Element {
	return New("", "message", "from", testDomain, "to", "ann@example.com/w", "id", id).Add(
		New("", "body").SetText("line "+id), New("urn:x", "x", "k", id))
}

func TestConnHandshakeAndSendInOrder(t *testing.T) {
	srv := newFakeServer(t, testSecret)
	st := newStates()
	c := NewConn(testConfig(srv.addr()), func(*Element) {}, st.on)
	if c.Up() {
		t.Error("Up before Run")
	}

	// Queued before the connection exists: written once it is up.
	for i := 0; i < 50; i++ {
		if err := c.Send(msg(strconv.Itoa(i))); err != nil {
			t.Fatal(err)
		}
	}
	run(t, c)
	sc := srv.next()
	st.expect(t, true)
	if !c.Up() {
		t.Error("Up false after onState(true)")
	}
	batch := make([]*Element, 0, 50)
	for i := 50; i < 100; i++ {
		batch = append(batch, msg(strconv.Itoa(i)))
	}
	if err := c.Send(batch...); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 100; i++ {
		el := sc.read()
		if el.Name != (xml.Name{Space: NSComponent, Local: "message"}) {
			t.Fatalf("stanza %d: name %v", i, el.Name)
		}
		if got := el.Get("id"); got != strconv.Itoa(i) {
			t.Fatalf("stanza %d has id %q: out of order", i, got)
		}
		if el.Get("to") != "ann@example.com/w" || el.Child(NSComponent, "body").Text != "line "+strconv.Itoa(i) {
			t.Fatalf("stanza %d: %s", i, el)
		}
		if x := el.Child("urn:x", "x"); x == nil || x.Get("k") != strconv.Itoa(i) {
			t.Fatalf("stanza %d: extension lost: %s", i, el)
		}
	}
}

func TestConnHandlerGetsDecodedStanzas(t *testing.T) {
	srv := newFakeServer(t, testSecret)
	h := newHandled()
	var c *Conn
	c = NewConn(testConfig(srv.addr()), func(el *Element) {
		if el.Get("id") == "marker" {
			_ = c.Send(New("", "message", "to", el.Get("from"), "id", "marker-reply"))
		}
		h.handle(el)
	}, nil)
	run(t, c)
	sc := srv.next()

	sc.write(`<message from='ann@guest.example.com/w' to='sid@chat.example.com' type='groupchat' id='m1'>` +
		`<body>a &amp; b</body><active xmlns='http://jabber.org/protocol/chatstates'/></message>`)
	sc.write(`<presence from='alice@example.com/desk' to='chat.example.com'><show>chat</show>` +
		`<agent xmlns='urn:parley:chat:0' max-chats='3'/></presence>`)
	sc.write(`<iq type='get' id='q1' from='alice@example.com/desk' to='chat.example.com'><ping xmlns='urn:xmpp:ping'/></iq>`)
	sc.write(`<message from='alice@example.com/desk' to='chat.example.com' id='marker'/>`)

	m := h.next(t)
	if m.Name != (xml.Name{Space: NSComponent, Local: "message"}) || m.Get("id") != "m1" || m.Get("type") != "groupchat" {
		t.Errorf("message: %s", m)
	}
	if b := m.Child(NSComponent, "body"); b == nil || b.Text != "a & b" {
		t.Errorf("message body: %s", m)
	}
	if m.Child("http://jabber.org/protocol/chatstates", "active") == nil {
		t.Errorf("chat state lost: %s", m)
	}
	p := h.next(t)
	if p.Name.Local != "presence" || p.Child(NSComponent, "show").Text != "chat" ||
		p.Child("urn:parley:chat:0", "agent").Get("max-chats") != "3" {
		t.Errorf("presence: %s", p)
	}
	q := h.next(t)
	if q.Name.Local != "iq" || q.Get("type") != "get" || q.Child("urn:xmpp:ping", "ping") == nil {
		t.Errorf("iq: %s", q)
	}
	if mk := h.next(t); mk.Get("id") != "marker" {
		t.Errorf("fourth stanza: %s", mk)
	}
	// The IQ is the handler's to answer: the library must not have answered it
	// itself (mellium does so, with service-unavailable, for jabber:client IQs
	// a handler leaves unanswered). The first thing on the wire is the reply
	// the handler queued.
	if r := sc.read(); r.Get("id") != "marker-reply" {
		t.Errorf("the component wrote %s before the handler's reply", r)
	}
}

func TestConnReconnectsAfterDrop(t *testing.T) {
	srv := newFakeServer(t, testSecret)
	st := newStates()
	h := newHandled()
	c := NewConn(testConfig(srv.addr()), h.handle, st.on)
	run(t, c)

	first := srv.next()
	st.expect(t, true)
	first.c.Close() // the server goes away

	st.expect(t, false)
	second := srv.next()
	st.expect(t, true)
	if second.id == first.id {
		t.Errorf("second connection reuses stream id %q", first.id)
	}
	if !c.Up() {
		t.Error("Up false after reconnecting")
	}

	// The new connection works both ways.
	if err := c.Send(msg("after")); err != nil {
		t.Fatal(err)
	}
	if el := second.read(); el.Get("id") != "after" {
		t.Errorf("after reconnect the server read %s", el)
	}
	second.write(`<message from='a@example.com/r' to='chat.example.com' id='in-after'/>`)
	if el := h.next(t); el.Get("id") != "in-after" {
		t.Errorf("after reconnect the handler got %s", el)
	}
}

func TestConnRetriesAfterRefusedHandshake(t *testing.T) {
	srv := newFakeServer(t, "another secret")
	st := newStates()
	c := NewConn(testConfig(srv.addr()), func(*Element) {}, st.on)
	run(t, c)
	deadline := time.Now().Add(wait)
	for srv.accepts() < 3 {
		if time.Now().After(deadline) {
			t.Fatalf("%d connection attempts within %v, want at least 3", srv.accepts(), wait)
		}
		time.Sleep(5 * time.Millisecond)
	}
	if c.Up() {
		t.Error("Up with a refused handshake")
	}
	select {
	case up := <-st.ch:
		t.Errorf("onState(%v) with a refused handshake", up)
	default:
	}
}

func TestConnRetriesWhenNothingListens(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens there now

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	c := NewConn(testConfig(addr), func(*Element) {}, nil)
	go func() { done <- c.Run(ctx) }()
	time.Sleep(50 * time.Millisecond) // a few failed dials; no assertion on how many
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Run: %v", err)
		}
	case <-time.After(wait):
		t.Fatal("Run did not return after cancel while dialling")
	}
}

func TestConnHandlerPanicKeepsConnection(t *testing.T) {
	srv := newFakeServer(t, testSecret)
	h := newHandled()
	c := NewConn(testConfig(srv.addr()), func(el *Element) {
		if el.Get("id") == "boom" {
			panic("handler bug")
		}
		h.handle(el)
	}, nil)
	run(t, c)
	sc := srv.next()
	sc.write(`<message from='a@example.com/r' to='chat.example.com' id='boom'><body>x</body></message>`)
	sc.write(`<message from='a@example.com/r' to='chat.example.com' id='fine'/>`)
	if el := h.next(t); el.Get("id") != "fine" {
		t.Errorf("after the panic the handler got %s", el)
	}
	// Still the same connection, in both directions.
	if err := c.Send(msg("out")); err != nil {
		t.Fatal(err)
	}
	if el := sc.read(); el.Get("id") != "out" {
		t.Errorf("server read %s", el)
	}
	if n := srv.accepts(); n != 1 {
		t.Errorf("%d connections, want 1", n)
	}
}

func TestConnDropsUndecodableStanza(t *testing.T) {
	srv := newFakeServer(t, testSecret)
	h := newHandled()
	c := NewConn(testConfig(srv.addr()), h.handle, nil)
	run(t, c)
	sc := srv.next()
	deep := strings.Repeat("<x xmlns='urn:x'>", MaxDepth+5) + strings.Repeat("</x>", MaxDepth+5)
	sc.write(`<message from='a@example.com/r' to='chat.example.com' id='deep'>` + deep + `</message>`)
	sc.write(`<message from='a@example.com/r' to='chat.example.com' id='next'/>`)
	if el := h.next(t); el.Get("id") != "next" {
		t.Errorf("handler got %s, want the stanza after the too deep one", el)
	}
	if err := c.Send(msg("out")); err != nil {
		t.Fatal(err)
	}
	if el := sc.read(); el.Get("id") != "out" {
		t.Errorf("server read %s", el)
	}
}

func TestConnSendNeverBlocks(t *testing.T) {
	cfg := testConfig("127.0.0.1:1")
	cfg.QueueSize = 3
	c := NewConn(cfg, func(*Element) {}, nil)

	done := make(chan struct{})
	var errs []error
	go func() {
		defer close(done)
		errs = append(errs, c.Send(msg("0"), msg("1")))
		errs = append(errs, c.Send(msg("2"), msg("3"), msg("4")))
		errs = append(errs, c.Send(msg("5")))
		errs = append(errs, c.Send())
	}()
	select {
	case <-done:
	case <-time.After(wait):
		t.Fatal("Send blocked on a full queue")
	}
	want := []error{nil, ErrQueueFull, ErrQueueFull, nil}
	for i := range want {
		if !errors.Is(errs[i], want[i]) {
			t.Errorf("Send #%d: %v, want %v", i, errs[i], want[i])
		}
	}

	// What was accepted is written, in order, once connected.
	srv := newFakeServer(t, testSecret)
	c.cfg.Addr = srv.addr()
	run(t, c)
	sc := srv.next()
	for _, id := range []string{"0", "1", "2"} {
		if el := sc.read(); el.Get("id") != id {
			t.Fatalf("server read %s, want id %s", el, id)
		}
	}
	if err := c.Send(msg("last")); err != nil {
		t.Fatalf("Send after the queue drained: %v", err)
	}
	if el := sc.read(); el.Get("id") != "last" {
		t.Errorf("server read %s, want id last", el)
	}
}

// SendWait waits for room in a full queue instead of refusing, keeps the
// order, and gives up (queueing nothing more) when its context ends.
func TestConnSendWaitWaitsForRoom(t *testing.T) {
	cfg := testConfig("127.0.0.1:1")
	cfg.QueueSize = 2
	c := NewConn(cfg, func(*Element) {}, nil)
	if err := c.Send(msg("0"), msg("1")); err != nil {
		t.Fatal(err)
	}

	// On a full queue it waits; a wait whose context has ended queues nothing.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if waited, err := c.SendWait(ctx, msg("never")); !waited || !errors.Is(err, context.Canceled) {
		t.Errorf("SendWait on a full queue with its context ended: waited %v, %v", waited, err)
	}
	if n := len(c.out); n != 2 {
		t.Errorf("%d queued after the cancelled wait, want the 2 before it", n)
	}

	// With the writer taking stanzas as they come, everything goes in, in
	// order: where Send refuses the third, SendWait waits for it.
	got := make(chan string, 8)
	go func() {
		for range 5 {
			got <- (<-c.out).el.Get("id")
		}
	}()
	if _, err := c.SendWait(context.Background(), msg("2"), msg("3"), msg("4")); err != nil {
		t.Fatalf("SendWait: %v", err)
	}
	for _, want := range []string{"0", "1", "2", "3", "4"} {
		select {
		case id := <-got:
			if id != want {
				t.Fatalf("queued %s, want %s", id, want)
			}
		case <-time.After(wait):
			t.Fatalf("%s never queued", want)
		}
	}
}

func TestConnClosesStreamOnShutdown(t *testing.T) {
	srv := newFakeServer(t, testSecret)
	st := newStates()
	c := NewConn(testConfig(srv.addr()), func(*Element) {}, st.on)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- c.Run(ctx) }()
	sc := srv.next()
	st.expect(t, true)
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Run: %v", err)
		}
	case <-time.After(wait):
		t.Fatal("Run did not return after cancel")
	}
	st.expect(t, false)
	if el, err := sc.readErr(); err != io.EOF {
		t.Errorf("after shutdown the server read %v, %v; want the end of the stream", el, err)
	}
	if c.Up() {
		t.Error("Up after shutdown")
	}
}
