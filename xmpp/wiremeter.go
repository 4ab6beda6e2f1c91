package xmpp

import (
	"net"
	"sync"
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"
)

// WireMeter counts what a component writes on its stream: write calls on the
// connection (each one a write system call, short writes aside), bytes, and
// stanzas (the elements that open directly under the stream; the handshake
// counts as one per connection). It sees only the bytes, so it counts
// whatever path wrote them (mellium's token writer, writeRaw). A nil
// *WireMeter counts nothing.
type WireMeter struct {
	stanzas, bytes, writes atomic.Uint64
}

// NewWireMeter makes a meter; with reg non-nil its counters are registered
// there as parley_component_sent_stanzas_total, parley_component_sent_bytes_total
// and parley_component_writes_total.
func NewWireMeter(reg prometheus.Registerer) *WireMeter {
	m := &WireMeter{}
	if reg != nil {
		reg.MustRegister(
			prometheus.NewCounterFunc(prometheus.CounterOpts{Namespace: "parley", Name: "component_sent_stanzas_total",
				Help: "Stanzas written on the component stream (the handshake included)."}, func() float64 { return float64(m.Stanzas()) }),
			prometheus.NewCounterFunc(prometheus.CounterOpts{Namespace: "parley", Name: "component_sent_bytes_total",
				Help: "Bytes written on the component stream."}, func() float64 { return float64(m.Bytes()) }),
			prometheus.NewCounterFunc(prometheus.CounterOpts{Namespace: "parley", Name: "component_writes_total",
				Help: "Write calls on the component connection."}, func() float64 { return float64(m.Writes()) }),
		)
	}
	return m
}

// UseMeter sets Config.Meter: call it before Run.
func (c *Conn) UseMeter(m *WireMeter) { c.cfg.Meter = m }

// Stanzas, Bytes and Writes are the counts so far.
func (m *WireMeter) Stanzas() uint64 { return m.stanzas.Load() }
func (m *WireMeter) Bytes() uint64   { return m.bytes.Load() }
func (m *WireMeter) Writes() uint64  { return m.writes.Load() }

// Wrap returns conn counting its writes into m (conn itself when m is nil).
// Each connection gets a scanner of its own.
func (m *WireMeter) Wrap(conn net.Conn) net.Conn {
	if m == nil {
		return conn
	}
	return &meteredConn{Conn: conn, m: m}
}

type meteredConn struct {
	net.Conn
	m  *WireMeter
	mu sync.Mutex // Write may be called from several goroutines
	sc stanzaScanner
}

func (c *meteredConn) Write(b []byte) (int, error) {
	n, err := c.Conn.Write(b)
	c.mu.Lock()
	st := c.sc.scan(b[:n])
	c.mu.Unlock()
	c.m.writes.Add(1)
	c.m.bytes.Add(uint64(n))
	c.m.stanzas.Add(uint64(st))
	return n, err
}

// stanzaScanner follows the element depth of an XML byte stream written in
// pieces and counts the start tags that open at depth 1 (directly under the
// stream element). It assumes what an XML encoder writes: '<' only in
// markup, no comments or CDATA sections containing '>'.
type stanzaScanner struct {
	depth int
	state uint8 // scanText, scanOpen, scanStart, scanEnd, scanSkip
	quote byte  // inside an attribute value of a start tag: its quote
	prev  byte  // the byte before, inside a start tag
}

const (
	scanText  = iota // between tags
	scanOpen         // just after '<'
	scanStart        // inside a start tag
	scanEnd          // inside an end tag
	scanSkip         // inside <?…?> or <!…>
)

func (s *stanzaScanner) scan(b []byte) (stanzas int) {
	for _, c := range b {
		switch s.state {
		case scanText:
			if c == '<' {
				s.state = scanOpen
			}
		case scanOpen:
			switch c {
			case '/':
				s.state = scanEnd
			case '?', '!':
				s.state = scanSkip
			default:
				if s.depth == 1 {
					stanzas++
				}
				s.depth++
				s.state, s.quote, s.prev = scanStart, 0, c
			}
		case scanStart:
			switch {
			case s.quote != 0:
				if c == s.quote {
					s.quote = 0
				}
			case c == '"' || c == '\'':
				s.quote = c
			case c == '>':
				if s.prev == '/' {
					s.depth--
				}
				s.state = scanText
			}
			s.prev = c
		case scanEnd:
			if c == '>' {
				s.depth--
				s.state = scanText
			}
		case scanSkip:
			if c == '>' {
				s.state = scanText
			}
		}
	}
	return stanzas
}
