package sessions

import (
	"encoding/hex"
	"sort"
	"time"

	"github.com/parley-chat/parley/muc"
	"mellium.im/xmpp/jid"
)

// suspend moves s to suspended (PROTOCOL 5).
func (e *Engine) suspend(s *session, by SuspendedBy, cause string, explicit bool) {
	if s.rec.State == StateQueued {
		e.router.Remove(s.rec.ID)
	}
	if s.rec.Owner != "" {
		e.router.Release(s.rec.Owner, s.rec.ID)
	}
	s.rec.State = StateSuspended
	s.rec.SuspendedBy = by
	s.rec.SuspendCause = cause
	s.rec.Explicit = explicit
	s.rec.SuspendedAt = e.now
	s.rec.Deadline = e.now.Add(e.cfg.SuspendTimeout)
	e.suspendedInQueue(s)
	s.reconnected = false
	e.touch(s)
	e.obs.Suspend(string(by), cause)
	body := "Chat suspended by the " + string(by)
	if by == BySystem {
		body = "Chat suspended: the visitor is away"
	}
	if cause != "" {
		body += " (" + cause + ")"
	}
	e.event(s, Event{Type: "suspended", By: string(by), Cause: cause}, body)
}

// resume makes a suspended session active again; how is what resumed it.
func (e *Engine) resume(s *session, how string) {
	if s.rec.Owner == "" {
		// Suspended before any agent took it: it waits again.
		s.rec.State = StateQueued
		s.rec.SuspendedBy, s.rec.SuspendCause, s.rec.Explicit = "", "", false
		s.rec.SuspendedAt, s.rec.Deadline = timeZero, timeZero
		e.router.Enqueue(s.rec.ID, s.rec.Queue, s.rec.CreatedAt) //nolint:errcheck // a requeue is never refused for length
		e.awaitVisitor(s)
		e.touch(s)
		return
	}
	e.router.Occupy(s.rec.Owner, s.rec.ID)
	s.rec.State = StateActive
	s.rec.SuspendedBy, s.rec.SuspendCause, s.rec.Explicit = "", "", false
	s.rec.SuspendedAt, s.rec.Deadline = timeZero, timeZero
	s.reconnected = false
	if !s.room.Present("visitor") && s.visitorGone.IsZero() {
		s.visitorGone = e.now
	}
	e.touch(s)
	e.obs.Resume(how)
	e.event(s, Event{Type: "resumed", By: "agent"}, "Chat resumed by the agent")
}

// end closes or expires s: event, room destroyed, capacity freed.
func (e *Engine) end(s *session, state State, by, body string) {
	e.router.Remove(s.rec.ID)
	if s.rec.Owner != "" {
		e.router.Release(s.rec.Owner, s.rec.ID)
	}
	s.rec.State = state
	s.rec.EndedAt = e.now
	s.rec.Deadline = timeZero
	e.touch(s)
	e.obs.Ended(state, by)
	e.event(s, Event{Type: string(state), By: by}, body)
	e.sendMUC(s.room.Destroy(body))
	e.rememberGone(s, body)
	// Gone at once, so nothing later in the batch acts on it; written at the end.
	e.forget(s)
	if e.ended == nil {
		e.ended = make(map[string]*session)
	}
	e.ended[s.rec.ID] = s
}

func (e *Engine) close(s *session, by string) {
	e.end(s, StateClosed, by, "Chat closed by the "+by)
}

func (e *Engine) expire(s *session) {
	e.end(s, StateExpired, "system", "Chat expired after being suspended too long")
}

// reconnect is the visitor's Yes to the prompt (PROTOCOL 3).
func (e *Engine) reconnect(q *IQ, c *ReconnectCmd) {
	s := e.byID[c.Session]
	if s == nil {
		if c.Stored != nil && c.Stored.ID == c.Session && !c.Stored.State.Live() {
			e.replace(q, c)
			return
		}
		e.replyErr(q, errNoSession())
		return
	}
	if !tokenMatches(c.Token, s.rec.TokenHash) {
		e.obs.Reconnect("not_authorized")
		e.replyErr(q, errBadToken())
		return
	}
	e.doReconnect(q, s, c.Token)
}

// replace answers a reconnect to a session that ended: a new session by
// normal routing marked replaces (PROTOCOL 3).
func (e *Engine) replace(q *IQ, c *ReconnectCmd) {
	old := c.Stored
	if !tokenMatches(c.Token, old.TokenHash) {
		e.obs.Reconnect("not_authorized")
		e.replyErr(q, errBadToken())
		return
	}
	req := &RequestCmd{Queue: old.Queue, Visitor: old.Visitor, Body: ""}
	if !e.knownQueue(req.Queue) {
		req.Queue = ""
	}
	s, err := e.create(q.From, req, old.TokenHash, old.ID)
	if err != nil {
		e.replyErr(q, err)
		return
	}
	e.obs.Reconnect("replaced")
	e.reply(q, sessionAnswer(s, c.Token, false))
}

