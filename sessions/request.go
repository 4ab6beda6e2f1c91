// The chat request: validation, choosing to resume or create, creating the session.

package sessions

import (
	"encoding/hex"
	"unicode/utf8"

	"github.com/parley-chat/parley/muc"
	"github.com/parley-chat/parley/routing"
	"mellium.im/xmpp/jid"
)

// validRequest checks a request against the limits (PROTOCOL 9).
func (e *Engine) validRequest(c *RequestCmd) *muc.Error {
	if len(c.Body) > e.cfg.MaxBody {
		return muc.Errorf(muc.Modify, muc.BadRequest, "body longer than %d bytes", e.cfg.MaxBody)
	}
	if !utf8.ValidString(c.Body) {
		return muc.Errorf(muc.Modify, muc.BadRequest, "body is not valid UTF-8")
	}
	if len(c.Visitor) > e.cfg.MaxFields {
		return muc.Errorf(muc.Modify, muc.BadRequest, "more than %d visitor details", e.cfg.MaxFields)
	}
	for k, v := range c.Visitor {
		if len(k) > 64 || len(v) > e.cfg.MaxField {
			return muc.Errorf(muc.Modify, muc.BadRequest, "visitor detail %q longer than %d bytes", k, e.cfg.MaxField)
		}
	}
	if c.Queue != "" && !e.knownQueue(c.Queue) {
		return muc.Errorf(muc.Cancel, muc.ItemNotFound, "no queue %q", c.Queue)
	}
	return nil
}

func (e *Engine) knownQueue(q string) bool {
	for _, k := range e.cfg.Queues {
		if k == q {
			return true
		}
	}
	return false
}

func (e *Engine) request(q *IQ, c *RequestCmd) {
	if err := e.validRequest(c); err != nil {
		e.obs.Request("bad_request")
		e.replyErr(q, err)
		return
	}
	hash, wellFormed := HashToken(c.Token)
	live := []string(nil)
	if wellFormed {
		live = e.byToken[hex.EncodeToString(hash)]
	}
	known := wellFormed && (c.TokenKnown || len(live) > 0)
	if c.Probe {
		// Only a question: never creates anything, whatever else it carries.
		e.obs.Request("probe")
		if !known || len(live) == 0 {
			e.reply(q, nil)
			return
		}
		s, scenario := e.choose(live)
		e.obs.Prompt(scenario)
		e.reply(q, e.resumable(s))
		return
	}
	if known && !c.New && len(live) > 0 {
		if err := e.admit(q.From, hash, false); err != nil {
			e.replyErr(q, err)
			return
		}
		s, scenario := e.choose(live)
		if e.cfg.ReconnectAlways {
			e.obs.Request("reconnect")
			e.doReconnect(q, s, c.Token)
			return
		}
		e.obs.Prompt(scenario)
		e.obs.Request("prompt")
		e.reply(q, e.resumable(s))
		return
	}
	var knownHash []byte
	if known {
		knownHash = hash
	}
	if err := e.admit(q.From, knownHash, true); err != nil {
		e.replyErr(q, err)
		return
	}
	token := c.Token
	if !known {
		token = e.newToken()
		hash, _ = HashToken(token)
	}
	s, err := e.create(q.From, c, hash, "")
	if err != nil {
		e.obs.Request("queue_full")
		e.replyErr(q, err)
		return
	}
	e.obs.Request("created")
	e.reply(q, sessionAnswer(s, token, false))
}

// choose picks the session to offer for a token (PROTOCOL 3): the most
// recently suspended of those the visitor suspended explicitly, else the most
// recently started.
func (e *Engine) choose(ids []string) (*session, string) {
	var best *session
	for _, id := range ids {
		s := e.byID[id]
		if s.rec.State == StateSuspended && s.rec.SuspendedBy == ByVisitor && s.rec.Explicit {
			if best == nil || s.rec.SuspendedAt.After(best.rec.SuspendedAt) {
				best = s
			}
		}
	}
	if best != nil {
		return best, "explicit_suspend"
	}
	for _, id := range ids {
		s := e.byID[id]
		if best == nil || s.rec.CreatedAt.After(best.rec.CreatedAt) ||
			(s.rec.CreatedAt.Equal(best.rec.CreatedAt) && s.rec.ID > best.rec.ID) {
			best = s
		}
	}
	if len(ids) > 1 {
		return best, "most_recent"
	}
	return best, "in_progress"
}

// create starts a new session for a visitor and queues it.
func (e *Engine) create(from jid.JID, c *RequestCmd, tokenHash []byte, replaces string) (*session, *muc.Error) {
	queue := c.Queue
	if queue == "" {
		queue = e.cfg.Queues[0]
	}
	id := e.newSessionID()
	if _, err := e.router.Enqueue(id, queue, e.now); err != nil {
		if err == routing.ErrQueueFull {
			return nil, muc.Errorf(muc.Wait, muc.ResourceConstraint, "the %s queue is full; try again later", queue)
		}
		return nil, muc.Errorf(muc.Wait, muc.InternalServerError, "%v", err)
	}
	addr, _ := jid.New(id, e.cfg.Domain.Domainpart(), "")
	s := &session{
		rec: Record{
			ID: id, TokenHash: tokenHash, Queue: queue, State: StateQueued,
			VisitorJIDs: []string{from.String()}, Visitor: copyMap(c.Visitor), Question: c.Body,
			Replaces: replaces, CreatedAt: e.now,
		},
		room:    newRoom(addr, e.cfg.HistoryLimit),
		agents:  make(map[string]AgentRole),
		offered: make(map[string]bool),
		invited: make(map[string]bool),
		// The idle rule runs until the visitor joins: one who never comes is
		// suspended like one who left.
		visitorGone: e.now,
	}
	// A visitor who never joins abandons the queue like one who left it.
	s.rec.Deadline = e.now.Add(e.cfg.AbandonAfter)
	s.reserveNick(e.visitorNickOf(s), "visitor")
	s.room.SetSubject(e.subjectOf(s))
	e.byID[id] = s
	e.journal.created = append(e.journal.created, id)
	if len(tokenHash) > 0 {
		e.indexToken(id, tokenHash)
	}
	e.touch(s)
	if c.Body != "" {
		s.room.Record(e.line(s, "visitor", from.String(), e.visitorNickOf(s), KindMessage, c.Body, "", nil))
	}
	return s, nil
}

func subjectFor(v map[string]string) string {
	if n := v["name"]; n != "" {
		return "Chat with " + n
	}
	return "Chat with a visitor"
}

func copyMap(m map[string]string) map[string]string {
	c := make(map[string]string, len(m))
	for k, v := range m {
		c[k] = v
	}
	return c
}

// sessionAnswer is <session/> as in a request's result.
func sessionAnswer(s *session, token string, reconnect bool) *SessionAnswer {
	return &SessionAnswer{
		ID: s.rec.ID, Room: s.room.Addr(), State: s.rec.State, Token: token, SuspendedBy: s.rec.SuspendedBy,
		Cause: s.rec.SuspendCause, Started: s.rec.CreatedAt, Replaces: s.rec.Replaces, Nick: s.vnick,
		Reconnected: reconnect,
	}
}

// indexToken files session id under its visitor token, and writes the token
// (its hash) the first time the service sees it.
func (e *Engine) indexToken(id string, hash []byte) {
	k := hex.EncodeToString(hash)
	e.byToken[k] = append(e.byToken[k], id)
	if !e.tokens[k] {
		e.tokens[k] = true
		e.out.Batch.Tokens = append(e.out.Batch.Tokens, Token{Hash: hash, CreatedAt: e.now})
	}
}
