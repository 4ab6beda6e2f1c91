package pgstore

import (
	"context"
	"errors"
	"testing"

	"github.com/parley-chat/parley/sessions"
)

// privacyFixture: three sessions of one visitor (token "ann", e-mail
// Ann@Example.org) — closed long ago, expired recently, active now — and one
// closed session of another visitor, each with transcript and an agent.
func privacyFixture(t *testing.T, s *Store) {
	t.Helper()
	mk := func(id string, state sessions.State, created int, token, email string) sessions.Record {
		r := record(id, state, created)
		r.TokenHash = hash(token)
		r.Visitor["email"] = email
		if state == sessions.StateClosed || state == sessions.StateExpired || state == sessions.StateAbandoned {
			r.EndedAt = at(created + 10)
		}
		return r
	}
	b := &sessions.Batch{
		Tokens: []sessions.Token{{Hash: hash("ann"), CreatedAt: at(0)}, {Hash: hash("bob"), CreatedAt: at(0)}, {Hash: hash("cat"), CreatedAt: at(0)}},
		Sessions: []sessions.Record{
			mk("old", sessions.StateClosed, 0, "ann", "ann@example.org"),
			mk("recent", sessions.StateExpired, 1000, "ann", "Ann@Example.org"),
			mk("live", sessions.StateActive, 2000, "ann", "ann@example.org"),
			mk("bobs", sessions.StateClosed, 0, "bob", "bob@example.org"),
			mk("left", sessions.StateAbandoned, 0, "cat", "cat@example.org"),
			mk("note", sessions.StateMissed, 0, "cat", "cat@example.org"),
		},
	}
	for _, id := range []string{"old", "recent", "live", "bobs", "left", "note"} {
		b.Agents = append(b.Agents, sessions.SessionAgent{Session: id, JID: "agent1@example.test", Role: "owner", At: at(1)})
		b.Transcript = append(b.Transcript, entry(id, 1, "message"), entry(id, 2, "message"))
	}
	commit(t, s, b)
}

func exists(t *testing.T, s *Store, id string) bool {
	t.Helper()
	_, _, err := s.Session(context.Background(), id)
	if errors.Is(err, sessions.ErrNotFound) {
		return false
	}
	if err != nil {
		t.Fatal(err)
	}
	return true
}

func tokenRow(t *testing.T, s *Store, name string) bool {
	t.Helper()
	known, err := s.TokenKnown(context.Background(), hash(name))
	if err != nil {
		t.Fatal(err)
	}
	return known
}