func (e *Engine) doReconnect(q *IQ, s *session, token string) {
	if !s.visitorJID(q.From) {
		s.rec.VisitorJIDs = append(s.rec.VisitorJIDs, q.From.String())
		e.touch(s)
	}
	e.reply(q, sessionAnswer(s, token, true))
	owner := s.rec.Owner
	if s.rec.State == StateSuspended && owner != "" {
		if t, off := e.offline[owner]; off && !e.router.Online(owner) && e.now.Sub(t) >= e.cfg.Grace {
			e.obs.Reconnect("fallback")
			e.transfer(s)
			return
		}
	}
	e.obs.Reconnect("owner")
	e.event(s, Event{Type: "reconnected", By: "visitor"}, "The visitor reconnected")
	if owner == "" {
		if s.rec.State == StateSuspended {
			e.resume(s, "reconnect")
		}
		return
	}
	s.reconnected = true
	e.timerTouch(s)
	name := s.rec.Visitor["name"]
	if name == "" {
		name = "The visitor"
	}
	present := s.room.Present(owner)
	for _, to := range e.agentTargets(owner) {
		e.send(&Stanza{Name: "message", Type: "headline", From: s.room.Addr(), To: to,
			Body:    reconnectNotice(name, s),
			Payload: &Reconnected{Session: s.rec.ID, State: s.rec.State}})
		if !present {
			e.send(e.invitation(s, InviteReconnect, to, s.room.Addr(), name+" reconnected",
				inviteBody(s, "the visitor reconnected")+"."+howToAnswer(s, false)))
		}
	}
}

// transfer routes s again like a new request because its owner is gone
// (PROTOCOL 6): the owner keeps read access, the next agent gets the whole transcript.
func (e *Engine) transfer(s *session) {
	owner := s.rec.Owner
	if owner != "" {
		e.router.Release(owner, s.rec.ID)
		s.agents[owner] = RolePrevious
	}
	s.rec.Owner = ""
	s.rec.State = StateQueued
	s.rec.SuspendedBy, s.rec.SuspendCause, s.rec.Explicit = "", "", false
	s.rec.SuspendedAt, s.rec.Deadline = timeZero, timeZero
	s.offered = make(map[string]bool)
	e.router.Enqueue(s.rec.ID, s.rec.Queue, s.rec.CreatedAt) //nolint:errcheck // a requeue is never refused for length
	e.awaitVisitor(s)
	e.touch(s)
	e.event(s, Event{Type: "transferred", By: "system"}, "Your agent is unavailable; we are finding you another one")
}

// dispatch runs routing and carries out what it decided.
func (e *Engine) dispatch() {
	r := e.router.Dispatch(e.now)
	for range r.Expired {
		e.obs.Offer("expired")
	}
	for _, o := range r.Offers {
		s := e.byID[o.Session]
		if s == nil {
			continue
		}
		e.obs.Offer("sent")
		e.offered(s)
		s.offered[o.Agent] = true
		s.reserveAgent(o.Agent)
		secs := int(e.cfg.OfferTimeout.Seconds())
		reason := offerReason(s)
		for _, to := range e.agentTargets(o.Agent) {
			inv := e.invitation(s, InviteOffer, to, s.room.Addr(), reason, "New chat request: "+reason+"."+howToAnswer(s, true))
			inv.Timeout, inv.Queue = secs, s.rec.Queue
			e.send(inv)
		}
	}
	for _, p := range r.Positions {
		s := e.byID[p.Session]
		if s == nil || s.rec.State != StateQueued {
			continue
		}
		e.queuedEvent(s, p.Position)
	}
}

func offerReason(s *session) string {
	v := s.rec.Visitor
	r := v["name"]
	if r == "" {
		r = "A visitor"
	}
	if v["email"] != "" {
		r += " <" + v["email"] + ">"
	}
	if v["page"] != "" {
		r += " on " + v["page"]
	}
	if s.rec.Question != "" {
		r += ": " + s.rec.Question
	}
	return r
}

// timers runs what is due: idle suspend, owner grace, suspend expiry.
func (e *Engine) timers() {
	e.sweepRates()
	for _, id := range e.dueSessions() {
		s := e.byID[id]
		if s == nil {
			continue
		}
		switch s.rec.State {
		case StateQueued:
			// A queued session is never suspended for want of its visitor:
			// it is abandoned (waiting.go).
			e.abandonIfDue(s)
		case StateActive:
			if !s.visitorGone.IsZero() && !s.room.Present("visitor") && e.now.Sub(s.visitorGone) >= e.cfg.IdleSuspend {
				s.visitorGone = timeZero
				e.suspend(s, BySystem, "", false)
				continue
			}
			if s.rec.State == StateActive && e.ownerGone(s) {
				e.transfer(s)
			}
		case StateSuspended:
			if !s.rec.Deadline.IsZero() && !e.now.Before(s.rec.Deadline) {
				if s.rec.Owner == "" {
					e.abandonSuspended(s)
					continue
				}
				e.expire(s)
				continue
			}
			if s.reconnected && e.ownerGone(s) {
				e.obs.Reconnect("fallback")
				e.transfer(s)
			}
		}
	}
	e.sweepOffline()
}

