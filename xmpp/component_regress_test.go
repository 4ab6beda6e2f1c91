package xmpp

// Regression tests: each comment below describes a bug as it was found,
// before it was fixed; the test holds the fix.

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

const crashChildEnv = "PARLEY_XMPP_TEST_CRASH_CHILD"

// A stanza with character data after a child element (any pretty-printed
// stanza: "<message>\n<body>hi</body>\n</message>") makes Decode panic (see
// TestRegress_DecodePanicsOnTextAfterChild). Conn calls Decode inside the
// session's Serve handler (component.go, once: `el, err := Decode(*start, t)`),
// outside safeHandle's recover, so one such stanza from any XMPP client ends
// the whole process. The scenario runs in a child process so the crash cannot
// take the other tests with it.
func TestRegress_ConnCrashesOnTextAfterChild(t *testing.T) {
	if os.Getenv(crashChildEnv) == "1" {
		crashScenario(t)
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*wait)
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestRegress_ConnCrashesOnTextAfterChild$", "-test.v")
	cmd.Env = append(os.Environ(), crashChildEnv+"=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		excerpt := string(out)
		if i := strings.Index(excerpt, "panic:"); i >= 0 {
			excerpt = excerpt[i:]
		}
		if len(excerpt) > 600 {
			excerpt = excerpt[:600] + "…"
		}
		t.Errorf("the process serving the component died (%v) on a message with whitespace between its children:\n%s", err, excerpt)
	}
}

func crashScenario(t *testing.T) {
	srv := newFakeServer(t, testSecret)
	h := newHandled()
	c := NewConn(testConfig(srv.addr()), h.handle, nil)
	run(t, c)
	sc := srv.next()
	sc.write("<message from='ann@guest.example.com/w' to='sid@chat.example.com' type='groupchat' id='pretty'>\n" +
		"  <body>hi</body>\n</message>")
	sc.write(`<message from='ann@guest.example.com/w' to='sid@chat.example.com' id='after'/>`)
	for _, id := range []string{"pretty", "after"} {
		select {
		case el := <-h.ch:
			if el.Get("id") != id {
				t.Errorf("handler got %s, want id %s", el, id)
			}
		case <-time.After(wait):
			t.Fatalf("handler got nothing for %s", id)
		}
	}
}
