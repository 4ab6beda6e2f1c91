package e2e

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/parley-chat/parley/internal/testbed"
	"github.com/parley-chat/parley/sessions"
	"github.com/parley-chat/parley/sessions/pgstore"
	"github.com/prometheus/client_golang/prometheus"
)

var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "parley-e2e")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "parleyd")
	build := exec.Command("go", "build", "-race", "-o", binary, "../cmd/parleyd")
	build.Stdout, build.Stderr = os.Stdout, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "build parleyd:", err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// parley is one parleyd process on its own component domain and schema.
type parley struct {
	t      *testing.T
	env    testbed.Env
	Domain string
	DSN    string
	HTTP   string
	args   []string
	store  *pgstore.Store
	pool   *pgxpool.Pool

	mu   sync.Mutex
	cmd  *exec.Cmd
	done chan struct{}
	out  *syncBuilder
}

type syncBuilder struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuilder) add(line string) {
	s.mu.Lock()
	s.b.WriteString(line + "\n")
	s.mu.Unlock()
}

func (s *syncBuilder) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// startParley runs parleyd with short timers unless args say otherwise, on a
// component domain of the test bed no other test uses.
func startParley(t *testing.T, args ...string) *parley {
	t.Helper()
	env := testbed.Get(t)
	return startParleyOn(t, env, testbed.Component(t, env), args...)
}

// startParleyOn runs parleyd against env (the test bed's, or a private
// server's) as domain, on a schema of its own, and stops it when the test ends.
func startParleyOn(t *testing.T, env testbed.Env, domain string, args ...string) *parley {
	t.Helper()
	p := newParley(t, env, domain, args...)
	p.start()
	t.Cleanup(func() {
		p.stop(syscall.SIGTERM)
		if t.Failed() {
			// The suite runs on each server of the test bed: say which one this was.
			t.Logf("XMPP server: %s (log %s); parleyd output:\n%s", env.Server, env.ServerLog, p.output())
		}
	})
	return p
}

// newParley prepares parleyd's command line, schema and store, and starts nothing.
func newParley(t *testing.T, env testbed.Env, domain string, args ...string) *parley {
	t.Helper()
	p := &parley{t: t, env: env, Domain: domain, DSN: testbed.Schema(t, env)}
	p.HTTP = fmt.Sprintf("127.0.0.1:%d", testbed.FreePort(t))
	p.args = append([]string{"serve",
		"--domain", p.Domain, "--xmpp-addr", env.XMPPAddr, "--secret", env.Secret,
		"--database-url", p.DSN, "--http-addr", p.HTTP, "--offer-timeout", "2s",
		"--log-level", "debug"}, args...)
	pool, err := pgxpool.New(context.Background(), p.DSN)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	if err := pgstore.Migrate(context.Background(), pool); err != nil {
		t.Fatal(err)
	}
	p.pool = pool
	if p.store, err = pgstore.New(pool, prometheus.NewRegistry()); err != nil {
		t.Fatal(err)
	}
	return p
}

// start launches the process and waits until /readyz answers 200.
func (p *parley) start() {
	p.t.Helper()
	p.launch()
	p.waitReady()
}

// launch starts the process without waiting for it to be ready. Its output
// goes on after that of the process before it (a restart).
func (p *parley) launch() {
	p.t.Helper()
	cmd := exec.Command(binary, p.args...)
	out := p.out
	if out == nil {
		out = &syncBuilder{}
	}
	pr, pw := io.Pipe()
	cmd.Stdout, cmd.Stderr = pw, pw
	go func() {
		sc := bufio.NewScanner(pr)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			out.add(sc.Text())
		}
	}()
	if err := cmd.Start(); err != nil {
		p.t.Fatal(err)
	}
	done := make(chan struct{})
	p.mu.Lock()
	p.cmd, p.out, p.done = cmd, out, done
	p.mu.Unlock()
	go func() { _ = cmd.Wait(); pw.Close(); close(done) }()
}

