package e2e

import (
	"fmt"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The fault test of issue 11 with the widget in Chromium: the visitor types
// a message every 150 ms while the active parleyd is SIGKILLed; a standby
// takes over (the figure is logged, not asserted); the widget shows what was
// not reflected as "retrying", joins again when told it is not in the room,
// and sends again with the same origin-id. In the end every message shows
// "sent" once, and is in the transcript exactly once.
func TestWidgetMessagesExactlyOnceAcrossTakeover(t *testing.T) {
	p := startWeb(t)
	s := standbyOf(t, p)
	b, _, sid, _ := annWithAlice(t, p, nil)

	const n = 30
	var killed time.Time
	ready := make(chan time.Duration, 1)
	for i := 0; i < n; i++ {
		if i == 10 {
			killed = time.Now()
			p.stop(syscall.SIGKILL)
			go func() { // the takeover's figure, while the visitor goes on typing
				for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
					if code, _ := s.readyz(); code == http.StatusOK {
						ready <- time.Since(killed)
						return
					}
				}
				close(ready)
			}()
		}
		b.fill("shop", `role=textbox[name="Message"]`, fmt.Sprintf("w%02d", i))
		b.press("shop", "Enter")
		time.Sleep(150 * time.Millisecond)
	}
	took, ok := <-ready
	if !ok {
		t.Fatalf("the standby did not take over within 30s:\n%s", s.output())
	}
	t.Logf("takeover after SIGKILL with the widget sending: /readyz 200 on the standby %v after the kill",
		took.Round(time.Millisecond))
	b.shot("shop", "takeover-01-retrying")
	// Every line ends "sent" (the widget's resends), none "failed".
	var statuses []string
	allSent := func() bool {
		statuses = nil
		b.eval("shop", `[...document.querySelector(".parley-widget-host").shadowRoot.querySelectorAll("li.message.mine")].map((li) => li.dataset.status + " " + li.querySelector(".body")?.textContent)`, &statuses)
		sent := 0
		for _, st := range statuses {
			if strings.HasPrefix(st, "sent w") {
				sent++
			}
		}
		return sent == n
	}
	for deadline := time.Now().Add(45 * time.Second); !allSent(); time.Sleep(200 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("not every message shows sent 45 s after the kill: %v", statuses)
		}
	}
	t.Logf("every widget message reflected %v after the kill", time.Since(killed).Round(time.Millisecond))
	b.shot("shop", "takeover-02-all-sent")
	shown := map[string]int{}
	for _, st := range statuses {
		shown[strings.TrimPrefix(st, "sent ")]++
	}
	kept := map[string]int{}
	for _, e := range s.transcript(sid) {
		if e.Kind == "message" && e.AuthorRole == "visitor" {
			kept[e.Body]++
		}
	}
	for i := 0; i < n; i++ {
		w := fmt.Sprintf("w%02d", i)
		if shown[w] != 1 || kept[w] != 1 {
			t.Errorf("%s: shown %d times, in the transcript %d times; want 1 and 1", w, shown[w], kept[w])
		}
	}
}
