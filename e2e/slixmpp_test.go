package e2e

import (
	"bufio"
	"encoding/json"
	"os/exec"
	"strconv"
	"strings"
	"testing"

	"github.com/parley-chat/parley/sessions"
	pxmpp "github.com/parley-chat/parley/xmpp"
	"time"
)

// slixAgent runs the slixmpp agent script and returns its events as they come.
func slixAgent(t *testing.T, p *parley, user string, replies int) <-chan map[string]string {
	t.Helper()
	return slixScript(t, p, "testdata/slix_agent.py", user, "--replies", itoa(replies))
}

// slixScript runs a slixmpp script as user and returns its JSON events.
func slixScript(t *testing.T, p *parley, script, user string, args ...string) <-chan map[string]string {
	t.Helper()
	py := "/usr/bin/python3" // Debian's python3-slixmpp is installed for this one
	cmd := exec.Command(py, append([]string{script, "--jid", p.agentJID(user), "--password", p.env.Password,
		"--server", p.env.C2SAddr, "--service", p.Domain}, args...)...)
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
			var raw map[string]any
			if json.Unmarshal(sc.Bytes(), &raw) == nil {
				ev := make(map[string]string, len(raw))
				for k, v := range raw {
					if s, ok := v.(string); ok {
						ev[k] = s
					} else {
						b, _ := json.Marshal(v)
						ev[k] = string(b)
					}
				}
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

// A terminal client with no Parley plugin does the whole job through XEP-0050
// ad-hoc commands (slixmpp's xep_0050).
func TestAdHocCommandsFromSlixmpp(t *testing.T) {
	p := startParley(t)
	p.grant(p.agentJID("agent12"), "chat")
	if err := p.store.CannedPut(t.Context(), sessions.Canned{ID: "thanks", Title: "Thanks", Body: "Thank you for waiting."}); err != nil {
		t.Fatal(err)
	}
	events := slixScript(t, p, "testdata/slix_adhoc.py", "agent12", "--canned", "thanks", "--invite", p.agentJID("agent2"))
	nextEvent(t, events, "signed-in")
	b := newAgent(t, p, "agent2") // signed in later: the offer goes to the slixmpp agent first
	v := p.visitor()
	s := request(p, v, "", `<visitor name='Xia' email='xia@example.org'/><body>Help with returns</body>`)
	room := s.Get("room")
	join(v, room, "Xia")

	ev := nextEvent(t, events, "commands")
	if ev["nodes"] != `["canned","close","comment","conference","details","resume","suspend"]` {
		t.Fatalf("commands: %v", ev)
	}
	steps := []struct{ node, check string }{
		{"details", "xia@example.org"},
		{"suspend", "Investigation"},
		{"resume", "resumed"},
		{"canned", "posted"},
		{"comment", "Comment added"},
	}
	for _, st := range steps {
		var ev map[string]string
		for ev = nextEvent(t, events, "done"); ev["node"] != st.node; ev = nextEvent(t, events, "done") {
		}
		if ev["status"] != "completed" || !strings.Contains(ev["note"]+ev["values"], st.check) {
			t.Fatalf("%s: %v", st.node, ev)
		}
	}
	v.expect("suspended", isEvent(room, "suspended"))
	v.expect("resumed", isEvent(room, "resumed"))
	v.expect("the canned response", isMsg(room+"/Term", "Thank you for waiting."))
	v.never("the comment", 200e6, isMsg("", "internal note"))
	if ev := nextEvent(t, events, "error"); ev["node"] != "suspend" || ev["condition"] != "bad-request" {
		t.Fatalf("unknown cause: %v", ev)
	}
	b.expect("the conference invitation", func(e *pxmpp.Element) bool {
		return e.Get("from") == room && e.Child(nsParley, "conference") != nil
	})
	if ev := nextEvent(t, events, "done"); ev["node"] != "conference" {
		t.Fatalf("conference: %v", ev)
	}
	if ev := nextEvent(t, events, "done"); ev["node"] != "close" || ev["status"] != "completed" {
		t.Fatalf("close: %v", ev)
	}
	v.expect("closed", isEvent(room, "closed"))
	nextEvent(t, events, "finished")
	eventually(t, "closed in the store", func() bool { return p.session(s.Get("id")).State == sessions.StateClosed })

	// The visitor may not run agent commands; a stranger learns nothing.
	v2 := p.visitor()
	s2 := request(p, v2, "", "")
	r := v2.iq("set", s2.Get("room"), `<command xmlns='http://jabber.org/protocol/commands' node='resume' action='execute'/>`)
	if errorCondition(r) != "forbidden" {
		t.Fatalf("visitor resume command: %s", r)
	}
	r = p.visitor().iq("set", s2.Get("room"), `<command xmlns='http://jabber.org/protocol/commands' node='details' action='execute'/>`)
	if errorCondition(r) != "item-not-found" {
		t.Fatalf("stranger command: %s", r)
	}
	// The service's own command lists an agent's sessions.
	r = b.iq("set", p.Domain, `<command xmlns='http://jabber.org/protocol/commands' node='sessions' action='execute'/>`)
	if !strings.Contains(r.String(), "completed") {
		t.Fatalf("sessions command: %s", r)
	}
}
