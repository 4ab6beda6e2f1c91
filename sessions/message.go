// Groupchat messages and who the sender is to a session (actor).

package sessions

import (
	"time"

	"github.com/parley-chat/parley/muc"
)

var timeZero time.Time

func (e *Engine) msgErr(m *Message, err *muc.Error) {
	if m.Type == "error" {
		return // never answer an error with an error
	}
	e.send(&Stanza{Name: "message", From: m.To, To: m.From, ID: m.ID, Type: "error", Err: err})
}

// actor is who sent something to a room, as far as the session's rules go.
type actor int

const (
	actorNone       actor = iota
	actorVisitor          // a JID of the visitor
	actorAgent            // the owner or a conferenced agent
	actorSupervisor       // a supervise holder, or a former owner
)

func (e *Engine) actorOf(s *session, m interface{ fromBare() string }, visitor bool) actor {
	if visitor {
		return actorVisitor
	}
	bare := m.fromBare()
	if r := s.agents[bare]; (r == RoleOwner || r == RoleConference) && e.has(bare, PermChat) {
		return actorAgent
	}
	if e.has(bare, PermSupervise) || s.agents[bare] == RolePrevious {
		return actorSupervisor
	}
	return actorNone
}

func (m *Message) fromBare() string { return m.From.Bare().String() }
func (q *IQ) fromBare() string      { return q.From.Bare().String() }

func (e *Engine) message(m *Message) {
	if e.isSignIn(m.To) {
		if (m.Type == "chat" || m.Type == "normal" || m.Type == "") && m.Body != "" {
			e.send(&Stanza{Name: "message", Type: "chat", From: m.To, To: m.From, Body: signInHelp(m.To)})
		}
		return
	}
	if e.isService(m.To) {
		if m.Type != "error" && m.Type != "headline" && m.Type != "groupchat" && m.Body != "" {
			e.msgErr(m, muc.Errorf(muc.Cancel, muc.ServiceUnavailable, "send chat requests as request IQs in the namespace urn:parley:chat:0"))
		}
		return
	}
	s := e.lookup(m.To)
	if m.Type == "error" {
		// A bounced invitation counts as a decline.
		if s != nil {
			e.declineOffer(s, m.fromBare())
		}
		return
	}
	if s == nil {
		e.msgErr(m, e.noRoom(m.To, m.From, errEnded, errNotInRoom))
		return
	}
	if m.To.Resourcepart() != "" {
		if _, in := s.room.Lookup(m.From); !in {
			e.msgErr(m, errNotInRoom())
			return
		}
		e.msgErr(m, muc.Errorf(muc.Cancel, muc.NotAllowed, "private messages are not allowed in chat sessions"))
		return
	}
	if m.Decline {
		e.declineOffer(s, m.fromBare())
		return
	}
	if len(m.Invites) > 0 {
		e.invite(s, m)
		return
	}
	if m.Type != "groupchat" {
		e.msgErr(m, muc.Errorf(muc.Modify, muc.BadRequest, "messages to a chat session must be of type groupchat"))
		return
	}
	occ, in := s.room.Lookup(m.From)
	if !in {
		e.msgErr(m, errNotInRoom())
		return
	}
	if m.Subject != nil {
		e.msgErr(m, muc.Errorf(muc.Auth, muc.Forbidden, "the subject of a chat session cannot be changed"))
		return
	}
	if len(m.Body) > e.cfg.MaxBody {
		e.msgErr(m, muc.Errorf(muc.Modify, muc.BadRequest, "message body longer than %d bytes", e.cfg.MaxBody))
		return
	}
	if m.Body == "" && !m.OOB {
		// A chat state or other content-free message: pass on, keep nothing.
		st, err := s.room.Relay(m.From, m.ID, m.Payload)
		if err != nil {
			e.msgErr(m, err.(*muc.Error))
			return
		}
		e.sendMUC(st)
		return
	}
	if e.repeated(s, m, occ) {
		return
	}
	who := e.actorOf(s, m, occ.Person == "visitor")
	kind := KindMessage
	switch {
	case m.Comment:
		kind = KindComment
	case m.OOB:
		kind = KindLink
	}
	if kind == KindComment && who != actorAgent {
		e.msgErr(m, muc.Errorf(muc.Auth, muc.Forbidden, "only the session's agents may comment"))
		return
	}
	role := roleName(who)
	if who == actorAgent {
		e.actOn(s, string(kind))
	}
	l := e.line(s, role, m.From.String(), occ.Nick, kind, m.Body, m.Payload, nil)
	e.keepOrigin(s, m, occ)
	if kind == KindComment {
		l.Body = CommentPrefix + l.Body // agents only; the transcript keeps the text as written
	}
	st, err := s.room.Send(m.From, m.ID, l)
	if err != nil {
		e.msgErr(m, err.(*muc.Error))
		return
	}
	e.sendMUC(st)
}

func roleName(a actor) string {
	switch a {
	case actorVisitor:
		return "visitor"
	case actorAgent:
		return "agent"
	case actorSupervisor:
		return "supervisor"
	}
	return "visitor"
}
