package xmpp

import (
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"sync"
	"syscall"
	"time"

	"mellium.im/xmlstream"
	"mellium.im/xmpp"
	"mellium.im/xmpp/component"
	"mellium.im/xmpp/jid"
	"mellium.im/xmpp/stream"
)

// NSComponent is the stream namespace of XEP-0114.
const NSComponent = component.NSAccept

// Config says where and how to connect.
type Config struct {
	Domain     jid.JID
	Addr       string // host:port of the server's component listener
	Secret     string
	MinBackoff time.Duration // first wait after a failure (default 200ms)
	MaxBackoff time.Duration // longest wait (default 10s)
	// RefusedBackoff caps the wait while the server refuses connections
	// (restarting): default 400ms, so Parley is back within about that long
	// of the server listening again.
	RefusedBackoff time.Duration
	// OnRetry, when set, is told of each failed or ended connection and the
	// wait chosen before the next attempt.
	OnRetry   func(err error, wait time.Duration)
	QueueSize int // outgoing stanzas buffered (default 10000)
	Logger    *slog.Logger
	Meter     *WireMeter // when set, counts what is written on each connection (wiremeter.go)
	// Undecodable, when set, gets what is left of each stanza that could not
	// be decoded (ErrTooDeep, ErrTooLarge) or whose handler panicked
	// (ErrHandlerPanic): its start element with the attributes, so that it
	// can be answered. It runs on the reading goroutine and must not block.
	Undecodable func(stub *Element, err error)
	// MayConnect, when set, is asked before each connection attempt; while
	// it says no, Run waits (RefusedBackoff at a time) instead of dialling.
	// Active/standby uses it so that a process unsure of still being the
	// active one does not take the component from the one that is.
	MayConnect func() bool
	// OnStage, when set, is told how long each stage of a stanza took on
	// this connection (StageDecode ... StageWrite): cheap enough to keep on.
	OnStage func(stage string, d time.Duration)
	// AckTo, when set, is the server's own domain, which the writer pings
	// after what it wrote, at most every AckEvery (default 1s): what was
	// written and not acknowledged when a connection ends is written again
	// on the next (ack.go). Zero: no acknowledgements, at most once.
	AckTo    jid.JID
	AckEvery time.Duration
	// OnResend, when set, is told how many stanzas a new connection writes
	// again, and how many a server that does not answer made it let go:
	// those written on too many connections when the next one starts, those
	// past the window of unacknowledged stanzas as soon as it overflows.
	OnResend func(resent, dropped int)
	// MaxStanza, when above zero, is the most bytes one stanza may take on
	// the wire. A server closes a component's stream on a stanza over its
	// limit (Prosody's component_stanza_size_limit, 512 KB by default), and
	// every session's stanzas with it; so the writer leaves a larger one out
	// (toolarge.go). TooLarge, when set, gets each one's start element with
	// its attributes and size, so that it can be answered (an IQ result
	// becomes an error to the asker), as Undecodable does for what came in.
	// It runs on the writing goroutine and must not block.
	MaxStanza int
	TooLarge  func(stub *Element, size int)
}

// The stages told to Config.OnStage.
const (
	StageDecode = "decode" // the rest of an incoming stanza read and decoded, after its start tag
	StageHandle = "handle" // the Handler's run on the reading goroutine
	StageOutq   = "outq"   // an outgoing stanza's wait from Send until the writer takes it (first of a write)
	StageWrite  = "write"  // encoding and writing what the writer took, in one flush
)

// outgoing is a stanza queued by Send, with when (zero without OnStage).
type outgoing struct {
	el *Element
	at time.Time
}

func (c *Conn) stage(name string, since time.Time) {
	if c.cfg.OnStage != nil {
		c.cfg.OnStage(name, time.Since(since))
	}
}

// ErrHandlerPanic is what Config.Undecodable gets for a stanza whose handler panicked.
var ErrHandlerPanic = errors.New("xmpp: the handler panicked on this stanza")

// Handler receives every incoming stanza, decoded. It runs on the reading
// goroutine and must not block.
type Handler func(*Element)

// Conn keeps one component connection up and serialises writes to it.
type Conn struct {
	cfg     Config
	handler Handler
	out     chan outgoing
	log     *slog.Logger

	acks *acks // ack.go; nil without Config.AckTo

	mu      sync.Mutex
	up      bool
	onState func(bool)
}

