package wire

import (
	"encoding/xml"
	"strconv"
	"time"

	"mellium.im/xmlstream"
)

// Event is <event/>, a system event of a session (PROTOCOL 4).
type Event struct {
	Type     string // queued, assigned, suspended, …
	By       string // visitor, agent, system
	State    string
	Position int // queued: 1-based place; 0 is left out
	Wait     int // queued: estimated seconds; negative is left out
	Agent    string
	Cause    string
}

// TokenReader implements xmlstream.Marshaler.
func (e Event) TokenReader() xml.TokenReader {
	wait := ""
	if e.Wait >= 0 {
		wait = strconv.Itoa(e.Wait)
	}
	return empty(start(NS, "event", "type", e.Type, "by", e.By, "state", e.State, "position", itoa(e.Position),
		"wait", wait, "agent", e.Agent, "cause", e.Cause))
}

// MarshalXML implements xml.Marshaler.
func (e Event) MarshalXML(enc *xml.Encoder, _ xml.StartElement) error {
	return marshal(enc, e.TokenReader())
}

// UnmarshalXML implements xml.Unmarshaler.
func (e *Event) UnmarshalXML(d *xml.Decoder, s xml.StartElement) error {
	*e = Event{Type: attr(s, "type"), By: attr(s, "by"), State: attr(s, "state"), Agent: attr(s, "agent"),
		Cause: attr(s, "cause"), Wait: -1}
	e.Position, _ = strconv.Atoi(attr(s, "position"))
	if w := attr(s, "wait"); w != "" {
		e.Wait, _ = strconv.Atoi(w)
	}
	return d.Skip()
}

// Session is <session/>, the answer to a request or a reconnect (PROTOCOL 3, 5).
type Session struct {
	ID, Room, State string
	Token           string
	SuspendedBy     string
	Cause           string
	Started         time.Time
	Replaces        string
	Nick            string
	Reconnected     bool
}

// tokens renders the session in space ("" inside <resumable/>).
func (s Session) tokens(space string) xml.TokenReader {
	return empty(start(space, "session", "id", s.ID, "room", s.Room, "state", s.State, "token", s.Token,
		"suspended-by", s.SuspendedBy, "cause", s.Cause, "started", stamp(s.Started), "replaces", s.Replaces,
		"nick", s.Nick, "reconnected", boolAttr(s.Reconnected)))
}

// TokenReader implements xmlstream.Marshaler.
func (s Session) TokenReader() xml.TokenReader { return s.tokens(NS) }

// MarshalXML implements xml.Marshaler.
func (s Session) MarshalXML(enc *xml.Encoder, _ xml.StartElement) error {
	return marshal(enc, s.TokenReader())
}

// UnmarshalXML implements xml.Unmarshaler.
func (s *Session) UnmarshalXML(d *xml.Decoder, st xml.StartElement) error {
	*s = Session{ID: attr(st, "id"), Room: attr(st, "room"), State: attr(st, "state"), Token: attr(st, "token"),
		SuspendedBy: attr(st, "suspended-by"), Cause: attr(st, "cause"), Replaces: attr(st, "replaces"),
		Nick: attr(st, "nick"), Reconnected: attr(st, "reconnected") == "true"}
	if v := attr(st, "started"); v != "" {
		t, err := time.Parse(time.RFC3339, v)
		if err != nil {
			return err
		}
		s.Started = t
	}
	return d.Skip()
}

// Resumable is <resumable/>: the visitor's cookie has a live session and the
// service asks whether to reconnect (mode "prompt") or will (mode "always").
type Resumable struct {
	Mode    string
	Session Session
}

// TokenReader implements xmlstream.Marshaler.
func (r Resumable) TokenReader() xml.TokenReader {
	return xmlstream.Wrap(r.Session.tokens(""), start(NS, "resumable", "mode", r.Mode))
}

// MarshalXML implements xml.Marshaler.
func (r Resumable) MarshalXML(enc *xml.Encoder, _ xml.StartElement) error {
	return marshal(enc, r.TokenReader())
}

