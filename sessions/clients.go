// Standard XMPP clients: room visibility, MUC owner/admin, reserved nick, uninvited agents.

package sessions

import (
	"github.com/parley-chat/parley/muc"
	"mellium.im/xmpp/jid"
)

// What stock clients (Converse.js, Profanity, Gajim, Dino, Conversations)
// need beyond PROTOCOL.md; docs/protocol.md and docs/standard-clients.md say why.

// MUCOwnerCmd is a XEP-0045 owner query to a room (muc#owner): a
// configuration request, or <destroy/>.
type MUCOwnerCmd struct {
	Destroy bool
	Reason  string
}

// MUCAdminCmd is a XEP-0045 admin query to a room (muc#admin): affiliation
// and role lists or changes.
type MUCAdminCmd struct{}

// CommentPrefix starts the body of every comment agents receive, so that a
// human in any client sees it is internal; the visitor never receives comments.
const CommentPrefix = "[internal note — not shown to the visitor] "

// offeredTo says whether bare has a pending offer of s (it may still join):
// s was offered to it while it waits, and is not held (its visitor away: the
// offer was withdrawn, docs/protocol.md "Waiting visitors"). The one rule for
// joins, commands, disco and the workspace.
func (e *Engine) offeredTo(s *session, bare string) bool {
	return s.offered[bare] && s.rec.State == StateQueued && e.has(bare, PermChat) && !e.router.Held(s.rec.ID)
}

// canSee says whether from may learn that s exists: disco#info, disco#items
// and pings agree with joins (whoever may join may see the room).
func (e *Engine) canSee(s *session, from jid.JID, who actor) bool {
	if who != actorNone {
		return true
	}
	_, ok := e.entry(s, from)
	return ok
}

// roomAdmin answers muc#owner and muc#admin queries: an agent's destroy
// closes the session; everything else is refused with a text that says
// why, instead of service-unavailable (which clients show as nothing).
func (e *Engine) roomAdmin(s *session, q *IQ, who actor) {
	if !e.canSee(s, q.From, who) {
		e.replyErr(q, errNoSession())
		return
	}
	if oc, ok := q.Cmd.(*MUCOwnerCmd); ok && oc.Destroy && q.Type == "set" {
		if who != actorAgent {
			e.replyErr(q, muc.Errorf(muc.Auth, muc.Forbidden, "only the session's agents may close it"))
			return
		}
		e.close(s, "agent")
		e.reply(q, nil)
		return
	}
	if _, ok := q.Cmd.(*MUCOwnerCmd); ok {
		e.replyErr(q, muc.Errorf(muc.Auth, muc.Forbidden, "chat session rooms are configured by Parley: members-only, "+
			"semi-anonymous, logged, unmoderated; use the room's ad-hoc commands (suspend, resume, canned, comment, "+
			"conference, details, close) to act on the chat, or destroy the room to close it"))
		return
	}
	e.replyErr(q, muc.Errorf(muc.Auth, muc.Forbidden, "who may enter a chat session is decided by Parley: invite a "+
		"colleague with the room's ad-hoc command \"conference\""))
}

// uninvited tells a session's agents that a chat holder tried to join without
// an invitation through Parley (a client's own XEP-0249 invitation goes to the
// colleague directly; the service never sees it), and how to invite.
func (e *Engine) uninvited(s *session, who jid.JID) {
	bare := who.Bare().String()
	body := bare + " tried to join your chat " + s.room.Addr().String() + " but was not invited through Parley. " +
		"To bring in a colleague, run the ad-hoc command \"conference\" on the room (mode conference or transfer), " +
		"or send the room a XEP-0045 invitation; a client's own direct invitation does not reach Parley."
	for a, role := range s.agents {
		if role != RoleOwner && role != RoleConference {
			continue
		}
		for _, to := range e.agentTargets(a) {
			e.send(&Stanza{Name: "message", Type: "chat", From: e.cfg.SignIn, To: to, Body: body})
		}
	}
}

// ReservedNick answers a XEP-0045 reserved-nick query (7.12: disco#info,
// node x-roomuser-item) with the asker's nick; the edge renders it.
type ReservedNick struct {
	From, To jid.JID
	ID       string
	Nick     string
}

// reservedNick is the nick from should join s with: the visitor's name, an
// agent's nick in the room or its localpart.
func (e *Engine) reservedNick(s *session, from jid.JID, visitor bool) string {
	if visitor {
		if n := s.rec.Visitor["name"]; n != "" {
			return n
		}
		return "Visitor"
	}
	return e.agentNick(s, from.Bare().String())
}
