// Actions on a session (suspend, resume, close, canned, comment) for whoever asks, by IQ or command.

package sessions

import (
	"strings"

	"github.com/parley-chat/parley/muc"
	"mellium.im/xmpp/jid"
)

// perform carries out an action on a session for whoever asked (by IQ, by
// ad-hoc command): it returns a note for the asker or the error to answer.
func (e *Engine) perform(s *session, from jid.JID, who actor, cmd any) (string, *muc.Error) {
	switch c := cmd.(type) {
	case *SuspendCmd:
		return e.suspendBy(s, who, c.Cause)
	case *ResumeCmd:
		if who != actorAgent {
			return "", forbidden(who, "only the session's agents may resume it")
		}
		if s.rec.State != StateSuspended {
			return "The session is not suspended", nil
		}
		e.resume(s, "explicit")
		return "Session resumed", nil
	case *CloseCmd:
		if who != actorAgent && who != actorVisitor {
			return "", forbidden(who, "only the session's agents and its visitor may close it")
		}
		by := "agent"
		if who == actorVisitor {
			by = "visitor"
		}
		e.close(s, by)
		return "Session closed", nil
	case *CannedCmd:
		if who != actorAgent {
			return "", forbidden(who, "only the session's agents may post canned responses")
		}
		if c.Resolved == nil {
			return "", muc.Errorf(muc.Cancel, muc.ItemNotFound, "no canned response %q", c.ID)
		}
		e.actOn(s, "canned")
		e.post(s, from, KindCanned, c.Resolved.Body, &CannedMark{ID: c.Resolved.ID})
		return "Canned response posted", nil
	case *CommentCmd:
		if who != actorAgent {
			return "", forbidden(who, "only the session's agents may comment")
		}
		if strings.TrimSpace(c.Text) == "" || len(c.Text) > e.cfg.MaxBody {
			return "", muc.Errorf(muc.Modify, muc.BadRequest, "a comment needs 1 to %d bytes of text", e.cfg.MaxBody)
		}
		e.actOn(s, "comment")
		e.post(s, from, KindComment, c.Text, &CommentMark{})
		return "Comment added", nil
	}
	return "", errNotInSessions()
}

func forbidden(who actor, text string) *muc.Error {
	if who == actorNone {
		return errNoSession()
	}
	return muc.Errorf(muc.Auth, muc.Forbidden, "%s", text)
}

// post puts a message from an agent into the room (canned response, comment by IQ).
func (e *Engine) post(s *session, from jid.JID, kind EntryKind, body string, elem muc.Element) {
	bare := from.Bare().String()
	nick := e.agentNick(s, bare)
	l := e.line(s, "agent", from.String(), nick, kind, body, "", elem)
	if kind == KindComment {
		l.Body = CommentPrefix + l.Body // agents only; the transcript keeps the text as written
	}
	if occ, ok := s.room.Lookup(from); ok {
		st, err := s.room.Send(occ.JIDs[0], "", l)
		if err == nil {
			e.sendMUC(st)
			return
		}
	}
	// Not in the room: the message still comes from the agent's nick.
	e.sendMUC(s.room.SendAs(nick, "", l))
}
