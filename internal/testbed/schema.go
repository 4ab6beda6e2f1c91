package testbed

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// Schema creates an empty Postgres schema with a unique name, drops it (CASCADE)
// when the test ends, and returns a connection string for env's database whose
// connections use that schema: unqualified tables are created and looked up there
// only (search_path holds nothing else, not even public).
//
// Close the test's connections before its cleanups run (register their Close
// after calling Schema), or the drop waits for their locks. Schemas left behind by
// test processes that died are dropped by the next process that calls Schema.
func Schema(t testing.TB, env Env) string {
	t.Helper()
	name := "t_" + randomHex(8)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, env.DatabaseURL)
	if err != nil {
		t.Fatalf("testbed: connecting to Postgres: %v", err)
	}
	defer conn.Close(context.Background())
	sweepOnce.Do(func() { sweep(ctx, conn) })
	ident := pgx.Identifier{name}.Sanitize()
	if _, err := conn.Exec(ctx, "CREATE SCHEMA "+ident); err != nil {
		t.Fatalf("testbed: creating schema %s: %v", name, err)
	}
	if _, err := conn.Exec(ctx, "COMMENT ON SCHEMA "+ident+" IS "+quoteLiteral(owner())); err != nil {
		t.Fatalf("testbed: labelling schema %s: %v", name, err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		conn, err := pgx.Connect(ctx, env.DatabaseURL)
		if err != nil {
			t.Logf("testbed: leaving schema %s behind: %v", name, err)
			return
		}
		defer conn.Close(context.Background())
		_, err = conn.Exec(ctx, "SET lock_timeout = '10s'")
		if err == nil {
			_, err = conn.Exec(ctx, "DROP SCHEMA IF EXISTS "+ident+" CASCADE")
		}
		if err != nil {
			t.Logf("testbed: leaving schema %s behind (a connection of the test still open?): %v", name, err)
		}
	})
	return withSearchPath(env.DatabaseURL, name)
}

// withSearchPath adds search_path to a connection string; pgx sends parameters it
// does not know as run-time parameters of each connection.
func withSearchPath(dsn, schema string) string {
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		if u, err := url.Parse(dsn); err == nil {
			q := u.Query()
			q.Set("search_path", schema)
			u.RawQuery = q.Encode()
			return u.String()
		}
	}
	return dsn + " search_path=" + schema // keyword/value form; schema needs no quoting
}

var sweepOnce sync.Once

// owner labels a schema with the process that made it, for sweep.
func owner() string {
	host, _ := os.Hostname()
	return fmt.Sprintf("parley testbed: host=%s pid=%d", host, os.Getpid())
}

// sweep drops the schemas of test processes on this host that have ended without
// their cleanups (killed, or the database was down when they ended). It runs once
// per process; errors are ignored, a schema in use is left alone.
func sweep(ctx context.Context, conn *pgx.Conn) {
	host, _ := os.Hostname()
	rows, err := conn.Query(ctx, `SELECT nspname, obj_description(oid, 'pg_namespace')
		FROM pg_namespace WHERE nspname LIKE 't\_%' AND obj_description(oid, 'pg_namespace') LIKE 'parley testbed: %'`)
	if err != nil {
		return
	}
	var stale []string
	for rows.Next() {
		var name, comment string
		if rows.Scan(&name, &comment) != nil {
			continue
		}
		var h string
		var pid int
		if _, err := fmt.Sscanf(comment, "parley testbed: host=%s pid=%d", &h, &pid); err != nil {
			continue
		}
		if h == host && pid > 0 && !processAlive(pid) {
			stale = append(stale, name)
		}
	}
	rows.Close()
	if len(stale) == 0 {
		return
	}
	if _, err := conn.Exec(ctx, "SET lock_timeout = '1s'"); err != nil {
		return
	}
	for _, name := range stale {
		conn.Exec(ctx, "DROP SCHEMA IF EXISTS "+pgx.Identifier{name}.Sanitize()+" CASCADE")
	}
	conn.Exec(ctx, "RESET lock_timeout")
}

func quoteLiteral(s string) string {
	return "'" + strings.ReplaceAll(s, "'", "''") + "'"
}

func randomHex(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return hex.EncodeToString(b)
}
