package e2e

import (
	"net/http"
	"syscall"
	"testing"
	"time"
)

// The widget's XEP-0410 self-ping. After a takeover the new active parleyd
// has no occupants: a visitor who only reads would see nothing of what the
// agent says from then on (the room silently dropped it) until it typed
// something itself. The widget pings itself in the room when it heard
// nothing from it for a while (data-self-ping seconds, default 30; the test
// sets 2 s on the running widget), gets not-acceptable, and joins again:
// the agent's line shows without the visitor doing anything, once, and the
// line from before the takeover is not shown twice (the history replay).
func TestWidgetSelfPingRejoinsAfterTakeover(t *testing.T) {
	p := startWeb(t)
	s := standbyOf(t, p)
	b, a, _, room := annWithAlice(t, p, func(b *browser) {
		var ok bool
		b.eval("shop", `(() => { window.parley.chat.config.selfPing = 2; return true; })()`, &ok)
	})
	say(a, room, "Before the takeover")
	b.line("shop", "Before the takeover")

	killed := time.Now()
	p.stop(syscall.SIGKILL)
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		if code, _ := s.readyz(); code == http.StatusOK {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the standby did not take over within 30s:\n%s", s.output())
		}
	}
	t.Logf("standby ready %v after the kill", time.Since(killed).Round(time.Millisecond))
	// The agent's client notices as a standard client does (its own
	// self-ping), rejoins and talks; the visitor does nothing.
	signIn(s, a, "")
	if r := a.iq("get", room+"/Alice", `<ping xmlns='urn:xmpp:ping'/>`); errorCondition(r) != "not-acceptable" {
		t.Fatalf("the agent's self-ping after the takeover: %s", r)
	}
	join(a, room, "Alice")
	say(a, room, "Are you still there?")
	b.line("shop", "Are you still there?")
	t.Logf("the idle widget showed the agent's line %v after the kill", time.Since(killed).Round(time.Millisecond))
	b.shot("shop", "selfping-01-back-in-the-room")
	a.expect("the visitor back in the room", isPresence(room+"/Ann", ""))
	for _, text := range []string{"Before the takeover", "Are you still there?"} {
		if n := b.count("shop", `css=ol.log li.message:has-text("`+text+`")`); n != 1 {
			t.Errorf("%q shows %d times in the widget, want once", text, n)
		}
	}
	b.say("shop", "Yes, still here")
	a.expect("the visitor's answer", isMsg(room+"/Ann", "Yes, still here"))
}