// UnmarshalXML implements xml.Unmarshaler.
func (r *Resumable) UnmarshalXML(d *xml.Decoder, st xml.StartElement) error {
	*r = Resumable{Mode: attr(st, "mode")}
	return children(d, func(t xml.StartElement) error {
		if t.Name.Local == "session" {
			return r.Session.UnmarshalXML(d, t)
		}
		return d.Skip()
	})
}

// Reconnected is <reconnected/>, the notice to a session's agents that its
// visitor came back.
type Reconnected struct {
	Session, State string
}

var reconnectedCodec = flat[Reconnected]{"reconnected",
	func(r Reconnected) []string { return []string{"session", r.Session, "state", r.State} },
	func(a func(string) string) Reconnected { return Reconnected{Session: a("session"), State: a("state")} }}

// TokenReader implements xmlstream.Marshaler.
func (r Reconnected) TokenReader() xml.TokenReader { return reconnectedCodec.tokens(r) }

// MarshalXML implements xml.Marshaler.
func (r Reconnected) MarshalXML(e *xml.Encoder, _ xml.StartElement) error {
	return reconnectedCodec.marshal(e, r)
}

// UnmarshalXML implements xml.Unmarshaler.
func (r *Reconnected) UnmarshalXML(d *xml.Decoder, s xml.StartElement) error {
	return reconnectedCodec.unmarshal(d, s, r)
}

// CannedItem is one canned response in a <canned/> list.
type CannedItem struct {
	ID, Title, Text string
}

// Canned is <canned/>: with ID, the marker of a posted canned response (and
// the request to post one); with Items, the list of canned responses.
type Canned struct {
	ID    string
	Items []CannedItem
}

// TokenReader implements xmlstream.Marshaler.
func (c Canned) TokenReader() xml.TokenReader {
	items := make([]xml.TokenReader, 0, len(c.Items))
	for _, it := range c.Items {
		var body xml.TokenReader
		if it.Text != "" {
			body = xmlstream.Token(xml.CharData(it.Text))
		}
		items = append(items, xmlstream.Wrap(body, start("", "item", "id", it.ID, "title", it.Title)))
	}
	return xmlstream.Wrap(xmlstream.MultiReader(items...), start(NS, "canned", "id", c.ID))
}

// MarshalXML implements xml.Marshaler.
func (c Canned) MarshalXML(enc *xml.Encoder, _ xml.StartElement) error {
	return marshal(enc, c.TokenReader())
}

// UnmarshalXML implements xml.Unmarshaler.
func (c *Canned) UnmarshalXML(d *xml.Decoder, st xml.StartElement) error {
	*c = Canned{ID: attr(st, "id")}
	var raw struct {
		Items []struct {
			ID    string `xml:"id,attr"`
			Title string `xml:"title,attr"`
			Text  string `xml:",chardata"`
		} `xml:"item"`
	}
	if err := d.DecodeElement(&raw, &st); err != nil {
		return err
	}
	for _, it := range raw.Items {
		c.Items = append(c.Items, CannedItem{ID: it.ID, Title: it.Title, Text: it.Text})
	}
	return nil
}

// Comment is <comment/>: the marker of an internal comment (agents only),
// and, with Text, the request to post one.
type Comment struct {
	Text string
}

// TokenReader implements xmlstream.Marshaler.
func (c Comment) TokenReader() xml.TokenReader {
	var body xml.TokenReader
	if c.Text != "" {
		body = xmlstream.Token(xml.CharData(c.Text))
	}
	return xmlstream.Wrap(body, start(NS, "comment"))
}

// MarshalXML implements xml.Marshaler.
func (c Comment) MarshalXML(enc *xml.Encoder, _ xml.StartElement) error {
	return marshal(enc, c.TokenReader())
}

// UnmarshalXML implements xml.Unmarshaler.
func (c *Comment) UnmarshalXML(d *xml.Decoder, st xml.StartElement) error {
	var raw struct {
		Text string `xml:",chardata"`
	}
	if err := d.DecodeElement(&raw, &st); err != nil {
		return err
	}
	*c = Comment{Text: raw.Text}
	return nil
}
