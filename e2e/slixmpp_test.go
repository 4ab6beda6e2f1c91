package e2e

import (
	"bufio"
	"encoding/json"
	"os/exec"
	"strconv"
	"testing"
	"time"
)

// slixAgent runs the slixmpp agent script and returns its events as they come.
func slixAgent(t *testing.T, p *parley, user string, replies int) <-chan map[string]string {
	t.Helper()
	py := "/usr/bin/python3" // Debian's python3-slixmpp is installed for this one
	cmd := exec.Command(py, "testdata/slix_agent.py", "--jid", p.agentJID(user), "--password", p.env.Password,
		"--server", p.env.C2SAddr, "--service", p.Domain, "--replies", itoa(replies))
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	stderr := &syncBuilder{}
	cmd.Stderr = writerFunc(func(b []byte) (int, error) { stderr.add(string(b)); return len(b), nil })
	if err := cmd.Start(); err != nil {
		t.Fatalf("start slixmpp agent: %v", err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		if t.Failed() {
			t.Logf("slixmpp agent stderr:\n%s", stderr.String())
		}
	})
	events := make(chan map[string]string, 100)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			var ev map[string]string
			if json.Unmarshal(sc.Bytes(), &ev) == nil {
				events <- ev
			}
		}
		close(events)
	}()
	return events
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(b []byte) (int, error) { return f(b) }

func itoa(n int) string { return fmtInt(n) }

// nextEvent waits for an event of the given kind, failing on timeout or exit.
func nextEvent(t *testing.T, events <-chan map[string]string, kind string) map[string]string {
	t.Helper()
	timeout := time.After(20 * time.Second)
	for {
		select {
		case ev, ok := <-events:
			if !ok {
				t.Fatalf("slixmpp agent exited before %q", kind)
			}
			if ev["event"] == kind {
				return ev
			}
		case <-timeout:
			t.Fatalf("slixmpp agent: no %q event", kind)
		}
	}
}

// An agent in slixmpp, a MUC client of another implementation, takes a chat
// offered by the service and talks with a mellium visitor.
func TestSlixmppAgent(t *testing.T) {
	p := startParley(t)
	p.grant(p.agentJID("agent11"), "chat")
	events := slixAgent(t, p, "agent11", 2)
	nextEvent(t, events, "signed-in")

	v := p.visitor()
	s := request(p, v, "", `<visitor name='Nia'/><body>Where is my parcel?</body>`)
	room := s.Get("room")
	join(v, room, "Nia")
	if ev := nextEvent(t, events, "offer"); ev["room"] != room || ev["session"] != s.Get("id") {
		t.Fatalf("offer event %v for room %s", ev, room)
	}
	if ev := nextEvent(t, events, "history"); ev["body"] != "Where is my parcel?" {
		t.Fatalf("history: %v", ev)
	}
	v.expect("assigned", isEvent(room, "assigned"))
	say(v, room, "hello slix")
	if ev := nextEvent(t, events, "message"); ev["body"] != "hello slix" || ev["nick"] != "Nia" {
		t.Fatalf("message: %v", ev)
	}
	v.expect("the slixmpp agent's answer", isMsg(room+"/Slix", "echo: hello slix"))
	say(v, room, "thanks")
	v.expect("second answer", isMsg(room+"/Slix", "echo: thanks"))
	nextEvent(t, events, "done")
}

func fmtInt(n int) string { return strconv.Itoa(n) }
