package pgstore

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/parley-chat/parley/sessions"
	"github.com/parley-chat/parley/wire"
)

const (
	insertToken = `INSERT INTO visitor_tokens (hash, created_at) VALUES ($1, $2)
ON CONFLICT (hash) DO NOTHING`

	upsertSession = `INSERT INTO sessions (id, token_hash, queue, state, owner, visitor_jids, visitor,
	question, suspended_by, suspend_cause, explicit, replaces,
	created_at, assigned_at, suspended_at, ended_at, deadline, updated_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)
ON CONFLICT (id) DO UPDATE SET
	token_hash = excluded.token_hash, queue = excluded.queue, state = excluded.state,
	owner = excluded.owner, visitor_jids = excluded.visitor_jids, visitor = excluded.visitor,
	question = excluded.question, suspended_by = excluded.suspended_by,
	suspend_cause = excluded.suspend_cause, explicit = excluded.explicit,
	replaces = excluded.replaces, created_at = excluded.created_at,
	assigned_at = excluded.assigned_at, suspended_at = excluded.suspended_at,
	ended_at = excluded.ended_at, deadline = excluded.deadline, updated_at = excluded.updated_at`

	insertAgent = `INSERT INTO session_agents (session_id, jid, role, at) VALUES ($1, $2, $3, $4)
ON CONFLICT (session_id, jid) DO NOTHING`

	// All of a batch's entries in one statement: one array per column.
	// An entry whose (session, origin sender, origin-id) is already kept is
	// left out (migration 0013): the engine refuses repeats it remembers,
	// the index those it no longer does.
	insertEntries = `INSERT INTO transcript (session_id, seq, at, author_role, author_jid, nick, kind, body, payload,
	origin_id, origin_sender)
SELECT * FROM unnest($1::text[], $2::bigint[], $3::timestamptz[], $4::text[], $5::text[],
	$6::text[], $7::text[], $8::text[], $9::text[], $10::text[], $11::text[])
ON CONFLICT (session_id, origin_sender, origin_id) WHERE origin_id IS NOT NULL DO NOTHING`

	// A batch of one entry (the quiet path: one message, one commit) in a
	// plain VALUES row: the server plans and runs it in about 50 µs less than
	// the unnest of eleven one-element arrays (docs/benchmarks.md, "The quiet
	// path, stage by stage"). Same columns, same conflict rule.
	insertEntry = `INSERT INTO transcript (session_id, seq, at, author_role, author_jid, nick, kind, body, payload,
	origin_id, origin_sender)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
ON CONFLICT (session_id, origin_sender, origin_id) WHERE origin_id IS NOT NULL DO NOTHING`
)

// replaySQL is a transcript insert for a replayed batch (Batch.Replay):
// any conflict, the (session, seq) key's included, leaves the row there as
// it is, so a batch that did commit although its attempt failed commits
// again without error instead of failing on its own rows for ever. The
// origin-id rule is kept: it is a conflict too.
func replaySQL(insert string) string {
	return insert[:strings.LastIndex(insert, "ON CONFLICT")] + "ON CONFLICT DO NOTHING"
}

var (
	replayEntries = replaySQL(insertEntries)
	replayEntry   = replaySQL(insertEntry)
)

// transcriptColumns holds a batch's entries column by column for unnest.
type transcriptColumns struct {
	session, role, jid, nick, kind, body, payload []string
	origin, originBy                              []*string // NULL when the entry has no origin-id
	seq                                           []int64
	at                                            []pgtype.Timestamptz
}

