package gateway

import (
	"github.com/parley-chat/parley/muc"
	"github.com/parley-chat/parley/sessions"
	"github.com/parley-chat/parley/wire"
	"github.com/parley-chat/parley/xmpp"
)

// The wire of docs/protocol.md "Waiting visitors": <availability/>,
// <leave-message/> and <withdrawn/>.

// decodeLeaveMessage reads a leave-message element: queue and token
// attributes, an optional visitor element and a body.
func decodeLeaveMessage(c *xmpp.Element) (*sessions.LeaveMessageCmd, *muc.Error) {
	var l wire.LeaveMessage
	if err := unmarshalWire(c, &l); err != nil {
		return nil, wireError(err)
	}
	return &sessions.LeaveMessageCmd{Queue: l.Queue, Token: l.Token, Visitor: l.Visitor, Body: l.Body}, nil
}

// encodeWithdrawal renders a withdrawn offer: a normal message from the room
// with a body for people and <withdrawn/> for programs.
func encodeWithdrawal(v *sessions.Withdrawal) *xmpp.Element {
	m := xmpp.New("", "message", "from", v.From.String(), "to", v.To.String())
	m.Add(text("body", v.Body))
	return m.Add(element(wire.Withdrawn{Session: v.Session, Reason: v.Reason}.TokenReader()))
}

// encodeMissedNotice renders the headline that tells an agent a message was
// left: a body for people and <missed/> for programs.
func encodeMissedNotice(v *sessions.MissedNotice) *xmpp.Element {
	m := xmpp.New("", "message", "from", v.From.String(), "to", v.To.String(), "type", "headline")
	m.Add(text("body", v.Body))
	return m.Add(element(wire.Missed{Session: v.Session, Queue: v.Queue}.TokenReader()))
}

// encodeAvailability renders the answer to <availability/>.
func encodeAvailability(v *sessions.Availability) *xmpp.Element {
	return xmpp.New("", "iq", "type", "result", "id", v.ID, "from", v.From.String(), "to", v.To.String()).
		Add(written(wire.AvailabilityOf(v).TokenReader()))
}
