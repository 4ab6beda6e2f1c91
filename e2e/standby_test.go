package e2e

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/parley-chat/parley/internal/testbed"
	"github.com/parley-chat/parley/sessions"
)

// standbyOf makes a second parleyd on p's component domain and schema, with
// its own HTTP port, and starts it; it waits until it says it is a standby.
func standbyOf(t *testing.T, p *parley) *parley {
	t.Helper()
	s := &parley{t: t, env: p.env, Domain: p.Domain, DSN: p.DSN, store: p.store, pool: p.pool}
	s.HTTP = fmt.Sprintf("127.0.0.1:%d", testbed.FreePort(t))
	s.args = append([]string(nil), p.args...)
	for i := range s.args {
		if s.args[i] == "--http-addr" {
			s.args[i+1] = s.HTTP
		}
	}
	s.launch()
	t.Cleanup(func() {
		s.stop(syscall.SIGTERM)
		if t.Failed() {
			t.Logf("standby parleyd output:\n%s", s.output())
		}
	})
	eventually(t, "the second parleyd says standby", func() bool {
		code, body := s.readyz()
		return code == http.StatusServiceUnavailable && strings.HasPrefix(body, "standby")
	})
	return s
}

// Two parleyd on one component domain and one database: one is active, the
// other a standby. The active one is killed (SIGKILL) in the middle of steady
// traffic in three rooms; the standby takes over (the time is logged and
// recorded in docs/protocol.md), every message any client saw is in the
// transcript exactly once and none twice, and the clients go on after
// their XEP-0410 self-ping tells them to rejoin.
func TestStandbyTakesOverAfterSIGKILL(t *testing.T) {
	p := startParley(t)
	if code, body := p.readyz(); code != http.StatusOK || !strings.HasPrefix(body, "active") {
		t.Fatalf("first parleyd /readyz: %d %q", code, body)
	}
	s := standbyOf(t, p)
	if v := s.metric("parley_leader"); v != 0 {
		t.Errorf("standby parley_leader %v", v)
	}
	if v := p.metric("parley_leader"); v != 1 {
		t.Errorf("active parley_leader %v", v)
	}

	p.grant(p.agentJID("agent9"), "chat")
	a := p.agent("agent9")
	signIn(p, a, "")
	var chats []*chat
	for _, nick := range []string{"Ada", "Bea", "Cid"} {
		chats = append(chats, openChat(t, p, a, nick, ""))
	}

	// A message every 20 ms, round the rooms, visitor and agent in turn.
	stop := traffic(20*time.Millisecond, func(n int) {
		c := chats[n%len(chats)]
		from := c.v
		if n/len(chats)%2 == 1 {
			from = c.a
		}
		say(from, c.room, fmt.Sprintf("m%d", n))
	})
	time.Sleep(1500 * time.Millisecond)
	killed := time.Now()
	p.stop(syscall.SIGKILL)
	s.awaitReady(30*time.Second, "the standby did not take over")
	ready := time.Since(killed)
	took := lastLogTime(t, s.output(), "active: took the leader lock").Sub(killed)
	connected := lastLogTime(t, s.output(), "component connected").Sub(killed)
	t.Logf("takeover after SIGKILL: lock taken %v, component connected %v, /readyz 200 %v",
		took.Round(time.Millisecond), connected.Round(time.Millisecond), ready.Round(time.Millisecond))
	if os.Getenv("PARLEY_TAKEOVER_LOG") != "" {
		f, err := os.OpenFile(os.Getenv("PARLEY_TAKEOVER_LOG"), os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
		if err == nil {
			fmt.Fprintf(f, "%s lock %v component %v ready %v\n", time.Now().UTC().Format(time.RFC3339),
				took.Round(time.Millisecond), connected.Round(time.Millisecond), ready.Round(time.Millisecond))
			f.Close()
		}
	}
	time.Sleep(300 * time.Millisecond) // traffic reaches the new active one (not joined: refused)
	n := stop()
	time.Sleep(300 * time.Millisecond) // let in-flight stanzas land or bounce

	// Everything a client saw is in the transcript exactly once, nothing twice.
	seen := map[string]bool{}
	for _, c := range chats {
		for _, b := range append(received(c.v, c.room), received(c.a, c.room)...) {
			if strings.HasPrefix(b, "m") {
				seen[b] = true
			}
		}
	}
	kept := map[string]int{}
	for _, c := range chats {
		entries, _, _, err := p.store.Transcript(context.Background(), sessions.Query{Session: c.sid})
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range entries {
			if e.Kind == "message" {
				kept[e.Body]++
			}
		}
	}
	if len(seen) < 30 {
		t.Fatalf("only %d of %d messages delivered before the kill: too few to prove anything", len(seen), n)
	}
	for b := range seen {
		if kept[b] != 1 {
			t.Errorf("message %q reached a client and is %d times in the transcript", b, kept[b])
		}
	}
	for b, k := range kept {
		if k > 1 {
			t.Errorf("message %q is %d times in the transcript", b, k)
		}
	}
	t.Logf("sent %d, seen by clients %d, in the transcripts %d", n, len(seen), len(kept))

	if v := s.metric("parley_takeovers_total"); v != 1 {
		t.Errorf("parley_takeovers_total %v on the new active one, want 1", v)
	}
	if v := s.metric("parley_leader"); v != 1 {
		t.Errorf("parley_leader %v on the new active one, want 1", v)
	}

	// The clients go on with the new active parleyd: the self-ping says
	// rejoin, they do, and they talk.
	signIn(s, a, "")
	for _, c := range chats {
		if r := c.v.iq("get", c.room+"/"+c.vnick, `<ping xmlns='urn:xmpp:ping'/>`); errorCondition(r) != "not-acceptable" {
			t.Fatalf("self-ping after the takeover: %s", r)
		}
		join(c.v, c.room, c.vnick)
		join(a, c.room, "Agent")
		say(c.v, c.room, "after the takeover "+c.vnick)
		a.expect("a message after the takeover", isMsg(c.room+"/"+c.vnick, "after the takeover "+c.vnick))
		if st := s.session(c.sid).State; st != sessions.StateActive {
			t.Errorf("session %s is %s after the takeover", c.sid, st)
		}
	}
}

// kickOld sets component_conflict_resolve = "kick_old" for domain in the
// private Prosody's configuration and restarts it to read it.
func (pp *privateProsody) kickOld(domain string) {
	t := pp.t
	t.Helper()
	cfg := filepath.Join(pp.state, "prosody", "prosody.cfg.lua")
	data, err := os.ReadFile(cfg)
	if err != nil {
		t.Fatal(err)
	}
	line := fmt.Sprintf("Component %q\n", domain)
	if !strings.Contains(string(data), line) {
		t.Fatalf("no %q in %s", line, cfg)
	}
	data = []byte(strings.Replace(string(data), line, line+"\tcomponent_conflict_resolve = \"kick_old\"\n", 1))
	if err := os.WriteFile(cfg, data, 0o644); err != nil {
		t.Fatal(err)
	}
	pp.restart(0)
}

// The active parleyd is paused (SIGSTOP) in a chat: its heartbeat goes stale,
// the standby breaks its lock and takes over (Prosody set to kick_old), and
// the chat goes on there. When the old one wakes it writes nothing (its
// commits are fenced), does not take the component back, and exits.
func TestStandbyTakesOverFromPausedActive(t *testing.T) {
	pp := startPrivateProsody(t)
	pp.kickOld("chat.example.test")
	p := startParleyOn(t, pp.env, "chat.example.test", "--leader-stale", "1s")
	s := standbyOf(t, p)
	p.grant(p.agentJID("agent1"), "chat")
	a := p.agent("agent1")
	signIn(p, a, "")
	c := openChat(t, p, a, "Pia", "")
	say(c.v, c.room, "before the pause")
	a.expect("a message before the pause", isMsg(c.room+"/Pia", "before the pause"))

	paused := p.pause()
	s.awaitReady(30*time.Second, "the standby did not take over from the paused one")
	t.Logf("takeover from a paused active one (--leader-stale 1s): /readyz 200 %v after SIGSTOP", time.Since(paused).Round(time.Millisecond))
	if !strings.Contains(s.output(), "breaking its lock") {
		t.Errorf("the standby did not say it broke a stale lock")
	}
	// The chat goes on with the new active one.
	signIn(s, a, "")
	join(c.v, c.room, "Pia")
	join(a, c.room, "Agent")
	say(c.v, c.room, "while the old one sleeps")
	a.expect("a message on the new active one", isMsg(c.room+"/Pia", "while the old one sleeps"))

	// The old one wakes: fenced, it exits, and the chat is undisturbed.
	p.wakeFenced()
	say(c.v, c.room, "after the old one left")
	a.expect("a message after the old one left", isMsg(c.room+"/Pia", "after the old one left"))
	if code, _ := s.readyz(); code != http.StatusOK {
		t.Errorf("the new active one is not ready after the old one woke")
	}
	entries, _, _, err := s.store.Transcript(context.Background(), sessions.Query{Session: c.sid})
	if err != nil {
		t.Fatal(err)
	}
	count := map[string]int{}
	for _, e := range entries {
		count[e.Body]++
	}
	for _, b := range []string{"before the pause", "while the old one sleeps", "after the old one left"} {
		if count[b] != 1 {
			t.Errorf("%q is %d times in the transcript", b, count[b])
		}
	}
}

// pause stops the active parleyd p with SIGSTOP (alive, holding its lock
// and its component connection, answering nothing) and returns when. A
// test that fails before waking it still ends it at once: the cleanup
// continues it before parleyd's own cleanup stops it.
func (p *parley) pause() time.Time {
	p.t.Helper()
	cmd := p.signal(syscall.SIGSTOP)
	p.t.Cleanup(func() { _ = cmd.Process.Signal(syscall.SIGCONT) })
	return time.Now()
}

// signal sends sig to p's current process and returns that process.
func (p *parley) signal(sig syscall.Signal) *exec.Cmd {
	p.t.Helper()
	p.mu.Lock()
	cmd := p.cmd
	p.mu.Unlock()
	if err := cmd.Process.Signal(sig); err != nil {
		p.t.Fatal(err)
	}
	return cmd
}

// wakeFenced continues the paused p, which must find a standby active,
// exit, and say it lost the role.
func (p *parley) wakeFenced() {
	p.t.Helper()
	p.signal(syscall.SIGCONT)
	select {
	case <-p.done:
	case <-time.After(20 * time.Second):
		p.t.Fatalf("the old active parleyd did not exit after waking:\n%s", p.output())
	}
	if out := p.output(); !strings.Contains(out, "no longer the active parleyd") && !strings.Contains(out, "another parleyd is active") {
		p.t.Errorf("the old one exited without saying it lost the role:\n%s", out)
	}
}