// NewConn prepares a connection; Run connects.
func NewConn(cfg Config, h Handler, onState func(up bool)) *Conn {
	if cfg.MinBackoff <= 0 {
		cfg.MinBackoff = 200 * time.Millisecond
	}
	if cfg.MaxBackoff <= 0 {
		cfg.MaxBackoff = 10 * time.Second
	}
	if cfg.RefusedBackoff <= 0 {
		cfg.RefusedBackoff = 400 * time.Millisecond
	}
	if cfg.QueueSize <= 0 {
		cfg.QueueSize = 10000
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if onState == nil {
		onState = func(bool) {}
	}
	if cfg.AckEvery <= 0 {
		cfg.AckEvery = time.Second
	}
	c := &Conn{cfg: cfg, handler: h, out: make(chan outgoing, cfg.QueueSize), log: cfg.Logger, onState: onState}
	if cfg.AckTo.String() != "" {
		c.acks = newAcks()
	}
	return c
}

// Up reports whether the component is connected now.
func (c *Conn) Up() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.up
}

func (c *Conn) setUp(v bool) {
	c.mu.Lock()
	c.up = v
	c.mu.Unlock()
	c.onState(v)
}

// ErrQueueFull is returned by Send when the outgoing buffer is full.
var ErrQueueFull = errors.New("xmpp: outgoing queue full")

// Send queues stanzas for the writer, in order. It never blocks: when the
// buffer is full the rest are refused with ErrQueueFull.
func (c *Conn) Send(st ...*Element) error {
	var at time.Time
	if c.cfg.OnStage != nil {
		at = time.Now()
	}
	for _, s := range st {
		select {
		case c.out <- outgoing{el: s, at: at}:
		default:
			return ErrQueueFull
		}
	}
	return nil
}

// SendWait queues stanzas for the writer, in order, waiting for room while
// the buffer is full (the server reads slower than Parley writes, or the
// connection is down) until ctx ends; then ctx's error, and the stanzas not
// yet queued are not sent. It reports whether it had to wait. For what must
// not be dropped: a committed batch's deliveries (gateway.Deliver).
func (c *Conn) SendWait(ctx context.Context, st ...*Element) (waited bool, err error) {
	var at time.Time
	if c.cfg.OnStage != nil {
		at = time.Now()
	}
	for _, s := range st {
		o := outgoing{el: s, at: at}
		select {
		case c.out <- o:
			continue
		default:
		}
		waited = true
		select {
		case c.out <- o:
		case <-ctx.Done():
			return waited, ctx.Err()
		}
	}
	return waited, nil
}

// closeTimeout bounds how long closing the stream on shutdown may take.
const closeTimeout = 5 * time.Second

// Run connects and serves until ctx ends, reconnecting with backoff.
func (c *Conn) Run(ctx context.Context) error {
	var b backoff
	for {
		if c.cfg.MayConnect != nil && !c.cfg.MayConnect() {
			c.log.Debug("component connection held back: not sure to be the active one")
			select {
			case <-ctx.Done():
				return nil
			case <-time.After(c.cfg.RefusedBackoff):
			}
			continue
		}
		up, err := c.once(ctx)
		if ctx.Err() != nil {
			return nil
		}
		wait := b.next(c.cfg, up, refused(err), rand.Float64())
		c.log.Warn("component connection ended; reconnecting", "err", err, "in", wait.Round(time.Millisecond))
		if c.cfg.OnRetry != nil {
			c.cfg.OnRetry(err, wait)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(wait):
		}
	}
}

// refused reports a dial that nothing answered, or a connection the server
// dropped before the handshake ended: the server is down, restarting or not
// ready yet, and will be back at that address. A stream error conflict counts
// too: another connection for the domain is still there, which after a
// takeover (active/standby) is the old active one on its way out. (Other
// refused handshakes, e.g. not-authorized, are not this.)
func refused(err error) bool {
	var se stream.Error
	return errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) ||
		errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.As(err, &se) && se.Err == "conflict"
}

// backoff is the wait before the next connection attempt. It doubles after
// each failure, up to MaxBackoff, and never exceeds RefusedBackoff while
// connections are refused (the server restarting: it is back within that
// long of listening again); it starts again at MinBackoff once a connection
// was up. Each wait is jittered to between half and all of it, so that many
// components do not reconnect in step.
type backoff struct{ cur time.Duration }