func transcriptRows(t *testing.T, s *Store, id string) int {
	t.Helper()
	var n int
	if err := s.pool.QueryRow(context.Background(), `SELECT count(*) FROM transcript WHERE session_id = $1`, id).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// Retention: closed and expired sessions that ended before the cutoff go,
// with transcript, agents and the tokens nothing else uses; live and newer
// ones stay.
func TestPurge(t *testing.T) {
	s, _ := newStore(t)
	privacyFixture(t, s)
	rep, err := s.Purge(ctxT(t), at(500))
	if err != nil {
		t.Fatal(err)
	}
	purged := map[string]bool{}
	for _, e := range rep.Erased {
		purged[e.Session] = true
		if e.Entries != 2 || len(e.Details) != 2 || e.Details[0] != "email" || e.Details[1] != "name" || e.JIDs != 1 {
			t.Errorf("report %+v, want 2 entries, details email and name, 1 JID", e)
		}
	}
	if len(rep.Erased) != 3 || !purged["old"] || !purged["bobs"] || !purged["left"] {
		t.Errorf("purged %+v, want old, bobs and left (abandoned; the missed one is live)", rep.Erased)
	}
	if rep.Tokens != 1 {
		t.Errorf("%d tokens removed, want 1 (bob's; ann's and cat's are still in use)", rep.Tokens)
	}
	for id, want := range map[string]bool{"old": false, "bobs": false, "left": false, "recent": true, "live": true, "note": true} {
		if exists(t, s, id) != want {
			t.Errorf("session %s exists: %v, want %v", id, !want, want)
		}
	}
	if n := transcriptRows(t, s, "old"); n != 0 {
		t.Errorf("%d transcript rows left of a purged session", n)
	}
	if tokenRow(t, s, "bob") || !tokenRow(t, s, "ann") {
		t.Error("tokens: bob's should be gone, ann's kept")
	}
	var agents int
	if err := s.pool.QueryRow(ctxT(t), `SELECT count(*) FROM session_agents WHERE session_id IN ('old', 'bobs')`).Scan(&agents); err != nil || agents != 0 {
		t.Errorf("%d session_agents rows left (%v)", agents, err)
	}
	// Nothing more to purge at the same cutoff.
	if rep, err := s.Purge(ctxT(t), at(500)); err != nil || len(rep.Erased) != 0 {
		t.Errorf("second purge: %+v %v", rep, err)
	}
}

func TestEraseByEmailTokenSession(t *testing.T) {
	s, _ := newStore(t)
	privacyFixture(t, s)
	// By e-mail, case-insensitively: both of Ann's ended sessions; the live
	// one is skipped, so her token stays.
	rep, err := s.Erase(ctxT(t), EraseBy{Email: "ANN@example.org"})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Erased) != 2 || len(rep.Skipped) != 1 || rep.Skipped[0].Session != "live" || rep.Tokens != 0 {
		t.Errorf("erase by e-mail: %+v", rep)
	}
	if exists(t, s, "old") || exists(t, s, "recent") || !exists(t, s, "live") || !exists(t, s, "bobs") {
		t.Error("erase by e-mail removed the wrong sessions")
	}
	// By token: Bob's session and his token.
	rep, err = s.Erase(ctxT(t), EraseBy{TokenHash: hash("bob")})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Erased) != 1 || rep.Erased[0].Session != "bobs" || rep.Tokens != 1 || tokenRow(t, s, "bob") {
		t.Errorf("erase by token: %+v", rep)
	}
	// By session: a live one is refused (skipped), and stays whole.
	rep, err = s.Erase(ctxT(t), EraseBy{Session: "live"})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Erased) != 0 || len(rep.Skipped) != 1 || transcriptRows(t, s, "live") != 2 {
		t.Errorf("erase of a live session: %+v", rep)
	}
	// Once it is closed it can go, and its token with it.
	r := record("live", sessions.StateClosed, 2000)
	r.TokenHash, r.EndedAt = hash("ann"), at(2010)
	commit(t, s, &sessions.Batch{Sessions: []sessions.Record{r}})
	rep, err = s.Erase(ctxT(t), EraseBy{Session: "live"})
	if err != nil || len(rep.Erased) != 1 || rep.Tokens != 1 || tokenRow(t, s, "ann") {
		t.Errorf("erase of the closed session: %+v %v", rep, err)
	}
	var left int
	if err := s.pool.QueryRow(ctxT(t), `SELECT (SELECT count(*) FROM sessions WHERE id NOT IN ('left', 'note'))
	+ (SELECT count(*) FROM transcript WHERE session_id NOT IN ('left', 'note'))
	+ (SELECT count(*) FROM visitor_tokens WHERE hash <> $1)`, hash("cat")).Scan(&left); err != nil || left != 0 {
		t.Errorf("%d rows of visitor data left (%v)", left, err)
	}
	if _, err := s.Erase(ctxT(t), EraseBy{}); err == nil {
		t.Error("erase with nothing selected succeeded")
	}
}

// A fenced store (an old active parleyd) cannot purge.
func TestPurgeFenced(t *testing.T) {
	s, _ := newStore(t)
	privacyFixture(t, s)
	s.SetFence(7) // not the current epoch
	if _, err := s.Purge(ctxT(t), at(500)); !errors.Is(err, sessions.ErrFenced) {
		t.Errorf("fenced purge: %v", err)
	}
	if !exists(t, s, "old") {
		t.Error("a fenced purge removed a session")
	}
}
