// Presence: joining and leaving rooms, agents' availability and sign-in.

package sessions

import (
	"sort"

	"github.com/parley-chat/parley/muc"
	"github.com/parley-chat/parley/routing"
	"mellium.im/xmpp/jid"
)

func (e *Engine) presence(p *Presence) {
	if e.isService(p.To) || e.isSignIn(p.To) {
		e.agentPresence(p)
		return
	}
	if p.Type == "error" {
		// The client behind p.From is gone: treat as leaving every room.
		if s := e.lookup(p.To); s != nil {
			e.leave(s, p)
		}
		return
	}
	s := e.lookup(p.To)
	nick := p.To.Resourcepart()
	switch p.Type {
	case "":
		if nick == "" {
			e.presenceErr(p, muc.Errorf(muc.Modify, muc.JIDMalformed, "join a chat session with a nick: room@service/nick"))
			return
		}
		if s == nil {
			e.presenceErr(p, e.noRoom(p.To, p.From, errGone, errNotEntitled))
			return
		}
		e.join(s, p)
	case "unavailable":
		if s != nil {
			e.leave(s, p)
		}
	}
	// Subscriptions to rooms and probes are ignored.
}

func (e *Engine) presenceErr(p *Presence, err *muc.Error) {
	e.send(&Stanza{Name: "presence", From: p.To, To: p.From, ID: p.ID, Type: "error", Err: err})
}

func showOf(s string) routing.Show { return routing.ParseShow(s) }

// agentPresence handles presence addressed to the service: sign-in, sign-out
// and roster subscription (PROTOCOL 2).
func (e *Engine) agentPresence(p *Presence) {
	bare := p.From.Bare().String()
	svc := p.To.Bare() // the service's JID or the sign-in address, whichever the agent used
	allowed := e.has(bare, PermChat)
	switch p.Type {
	case "subscribe":
		if !allowed {
			e.send(&Stanza{Name: "presence", From: svc, To: p.From.Bare(), Type: "unsubscribed"})
			return
		}
		// RFC 6121 3.1.5: approve, subscribe back, and send the contact's current
		// presence. Servers send the request from the bare JID (3.1.2); presence
		// to the bare JID reaches every available resource of the agent.
		e.send(&Stanza{Name: "presence", From: svc, To: p.From.Bare(), Type: "subscribed"},
			&Stanza{Name: "presence", From: svc, To: p.From.Bare(), Type: "subscribe"},
			&Stanza{Name: "presence", From: svc, To: p.From})
		if e.isSignIn(svc) {
			e.send(&Stanza{Name: "message", Type: "chat", From: svc, To: p.From.Bare(), Body: signInHelp(svc)})
		}
	case "unsubscribe", "unsubscribed":
		// The agent's server has already updated its roster (RFC 6121 3.3, 3.2);
		// answering would race with a new subscription.
	case "probe":
		if allowed {
			e.send(&Stanza{Name: "presence", From: svc, To: p.From})
		} else {
			e.send(&Stanza{Name: "presence", From: svc, To: p.From, Type: "unavailable"})
		}
	case "":
		if !allowed {
			e.presenceErr(p, muc.Errorf(muc.Auth, muc.Forbidden, "you do not hold the Use Media Chat permission"))
			return
		}
		res := p.From.Resourcepart()
		if e.resource[bare] == nil {
			e.resource[bare] = make(map[string]bool)
		}
		if !e.resource[bare][res] {
			// Tell the new resource the service is there, and invite it back to
			// the sessions it works on but is not in (after a restart of the
			// service or of its client).
			e.send(&Stanza{Name: "presence", From: svc, To: p.From})
			e.inviteBack(bare, p.From)
		}
		e.resource[bare][res] = true
		e.router.SetQueues(bare, e.queues[bare])
		e.router.SetPresence(bare, res, showOf(p.Show), p.MaxChats, e.now)
		delete(e.offline, bare)
		e.noteOffline(bare)
	case "unavailable", "error":
		e.unwatchQueues(p.From)
		res := p.From.Resourcepart()
		if rs := e.resource[bare]; rs != nil {
			delete(rs, res)
			if len(rs) == 0 {
				delete(e.resource, bare)
			}
		}
		offline, cancelled := e.router.SetUnavailable(bare, res, e.now)
		for range cancelled {
			e.obs.Offer("cancelled")
		}
		if offline {
			if info, ok := e.router.Agent(bare); ok && len(info.Sessions) > 0 {
				e.offline[bare] = e.now
			} else if e.ownsSuspended(bare) {
				e.offline[bare] = e.now
			}
			e.noteOffline(bare)
		}
	}
}

