package testbed

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

func TestParseEnv(t *testing.T) {
	vars := parseEnv([]byte(`# comment
export A='plain value'
export B="dq \"x\" \$y"
C=bare\ word # trailing comment
export D='it'\''s'
export 1X=ignored
not a variable
export E=
`))
	want := map[string]string{"A": "plain value", "B": `dq "x" $y`, "C": "bare word", "D": "it's", "E": ""}
	if len(vars) != len(want) {
		t.Errorf("got %d variables %q, want %d", len(vars), vars, len(want))
	}
	for k, v := range want {
		if vars[k] != v {
			t.Errorf("%s = %q, want %q", k, vars[k], v)
		}
	}
}

func TestWithSearchPath(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"postgres://u@h:5/db?sslmode=disable", "postgres://u@h:5/db?search_path=t_1&sslmode=disable"},
		{"postgresql://h/db", "postgresql://h/db?search_path=t_1"},
		{"host=h dbname=db", "host=h dbname=db search_path=t_1"},
	} {
		if got := withSearchPath(c.in, "t_1"); got != c.want {
			t.Errorf("withSearchPath(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestFreePort(t *testing.T) {
	if p := FreePort(t); p <= 0 || p > 65535 {
		t.Fatalf("FreePort = %d", p)
	}
}

func TestSchemaIsolates(t *testing.T) {
	env := Get(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	connect := func(dsn string) *pgx.Conn {
		t.Helper()
		c, err := pgx.Connect(ctx, dsn)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close(context.Background()) })
		return c
	}
	dsnA, dsnB := Schema(t, env), Schema(t, env)
	if dsnA == dsnB {
		t.Fatalf("two calls gave the same DSN %q", dsnA)
	}
	a, b := connect(dsnA), connect(dsnB)

	var schemaA string
	if err := a.QueryRow(ctx, "SELECT current_schema()").Scan(&schemaA); err != nil {
		t.Fatal(err)
	}
	if len(schemaA) < 3 || schemaA[:2] != "t_" {
		t.Fatalf("current_schema() = %q; search_path from the DSN not applied", schemaA)
	}
	if _, err := a.Exec(ctx, "CREATE TABLE items (id int PRIMARY KEY)"); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Exec(ctx, "INSERT INTO items VALUES (1)"); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := a.QueryRow(ctx, "SELECT count(*) FROM items").Scan(&n); err != nil || n != 1 {
		t.Fatalf("count in the creating schema = %d, %v", n, err)
	}
	var found *string
	if err := b.QueryRow(ctx, "SELECT to_regclass('items')::text").Scan(&found); err != nil {
		t.Fatal(err)
	}
	if found != nil {
		t.Fatalf("table created in schema %s is visible from the other schema as %s", schemaA, *found)
	}
	// The same name can be created in the other schema.
	if _, err := b.Exec(ctx, "CREATE TABLE items (id int PRIMARY KEY)"); err != nil {
		t.Fatal(err)
	}
}

func TestSchemaDropped(t *testing.T) {
	env := Get(t)
	var name string
	t.Run("inner", func(t *testing.T) {
		dsn := Schema(t, env)
		c, err := pgx.Connect(context.Background(), dsn)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close(context.Background())
		if err := c.QueryRow(context.Background(), "SELECT current_schema()").Scan(&name); err != nil {
			t.Fatal(err)
		}
		if _, err := c.Exec(context.Background(), "CREATE TABLE x (id int)"); err != nil {
			t.Fatal(err)
		}
	})
	c, err := pgx.Connect(context.Background(), env.DatabaseURL)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(context.Background())
	var exists bool
	err = c.QueryRow(context.Background(),
		"SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = $1)", name).Scan(&exists)
	if err != nil {
		t.Fatal(err)
	}
	if name == "" || exists {
		t.Fatalf("schema %q still exists after its test ended", name)
	}
}

func TestComponentExclusive(t *testing.T) {
	env := Get(t)
	var mu sync.Mutex
	held := map[string]bool{}
	maxHeld := 0
	// Three times as many tests as components, all at once (t.Run from goroutines is
	// not limited by -parallel): most must wait for a release.
	var wg sync.WaitGroup
	for i := range 3 * len(env.Components) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			t.Run(fmt.Sprint(i), func(t *testing.T) {
				c := Component(t, env)
				// Other processes are kept off by the lock file, held now.
				if release, ok, err := tryLock(filepath.Join(lockDir(), c+".lock")); err != nil || ok {
					if ok {
						release()
					}
					t.Errorf("lock file of %s not held: ok=%v err=%v", c, ok, err)
				}
				mu.Lock()
				if held[c] {
					mu.Unlock()
					t.Fatalf("component %s handed out twice at once", c)
				}
				held[c] = true
				maxHeld = max(maxHeld, len(held))
				mu.Unlock()
				// Registered after Component's own cleanup, so it runs before the release.
				t.Cleanup(func() {
					mu.Lock()
					delete(held, c)
					mu.Unlock()
				})
				time.Sleep(20 * time.Millisecond)
			})
		}()
	}
	wg.Wait()
	if maxHeld > len(env.Components) || maxHeld == 0 {
		t.Fatalf("at most %d components held at once, out of %d", maxHeld, len(env.Components))
	}
	t.Logf("at most %d of %d components held at once", maxHeld, len(env.Components))
}

