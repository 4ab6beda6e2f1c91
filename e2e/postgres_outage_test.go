package e2e

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/parley-chat/parley/internal/testbed"
	"github.com/parley-chat/parley/sessions"
	pxmpp "github.com/parley-chat/parley/xmpp"
)

// privatePostgres is a Postgres of this test's own (scripts/lib/pg.sh under a
// temporary state folder), so that stopping it disturbs no other test.
type privatePostgres struct {
	t     *testing.T
	state string
	url   string
}

func startPrivatePostgres(t *testing.T) *privatePostgres {
	t.Helper()
	testbed.Get(t) // the CI rule: fail, not skip, when the test bed is missing
	// The server may run as another user (root runs it as postgres): the
	// folder must be reachable by it.
	state, err := os.MkdirTemp("", "parley-pg-")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(state, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(state) })
	pgLib(t, state, "pg_up")
	t.Cleanup(func() { pgLib(t, state, "pg_down") })
	env, err := testbed.Env{}.Overlay(filepath.Join(state, "pg", "env"))
	if err != nil {
		t.Fatal(err)
	}
	pp := &privatePostgres{t: t, state: state, url: env.DatabaseURL}
	if pp.url == "" {
		t.Fatal("no database URL from pg_up")
	}
	return pp
}

func (pp *privatePostgres) stop() { pgLib(pp.t, pp.state, "pg_down") }

// start starts it again on the same port (pg_up would pick a new one).
func (pp *privatePostgres) start() {
	pgLib(pp.t, pp.state, `pg_as "$(pg_bindir)/pg_ctl" -D "$PG_DATA" -l "$PG_LOG" -w -t 60 start >/dev/null && head -n 1 "$PG_DATA/postmaster.pid" >"$PG_DIR/pid"`)
}

// Postgres stops for 10 s under steady traffic: what the service had taken
// before it knew is delivered when the store is back; what came after gets a
// wait error at once (no silence), and the client resends it. In the end
// every message is delivered to the agent exactly once and is in the
// transcript exactly once.
func TestPostgresOutageNothingLost(t *testing.T) {
	pg := startPrivatePostgres(t)
	env := testbed.Get(t)
	env.DatabaseURL = pg.url
	p := startParleyOn(t, env, testbed.Component(t, env))
	p.grant(p.agentJID("agent7"), "chat")
	a := p.agent("agent7")
	signIn(p, a, "")
	c := openChat(t, p, a, "Ola", "")

	stop := traffic(50*time.Millisecond, func(n int) {
		id := fmt.Sprintf("m%d", n)
		c.v.send(`<message xmlns='jabber:client' type='groupchat' to='%s' id='%s'><body>%s</body></message>`, c.room, id, id)
	})
	time.Sleep(time.Second)
	pg.stop()
	down := time.Now()
	time.Sleep(10 * time.Second)
	pg.start()
	t.Logf("Postgres was down %v", time.Since(down).Round(time.Millisecond))
	time.Sleep(2 * time.Second)
	n := stop()
	time.Sleep(3 * time.Second) // the held batch is delivered once the store is back

	isErr := func(id string) func(*pxmpp.Element) bool {
		return func(e *pxmpp.Element) bool {
			return e.Name.Local == "message" && e.Get("type") == "error" && e.Get("id") == id
		}
	}
	delivered := map[string]int{}
	for _, b := range received(a, c.room) {
		delivered[b]++
	}
	var refused []string
	var lost []string
	for i := 0; i < n; i++ {
		id := fmt.Sprintf("m%d", i)
		e := c.v.wait("an error for "+id, isErr(id), 0)
		switch {
		case e != nil && delivered[id] > 0:
			t.Errorf("%s both delivered and refused: %s", id, e)
		case e != nil:
			if errorCondition(e) != "internal-server-error" || e.Child("", "error").Get("type") != "wait" {
				t.Errorf("%s refused with %s, want a wait error", id, e)
			}
			refused = append(refused, id)
		case delivered[id] == 0:
			lost = append(lost, id)
		}
	}
	if len(lost) > 0 {
		t.Errorf("neither delivered nor refused (lost, or silence): %v", lost)
	}
	if len(refused) == 0 {
		t.Errorf("nothing was refused during a 10 s outage of the store")
	}
	// The client resends what was refused, under the per-JID rate.
	for _, id := range refused {
		c.v.send(`<message xmlns='jabber:client' type='groupchat' to='%s' id='re-%s'><body>%s</body></message>`, c.room, id, id)
		time.Sleep(60 * time.Millisecond)
	}
	for _, id := range refused {
		a.expect("the resent "+id, isMsg(c.room+"/Ola", id))
	}
	time.Sleep(300 * time.Millisecond)
	delivered = map[string]int{}
	for _, b := range received(a, c.room) {
		delivered[b]++
	}
	entries := p.transcript(c.sid)
	kept := map[string]int{}
	for _, e := range entries {
		kept[e.Body]++
	}
	for i := 0; i < n; i++ {
		id := fmt.Sprintf("m%d", i)
		if delivered[id] != 1 || kept[id] != 1 {
			t.Errorf("%s delivered %d times, kept %d times; want 1 and 1", id, delivered[id], kept[id])
		}
	}
	t.Logf("sent %d during a 10 s store outage: %d delivered as sent (some late, held while the store was away), %d refused with a wait error and resent",
		n, n-len(refused), len(refused))
}

func (p *parley) transcript(sid string) []sessions.Entry {
	p.t.Helper()
	entries, _, _, err := p.store.Transcript(context.Background(), sessions.Query{Session: sid})
	if err != nil {
		p.t.Fatal(err)
	}
	return entries
}
