package gateway

import (
	"net/http"

	"github.com/parley-chat/parley/sessions"
	"mellium.im/xmpp/jid"
)

// BeaconPath is where parleyd's HTTP listener takes the widget's suspend
// beacon (docs/protocol.md, "Suspend beacon").
const BeaconPath = "/beacon"

// The beacons the engine is handed, all visitors together: a flood of them
// (each one is a token hash and a lookup) must not take the runner's queue
// from the stanzas. A beacon over the rate is dropped; the session it was for
// is suspended by the idle rule instead (--idle-suspend).
const (
	beaconRate  = 100 // per second
	beaconBurst = 200
	beaconBody  = 4 << 10 // bytes: three short fields
)

// Beacon is the HTTP handler of the suspend beacon, the widget's
// navigator.sendBeacon on pagehide: a POST of an
// application/x-www-form-urlencoded body with session, token and jid (the
// visitor's full JID). Its format is read here only. The answer is 204 when
// the beacon is handed to the engine, which checks the token and decides;
// nothing reads the answer (a beacon's response is discarded by the browser),
// so it says nothing about the session.
func (g *Gateway) Beacon() http.Handler {
	count := func(result string) { g.beacons.WithLabelValues(result).Inc() }
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			w.Header().Set("Allow", http.MethodPost)
			http.Error(w, "POST only", http.StatusMethodNotAllowed)
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, beaconBody)
		in, ok := decodeBeacon(r)
		if !ok {
			count("malformed")
			http.Error(w, "want session, token and jid (a full JID), form-encoded", http.StatusBadRequest)
			return
		}
		if !g.beaconLimit.Allow() {
			count("limited")
			http.Error(w, "too many beacons", http.StatusTooManyRequests)
			return
		}
		if g.engine == nil || !g.engine.Submit(in) {
			count("busy")
			http.Error(w, "busy", http.StatusServiceUnavailable)
			return
		}
		count("accepted")
		w.WriteHeader(http.StatusNoContent)
	})
}

// decodeBeacon reads a beacon's form; ok is false for a malformed one.
func decodeBeacon(r *http.Request) (*sessions.Leaving, bool) {
	if err := r.ParseForm(); err != nil {
		return nil, false
	}
	f := r.PostForm
	sid, token, from := f.Get("session"), f.Get("token"), f.Get("jid")
	if sid == "" || len(sid) > 64 || token == "" || len(token) > 128 {
		return nil, false
	}
	j, err := jid.Parse(from)
	if err != nil || j.Resourcepart() == "" {
		return nil, false
	}
	return &sessions.Leaving{Session: sid, Token: token, From: j}, true
}
