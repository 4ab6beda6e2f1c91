// Mediated invitations: the typed invitation and its texts.

package sessions

import (
	"mellium.im/xmpp/jid"
)

// InvitationKind says why an agent is invited to a session room.
type InvitationKind int

// The kinds of invitation.
const (
	InviteOffer      InvitationKind = iota // a new request routed to the agent (PROTOCOL 6)
	InviteReconnect                        // the visitor reconnected while the owner is not in the room (PROTOCOL 5)
	InviteConference                       // another agent asks for help (PROTOCOL 7)
	InviteTransfer                         // another agent hands the session over
	InviteBack                             // a signed-in resource is not in a session it works on
)

func (k InvitationKind) String() string {
	switch k {
	case InviteOffer:
		return "offer"
	case InviteReconnect:
		return "reconnect"
	case InviteConference:
		return "conference"
	case InviteTransfer:
		return "transfer"
	case InviteBack:
		return "back"
	}
	return "unknown"
}

// Invitation is one invitation of an agent to a session room. The edge sends
// it as one message from the room carrying both a XEP-0045 mediated
// invitation (<x xmlns='…muc#user'><invite from=”><reason/></invite></x>)
// and a XEP-0249 direct invitation (<x xmlns='jabber:x:conference'
// jid=” reason=”/>), since clients understand one or the other (Converse.js
// only the direct one), plus Parley's own <offer/> or <conference/>.
type Invitation struct {
	Kind    InvitationKind
	Room    jid.JID // the session room: the message comes from it
	To      jid.JID
	Inviter jid.JID // the mediated invitation's from: the room, or the inviting agent
	Session string
	Reason  string // human reason: the visitor's details, or the inviter's words
	Body    string // what the invitee reads, with what to do about it
	Timeout int    // offer: seconds before it goes to the next agent
	Queue   string // offer: the session's queue
}

// Mode is the <p:conference mode=”/> of a conference or transfer invitation.
func (i *Invitation) Mode() string {
	if i.Kind == InviteTransfer {
		return "transfer"
	}
	return "conference"
}

// invitation builds the invitation of agent JID to to s, with body and reason.
func (e *Engine) invitation(s *session, kind InvitationKind, to, inviter jid.JID, reason, body string) *Invitation {
	return &Invitation{Kind: kind, Room: s.room.Addr(), To: to, Inviter: inviter, Session: s.rec.ID,
		Reason: reason, Body: body}
}

// howToAnswer ends an offer's or notice's body: what the agent does next.
func howToAnswer(s *session, offer bool) string {
	room := s.room.Addr().String()
	if offer {
		return " To accept, join the room " + room + " (accept the invitation); to decline, run the command " +
			"\"decline\" on " + room + " or decline the invitation."
	}
	return " Join the room " + room + " to continue (accept the invitation)."
}

func visitorName(s *session) string {
	if n := s.rec.Visitor["name"]; n != "" {
		return n
	}
	return "a visitor"
}

// signInHelp is what the sign-in address says to an agent who adds it or
// writes to it.
func signInHelp(addr jid.JID) string {
	return "This is Parley. While you are online and " + addr.String() + " may see your presence " +
		"(approve its subscription request if your client asks), you receive chat requests as " +
		"invitations to chat rooms: join the room to accept. Set yourself away or busy to receive no new ones. " +
		"In a room, the ad-hoc commands (suspend, resume, canned, comment, conference, details, decline, close) " +
		"act on the chat; on " + addr.Domainpart() + " the command \"sessions\" lists your chats."
}

func inviteBody(s *session, reason string) string {
	b := "You are invited to chat session " + s.room.Addr().String()
	if reason != "" {
		b += ": " + reason
	}
	return b
}
