package gateway

import (
	"github.com/parley-chat/parley/muc"
	"github.com/parley-chat/parley/sessions"
	"github.com/parley-chat/parley/wire"
	"github.com/parley-chat/parley/xmpp"
)

// nsConference is XEP-0249's namespace (direct MUC invitations).
const nsConference = "jabber:x:conference"

// invitationEl renders an invitation as one message from the room carrying
// both forms clients know: the XEP-0045 mediated invitation (Profanity,
// Gajim, Dino, slixmpp) and the XEP-0249 direct invitation (Converse.js,
// Conversations), then Parley's own <offer/> or <conference/>.
func invitationEl(v *sessions.Invitation) *xmpp.Element {
	m := xmpp.New("", "message", "from", v.Room.String(), "to", v.To.String())
	m.Add(text("body", v.Body))
	inv := xmpp.New("", "invite", "from", v.Inviter.String())
	inv.Add(text("reason", v.Reason))
	m.Add(xmpp.New(muc.NSUser, "x").Add(inv))
	m.Add(xmpp.New(nsConference, "x", "jid", v.Room.String(), "reason", v.Reason))
	switch v.Kind {
	case sessions.InviteOffer:
		m.Add(element(wire.Offer{Session: v.Session, Timeout: v.Timeout, Queue: v.Queue}.TokenReader()))
	case sessions.InviteConference, sessions.InviteTransfer:
		m.Add(element(wire.Conference{Session: v.Session, From: v.Inviter.String(), Mode: v.Mode()}.TokenReader()))
	}
	return m
}

// reservedNickEl renders the answer to a XEP-0045 reserved-nick query (7.12).
func reservedNickEl(v *sessions.ReservedNick) *xmpp.Element {
	return xmpp.New("", "iq", "type", "result", "id", v.ID, "from", v.From.String(), "to", v.To.String()).Add(
		xmpp.New(nsDiscoInfo, "query", "node", "x-roomuser-item").Add(
			xmpp.New("", "identity", "category", "conference", "type", "text", "name", v.Nick)))
}
