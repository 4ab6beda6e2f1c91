package pgstore

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/parley-chat/parley/sessions"
)

const sessionCols = `id, token_hash, queue, state, owner, visitor_jids, visitor, question,
	suspended_by, suspend_cause, explicit, replaces,
	created_at, assigned_at, suspended_at, ended_at, deadline, updated_at`

const liveStates = `('queued', 'active', 'suspended', 'missed')`

func scanRecord(row pgx.Row) (sessions.Record, error) {
	var (
		r                                                sessions.Record
		state                                            string
		created, assigned, suspended, ended, dl, updated pgtype.Timestamptz
	)
	err := row.Scan(&r.ID, &r.TokenHash, &r.Queue, &state, &r.Owner, &r.VisitorJIDs, &r.Visitor,
		&r.Question, &r.SuspendedBy, &r.SuspendCause, &r.Explicit, &r.Replaces,
		&created, &assigned, &suspended, &ended, &dl, &updated)
	if err != nil {
		return r, err
	}
	r.State = sessions.State(state)
	r.CreatedAt, r.AssignedAt, r.SuspendedAt = fromTS(created), fromTS(assigned), fromTS(suspended)
	r.EndedAt, r.Deadline, r.UpdatedAt = fromTS(ended), fromTS(dl), fromTS(updated)
	// Empty collections come back as nil, as a Record is usually built.
	if len(r.VisitorJIDs) == 0 {
		r.VisitorJIDs = nil
	}
	if len(r.Visitor) == 0 {
		r.Visitor = nil
	}
	if len(r.TokenHash) == 0 {
		r.TokenHash = nil
	}
	return r, nil
}

const agentCols = `session_id, jid, role, at`

func scanAgent(row pgx.CollectableRow) (sessions.SessionAgent, error) {
	var a sessions.SessionAgent
	err := row.Scan(&a.Session, &a.JID, &a.Role, &a.At)
	return a, err
}

const entryCols = `session_id, seq, at, author_role, author_jid, nick, kind, body, payload,
	COALESCE(origin_id, ''), COALESCE(origin_sender, '')`

func scanEntry(row pgx.CollectableRow) (sessions.Entry, error) {
	var e sessions.Entry
	err := row.Scan(&e.Session, &e.Seq, &e.At, &e.AuthorRole, &e.AuthorJID, &e.Nick, &e.Kind,
		&e.Body, &e.Payload, &e.OriginID, &e.OriginSender)
	return e, err
}

const permissionsSQL = `SELECT jid, permission FROM permissions ORDER BY jid, permission`

func collectPermissions(rows pgx.Rows) (map[string]map[string]bool, error) {
	perms := map[string]map[string]bool{}
	var jid, perm string
	_, err := pgx.ForEachRow(rows, []any{&jid, &perm}, func() error {
		if perms[jid] == nil {
			perms[jid] = map[string]bool{}
		}
		perms[jid][perm] = true
		return nil
	})
	return perms, err
}

