package e2e

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/parley-chat/parley/internal/testbed"
	"github.com/parley-chat/parley/sessions"
)

// privateProsody is a Prosody of this test's own (scripts/lib/prosody.sh under
// a temporary state folder), so that restarting it disturbs no other test.
type privateProsody struct {
	t     *testing.T
	state string // its STATE; the files are in state/prosody
	env   testbed.Env
	comp  string // the component port, host:port
}

func startPrivateProsody(t *testing.T) *privateProsody {
	t.Helper()
	shared := testbed.Get(t) // the Postgres, and the CI rule: fail, not skip
	if _, err := exec.LookPath("prosody"); err != nil {
		t.Fatalf("prosody is not installed: %v", err)
	}
	state := t.TempDir()
	lib(t, state, "prosody_up")
	t.Cleanup(func() { lib(t, state, "prosody_down") })
	env, err := shared.Overlay(filepath.Join(state, "prosody", "env"))
	if err != nil {
		t.Fatal(err)
	}
	return &privateProsody{t: t, state: state, env: env, comp: env.XMPPAddr}
}

// restart stops Prosody with SIGTERM (what an operator's restart does), waits
// down, starts it again on the same configuration and ports, and returns
// when its component port accepts connections again.
func (pp *privateProsody) restart(down time.Duration) time.Time {
	t := pp.t
	t.Helper()
	dir := filepath.Join(pp.state, "prosody")
	data, err := os.ReadFile(filepath.Join(dir, "pid"))
	if err != nil {
		t.Fatal(err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(data)))
	if err != nil {
		t.Fatal(err)
	}
	if err := syscall.Kill(pid, syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if cmdline, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid)); err != nil || !strings.Contains(string(cmdline), "prosody") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("prosody %d did not stop", pid)
		}
	}
	time.Sleep(down)
	console, err := os.OpenFile(filepath.Join(dir, "console.log"), os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	defer console.Close()
	cmd := exec.Command("setsid", "prosody", "--config", filepath.Join(dir, "prosody.cfg.lua"), "-F")
	cmd.Dir, cmd.Stdout, cmd.Stderr = dir, console, console
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { _ = cmd.Wait() }()
	if err := os.WriteFile(filepath.Join(dir, "pid"), []byte(strconv.Itoa(cmd.Process.Pid)+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		if c, err := net.DialTimeout("tcp", pp.comp, time.Second); err == nil {
			c.Close()
			return time.Now()
		}
		if time.Now().After(deadline) {
			t.Fatal("prosody did not listen again")
		}
	}
}

// Prosody restarts (SIGTERM, 3 s down, started again on the same ports):
// parleyd is connected again soon after Prosody listens (the figure is
// logged, not asserted: docs/protocol.md), and the session and its room are
// as before: the visitor reconnects with its token, the agent rejoins, and
// they talk, with the history kept.
func TestProsodyRestartFastReturn(t *testing.T) {
	pp := startPrivateProsody(t)
	p := startParleyOn(t, pp.env, "chat.example.test")
	p.grant(p.agentJID("agent1"), "chat")
	a := p.agent("agent1")
	signIn(p, a, "")
	c := openChat(t, p, a, "Uma", "")
	say(c.v, c.room, "before the restart")
	a.expect("a message before the restart", isMsg(c.room+"/Uma", "before the restart"))

	back := pp.restart(3 * time.Second)
	p.awaitReady(20*time.Second, "parleyd not ready after Prosody's return")
	ready := time.Since(back)
	connected := lastLogTime(t, p.output(), "component connected")
	t.Logf("Prosody listened again at %s; parleyd's component connected %v later, /readyz 200 %v later",
		back.UTC().Format("15:04:05.000"), connected.Sub(back).Round(time.Millisecond), ready.Round(time.Millisecond))

	if st := p.session(c.sid).State; st != sessions.StateActive {
		t.Errorf("session %s is %s after the restart, want active", c.sid, st)
	}
	v := p.visitor()
	if r := v.iq("set", p.Domain, fmt.Sprintf(`<reconnect xmlns='%s' session='%s' token='%s'/>`, nsParley, c.sid, c.token)); r.Get("type") != "result" {
		t.Fatalf("reconnect after the restart: %s", r)
	}
	join(v, c.room, "Uma")
	a2 := p.agent("agent1")
	signIn(p, a2, "")
	join(a2, c.room, "Agent")
	a2.expect("the history after the restart", isMsg(c.room+"/Uma", "before the restart"))
	say(v, c.room, "after the restart")
	a2.expect("a message after the restart", isMsg(c.room+"/Uma", "after the restart"))
}

// lastLogTime is the time= of the last slog line of out holding msg.
func lastLogTime(t *testing.T, out, msg string) time.Time {
	t.Helper()
	lines := strings.Split(out, "\n")
	for i := len(lines) - 1; i >= 0; i-- {
		if !strings.Contains(lines[i], msg) || !strings.HasPrefix(lines[i], "time=") {
			continue
		}
		ts, _, _ := strings.Cut(strings.TrimPrefix(lines[i], "time="), " ")
		at, err := time.Parse(time.RFC3339Nano, ts)
		if err != nil {
			t.Fatalf("log line %q: %v", lines[i], err)
		}
		return at
	}
	t.Fatalf("no log line with %q", msg)
	return time.Time{}
}
