// Offers and routing glue: dispatch, offer accepted by joining, owner grace and transfer.

package sessions

import (
	"sort"

	"mellium.im/xmpp/jid"
)

// transfer routes s again like a new request because its owner is gone
// (PROTOCOL 6): the owner keeps read access, the next agent gets the whole transcript.
func (e *Engine) transfer(s *session) {
	owner := s.rec.Owner
	if owner != "" {
		e.router.Release(owner, s.rec.ID)
		s.setAgent(owner, RolePrevious)
	}
	s.rec.Owner = ""
	s.rec.State = StateQueued
	s.rec.SuspendedBy, s.rec.SuspendCause, s.rec.Explicit = "", "", false
	s.rec.SuspendedAt, s.rec.Deadline = timeZero, timeZero
	s.voidOffers()
	e.router.Enqueue(s.rec.ID, s.rec.Queue, s.rec.CreatedAt) //nolint:errcheck // a requeue is never refused for length
	e.awaitVisitor(s)
	e.touch(s)
	e.event(s, Event{Type: "transferred", By: "system"}, "Your agent is unavailable; we are finding you another one")
}

// declineOffer: bare turned down its offer of s, by a XEP-0045 decline, the
// decline command or a bounced invitation (PROTOCOL 6). Routing offers s to
// the next agent and keeps bare from being offered it again; s forgets the
// offer, so bare no longer sees it (disco, workspace) nor may join on it.
func (e *Engine) declineOffer(s *session, bare string) {
	if e.router.Decline(s.rec.ID, bare, e.now) {
		e.obs.Offer("declined")
	}
	s.unoffer(bare)
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
		s.setOffered(o.Agent)
		e.timerTouch(s) // s need not be the input's: the index of its people must see the offer
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

// assign makes bare the owner of queued session s.
func (e *Engine) assign(s *session, bare string) {
	if err := e.router.Accept(s.rec.ID, bare, e.now); err != nil {
		// The offer expired or went to another agent; the session is still
		// waiting, so the first to join takes it.
		e.router.Remove(s.rec.ID)
		e.router.Occupy(bare, s.rec.ID)
	} else {
		e.obs.Offer("accepted")
	}
	for a, role := range s.agents {
		if role == RoleOwner && a != bare {
			s.setAgent(a, RolePrevious)
		}
	}
	s.setAgent(bare, RoleOwner)
	s.voidOffers() // the other offers are void now
	s.rec.Owner = bare
	s.rec.State = StateActive
	e.answered(s)
	if s.rec.AssignedAt.IsZero() {
		s.rec.AssignedAt = e.now
	}
	s.rec.Deadline = timeZero
	e.touch(s)
	e.out.Batch.Agents = append(e.out.Batch.Agents, SessionAgent{Session: s.rec.ID, JID: bare, Role: RoleOwner, At: e.now})
	nick := e.agentNick(s, bare)
	e.event(s, Event{Type: "assigned", By: "system", Agent: nick}, nick+" has joined the chat")
}
