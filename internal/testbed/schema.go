package testbed

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"strings"
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
// after calling Schema), or the drop waits for their locks.
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
	ident := pgx.Identifier{name}.Sanitize()
	if _, err := conn.Exec(ctx, "CREATE SCHEMA "+ident); err != nil {
		t.Fatalf("testbed: creating schema %s: %v", name, err)
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

func randomHex(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return hex.EncodeToString(b)
}