// Load reads what the service needs to resume, in one round trip and one
// REPEATABLE READ snapshot: live sessions (oldest first), their agents, the
// last historyLimit entries of each (ascending seq), each one's highest seq
// (0 when it has no entry yet) and the permissions.
func (s *Store) Load(ctx context.Context, historyLimit int) (snap *sessions.Snapshot, err error) {
	defer s.observe("load", time.Now(), &err)
	snap = &sessions.Snapshot{
		History: map[string][]sessions.Entry{},
		LastSeq: map[string]int64{},
	}
	b := &pgx.Batch{}
	b.Queue("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
	b.Queue(`SELECT ` + sessionCols + ` FROM sessions WHERE state IN ` + liveStates +
		` ORDER BY created_at, id`).Query(func(rows pgx.Rows) error {
		var err error
		snap.Sessions, err = pgx.CollectRows(rows, func(row pgx.CollectableRow) (sessions.Record, error) {
			return scanRecord(row)
		})
		return err
	})
	b.Queue(`SELECT a.session_id, a.jid, a.role, a.at FROM session_agents a
JOIN sessions s ON s.id = a.session_id
WHERE s.state IN ` + liveStates + ` ORDER BY a.session_id, a.at, a.jid`).Query(func(rows pgx.Rows) error {
		var err error
		snap.Agents, err = pgx.CollectRows(rows, scanAgent)
		return err
	})
	if historyLimit > 0 {
		// LATERAL: a backward scan of the primary key per live session.
		b.Queue(`SELECT e.session_id, e.seq, e.at, e.author_role, e.author_jid, e.nick, e.kind, e.body, e.payload,
	COALESCE(e.origin_id, ''), COALESCE(e.origin_sender, '')
FROM sessions s CROSS JOIN LATERAL (
	SELECT * FROM transcript t WHERE t.session_id = s.id ORDER BY t.seq DESC LIMIT $1
) e
WHERE s.state IN `+liveStates+` ORDER BY e.session_id, e.seq`, historyLimit).Query(func(rows pgx.Rows) error {
			entries, err := pgx.CollectRows(rows, scanEntry)
			for _, e := range entries {
				snap.History[e.Session] = append(snap.History[e.Session], e)
			}
			return err
		})
	}
	b.Queue(`SELECT s.id, COALESCE((SELECT max(t.seq) FROM transcript t WHERE t.session_id = s.id), 0)
FROM sessions s WHERE s.state IN ` + liveStates).Query(func(rows pgx.Rows) error {
		var id string
		var seq int64
		_, err := pgx.ForEachRow(rows, []any{&id, &seq}, func() error {
			snap.LastSeq[id] = seq
			return nil
		})
		return err
	})
	b.Queue(permissionsSQL).Query(func(rows pgx.Rows) error {
		var err error
		snap.Permissions, err = collectPermissions(rows)
		return err
	})
	b.Queue("COMMIT")
	if err = s.sendBatch(ctx, b); err != nil {
		return nil, fmt.Errorf("pgstore: load: %w", err)
	}
	return snap, nil
}

// Permissions returns bare JID -> permission -> true.
func (s *Store) Permissions(ctx context.Context) (perms map[string]map[string]bool, err error) {
	defer s.observe("permissions", time.Now(), &err)
	rows, _ := s.pool.Query(ctx, permissionsSQL)
	if perms, err = collectPermissions(rows); err != nil {
		return nil, fmt.Errorf("pgstore: permissions: %w", err)
	}
	return perms, nil
}

// TokenKnown reports whether a visitor token with this hash was stored.
func (s *Store) TokenKnown(ctx context.Context, hash []byte) (known bool, err error) {
	defer s.observe("token_known", time.Now(), &err)
	err = s.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM visitor_tokens WHERE hash = $1)`, hash).Scan(&known)
	if err != nil {
		return false, fmt.Errorf("pgstore: token known: %w", err)
	}
	return known, nil
}

// Session returns one session, of any state, and its agents (by arrival), in
// one round trip. It returns sessions.ErrNotFound when there is no such
// session.
func (s *Store) Session(ctx context.Context, id string) (rec sessions.Record, agents []sessions.SessionAgent, err error) {
	defer s.observe("session", time.Now(), &err)
	// Rows, not QueryRow: an error inside a batch (pgx.ErrNoRows included)
	// makes pgx drop the connection's cached statements.
	var recs []sessions.Record
	b := &pgx.Batch{}
	b.Queue(`SELECT `+sessionCols+` FROM sessions WHERE id = $1`, id).Query(func(rows pgx.Rows) error {
		var err error
		recs, err = pgx.CollectRows(rows, func(row pgx.CollectableRow) (sessions.Record, error) {
			return scanRecord(row)
		})
		return err
	})
	b.Queue(`SELECT `+agentCols+` FROM session_agents WHERE session_id = $1 ORDER BY at, jid`, id).
		Query(func(rows pgx.Rows) error {
			var err error
			agents, err = pgx.CollectRows(rows, scanAgent)
			return err
		})
	if err = s.sendBatch(ctx, b); err == nil && len(recs) == 0 {
		err = sessions.ErrNotFound
	}
	if err != nil {
		return sessions.Record{}, nil, fmt.Errorf("pgstore: session %q: %w", id, err)
	}
	rec = recs[0]
	return rec, agents, nil
}

// Transcript pages through one session's transcript (XEP-0313 with RSM).
//
// The result set is the session's entries within [Start, End] (each bound
// ignored when zero), without comments when NoComments. The page is the part
// of it strictly between AfterSeq and BeforeSeq (0: unbounded): its first Max
// entries, or its last Max when Last; entries are always in ascending seq.
// Max <= 0 means no page limit. complete reports that the page reaches the
// end of the result set in the paging direction (forward: nothing after the
// page's last entry; Last: nothing before its first). count is the size of
// the whole result set, ignoring AfterSeq, BeforeSeq and Max, so it is the
// same on every page (RSM <count/>).
func (s *Store) Transcript(ctx context.Context, q sessions.Query) (entries []sessions.Entry, complete bool, count int, err error) {
	defer s.observe("transcript", time.Now(), &err)
	before := q.BeforeSeq
	if before <= 0 {
		before = math.MaxInt64
	}
	var limit *int64 // NULL: LIMIT ALL
	if q.Max > 0 {
		l := int64(q.Max) + 1 // one more to know whether the page is the last
		limit = &l
	}
	const filter = `session_id = $1
	AND ($2::timestamptz IS NULL OR at >= $2)
	AND ($3::timestamptz IS NULL OR at <= $3)
	AND NOT ($4::boolean AND kind = 'comment')`
	order := "ASC"
	if q.Last {
		order = "DESC"
	}
	b := &pgx.Batch{}
	b.Queue(`SELECT `+entryCols+` FROM transcript WHERE `+filter+`
	AND seq > $5 AND seq < $6
ORDER BY seq `+order+` LIMIT $7`,
		q.Session, ts(q.Start), ts(q.End), q.NoComments, q.AfterSeq, before, limit,
	).Query(func(rows pgx.Rows) error {
		var err error
		entries, err = pgx.CollectRows(rows, scanEntry)
		return err
	})
	b.Queue(`SELECT count(*) FROM transcript WHERE `+filter,
		q.Session, ts(q.Start), ts(q.End), q.NoComments,
	).QueryRow(func(row pgx.Row) error { return row.Scan(&count) })
	if err = s.sendBatch(ctx, b); err != nil {
		return nil, false, 0, fmt.Errorf("pgstore: transcript %q: %w", q.Session, err)
	}
	complete = true
	if q.Max > 0 && len(entries) > q.Max {
		complete = false
		entries = entries[:q.Max]
	}
	if q.Last {
		slices.Reverse(entries)
	}
	return entries, complete, count, nil
}

// CannedList returns every canned response, by id.
func (s *Store) CannedList(ctx context.Context) (list []sessions.Canned, err error) {
	defer s.observe("canned_list", time.Now(), &err)
	rows, _ := s.pool.Query(ctx, `SELECT id, title, body FROM canned ORDER BY id`)
	list, err = pgx.CollectRows(rows, func(row pgx.CollectableRow) (sessions.Canned, error) {
		var c sessions.Canned
		err := row.Scan(&c.ID, &c.Title, &c.Body)
		return c, err
	})
	if err != nil {
		return nil, fmt.Errorf("pgstore: canned list: %w", err)
	}
	return list, nil
}

// Canned returns one canned response, or sessions.ErrNotFound.
func (s *Store) Canned(ctx context.Context, id string) (c sessions.Canned, err error) {
	defer s.observe("canned", time.Now(), &err)
	err = s.pool.QueryRow(ctx, `SELECT id, title, body FROM canned WHERE id = $1`, id).
		Scan(&c.ID, &c.Title, &c.Body)
	if err != nil {
		if errors.Is(err, pgx.ErrNoRows) {
			err = sessions.ErrNotFound
		}
		return sessions.Canned{}, fmt.Errorf("pgstore: canned %q: %w", id, err)
	}
	return c, nil
}
