package xmpp

import (
	"net"
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"
)

// WireMeter counts what a component writes on its stream: write calls on the
// connection (each one a write system call, short writes aside) and bytes,
// whatever path wrote them (the serialiser, mellium's token writer,
// writeRaw). Stanzas are not its business: parleyd counts those as it hands
// them over (parley_stanzas_out_total, by kind). A nil *WireMeter counts
// nothing.
type WireMeter struct {
	bytes, writes atomic.Uint64
}

// NewWireMeter makes a meter; with reg non-nil its counters are registered
// there as parley_component_sent_bytes_total and parley_component_writes_total.
func NewWireMeter(reg prometheus.Registerer) *WireMeter {
	m := &WireMeter{}
	if reg != nil {
		reg.MustRegister(
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

// Bytes and Writes are the counts so far.
func (m *WireMeter) Bytes() uint64  { return m.bytes.Load() }
func (m *WireMeter) Writes() uint64 { return m.writes.Load() }

// Wrap returns conn counting its writes into m (conn itself when m is nil).
func (m *WireMeter) Wrap(conn net.Conn) net.Conn {
	if m == nil {
		return conn
	}
	return &meteredConn{Conn: conn, m: m}
}

type meteredConn struct {
	net.Conn
	m *WireMeter
}

func (c *meteredConn) Write(b []byte) (int, error) {
	n, err := c.Conn.Write(b)
	c.m.writes.Add(1)
	c.m.bytes.Add(uint64(n))
	return n, err
}
