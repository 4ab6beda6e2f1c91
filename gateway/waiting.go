package gateway

import (
	"strconv"

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
	a := xmpp.New(sessions.NS, "availability")
	for _, q := range v.Queues {
		// How many agents there are is the business's own: a visitor learns
		// only whether one can answer.
		el := xmpp.New("", "queue", "name", q.Queue, "status", q.Status.String(), "waiting", strconv.Itoa(q.Waiting))
		if q.Full {
			el.Set("full", "true")
		}
		if q.WaitKnown {
			el.Set("wait", strconv.Itoa(int(q.Wait.Seconds())))
		}
		a.Add(el)
	}
	return xmpp.New("", "iq", "type", "result", "id", v.ID, "from", v.From.String(), "to", v.To.String()).Add(a)
}