func (b *backoff) next(cfg Config, wasUp, refused bool, r float64) time.Duration {
	switch {
	case wasUp || b.cur == 0:
		b.cur = cfg.MinBackoff
	default:
		b.cur *= 2
	}
	if b.cur > cfg.MaxBackoff {
		b.cur = cfg.MaxBackoff
	}
	if refused && b.cur > cfg.RefusedBackoff {
		b.cur = cfg.RefusedBackoff
	}
	return b.cur/2 + time.Duration(r*float64(b.cur/2))
}

// once connects and serves once; up reports whether the handshake succeeded.
func (c *Conn) once(ctx context.Context) (up bool, err error) {
	var d net.Dialer
	dctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	conn, err := d.DialContext(dctx, "tcp", c.cfg.Addr)
	if err != nil {
		cancel()
		return false, fmt.Errorf("xmpp: dial %s: %w", c.cfg.Addr, err)
	}
	cancel()
	conn = c.cfg.Meter.Wrap(conn) // counts stanzas, bytes and writes (nil: nothing)
	var sess *xmpp.Session
	err = Handshake(ctx, conn, 10*time.Second, func(hctx context.Context) (err error) {
		sess, err = component.NewSession(hctx, c.cfg.Domain, []byte(c.cfg.Secret), conn)
		return err
	})
	if err != nil {
		conn.Close()
		return false, fmt.Errorf("xmpp: component handshake: %w", err)
	}
	c.log.Info("component connected", "domain", c.cfg.Domain.String(), "server", c.cfg.Addr)
	c.setUp(true)
	defer c.setUp(false)

	sctx, stop := context.WithCancel(ctx)
	defer stop()
	werr := make(chan error, 1)
	go func() { werr <- c.writer(sctx, sess, conn) }()
	go func() {
		<-sctx.Done()
		// Closing the conn ends Serve; ctx ending means shutdown. Closing
		// the stream waits for the writer's lock, which a server that stopped
		// reading holds forever: the conn goes after closeTimeout anyway, so
		// that shutdown (which waits for Run) ends.
		if ctx.Err() != nil {
			cut := time.AfterFunc(closeTimeout, func() { conn.Close() })
			_ = sess.Close()
			cut.Stop()
		}
		conn.Close()
	}()
	serr := sess.Serve(xmpp.HandlerFunc(func(t xmlstream.TokenReadEncoder, start *xml.StartElement) error {
		c.safeHandle(*start, t)
		return nil
	}))
	stop()
	if e := <-werr; e != nil && serr == nil {
		serr = e
	}
	return true, serr
}

// safeHandle decodes and handles one stanza; a panic in either drops that
// stanza only (the rest of it is skipped by Serve).
func (c *Conn) safeHandle(start xml.StartElement, t xml.TokenReader) {
	if c.acks != nil && c.acks.answer(start, c.cfg.AckTo.String()) {
		return
	}
	var el *Element
	defer func() {
		if r := recover(); r != nil {
			s := "<undecoded " + start.Name.Local + ">"
			if el != nil {
				s = el.String()
			}
			c.log.Error("panic handling stanza", "panic", r, "stanza", s)
			c.undecodable(start, ErrHandlerPanic)
		}
	}()
	t0 := time.Now()
	el, err := Decode(start, t)
	c.stage(StageDecode, t0)
	if err != nil {
		c.log.Warn("undecodable stanza", "err", err, "name", start.Name.Local, "from", Stub(start).Get("from"), "id", Stub(start).Get("id"))
		c.undecodable(start, err)
		return
	}
	t0 = time.Now()
	c.handler(el)
	c.stage(StageHandle, t0)
}

func (c *Conn) undecodable(start xml.StartElement, err error) {
	if c.cfg.Undecodable == nil {
		return
	}
	defer func() {
		if r := recover(); r != nil {
			c.log.Error("panic answering an undecodable stanza", "panic", r)
		}
	}()
	c.cfg.Undecodable(Stub(start), err)
}

