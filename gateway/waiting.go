package gateway

import (
	"strconv"

	"github.com/parley-chat/parley/muc"
	"github.com/parley-chat/parley/sessions"
	"github.com/parley-chat/parley/xmpp"
)

// The wire of docs/protocol.md "Waiting visitors": <availability/>,
// <leave-message/> and <withdrawn/>.

// decodeLeaveMessage reads a leave-message element: queue and token
// attributes, an optional visitor element and a body.
func decodeLeaveMessage(c *xmpp.Element) (*sessions.LeaveMessageCmd, *muc.Error) {
	r := &sessions.LeaveMessageCmd{Queue: c.Get("queue"), Token: c.Get("token"), Visitor: map[string]string{}}
	if len(c.ChildrenNamed(sessions.NS, "visitor")) > 1 {
		return nil, muc.Errorf(muc.Modify, muc.BadRequest, "at most one visitor element")
	}
	if v := c.Child(sessions.NS, "visitor"); v != nil {
		for _, a := range v.Attr {
			if a.Name.Space == "" {
				r.Visitor[a.Name.Local] = a.Value
			}
		}
	}
	b := c.Child(sessions.NS, "body")
	if b == nil {
		return nil, muc.Errorf(muc.Modify, muc.BadRequest, "leave-message needs a body")
	}
	r.Body = b.Text
	return r, nil
}

// encodeWithdrawal renders a withdrawn offer: a normal message from the room
// with a body for people and <withdrawn/> for programs.
func encodeWithdrawal(v *sessions.Withdrawal) *xmpp.Element {
	m := xmpp.New("", "message", "from", v.From.String(), "to", v.To.String())
	m.Add(text("body", v.Body))
	return m.Add(xmpp.New(sessions.NS, "withdrawn", "session", v.Session, "reason", v.Reason))
}

// encodeMissedNotice renders the headline that tells an agent a message was
// left: a body for people and <missed/> for programs.
func encodeMissedNotice(v *sessions.MissedNotice) *xmpp.Element {
	m := xmpp.New("", "message", "from", v.From.String(), "to", v.To.String(), "type", "headline")
	m.Add(text("body", v.Body))
	return m.Add(xmpp.New(sessions.NS, "missed", "session", v.Session, "queue", v.Queue))
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
