package xmpp

import (
	"net"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
)

func TestStanzaScannerCountsTopLevelElements(t *testing.T) {
	stream := `<?xml version='1.0'?><stream:stream xmlns='jabber:component:accept' xmlns:stream='http://etherx.jabber.org/streams' to='chat.example.test'>` +
		`<handshake>abc</handshake>` +
		`<message to='a@b' from="r@chat/x" type='groupchat'><body>a &lt;b&gt; c</body><x xmlns='urn:parley:chat:0'/></message>` +
		`<presence to='a@b' title="say /> here"/>` +
		`<iq type='result' id='1'><query xmlns='q'><item a='1'/><item/></query></iq>` +
		`</stream:stream>`
	// Every split into two writes counts the same: state carries over.
	for cut := 0; cut <= len(stream); cut++ {
		var s stanzaScanner
		n := s.scan([]byte(stream[:cut])) + s.scan([]byte(stream[cut:]))
		if n != 4 {
			t.Fatalf("cut at %d: %d stanzas, want 4 (handshake, message, presence, iq)", cut, n)
		}
		if s.depth != 0 {
			t.Fatalf("cut at %d: depth %d at the end", cut, s.depth)
		}
	}
	// Byte by byte.
	var s stanzaScanner
	n := 0
	for i := range len(stream) {
		n += s.scan([]byte{stream[i]})
	}
	if n != 4 {
		t.Errorf("byte by byte: %d stanzas", n)
	}
}

func TestWireMeterCountsWrites(t *testing.T) {
	reg := prometheus.NewRegistry()
	m := NewWireMeter(reg)
	a, b := net.Pipe()
	defer b.Close()
	go func() {
		buf := make([]byte, 4096)
		for {
			if _, err := b.Read(buf); err != nil {
				return
			}
		}
	}()
	w := m.Wrap(a)
	parts := []string{"<stream:stream xmlns='jabber:component:accept'>", "<message to='x'><body>hi</body></mes", "sage><presence/>"}
	total := 0
	for _, p := range parts {
		if _, err := w.Write([]byte(p)); err != nil {
			t.Fatal(err)
		}
		total += len(p)
	}
	a.Close()
	if m.Writes() != 3 || m.Bytes() != uint64(total) || m.Stanzas() != 2 {
		t.Errorf("writes %d bytes %d stanzas %d, want 3 %d 2", m.Writes(), m.Bytes(), total, m.Stanzas())
	}
	if got := gathered(t, reg, "parley_component_sent_bytes_total"); got != float64(total) {
		t.Errorf("metric bytes = %v", got)
	}
	var nilMeter *WireMeter
	if nilMeter.Wrap(a) != a {
		t.Error("a nil meter wraps")
	}
}

func gathered(t *testing.T, reg *prometheus.Registry, name string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() == name {
			return mf.GetMetric()[0].GetCounter().GetValue()
		}
	}
	t.Fatalf("no metric %s", name)
	return 0
}
