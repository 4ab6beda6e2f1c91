package xmpp

import (
	"net"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
)

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
	if m.Writes() != 3 || m.Bytes() != uint64(total) {
		t.Errorf("writes %d bytes %d, want 3 %d", m.Writes(), m.Bytes(), total)
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
