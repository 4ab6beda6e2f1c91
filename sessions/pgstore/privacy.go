package pgstore

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/parley-chat/parley/sessions"
)

// Data protection: the transcript retention job (Purge) and `parleyd erase`
// (Erase) remove a visitor's personal data, which lives in the sessions row
// (visitor details, visitor JIDs, question), its transcript and agents (both
// cascade) and the visitor's token. Live sessions (queued, active, suspended,
// missed) are never removed: the running service holds them in memory and would
// write them back; they are reported as skipped.

// Erased is one session removed.
type Erased struct {
	Session string
	State   sessions.State
	Entries int64    // transcript entries removed with it
	Details []string // the visitor detail keys it held (name, email, …)
	JIDs    int      // visitor JIDs it held
}

// Skipped is a live session that matched and was left alone.
type Skipped struct {
	Session string
	State   sessions.State
}

// EraseReport says what Erase or Purge removed.
type EraseReport struct {
	Erased  []Erased
	Skipped []Skipped
	Tokens  int // visitor tokens removed (no session refers to them any more)
}

// EraseBy selects a visitor's sessions; exactly one field is set.
type EraseBy struct {
	Session   string
	Email     string // the visitor detail "email", compared case-insensitively
	TokenHash []byte // sessions.HashToken of the visitor's token
}

// Erase removes the sessions that by selects, with their transcripts, and
// the tokens no remaining session uses (the token given, when by names one,
// even if it had no session).
func (s *Store) Erase(ctx context.Context, by EraseBy) (rep EraseReport, err error) {
	defer s.observe("erase", time.Now(), &err)
	var where string
	var arg any
	switch {
	case by.Session != "":
		where, arg = `id = $1`, by.Session
	case by.Email != "":
		where, arg = `lower(visitor->>'email') = lower($1)`, by.Email
	case len(by.TokenHash) > 0:
		where, arg = `token_hash = $1`, by.TokenHash
	default:
		return rep, fmt.Errorf("pgstore: erase: nothing selected")
	}
	rep, err = s.remove(ctx, where, arg, by.TokenHash)
	if err != nil {
		return rep, fmt.Errorf("pgstore: erase: %w", err)
	}
	return rep, nil
}

// Purge removes the closed, expired and abandoned sessions that ended before before,
// with their transcripts, visitor details and the tokens no remaining session
// uses: the retention job.
func (s *Store) Purge(ctx context.Context, before time.Time) (rep EraseReport, err error) {
	defer s.observe("purge", time.Now(), &err)
	rep, err = s.remove(ctx, `state IN ('closed', 'expired', 'abandoned') AND coalesce(ended_at, updated_at) < $1`, before, nil)
	if err != nil {
		return rep, fmt.Errorf("pgstore: purge: %w", err)
	}
	return rep, nil
}

func (s *Store) remove(ctx context.Context, where string, arg any, token []byte) (EraseReport, error) {
	var rep EraseReport
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if epoch := s.fence.Load(); epoch > 0 {
			if _, err := tx.Exec(ctx, fenceSQL, epoch); err != nil {
				return fenced(err)
			}
		}
		rows, err := tx.Query(ctx, `SELECT id, state, token_hash, visitor, cardinality(visitor_jids),
	(SELECT count(*) FROM transcript t WHERE t.session_id = sessions.id)
FROM sessions WHERE `+where+` ORDER BY created_at, id FOR UPDATE`, arg)
		if err != nil {
			return err
		}
		var ids []string
		hashes := [][]byte{}
		if len(token) > 0 {
			hashes = append(hashes, token)
		}
		for rows.Next() {
			var e Erased
			var state string
			var hash []byte
			var visitor map[string]string
			if err := rows.Scan(&e.Session, &state, &hash, &visitor, &e.JIDs, &e.Entries); err != nil {
				rows.Close()
				return err
			}
			e.State = sessions.State(state)
			switch e.State {
			case sessions.StateClosed, sessions.StateExpired, sessions.StateAbandoned:
			default:
				rep.Skipped = append(rep.Skipped, Skipped{Session: e.Session, State: e.State})
				continue
			}
			for k := range visitor {
				e.Details = append(e.Details, k)
			}
			sort.Strings(e.Details)
			rep.Erased = append(rep.Erased, e)
			ids = append(ids, e.Session)
			if len(hash) > 0 {
				hashes = append(hashes, hash)
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		if len(ids) > 0 {
			if _, err := tx.Exec(ctx, `DELETE FROM sessions WHERE id = ANY($1)`, ids); err != nil {
				return err
			}
		}
		if len(hashes) > 0 {
			tag, err := tx.Exec(ctx, `DELETE FROM visitor_tokens v WHERE v.hash = ANY($1)
	AND NOT EXISTS (SELECT 1 FROM sessions s WHERE s.token_hash = v.hash)`, hashes)
			if err != nil {
				return err
			}
			rep.Tokens = int(tag.RowsAffected())
		}
		return nil
	})
	if err != nil {
		return EraseReport{}, err
	}
	return rep, nil
}