// The lock that keeps other processes off a component: a second flock on the same
// file (a separate open file, as another process would have) is refused until the
// first is released.
func TestComponentLockFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "selftest.lock")
	release, ok, err := tryLock(path)
	if err != nil || !ok {
		t.Fatalf("first lock: ok=%v err=%v", ok, err)
	}
	if _, ok, err := tryLock(path); err != nil || ok {
		t.Fatalf("second lock while held: ok=%v err=%v, want refused", ok, err)
	}
	release()
	release2, ok, err := tryLock(path)
	if err != nil || !ok {
		t.Fatalf("lock after release: ok=%v err=%v", ok, err)
	}
	release2()
}

// Schemas whose process has died are swept; those of live processes are not.
func TestSweep(t *testing.T) {
	env := Get(t)
	ctx := context.Background()
	c, err := pgx.Connect(ctx, env.DatabaseURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close(ctx) }) // after the drops registered below

	cmd := exec.Command("true")
	if err := cmd.Run(); err != nil {
		t.Fatalf("no process to outlive: %v", err)
	}
	dead := cmd.Process.Pid
	host, _ := os.Hostname()
	deadName, liveName := "t_"+randomHex(8), "t_"+randomHex(8)
	for name, pid := range map[string]int{deadName: dead, liveName: os.Getpid()} {
		ident := pgx.Identifier{name}.Sanitize()
		comment := fmt.Sprintf("parley testbed: host=%s pid=%d", host, pid)
		if _, err := c.Exec(ctx, "CREATE SCHEMA "+ident+"; COMMENT ON SCHEMA "+ident+" IS "+quoteLiteral(comment)); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Exec(context.Background(), "DROP SCHEMA IF EXISTS "+ident+" CASCADE") })
	}
	sweep(ctx, c)
	exists := func(name string) bool {
		var ok bool
		if err := c.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = $1)", name).Scan(&ok); err != nil {
			t.Fatal(err)
		}
		return ok
	}
	if exists(deadName) {
		t.Errorf("schema %s of dead process %d not swept", deadName, dead)
	}
	if !exists(liveName) {
		t.Errorf("schema %s of this live process swept", liveName)
	}
}

// The same component domain on the test bed's ejabberd is another lock than on
// its Prosody, so the e2e suite can run on both at once.
func TestLockNamePerServer(t *testing.T) {
	p := lockName(Env{Server: "prosody"}, "chat1.example.test")
	if p != "chat1.example.test.lock" || lockName(Env{}, "chat1.example.test") != p {
		t.Errorf("Prosody's lock %q changed", p)
	}
	if e := lockName(Env{Server: "ejabberd"}, "chat1.example.test"); e == p || e != "ejabberd-chat1.example.test.lock" {
		t.Errorf("ejabberd's lock = %q", e)
	}
}