func (p *parley) output() string {
	p.mu.Lock()
	out := p.out
	p.mu.Unlock()
	if out == nil {
		return ""
	}
	return out.String()
}

func (p *parley) waitReady() {
	p.t.Helper()
	p.awaitReady(20*time.Second, "parleyd never became ready")
}

// awaitReady waits up to d for /readyz to answer 200; else the test fails
// with what, and parleyd's output.
func (p *parley) awaitReady(d time.Duration, what string) {
	p.t.Helper()
	for deadline := time.Now().Add(d); !p.ready(); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			p.t.Fatalf("%s within %v:\n%s", what, d, p.output())
		}
	}
}

// readyz is /readyz's status code and body (0 and the error when it does not answer).
func (p *parley) readyz() (int, string) {
	resp, err := http.Get("http://" + p.HTTP + "/readyz")
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, strings.TrimSpace(string(b))
}

// ready reports whether /readyz answers 200.
func (p *parley) ready() bool {
	code, _ := p.readyz()
	return code == http.StatusOK
}

// stop ends the process with sig and waits for it.
func (p *parley) stop(sig syscall.Signal) {
	p.mu.Lock()
	cmd, done := p.cmd, p.done
	p.cmd = nil
	p.mu.Unlock()
	if cmd == nil || cmd.Process == nil {
		return
	}
	_ = cmd.Process.Signal(sig)
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		_ = cmd.Process.Kill()
	}
}

// restart kills parleyd with sig and starts it again on the same schema.
func (p *parley) restart(sig syscall.Signal) {
	p.t.Helper()
	p.stop(sig)
	p.start()
}

func (p *parley) grant(jid string, perms ...string) {
	p.t.Helper()
	if err := p.store.Grant(context.Background(), jid, perms...); err != nil {
		p.t.Fatal(err)
	}
}

// agentJID is the bare JID of a test account.
func (p *parley) agentJID(name string) string { return name + "@" + p.env.AgentHost }

// agent logs in a test account.
func (p *parley) agent(name string) *client {
	return dial(p.t, p.env.C2SAddr, name, p.env.AgentHost, p.env.Password)
}

// visitor logs in anonymously.
func (p *parley) visitor() *client {
	return dial(p.t, p.env.C2SAddr, "", p.env.GuestHost, "")
}

// metric reads one sample from /metrics, e.g. `parley_offers_total{outcome="sent"}`.
func (p *parley) metric(name string) float64 {
	p.t.Helper()
	resp, err := http.Get("http://" + p.HTTP + "/metrics")
	if err != nil {
		p.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	re := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(name) + ` ([0-9.e+-]+)$`)
	m := re.FindSubmatch(body)
	if m == nil {
		return 0
	}
	v, _ := strconv.ParseFloat(string(m[1]), 64)
	return v
}

// eventually retries cond until it holds or 10s pass.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("never: %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (p *parley) session(id string) sessions.Record {
	p.t.Helper()
	rec, _, err := p.store.Session(context.Background(), id)
	if err != nil {
		p.t.Fatalf("session %s: %v", id, err)
	}
	return rec
}

// traffic calls send(0), send(1)… on a goroutine of its own, waiting every
// before each call (so a slow send slows the traffic down), until the stop it
// returns is called; stop returns how many calls were made.
func traffic(every time.Duration, send func(n int)) (stop func() int) {
	quit := make(chan struct{})
	sent := make(chan int, 1)
	go func() {
		n := 0
		// Deferred so that stop returns also when send ended this goroutine
		// (a t.Fatal in it runs Goexit): stop must never wait forever.
		defer func() { sent <- n }()
		for ; ; n++ {
			select {
			case <-quit:
				return
			case <-time.After(every):
			}
			send(n)
		}
	}()
	return func() int { close(quit); return <-sent }
}
