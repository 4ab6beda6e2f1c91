package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Profanity (Debian's package) in tmux, as an agent would use it against the
// real Prosody and parleyd: sign-in by roster, an offer (the mediated
// invitation Profanity shows), the join, the session's events, a second
// offer declined through the room's ad-hoc command "decline" (Profanity's
// /invite decline sends nothing), the close. Captured panes go to
// test-artifacts/panes/profanity-*.txt.

type tmuxClient struct {
	t      *testing.T
	socket string
	panes  string
	n      int
}

// requireProfanity skips (or fails in CI) without profanity and tmux.
func requireProfanity(t *testing.T) {
	t.Helper()
	var missing []string
	for _, b := range []string{"profanity", "tmux"} {
		if _, err := exec.LookPath(b); err != nil {
			missing = append(missing, b)
		}
	}
	if len(missing) == 0 {
		return
	}
	missingTool(t, "the Profanity test needs "+strings.Join(missing, " and ")+" (scripts/install-deps.sh)")
}

// startProfanity runs profanity in a private tmux server with a fresh home.
func startProfanity(t *testing.T) *tmuxClient {
	t.Helper()
	home := t.TempDir()
	root, _ := filepath.Abs("..")
	c := &tmuxClient{t: t, socket: fmt.Sprintf("parley-prof-%d", os.Getpid()), panes: filepath.Join(root, "test-artifacts", "panes")}
	if err := os.MkdirAll(c.panes, 0o777); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("tmux", "-L", c.socket, "new-session", "-d", "-s", "prof", "-x", "200", "-y", "50", "profanity")
	cmd.Env = append(os.Environ(), "HOME="+home, "XDG_CONFIG_HOME="+filepath.Join(home, "config"),
		"XDG_DATA_HOME="+filepath.Join(home, "data"), "TERM=xterm-256color", "LANG=C.UTF-8")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("tmux: %v: %s", err, out)
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("profanity pane:\n%s", c.capture())
		}
		_ = exec.Command("tmux", "-L", c.socket, "kill-server").Run()
	})
	c.waitFor("Type '/help'")
	return c
}

func (c *tmuxClient) tmux(args ...string) string {
	c.t.Helper()
	out, err := exec.Command("tmux", append([]string{"-L", c.socket}, args...)...).CombinedOutput()
	if err != nil {
		c.t.Fatalf("tmux %v: %v: %s", args, err, out)
	}
	return string(out)
}

// line types a line and Enter.
func (c *tmuxClient) line(s string) {
	c.t.Helper()
	c.tmux("send-keys", "-t", "prof", "-l", s)
	c.tmux("send-keys", "-t", "prof", "Enter")
}

// capture is the current window's text, with its scrollback.
func (c *tmuxClient) capture() string {
	c.t.Helper()
	return c.tmux("capture-pane", "-p", "-J", "-t", "prof", "-S", "-500")
}

// waitFor waits until the current window shows text.
func (c *tmuxClient) waitFor(text string) string {
	c.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		s := c.capture()
		if strings.Contains(s, text) {
			return s
		}
		if time.Now().After(deadline) {
			c.t.Fatalf("profanity never showed %q; pane:\n%s", text, s)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// save keeps the current pane as test-artifacts/panes/profanity-N-name.txt.
func (c *tmuxClient) save(name string) {
	c.t.Helper()
	c.n++
	path := filepath.Join(c.panes, fmt.Sprintf("profanity-%d-%s.txt", c.n, name))
	if err := os.WriteFile(path, []byte(c.capture()), 0o666); err != nil {
		c.t.Fatal(err)
	}
}

func TestProfanityAgent(t *testing.T) {
	requireProfanity(t)
	p := startParley(t, "--offer-timeout", "60s")
	const name = "agent7"
	signin := "agents@" + p.Domain
	p.grant(p.agentJID(name), "chat")
	forgetContact(t, p, name, signin)
	t.Cleanup(func() { forgetContact(t, p, name, signin) })

	prof := startProfanity(t)
	host, port, _ := strings.Cut(p.env.C2SAddr, ":")
	prof.line(fmt.Sprintf("/connect %s server %s port %s tls disable", p.agentJID(name), host, port))
	prof.waitFor("password")
	prof.line(p.env.Password)
	prof.waitFor("logged in successfully")

	// Sign in by roster: add the sign-in address and ask to see it; Parley
	// approves, asks back, and says what happens next; allow it.
	prof.line("/roster add " + signin + " Parley")
	prof.line("/sub request " + signin)
	prof.waitFor("Parley")
	prof.line("/sub allow " + signin)
	eventually(t, "the agent signed in", func() bool { return p.metric("parley_agents_online") == 1 })
	prof.save("signed-in")

	// An offer: Profanity shows the invitation and says how to join.
	v := p.visitor()
	s := request(p, v, "", "<visitor name='Ann' email='ann@example.org'/><body>Where is my parcel?</body>")
	room := s.Get("room")
	join(v, room, "Ann")
	prof.waitFor(room)
	prof.save("offer")
	prof.line("/join " + room + " nick " + name)
	v.expect("assigned", isEvent(room, "assigned"))
	prof.waitFor("has joined the chat")
	say(v, room, "Hello, is anyone there?")
	prof.waitFor("Hello, is anyone there?")
	prof.line("Hi Ann, let me check.")
	v.expect("the agent's line", isMsg(room+"/"+name, "Hi Ann, let me check."))

	// Session events: the visitor leaves and comes back.
	v.send(`<presence xmlns='jabber:client' to='%s/Ann' type='unavailable'/>`, room)
	prof.waitFor("The visitor left the chat")
	prof.save("events")

	// A second offer, declined through the room's ad-hoc command.
	v2 := p.visitor()
	s2 := request(p, v2, "", "<visitor name='Bo'/><body>Billing question</body>")
	room2 := s2.Get("room")
	prof.line("/win 1")
	prof.waitFor(room2)
	prof.line("/cmd exec decline " + room2)
	prof.waitFor("Chat request declined")
	prof.save("declined")
	eventually(t, "the offer declined", func() bool { return p.metric(`parley_offers_total{outcome="declined"}`) == 1 })

	// The details form: labelled fields, no "(null)".
	prof.line("/win " + room)
	prof.line("/cmd exec details " + room)
	if pane := prof.waitFor("E-mail: ann@example.org"); strings.Contains(pane, "(null)") {
		t.Errorf("details without labels:\n%s", pane)
	}
	prof.save("details")
	prof.line("/form cancel") // Profanity shows a result form in a form window
	prof.line("/win " + room)

	// Close from the room, by ad-hoc command.
	prof.line("/cmd exec close " + room)
	prof.waitFor("Chat closed by the agent")
	prof.save("closed")
	if st := p.session(s.Get("id")).State; st != "closed" {
		t.Errorf("state %s after close", st)
	}
}
