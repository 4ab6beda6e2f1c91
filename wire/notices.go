package wire

import (
	"encoding/xml"
	"errors"
	"strconv"

	"mellium.im/xmlstream"
)

// The elements of offers, invitations and notices to agents, and the visitor's
// left message.

// Offer is <offer/> in the invitation that offers a session to an agent (PROTOCOL 6).
type Offer struct {
	Session string
	Timeout int // seconds; always written
	Queue   string
}

// Conference is <conference/> in the invitation of a colleague (PROTOCOL 7):
// mode conference (both stay) or transfer.
type Conference struct {
	Session, From, Mode string
}

// Withdrawn is <withdrawn/>: an offer taken back (the visitor left).
type Withdrawn struct{ Session, Reason string }

// Missed is <missed/>: a visitor left a message in a queue.
type Missed struct{ Session, Queue string }

var (
	offerCodec = flat[Offer]{"offer",
		func(o Offer) []string {
			return []string{"session", o.Session, "timeout", strconv.Itoa(o.Timeout), "queue", o.Queue}
		},
		func(a func(string) string) Offer {
			n, _ := strconv.Atoi(a("timeout"))
			return Offer{Session: a("session"), Timeout: n, Queue: a("queue")}
		}}
	conferenceCodec = flat[Conference]{"conference",
		func(c Conference) []string { return []string{"session", c.Session, "from", c.From, "mode", c.Mode} },
		func(a func(string) string) Conference {
			return Conference{Session: a("session"), From: a("from"), Mode: a("mode")}
		}}
	withdrawnCodec = flat[Withdrawn]{"withdrawn",
		func(w Withdrawn) []string { return []string{"session", w.Session, "reason", w.Reason} },
		func(a func(string) string) Withdrawn { return Withdrawn{Session: a("session"), Reason: a("reason")} }}
	missedCodec = flat[Missed]{"missed",
		func(m Missed) []string { return []string{"session", m.Session, "queue", m.Queue} },
		func(a func(string) string) Missed { return Missed{Session: a("session"), Queue: a("queue")} }}
)

// The methods of xmlstream.Marshaler, xml.Marshaler and xml.Unmarshaler.

func (o Offer) TokenReader() xml.TokenReader                        { return offerCodec.tokens(o) }
func (o Offer) MarshalXML(e *xml.Encoder, _ xml.StartElement) error { return offerCodec.marshal(e, o) }
func (o *Offer) UnmarshalXML(d *xml.Decoder, s xml.StartElement) error {
	return offerCodec.unmarshal(d, s, o)
}
func (c Conference) TokenReader() xml.TokenReader { return conferenceCodec.tokens(c) }
func (c Conference) MarshalXML(e *xml.Encoder, _ xml.StartElement) error {
	return conferenceCodec.marshal(e, c)
}
func (c *Conference) UnmarshalXML(d *xml.Decoder, s xml.StartElement) error {
	return conferenceCodec.unmarshal(d, s, c)
}
func (w Withdrawn) TokenReader() xml.TokenReader { return withdrawnCodec.tokens(w) }
func (w Withdrawn) MarshalXML(e *xml.Encoder, _ xml.StartElement) error {
	return withdrawnCodec.marshal(e, w)
}
func (w *Withdrawn) UnmarshalXML(d *xml.Decoder, s xml.StartElement) error {
	return withdrawnCodec.unmarshal(d, s, w)
}
func (m Missed) TokenReader() xml.TokenReader { return missedCodec.tokens(m) }
func (m Missed) MarshalXML(e *xml.Encoder, _ xml.StartElement) error {
	return missedCodec.marshal(e, m)
}
func (m *Missed) UnmarshalXML(d *xml.Decoder, s xml.StartElement) error {
	return missedCodec.unmarshal(d, s, m)
}

// ErrNoBody is a <leave-message/> without its <body/>.
var ErrNoBody = errors.New("leave-message needs a body")

// LeaveMessage is <leave-message/>: a visitor's message when nobody can chat.
// Its visitor and body are read as a request's are.
type LeaveMessage struct {
	Queue, Token string
	Visitor      map[string]string
	Body         string
}

// TokenReader implements xmlstream.Marshaler.
func (l LeaveMessage) TokenReader() xml.TokenReader {
	return xmlstream.Wrap(requestChildren(l.Visitor, l.Body), start(NS, "leave-message", "queue", l.Queue, "token", l.Token))
}

// MarshalXML implements xml.Marshaler.
func (l LeaveMessage) MarshalXML(enc *xml.Encoder, _ xml.StartElement) error {
	return marshal(enc, l.TokenReader())
}

// UnmarshalXML implements xml.Unmarshaler: two visitors are ErrVisitors, no
// body ErrNoBody.
func (l *LeaveMessage) UnmarshalXML(d *xml.Decoder, s xml.StartElement) error {
	*l = LeaveMessage{Queue: attr(s, "queue"), Token: attr(s, "token"), Visitor: map[string]string{}}
	body, err := readRequestChildren(d, l.Visitor, &l.Body)
	if err != nil {
		return err
	}
	if !body {
		return ErrNoBody
	}
	return nil
}
