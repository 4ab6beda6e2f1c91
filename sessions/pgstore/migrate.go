package pgstore

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"regexp"
	"sort"
	"strconv"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

//go:embed migrations/*.sql
var migrationFS embed.FS

// migration is one numbered schema step.
type migration struct {
	version  int
	name     string
	up, down string
}

var migrationName = regexp.MustCompile(`^(\d{4})_([a-z0-9_]+)\.(up|down)\.sql$`)

// migrations returns the embedded migrations in ascending version order. Every
// version must have both an up and a down file.
func migrations() ([]migration, error) {
	files, err := fs.ReadDir(migrationFS, "migrations")
	if err != nil {
		return nil, err
	}
	byVersion := map[int]*migration{}
	for _, f := range files {
		m := migrationName.FindStringSubmatch(f.Name())
		if m == nil {
			return nil, fmt.Errorf("unexpected migration file name %q", f.Name())
		}
		v, _ := strconv.Atoi(m[1])
		body, err := fs.ReadFile(migrationFS, "migrations/"+f.Name())
		if err != nil {
			return nil, err
		}
		mg := byVersion[v]
		if mg == nil {
			mg = &migration{version: v, name: m[2]}
			byVersion[v] = mg
		}
		if m[3] == "up" {
			mg.up = string(body)
		} else {
			mg.down = string(body)
		}
	}
	out := make([]migration, 0, len(byVersion))
	for _, mg := range byVersion {
		if mg.up == "" || mg.down == "" {
			return nil, fmt.Errorf("migration %04d_%s lacks its up or down file", mg.version, mg.name)
		}
		out = append(out, *mg)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].version < out[j].version })
	return out, nil
}

// lockSQL takes a transaction-scoped advisory lock that serialises migrations
// of one schema: two processes starting at once apply each step once. The key
// includes current_schema() so that unrelated schemas of one database (one per
// test) do not wait for each other.
const lockSQL = `SELECT pg_advisory_xact_lock(hashtextextended('parley_migrations:' || current_schema(), 0))`

const createMigrationsTable = `CREATE TABLE IF NOT EXISTS parley_migrations (
	version    int         PRIMARY KEY,
	applied_at timestamptz NOT NULL DEFAULT now()
)`

// Migrate applies, in order, every embedded migration not yet recorded in
// parley_migrations, each in its own transaction. It is safe to call from
// several processes at once and does nothing when the schema is current.
func Migrate(ctx context.Context, pool *pgxpool.Pool) error {
	all, err := migrations()
	if err != nil {
		return fmt.Errorf("pgstore: migrate: %w", err)
	}
	for _, m := range all {
		if err := step(ctx, pool, m.version, func(applied bool) (string, string, bool) {
			return m.up, `INSERT INTO parley_migrations (version) VALUES ($1)`, !applied
		}); err != nil {
			return fmt.Errorf("pgstore: migrate: %04d_%s up: %w", m.version, m.name, err)
		}
	}
	return nil
}

// migrateDown undoes, newest first, every applied migration above version to
// (0 undoes them all). Only tests use it for now.
func migrateDown(ctx context.Context, pool *pgxpool.Pool, to int) error {
	all, err := migrations()
	if err != nil {
		return fmt.Errorf("pgstore: migrate down: %w", err)
	}
	for i := len(all) - 1; i >= 0; i-- {
		m := all[i]
		if m.version <= to {
			break
		}
		if err := step(ctx, pool, m.version, func(applied bool) (string, string, bool) {
			return m.down, `DELETE FROM parley_migrations WHERE version = $1`, applied
		}); err != nil {
			return fmt.Errorf("pgstore: migrate down: %04d_%s: %w", m.version, m.name, err)
		}
	}
	return nil
}

// step runs one migration direction in a transaction holding the advisory
// lock. plan is told whether the version is recorded as applied (read under
// the lock) and returns the script, the bookkeeping statement and whether to
// run them at all.
func step(ctx context.Context, pool *pgxpool.Pool, version int, plan func(applied bool) (script, record string, run bool)) error {
	return pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, lockSQL); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, createMigrationsTable); err != nil {
			return err
		}
		var applied bool
		if err := tx.QueryRow(ctx,
			`SELECT EXISTS (SELECT 1 FROM parley_migrations WHERE version = $1)`, version,
		).Scan(&applied); err != nil {
			return err
		}
		script, record, run := plan(applied)
		if !run {
			return nil
		}
		// No arguments: pgx sends it with the simple protocol, so a file may
		// hold several statements.
		if _, err := tx.Exec(ctx, script); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, record, version)
		return err
	})
}
