package sessions

import "testing"

// A probe asks whether the cookie has a chat in progress without creating
// anything, so the widget can ask "Reconnect?" before its form.
func TestProbeCreatesNothing(t *testing.T) {
	w := newWorld(t)
	w.signIn(alice)
	out, r := w.request(ann, RequestCmd{Probe: true})
	if r == nil || r.Type != "result" || r.Payload != nil || len(out.Batch.Sessions) != 0 || len(out.Batch.Tokens) != 0 {
		t.Fatalf("probe without token: %+v %+v", r, out.Batch)
	}
	sid, token := w.active(ann, "Hi")
	_, r = w.request(annLater, RequestCmd{Probe: true, Token: token})
	if s := resultResumable(t, r); s["id"] != sid || s["nick"] != "Ann" {
		t.Fatalf("probe with a live session: %v", s)
	}
	// The reconnect's <session/> names the visitor and says it is a reconnect.
	_, r = w.svc(annLater, &ReconnectCmd{Session: sid, Token: token})
	if s := resultSession(t, r); s["nick"] != "Ann" || s["reconnected"] != "true" {
		t.Fatalf("reconnect answer: %v", s)
	}
	// A probe never reconnects, even in reconnect=always mode.
	w2 := newWorld(t, func(c *Config) { c.ReconnectAlways = true })
	w2.signIn(alice)
	sid2, token2 := w2.active(ann, "Hi")
	_, r = w2.request(annLater, RequestCmd{Probe: true, Token: token2})
	if s := resultResumable(t, r); s["id"] != sid2 {
		t.Fatalf("probe in always mode: %v", s)
	}
	_, r = w2.request(annLater, RequestCmd{Token: token2})
	if s := resultSession(t, r); s["id"] != sid2 || s["reconnected"] != "true" {
		t.Fatalf("always mode: %v", s)
	}
}

// A probe creates nothing even when it also says new='true', and its answer
// says which reconnect mode the service runs.
func TestProbeWithNewCreatesNothing(t *testing.T) {
	w := newWorld(t, func(c *Config) { c.ReconnectAlways = true })
	w.signIn(alice)
	_, token := w.active(ann, "Hi")
	out, r := w.request(annLater, RequestCmd{Probe: true, New: true, Token: token})
	if len(out.Batch.Sessions) != 0 || len(out.Batch.Tokens) != 0 {
		t.Fatalf("probe with new created rows: %+v", out.Batch)
	}
	if a, ok := r.Payload.(*Resumable); !ok || a.Mode != "always" {
		t.Fatalf("probe answer: %q", r.Payload)
	}
}
