package e2e

import (
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/parley-chat/parley/sessions"
)

// beacon posts the widget's suspend beacon to parleyd, as navigator.sendBeacon does.
func beacon(t *testing.T, p *parley, sid, token, from string) {
	t.Helper()
	resp, err := http.PostForm("http://"+p.HTTP+"/beacon", url.Values{"session": {sid}, "token": {token}, "jid": {from}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent {
		t.Fatalf("beacon: %s, want 204", resp.Status)
	}
}

// The suspend beacon through the real server (docs/protocol.md, "Suspend
// beacon"): a visitor whose connection is cut (the unavailable presence is
// the server's own, without <suspend/>, as when Prosody drops the widget's)
// is suspended by the visitor when its beacon came before the cut or after
// it; one with a wrong token is only a visitor who left.
func TestBeaconSuspendsWhatTheServerDropped(t *testing.T) {
	p := startParley(t)
	a := newAgent(t, p, "agent10")

	before := openChat(t, p, a, "Una", "")
	beacon(t, p, before.sid, before.token, before.v.JID.String())
	a.never("suspended while the visitor is still in the room", 300*time.Millisecond, isEvent(before.room, "suspended"))
	before.v.drop()
	a.expect("suspended by the visitor, the beacon first", isEventBy(before.room, "suspended", "visitor"))
	a.never("visitor-left after the beacon", 300*time.Millisecond, isEvent(before.room, "visitor-left"))

	after := openChat(t, p, a, "Vic", "")
	after.v.drop()
	a.expect("the visitor left", isEvent(after.room, "visitor-left"))
	beacon(t, p, after.sid, after.token, after.v.JID.String())
	a.expect("suspended by the visitor, the beacon after", isEventBy(after.room, "suspended", "visitor"))

	forged := openChat(t, p, a, "Wes", "")
	beacon(t, p, forged.sid, after.token, forged.v.JID.String())
	forged.v.drop()
	a.expect("the visitor left", isEvent(forged.room, "visitor-left"))
	a.never("suspended by a beacon with another session's token", 500*time.Millisecond, isEvent(forged.room, "suspended"))

	for _, c := range []*chat{before, after} {
		if r := p.session(c.sid); r.State != sessions.StateSuspended || r.SuspendedBy != "visitor" || !r.Explicit {
			t.Errorf("session %s: %s by %q (explicit %v), want suspended by the visitor, explicit", c.sid, r.State, r.SuspendedBy, r.Explicit)
		}
	}
	if st := forged.state(); st != sessions.StateActive {
		t.Errorf("the forged beacon's session is %s, want active", st)
	}
}