func (e *Engine) ownerGone(s *session) bool {
	t, off := e.offline[s.rec.Owner]
	return off && !e.router.Online(s.rec.Owner) && e.now.Sub(t) >= e.cfg.Grace
}

func (e *Engine) ownsLive(a string) bool {
	for _, s := range e.ownedBy(a) {
		if s.rec.Owner == a && (s.rec.State == StateActive || (s.rec.State == StateSuspended && s.reconnected)) {
			return true
		}
	}
	return false
}

// Restore rebuilds the engine from a snapshot after a start; now is the time of
// the start. Occupants are gone (clients rejoin); agents are offline until they
// send presence, so their sessions' grace counts from now.
func (e *Engine) Restore(now time.Time, snap *Snapshot) {
	e.reload(&Reload{Permissions: snap.Permissions, Queues: e.queues})
	e.presize(len(snap.Sessions))
	agents := make(map[string][]SessionAgent)
	for _, a := range snap.Agents {
		agents[a.Session] = append(agents[a.Session], a)
	}
	for _, rec := range snap.Sessions {
		addr, err := parseJID(rec.ID + "@" + e.cfg.Domain.Domainpart())
		if err != nil {
			continue
		}
		s := &session{rec: cloneRecord(rec), room: newRoom(addr, e.cfg.HistoryLimit),
			agents: make(map[string]AgentRole), offered: make(map[string]bool), invited: make(map[string]bool),
			lastSeq: snap.LastSeq[rec.ID]}
		s.reserveNick(e.visitorNickOf(s), "visitor")
		s.room.SetSubject(e.subjectOf(s))
		for _, a := range agents[rec.ID] {
			s.agents[a.JID] = a.Role
			s.reserveAgent(a.JID)
		}
		if rec.Owner != "" {
			s.agents[rec.Owner] = RoleOwner // the record is authoritative over the first role seen
		}
		for a, role := range s.agents {
			if role == RoleOwner && a != rec.Owner {
				s.agents[a] = RolePrevious
			}
		}
		lines := make([]muc.Line, 0, len(snap.History[rec.ID]))
		for _, h := range snap.History[rec.ID] {
			lines = append(lines, muc.Line{Nick: h.Nick, At: h.At, Body: h.Body, Payload: h.Payload, Element: h.Element,
				StanzaID: itoa64(h.Seq), AgentsOnly: h.Kind == KindComment})
		}
		s.room.LoadHistory(lines)
		s.restoreOrigins(snap.History[rec.ID])
		switch rec.State {
		case StateQueued:
			e.router.Enqueue(rec.ID, rec.Queue, rec.CreatedAt) //nolint:errcheck // restore ignores the limit
			s.visitorGone = now
			e.restoreQueued(s, now)
		case StateActive:
			e.router.Occupy(rec.Owner, rec.ID)
			e.offline[rec.Owner] = now
			s.visitorGone = now
		case StateSuspended:
			if rec.Owner != "" {
				e.offline[rec.Owner] = now // until it signs in again
			}
		}
		e.byID[rec.ID] = s
		if len(rec.TokenHash) > 0 {
			k := hex.EncodeToString(rec.TokenHash)
			e.byToken[k] = append(e.byToken[k], rec.ID)
		}
	}
	e.indexRestored(snap)
}

func parseJID(s string) (jid.JID, error) { return jid.Parse(s) }

// agentTargets are the full JIDs of an agent's resources that signed in to
// the service (directed presence reaches only them), else its bare JID.
func (e *Engine) agentTargets(bare string) []jid.JID {
	var out []jid.JID
	for res := range e.resource[bare] {
		if j, err := parseJID(bare + "/" + res); err == nil {
			out = append(out, j)
		}
	}
	if len(out) == 0 {
		if j, err := parseJID(bare); err == nil {
			out = append(out, j)
		}
	}
	sort.Slice(out, func(i, k int) bool { return out[i].String() < out[k].String() })
	return out
}

func reconnectNotice(name string, s *session) string {
	if s.rec.State == StateSuspended {
		return name + " reconnected to suspended chat session " + s.room.Addr().String() + "; resume it to continue"
	}
	return name + " opened another window on chat session " + s.room.Addr().String()
}
