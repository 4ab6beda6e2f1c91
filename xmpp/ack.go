// Acknowledgements: at-least-once delivery of what the component writes.

package xmpp

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/xml"
	"slices"
	"strconv"
	"strings"
	"sync"
)

// XEP-0114 has no acknowledgements (no XEP-0198 on a component stream), so a
// connection that ends loses what the server had not read yet: the stanzas of
// a write that failed, and those in the kernel's buffers. Written here by
// hand, as no library does it: after what it wrote, the writer sends a
// XEP-0199 ping to the server's own domain (Config.AckTo) at most every
// Config.AckEvery. The server handles a component's stanzas in the order it
// reads them and answers the ping when it gets to it, so its answer (a result,
// or an error from a server without ping: any answer) says that every stanza
// written before the ping was routed. What was written and not acknowledged
// when a connection ends is written again, first, on the next one: a
// recipient may get a stanza twice (messages carry a stanza-id, which clients
// de-duplicate by), and none is lost on the way to the server.

// maxUnacked bounds what is kept for a server that never answers: beyond it
// the oldest are let go (and counted), as before acknowledgements.
const maxUnacked = 100000

// maxWrites is how many connections a stanza is written on before it is let
// go (and counted): a stanza the server closes the stream on (one over its
// size limit) must not bring every next connection down too.
const maxWrites = 3

const nsPing = "urn:xmpp:ping"

type ackItem struct {
	seq    uint64
	el     *Element
	writes int // connections it was written on
}

// acks is the window of written, unacknowledged stanzas, shared by the
// writer (one at a time, one per connection) and the reader (the answers).
type acks struct {
	mu      sync.Mutex
	prefix  string    // the pings' ids: random per Conn, so that nobody else's answer matches
	seq     uint64    // the last stanza written
	pinged  uint64    // the last stanza covered by a ping sent on this connection
	pending []ackItem // written and not acknowledged, in order
}

func newAcks() *acks {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return &acks{prefix: "parley-ack-" + hex.EncodeToString(b) + "-"}
}

// written records els as written (or about to be) on the connection, and
// returns how many of the oldest it let go to keep maxUnacked (told at once,
// not at the next connection: a server that stops answering may keep the
// connection up for long).
func (a *acks) written(els []*Element) (dropped int) {
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, el := range els {
		a.seq++
		a.pending = append(a.pending, ackItem{seq: a.seq, el: el, writes: 1})
	}
	if n := len(a.pending) - maxUnacked; n > 0 {
		a.pending = slices.Delete(a.pending, 0, n)
		return n
	}
	return 0
}

// connected starts a connection: it returns what must be written again
// first, and how many stanzas it let go because they were written on
// maxWrites connections already; it forgets which pings went out on the last
// connection.
func (a *acks) connected() (again []*Element, dropped int) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.pinged = 0
	kept := a.pending[:0]
	for _, it := range a.pending {
		if it.writes >= maxWrites {
			dropped++
			continue
		}
		it.writes++
		kept = append(kept, it)
	}
	clear(a.pending[len(kept):])
	a.pending = kept
	again = make([]*Element, len(kept))
	for i, it := range kept {
		again[i] = it.el
	}
	return again, dropped
}

// ping returns the ping to write now, or nil when everything written is
// covered by one already sent on this connection.
func (a *acks) ping(from, to string) *Element {
	a.mu.Lock()
	defer a.mu.Unlock()
	if len(a.pending) == 0 || a.pinged == a.seq {
		return nil
	}
	a.pinged = a.seq
	return New("", "iq", "type", "get", "from", from, "to", to, "id", a.prefix+strconv.FormatUint(a.seq, 36)).Add(New(nsPing, "ping"))
}

// answer takes an incoming stanza's start: when it answers one of the pings,
// what it covers is acknowledged and answer reports true (the stanza is
// consumed); anything else is left alone.
func (a *acks) answer(start xml.StartElement, server string) bool {
	if start.Name.Local != "iq" {
		return false
	}
	var typ, id, from string
	for _, at := range start.Attr {
		if at.Name.Space != "" {
			continue
		}
		switch at.Name.Local {
		case "type":
			typ = at.Value
		case "id":
			id = at.Value
		case "from":
			from = at.Value
		}
	}
	if typ != "result" && typ != "error" || !strings.HasPrefix(id, a.prefix) || from != server {
		return false
	}
	seq, err := strconv.ParseUint(id[len(a.prefix):], 36, 64)
	if err != nil {
		return false
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if seq > a.pinged {
		return true // not a ping sent on this connection: acknowledges nothing
	}
	i := 0
	for i < len(a.pending) && a.pending[i].seq <= seq {
		a.pending[i] = ackItem{}
		i++
	}
	a.pending = append(a.pending[:0], a.pending[i:]...)
	return true
}

// unacked reports how many stanzas wait for an acknowledgement.
func (a *acks) unacked() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return len(a.pending)
}