// writer drains the outgoing queue, writing everything waiting in one flush:
// the stanzas appendStanza writes go out in one write call (wirewrite.go),
// any other through the session's token writer, in queue order. With
// acknowledgements (ack.go) it first writes again what the last connection
// left unacknowledged, and pings the server after what it wrote.
func (c *Conn) writer(ctx context.Context, sess *xmpp.Session, conn net.Conn) error {
	batch := make([]*Element, 0, 256)
	domain := c.cfg.Domain.String()
	var buf []byte
	var tick <-chan time.Time
	if c.acks != nil {
		again, dropped := c.acks.connected()
		if (len(again) > 0 || dropped > 0) && c.cfg.OnResend != nil {
			c.cfg.OnResend(len(again), dropped)
		}
		if len(again) > 0 {
			c.log.Warn("component connection: writing again what the server did not acknowledge", "stanzas", len(again))
			if err := c.writeAll(sess, conn, again, domain, &buf); err != nil {
				return err
			}
		}
		t := time.NewTicker(c.cfg.AckEvery)
		defer t.Stop()
		tick = t.C
	}
	for {
		batch = batch[:0]
		select {
		case <-ctx.Done():
			return nil
		case <-tick:
			if p := c.acks.ping(domain, c.cfg.AckTo.String()); p != nil {
				if err := c.writeAll(sess, conn, []*Element{p}, domain, &buf); err != nil {
					return err
				}
			}
			continue
		case s := <-c.out:
			if !s.at.IsZero() {
				c.stage(StageOutq, s.at)
			}
			batch = append(batch, s.el)
		}
	drain:
		for len(batch) < 512 {
			select {
			case s := <-c.out:
				batch = append(batch, s.el)
			default:
				break drain
			}
		}
		t0 := time.Now()
		if c.acks != nil {
			// Before the write: one that fails is written again.
			if n := c.acks.written(batch); n > 0 && c.cfg.OnResend != nil {
				c.cfg.OnResend(0, n)
			}
		}
		if err := c.writeAll(sess, conn, batch, domain, &buf); err != nil {
			return err
		}
		c.stage(StageWrite, t0)
	}
}

// writeAll writes els in one flush; on an error the connection is closed
// (half a stanza may be on the wire).
func (c *Conn) writeAll(sess *xmpp.Session, conn net.Conn, els []*Element, domain string, bufp *[]byte) error {
	_ = conn.SetWriteDeadline(time.Now().Add(30 * time.Second))
	w := sess.TokenWriter()
	var err error
	buf := (*bufp)[:0]
	for _, s := range els {
		var ok bool
		before := len(buf)
		if buf, ok = appendStanza(buf, s, domain); ok {
			if n := len(buf) - before; c.cfg.MaxStanza > 0 && n > c.cfg.MaxStanza {
				buf = buf[:before]
				c.tooLarge(s, n)
			}
			continue
		}
		if c.cfg.MaxStanza > 0 {
			// The rare stanza appendStanza does not write is measured apart.
			if n := len(s.String()); n > c.cfg.MaxStanza {
				c.tooLarge(s, n)
				continue
			}
		}
		if err = writeBuffered(w, conn, &buf); err != nil {
			break
		}
		if emptyID(s) {
			err = writeRaw(w, conn, s)
		} else {
			_, err = xmlstream.Copy(w, s.TokenReader())
		}
		if err != nil {
			break
		}
	}
	if err == nil {
		err = writeBuffered(w, conn, &buf)
	}
	if cap(buf) > 64<<10 {
		buf = nil // one large batch does not pin its buffer
	}
	*bufp = buf
	if cerr := w.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		conn.Close()
		return fmt.Errorf("xmpp: write: %w", err)
	}
	return nil
}

// writeBuffered writes what appendStanza put in *buf, after what w holds,
// while w holds the stream's lock, and empties *buf.
func writeBuffered(w xmlstream.TokenWriteFlushCloser, conn net.Conn, buf *[]byte) error {
	if len(*buf) == 0 {
		return nil
	}
	if err := w.Flush(); err != nil {
		return err
	}
	_, err := conn.Write(*buf)
	*buf = (*buf)[:0]
	return err
}

// emptyID reports a stanza with an explicitly empty id: the answer to an IQ
// that came with id=”. mellium's stream writer gives such stanzas a random
// id, so they are written as bytes.
func emptyID(s *Element) bool { return s.Has("id") && s.Get("id") == "" }

// writeRaw flushes what w holds and writes s as bytes while w still holds
// the stream's lock; s inherits the stream's default namespace.
func writeRaw(w xmlstream.TokenWriteFlushCloser, conn net.Conn, s *Element) error {
	if err := w.Flush(); err != nil {
		return err
	}
	_, err := io.WriteString(conn, s.String())
	return err
}
