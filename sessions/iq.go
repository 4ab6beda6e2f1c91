// IQ dispatch: which rule set or surface answers each IQ, to the service or to a room.

package sessions

import (
	"github.com/parley-chat/parley/muc"
)

func (e *Engine) iq(q *IQ) {
	if e.isService(q.To) || e.isSignIn(q.To) {
		e.serviceIQ(q)
		return
	}
	// Answers that do not depend on the room come first, so that a stranger
	// gets the same answer whether the room exists or not.
	s := e.lookup(q.To)
	if q.To.Resourcepart() != "" {
		if _, ok := q.Cmd.(*PingCmd); !ok {
			e.replyErr(q, muc.Errorf(muc.Cancel, muc.ServiceUnavailable, "IQs to occupants are not relayed"))
			return
		}
		if s == nil {
			e.replyErr(q, muc.Errorf(muc.Cancel, muc.NotAcceptable, "not joined"))
			return
		}
		if err := s.room.SelfPing(q.From, q.To.Resourcepart()); err != nil {
			e.replyErr(q, err.(*muc.Error))
			return
		}
		e.reply(q, nil)
		return
	}
	switch q.Cmd.(type) {
	case *PingCmd, *DiscoInfoCmd, *DiscoItemsCmd, *SuspendCmd, *ResumeCmd, *CloseCmd, *CommentCmd, *MAMCmd, *AdHocCmd,
		*MUCOwnerCmd, *MUCAdminCmd:
	case *CannedCmd:
		if q.Type != "set" {
			e.replyErr(q, muc.Errorf(muc.Modify, muc.BadRequest, "post a canned response with an IQ set"))
			return
		}
	default:
		e.replyErr(q, errNotInSessions())
		return
	}
	if s == nil {
		if c, ok := q.Cmd.(*MAMCmd); ok {
			e.archiveOfEnded(q, c)
			return
		}
		e.replyErr(q, errNoSession())
		return
	}
	e.roomIQ(s, q)
}

func (e *Engine) serviceIQ(q *IQ) {
	switch c := q.Cmd.(type) {
	case *RequestCmd:
		if q.Type != "set" {
			e.replyErr(q, muc.Errorf(muc.Modify, muc.BadRequest, "request must be an IQ set"))
			return
		}
		e.request(q, c)
	case *ReconnectCmd:
		if q.Type != "set" {
			e.replyErr(q, muc.Errorf(muc.Modify, muc.BadRequest, "reconnect must be an IQ set"))
			return
		}
		e.reconnect(q, c)
	case *CannedCmd:
		bare := q.fromBare()
		if !e.has(bare, PermChat) && !e.has(bare, PermAdmin) && !e.has(bare, PermSupervise) {
			e.replyErr(q, muc.Errorf(muc.Auth, muc.Forbidden, "canned responses are for agents"))
			return
		}
		e.reply(q, &CannedList{Items: c.List})
	case *DiscoInfoCmd:
		e.serviceDiscoInfo(q, c)
	case *DiscoItemsCmd:
		e.serviceDiscoItems(q, c)
	case *AdHocCmd:
		if q.Type != "set" {
			e.replyErr(q, errExecuteWithSet())
			return
		}
		e.serviceAdhoc(q, c)
	case *PingCmd:
		e.reply(q, nil)
	case *AvailabilityCmd:
		e.availability(q, c)
	case *WorkspaceCmd:
		e.workspace(q)
	case *LeaveMessageCmd:
		if q.Type != "set" {
			e.replyErr(q, muc.Errorf(muc.Modify, muc.BadRequest, "leave-message must be an IQ set"))
			return
		}
		e.leaveMessage(q, c)
	default:
		e.replyErr(q, muc.Errorf(muc.Cancel, muc.ServiceUnavailable, "not supported by the service"))
	}
}

func (e *Engine) roomIQ(s *session, q *IQ) {
	visitor := s.visitorJID(q.From)
	who := e.actorOf(s, q, visitor)
	switch c := q.Cmd.(type) {
	case *PingCmd:
		if !e.canSee(s, q.From, who) {
			e.replyErr(q, errNoSession())
			return
		}
		e.reply(q, nil)
	case *MUCOwnerCmd, *MUCAdminCmd:
		e.roomAdmin(s, q, who)
	case *DiscoInfoCmd:
		e.roomDiscoInfo(s, q, c, who, visitor)
	case *DiscoItemsCmd:
		e.roomDiscoItems(s, q, c, who)
	case *SuspendCmd, *ResumeCmd, *CloseCmd, *CannedCmd, *CommentCmd:
		if _, err := e.perform(s, q.From, who, c); err != nil {
			e.replyErr(q, err)
			return
		}
		e.reply(q, nil)
	case *AdHocCmd:
		if c.Node == "decline" && who == actorNone {
			e.declineCommand(s, q, c)
			return
		}
		e.adhoc(s, q, who, c)
	case *MAMCmd:
		e.archiveOfLive(s, q, c, who, visitor)
	default:
		e.replyErr(q, errNotInSessions())
	}
}