// Commit writes b atomically in one network round trip: the statements are
// queued in a pgx.Batch and pipelined by SendBatch, which ends them with one
// Sync, so the server runs them as one implicit transaction (PostgreSQL's
// extended protocol; pgx documents it on SendBatch): no BEGIN and COMMIT of
// our own, two statements fewer for every commit.
// Tokens, sessions and session agents (few per batch) get one statement per
// row, in that order for the foreign keys, so a session upserted twice in a
// batch ends as its last Record; the transcript (the bulk) is one INSERT of
// unnest-ed column arrays, whatever the number of entries (one entry alone is
// one VALUES row: insertEntry). The server skips
// everything after a failing statement, so a failed batch leaves nothing
// behind. (A connection's first use of each statement costs one more round
// trip to prepare it; pgx caches it after.) An empty batch does not touch the
// database.
func (s *Store) Commit(ctx context.Context, b *sessions.Batch) (err error) {
	defer s.observe("commit", time.Now(), &err)
	if b == nil || b.Empty() {
		return nil
	}
	pb := &pgx.Batch{QueuedQueries: make([]*pgx.QueuedQuery, 0,
		2+len(b.Tokens)+len(b.Sessions)+len(b.Agents))}
	if epoch := s.fence.Load(); epoch > 0 {
		pb.Queue(fenceSQL, epoch)
	}
	for _, t := range b.Tokens {
		pb.Queue(insertToken, t.Hash, ts(t.CreatedAt))
	}
	for _, r := range b.Sessions {
		pb.Queue(upsertSession, r.ID, r.TokenHash, r.Queue, string(r.State), r.Owner,
			nonNilStrings(r.VisitorJIDs), nonNilMap(r.Visitor), r.Question, r.SuspendedBy,
			r.SuspendCause, r.Explicit, r.Replaces, ts(r.CreatedAt), ts(r.AssignedAt),
			ts(r.SuspendedAt), ts(r.EndedAt), ts(r.Deadline), ts(r.UpdatedAt))
	}
	for _, a := range b.Agents {
		pb.Queue(insertAgent, a.Session, a.JID, a.Role, ts(a.At))
	}
	one, many := insertEntry, insertEntries
	if b.Replay {
		one, many = replayEntry, replayEntries
	}
	if n := len(b.Transcript); n == 1 {
		e := &b.Transcript[0]
		var origin, originBy *string // NULL when the entry has no origin-id
		if e.OriginID != "" {
			id, by := e.OriginID, e.OriginSender
			origin, originBy = &id, &by
		}
		pb.Queue(one, e.Session, e.Seq, ts(e.At), e.AuthorRole, e.AuthorJID, e.Nick,
			string(e.Kind), e.Body, wire.TranscriptPayload(*e), origin, originBy)
	} else if n > 1 {
		c := transcriptColumns{
			session: make([]string, n), seq: make([]int64, n), at: make([]pgtype.Timestamptz, n),
			role: make([]string, n), jid: make([]string, n), nick: make([]string, n),
			kind: make([]string, n), body: make([]string, n), payload: make([]string, n),
			origin: make([]*string, n), originBy: make([]*string, n),
		}
		for i, e := range b.Transcript {
			c.session[i], c.seq[i], c.at[i] = e.Session, e.Seq, ts(e.At)
			c.role[i], c.jid[i], c.nick[i] = e.AuthorRole, e.AuthorJID, e.Nick
			c.kind[i], c.body[i], c.payload[i] = string(e.Kind), e.Body, wire.TranscriptPayload(e)
			if e.OriginID != "" {
				id, by := e.OriginID, e.OriginSender
				c.origin[i], c.originBy[i] = &id, &by
			}
		}
		pb.Queue(many, c.session, c.seq, c.at, c.role, c.jid, c.nick, c.kind, c.body, c.payload,
			c.origin, c.originBy)
	}
	if err = s.sendBatch(ctx, pb); err != nil {
		return fmt.Errorf("pgstore: commit: %w", fenced(err))
	}
	return nil
}

func nonNilStrings(v []string) []string {
	if v == nil {
		return []string{}
	}
	return v
}

func nonNilMap(v map[string]string) map[string]string {
	if v == nil {
		return map[string]string{}
	}
	return v
}
