package pgstore

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/parley-chat/parley/sessions"
)

var knownPermissions = []string{sessions.PermChat, sessions.PermSupervise, sessions.PermAdmin}

// checkPermissions rejects an empty list and names every unknown permission.
func checkPermissions(perms []string) error {
	if len(perms) == 0 {
		return errors.New("no permission given")
	}
	var unknown []string
	for _, p := range perms {
		if !slices.Contains(knownPermissions, p) {
			unknown = append(unknown, fmt.Sprintf("%q", p))
		}
	}
	if len(unknown) > 0 {
		return fmt.Errorf("unknown permission %s (known: %s)",
			strings.Join(unknown, ", "), strings.Join(knownPermissions, ", "))
	}
	return nil
}

// Grant gives jid (a bare JID) the permissions; already granted ones are
// kept as they are. Listeners of NotifyChannel are woken.
func (s *Store) Grant(ctx context.Context, jid string, perms ...string) (err error) {
	defer s.observe("grant", time.Now(), &err)
	if err = checkPermissions(perms); err != nil {
		return fmt.Errorf("pgstore: grant: %w", err)
	}
	_, err = s.pool.Exec(ctx, `INSERT INTO permissions (jid, permission)
SELECT $1, p FROM unnest($2::text[]) AS p
ON CONFLICT (jid, permission) DO NOTHING`, jid, perms)
	if err != nil {
		return fmt.Errorf("pgstore: grant: %w", err)
	}
	return nil
}

// Revoke takes the permissions from jid; ones it does not have are ignored.
// Listeners of NotifyChannel are woken.
func (s *Store) Revoke(ctx context.Context, jid string, perms ...string) (err error) {
	defer s.observe("revoke", time.Now(), &err)
	if err = checkPermissions(perms); err != nil {
		return fmt.Errorf("pgstore: revoke: %w", err)
	}
	_, err = s.pool.Exec(ctx, `DELETE FROM permissions WHERE jid = $1 AND permission = ANY($2::text[])`, jid, perms)
	if err != nil {
		return fmt.Errorf("pgstore: revoke: %w", err)
	}
	return nil
}

// ListPermissions returns bare JID -> its permissions, sorted.
func (s *Store) ListPermissions(ctx context.Context) (out map[string][]string, err error) {
	defer s.observe("list_permissions", time.Now(), &err)
	rows, _ := s.pool.Query(ctx, permissionsSQL)
	out = map[string][]string{}
	var jid, perm string
	if _, err = pgx.ForEachRow(rows, []any{&jid, &perm}, func() error {
		out[jid] = append(out[jid], perm)
		return nil
	}); err != nil {
		return nil, fmt.Errorf("pgstore: list permissions: %w", err)
	}
	return out, nil
}

// SetAgentQueues restricts agent jid to the queues. An empty list removes the
// restriction (the agent may serve every queue again). Listeners of
// NotifyChannel are woken.
func (s *Store) SetAgentQueues(ctx context.Context, jid string, queues []string) (err error) {
	defer s.observe("set_agent_queues", time.Now(), &err)
	if len(queues) == 0 {
		_, err = s.pool.Exec(ctx, `DELETE FROM agents WHERE jid = $1`, jid)
	} else {
		_, err = s.pool.Exec(ctx, `INSERT INTO agents (jid, queues) VALUES ($1, $2)
ON CONFLICT (jid) DO UPDATE SET queues = excluded.queues`, jid, queues)
	}
	if err != nil {
		return fmt.Errorf("pgstore: set agent queues: %w", err)
	}
	return nil
}

// AgentQueues returns the queue restriction of every restricted agent.
func (s *Store) AgentQueues(ctx context.Context) (out map[string][]string, err error) {
	defer s.observe("agent_queues", time.Now(), &err)
	rows, _ := s.pool.Query(ctx, `SELECT jid, queues FROM agents ORDER BY jid`)
	out = map[string][]string{}
	var jid string
	var queues []string
	if _, err = pgx.ForEachRow(rows, []any{&jid, &queues}, func() error {
		out[jid] = queues
		return nil
	}); err != nil {
		return nil, fmt.Errorf("pgstore: agent queues: %w", err)
	}
	return out, nil
}

// CannedPut creates or replaces a canned response.
func (s *Store) CannedPut(ctx context.Context, c sessions.Canned) (err error) {
	defer s.observe("canned_put", time.Now(), &err)
	_, err = s.pool.Exec(ctx, `INSERT INTO canned (id, title, body, updated_at) VALUES ($1, $2, $3, now())
ON CONFLICT (id) DO UPDATE SET title = excluded.title, body = excluded.body, updated_at = excluded.updated_at`,
		c.ID, c.Title, c.Body)
	if err != nil {
		return fmt.Errorf("pgstore: canned put %q: %w", c.ID, err)
	}
	return nil
}

// CannedRemove deletes a canned response, or returns sessions.ErrNotFound.
func (s *Store) CannedRemove(ctx context.Context, id string) (err error) {
	defer s.observe("canned_remove", time.Now(), &err)
	tag, err := s.pool.Exec(ctx, `DELETE FROM canned WHERE id = $1`, id)
	if err == nil && tag.RowsAffected() == 0 {
		err = sessions.ErrNotFound
	}
	if err != nil {
		return fmt.Errorf("pgstore: canned remove %q: %w", id, err)
	}
	return nil
}

// ListSessions returns sessions newest first, only those in state unless it
// is "", at most limit of them unless limit <= 0.
func (s *Store) ListSessions(ctx context.Context, state sessions.State, limit int) (list []sessions.Record, err error) {
	defer s.observe("list_sessions", time.Now(), &err)
	var lim *int64 // NULL: LIMIT ALL
	if limit > 0 {
		l := int64(limit)
		lim = &l
	}
	rows, _ := s.pool.Query(ctx, `SELECT `+sessionCols+` FROM sessions
WHERE ($1 = '' OR state = $1) ORDER BY created_at DESC, id DESC LIMIT $2`, string(state), lim)
	list, err = pgx.CollectRows(rows, func(row pgx.CollectableRow) (sessions.Record, error) {
		return scanRecord(row)
	})
	if err != nil {
		return nil, fmt.Errorf("pgstore: list sessions: %w", err)
	}
	return list, nil
}
