package gateway

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/parley-chat/parley/sessions"
)

// The suspend beacon's form becomes a Leaving for the engine; anything else
// is refused with a status, and a full engine queue is said so.
func TestBeacon(t *testing.T) {
	g := newTestGateway(t, Config{})
	h := g.Beacon()
	post := func(method, ctype, body string) int {
		req := httptest.NewRequest(method, BeaconPath, strings.NewReader(body))
		if ctype != "" {
			req.Header.Set("Content-Type", ctype)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec.Code
	}
	form := func(kv ...string) string {
		v := url.Values{}
		for i := 0; i+1 < len(kv); i += 2 {
			v.Set(kv[i], kv[i+1])
		}
		return v.Encode()
	}
	const ctype = "application/x-www-form-urlencoded;charset=UTF-8" // what sendBeacon sends for URLSearchParams
	good := form("session", "s1", "token", "T0k", "jid", "v1@guest.example.com/r1")
	if code := post(http.MethodPost, ctype, good); code != http.StatusNoContent {
		t.Fatalf("a good beacon: %d, want 204", code)
	}
	in := g.sub.all()
	if len(in) != 1 {
		t.Fatalf("inputs %v, want one Leaving", in)
	}
	if l, ok := in[0].(*sessions.Leaving); !ok || l.Session != "s1" || l.Token != "T0k" || l.From.String() != "v1@guest.example.com/r1" {
		t.Fatalf("input %#v, want the beacon's Leaving", in[0])
	}
	for _, c := range []struct {
		name, method, ctype, body string
		want                      int
	}{
		{"a GET", http.MethodGet, "", "", http.StatusMethodNotAllowed},
		{"no session", http.MethodPost, ctype, form("token", "T", "jid", "v@g/r"), http.StatusBadRequest},
		{"no token", http.MethodPost, ctype, form("session", "s", "jid", "v@g/r"), http.StatusBadRequest},
		{"a bare JID", http.MethodPost, ctype, form("session", "s", "token", "T", "jid", "v@g"), http.StatusBadRequest},
		{"a bad JID", http.MethodPost, ctype, form("session", "s", "token", "T", "jid", "@@/"), http.StatusBadRequest},
		{"a long session id", http.MethodPost, ctype, form("session", strings.Repeat("s", 65), "token", "T", "jid", "v@g/r"), http.StatusBadRequest},
		{"text, not a form", http.MethodPost, "text/plain", good, http.StatusBadRequest},
		{"a huge body", http.MethodPost, ctype, good + "&pad=" + strings.Repeat("x", 8<<10), http.StatusBadRequest},
	} {
		if code := post(c.method, c.ctype, c.body); code != c.want {
			t.Errorf("%s: %d, want %d", c.name, code, c.want)
		}
	}
	if n := len(g.sub.all()); n != 1 {
		t.Errorf("%d inputs after the bad beacons, want still 1", n)
	}
	g.sub.mu.Lock()
	g.sub.full = true
	g.sub.mu.Unlock()
	if code := post(http.MethodPost, ctype, good); code != http.StatusServiceUnavailable {
		t.Errorf("with the engine's queue full: %d, want 503", code)
	}
}

// A flood of beacons is cut at the rate: the engine gets at most the burst.
func TestBeaconFlood(t *testing.T) {
	g := newTestGateway(t, Config{})
	g.sub.ch = make(chan sessions.Input, 4*beaconBurst)
	h := g.Beacon()
	limited := 0
	for i := 0; i < 2*beaconBurst; i++ {
		req := httptest.NewRequest(http.MethodPost, BeaconPath, strings.NewReader("session=s&token=T&jid=v%40g%2Fr"))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code == http.StatusTooManyRequests {
			limited++
		}
	}
	if n := len(g.sub.all()); n > beaconBurst+beaconRate || limited == 0 {
		t.Errorf("%d beacons handed on and %d limited out of %d, want at most about the burst (%d) handed on", n, limited, 2*beaconBurst, beaconBurst)
	}
}
