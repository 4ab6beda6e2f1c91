package gateway

import (
	"strconv"

	"github.com/parley-chat/parley/muc"
	"github.com/parley-chat/parley/sessions"
	"github.com/parley-chat/parley/xmpp"
	"mellium.im/xmpp/delay"
)

// encoder turns domain output into stanzas. It keeps the last payload it
// parsed: a broadcast repeats one payload to every occupant.
type encoder struct {
	lastPayload string
	lastParsed  []*xmpp.Element
	lastElement muc.Element
	lastElEl    *xmpp.Element
}

// element renders a room line's own element, once per broadcast.
func (e *encoder) element(el muc.Element) *xmpp.Element {
	if el == nil {
		return nil
	}
	if el != e.lastElement {
		e.lastElement, e.lastElEl = el, roomElement(el)
	}
	return e.lastElEl
}

func (e *encoder) payload(s string) []*xmpp.Element {
	if s == "" {
		return nil
	}
	if s == e.lastPayload {
		return e.lastParsed
	}
	els, err := xmpp.Parse(s)
	if err != nil {
		return nil
	}
	e.lastPayload, e.lastParsed = s, els
	return els
}

func text(local, s string) *xmpp.Element {
	if s == "" {
		return nil
	}
	return xmpp.New("", local).SetText(s)
}

func (e *encoder) encode(o sessions.Out) *xmpp.Element {
	switch v := o.(type) {
	case *muc.Presence:
		p := xmpp.New("", "presence", "from", v.From.String(), "to", v.To.String(), "type", v.Type)
		p.Add(text("show", v.Show), text("status", v.Status))
		x := xmpp.New(muc.NSUser, "x")
		item := xmpp.New("", "item", "affiliation", v.Item.Affiliation.String(), "role", v.Item.Role.String())
		if !v.Item.JID.Equal(zeroJID) {
			item.Set("jid", v.Item.JID.String())
		}
		x.Add(item)
		for _, c := range v.Codes {
			x.Add(xmpp.New("", "status", "code", strconv.Itoa(c)))
		}
		if v.Destroyed {
			d := xmpp.New("", "destroy")
			d.Add(text("reason", v.DestroyReason))
			x.Add(d)
		}
		return p.Add(x)
	case *muc.Message:
		m := xmpp.New("", "message", "from", v.From.String(), "to", v.To.String(), "type", v.Type, "id", v.ID)
		if v.Subject != nil {
			m.Add(xmpp.New("", "subject").SetText(*v.Subject))
		}
		m.Add(text("body", v.Body))
		m.Add(e.payload(v.Payload)...)
		m.Add(e.element(v.Element))
		if !v.Delay.IsZero() {
			m.Add(written(delay.Delay{From: v.From.Bare(), Time: v.Delay}.TokenReader()))
		}
		if v.StanzaID != "" {
			m.Add(xmpp.New(nsSID, "stanza-id", "by", v.From.Bare().String(), "id", v.StanzaID))
		}
		return m
	case *sessions.Stanza:
		s := xmpp.New("", v.Name, "from", v.From.String(), "to", v.To.String(), "id", v.ID, "type", v.Type)
		s.Add(text("body", v.Body))
		s.Add(payloadEl(v.Payload))
		if v.Err != nil {
			s.Add(errorEl(v.Err))
		}
		return s
	}
	for _, f := range renderers {
		if el, ok := f(o); ok {
			return el
		}
	}
	return nil
}

// renderers render the outputs that are one element each, by their type.
var renderers = []func(sessions.Out) (*xmpp.Element, bool){
	rendererOf(invitationEl),
	rendererOf(reservedNickEl),
	rendererOf(encodeWithdrawal),
	rendererOf(encodeWorkspace),
	rendererOf(encodeAvailability),
	rendererOf(encodeMissedNotice),
	rendererOf(encodeQueueFigures),
}

// rendererOf renders an output of type T with f.
func rendererOf[T sessions.Out](f func(T) *xmpp.Element) func(sessions.Out) (*xmpp.Element, bool) {
	return func(o sessions.Out) (*xmpp.Element, bool) {
		v, ok := o.(T)
		if !ok {
			return nil, false
		}
		return f(v), true
	}
}