// entry decides who may join s as what (PROTOCOL 4).
func (e *Engine) entry(s *session, from jid.JID) (muc.Entry, bool) {
	if s.visitorJID(from) {
		return muc.Entry{Affiliation: muc.AffMember, Role: muc.RoleParticipant, Person: "visitor"}, true
	}
	bare := from.Bare().String()
	if e.has(bare, PermChat) {
		switch s.agents[bare] {
		case "owner":
			return muc.Entry{Affiliation: muc.AffOwner, Role: muc.RoleModerator, Person: bare}, true
		case "conference", "previous":
			return muc.Entry{Affiliation: muc.AffAdmin, Role: muc.RoleModerator, Person: bare}, true
		}
		if e.offeredTo(s, bare) {
			return muc.Entry{Affiliation: muc.AffOwner, Role: muc.RoleModerator, Person: bare}, true
		}
		if e.mayTake(s, bare) {
			// Joining a missed session takes it (join, waiting.go).
			return muc.Entry{Affiliation: muc.AffOwner, Role: muc.RoleModerator, Person: bare}, true
		}
		if s.invited[bare] {
			// An invitation to a conference.
			return muc.Entry{Affiliation: muc.AffAdmin, Role: muc.RoleModerator, Person: bare}, true
		}
	}
	if e.has(bare, PermSupervise) {
		return muc.Entry{Affiliation: muc.AffAdmin, Role: muc.RoleModerator, Person: bare}, true
	}
	return muc.Entry{}, false
}

func (e *Engine) join(s *session, p *Presence) {
	if occ, already := s.room.Lookup(p.From); already {
		if p.MUC && occ.Nick == p.To.Resourcepart() {
			e.sendMUC(s.room.Resync(p.From, muc.PresenceInfo{Show: p.Show, Status: p.Status}, p.History, e.now))
			return
		}
		st, err := s.room.Join(p.From, p.To.Resourcepart(), muc.Entry{}, muc.PresenceInfo{Show: p.Show, Status: p.Status}, p.History, e.now)
		if err != nil {
			e.presenceErr(p, err.(*muc.Error))
			return
		}
		e.sendMUC(st)
		return
	}
	ent, ok := e.entry(s, p.From)
	if !ok {
		if e.has(p.From.Bare().String(), PermChat) {
			e.uninvited(s, p.From)
			e.presenceErr(p, muc.Errorf(muc.Auth, muc.RegistrationRequired, "you were not invited to this chat through Parley: "+
				"ask its agent to run the room's ad-hoc command \"conference\" for you"))
			return
		}
		e.presenceErr(p, errNotEntitled())
		return
	}
	bare := p.From.Bare().String()
	wasPresent := s.room.Present(ent.Person)
	nick, assigned, nerr := e.checkJoinNick(s, p.To.Resourcepart(), ent)
	if nerr != nil {
		e.presenceErr(p, nerr)
		return
	}
	st, err := s.room.Join(p.From, nick, ent, muc.PresenceInfo{Show: p.Show, Status: p.Status}, p.History, e.now)
	if err != nil {
		e.presenceErr(p, err.(*muc.Error))
		return
	}
	s.reserveNick(nick, ent.Person)
	if assigned {
		markAssigned(st, p.From)
	}
	e.sendMUC(st)
	switch {
	case ent.Person == "visitor":
		s.visitorGone = timeZero
		e.visitorBack(s)
	case e.mayTake(s, bare) && s.agents[bare] == "":
		// Joining a missed session takes it; a supervisor who does not
		// serve its queue (entry lets any supervisor in) only looks.
		e.take(s, bare)
	case s.rec.State == StateQueued && s.offered[bare] && s.agents[bare] == "":
		e.assign(s, bare)
	case s.transferTo == bare && s.rec.Owner != "" && s.rec.Owner != bare:
		e.takeOver(s, bare)
	case s.agents[bare] == "" && s.invited[bare]:
		s.setAgent(bare, RoleConference)
		e.out.Batch.Agents = append(e.out.Batch.Agents, SessionAgent{Session: s.rec.ID, JID: bare, Role: RoleConference, At: e.now})
		nick := e.agentNick(s, bare)
		e.event(s, Event{Type: "conference", By: "agent", Agent: nick}, nick+" joined the chat")
	case !wasPresent && s.agents[bare] == RolePrevious && s.rec.State == StateQueued:
		// A former owner taking its transferred session back.
		e.assign(s, bare)
	}
}

func (e *Engine) leave(s *session, p *Presence) {
	st, was, _ := s.room.Leave(p.From, p.Status)
	if was.Nick == "" {
		return
	}
	e.sendMUC(st)
	beacon := s.leavingJID != "" && s.leavingJID == p.From.String()
	if beacon {
		s.leavingJID = ""
	}
	if was.Person != "visitor" || s.room.Present("visitor") {
		return // an agent left, or another window of the visitor is still there
	}
	if (p.Suspend || beacon) && e.suspendOnLeave(s) {
		return
	}
	if s.rec.State == StateActive || s.rec.State == StateQueued {
		s.visitorGone = e.now
		e.event(s, Event{Type: "visitor-left", By: "visitor"}, "The visitor left the chat")
		if s.rec.State == StateQueued {
			e.visitorAway(s)
		}
	}
}

// inviteBack sends to, a newly signed-in resource of agent bare, a mediated
// invitation to each live session it owns or conferences in and is absent from.
func (e *Engine) inviteBack(bare string, to jid.JID) {
	ids := make([]string, 0)
	for _, s := range e.linkedTo(bare) {
		if r := s.agents[bare]; (r == RoleOwner || r == RoleConference) && !s.room.Present(bare) {
			ids = append(ids, s.rec.ID)
		}
	}
	sort.Strings(ids)
	for _, id := range ids {
		s := e.byID[id]
		reason := "your " + string(s.rec.State) + " chat with " + offerReason(s)
		e.send(e.invitation(s, InviteBack, to, s.room.Addr(), reason, inviteBody(s, reason)+"."+howToAnswer(s, false)))
	}
}
