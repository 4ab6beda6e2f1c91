// Conference and transfer: an agent invites another agent, who joins or takes over.

package sessions

import (
	"github.com/parley-chat/parley/muc"
	"mellium.im/xmpp/jid"
)

// invite handles a mediated invitation from an agent: a conference (PROTOCOL 7).
func (e *Engine) invite(s *session, m *Message) {
	if err := e.conference(s, m.From, m.Invites, false); err != nil {
		e.msgErr(m, err)
	}
}

// conference invites other chat holders into s on behalf of from; with
// transfer the first of them to join becomes the owner.
func (e *Engine) conference(s *session, from jid.JID, invites []Invite, transfer bool) *muc.Error {
	occ, in := s.room.Lookup(from)
	who := e.actorOf(s, fromJID(from), in && occ.Person == "visitor")
	if who != actorAgent {
		return muc.Errorf(muc.Auth, muc.Forbidden, "only the session's agents may invite")
	}
	for _, inv := range invites {
		bare := inv.To.Bare().String()
		if !e.has(bare, PermChat) {
			return muc.Errorf(muc.Auth, muc.Forbidden, "%s does not hold the Use Media Chat permission", bare)
		}
	}
	e.actOn(s, "conference")
	for _, inv := range invites {
		bare := inv.To.Bare().String()
		s.setInvited(bare)
		s.reserveAgent(bare)
		if transfer {
			s.transferTo = bare
		}
		targets := []jid.JID{inv.To}
		if inv.To.Resourcepart() == "" {
			targets = e.agentTargets(bare)
		}
		kind := InviteConference
		if transfer {
			kind = InviteTransfer
		}
		reason := inv.Reason
		if reason == "" {
			reason = e.agentNick(s, from.Bare().String()) + " asks for your help in a chat with " + visitorName(s)
		}
		for _, to := range targets {
			e.send(e.invitation(s, kind, to, from.Bare(), reason, inviteBody(s, reason)+"."+howToAnswer(s, false)))
		}
	}
	return nil
}

type fromJID jid.JID

func (f fromJID) fromBare() string { return jid.JID(f).Bare().String() }

// takeOver makes bare the owner of s in place of the agent who transferred it.
func (e *Engine) takeOver(s *session, bare string) {
	old := s.rec.Owner
	s.transferTo = ""
	s.setAgent(old, RolePrevious)
	s.setAgent(bare, RoleOwner)
	s.rec.Owner = bare
	if s.rec.State == StateActive {
		e.router.Release(old, s.rec.ID)
		e.router.Occupy(bare, s.rec.ID)
	}
	e.touch(s)
	e.out.Batch.Agents = append(e.out.Batch.Agents, SessionAgent{Session: s.rec.ID, JID: bare, Role: RoleOwner, At: e.now})
	nick := e.agentNick(s, bare)
	e.event(s, Event{Type: "transferred", By: "agent", Agent: nick}, nick+" has taken over the chat")
}
