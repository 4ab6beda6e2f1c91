package wire

import (
	"encoding/xml"
	"errors"
	"strings"

	"mellium.im/xmlstream"
)

// The elements clients send: a visitor's <request/> and <reconnect/>, and
// <suspend/> (the other requests carry nothing the service reads beyond their
// name, or are read in request.go's neighbours: <canned/>, <comment/>).

// BoolError is a boolean attribute that is not one.
type BoolError struct{ Attr string }

func (e *BoolError) Error() string { return e.Attr + " must be true or false" }

// ErrVisitors is a request with more than one <visitor/>.
var ErrVisitors = errors.New("at most one visitor element")

// ErrReconnect is a <reconnect/> without its session or its token.
var ErrReconnect = errors.New("reconnect needs session and token attributes")

// boolOf reads an xs:boolean attribute (absent is false).
func boolOf(s xml.StartElement, name string) (bool, error) {
	switch attr(s, name) {
	case "", "false", "0":
		return false, nil
	case "true", "1":
		return true, nil
	}
	return false, &BoolError{Attr: name}
}

// Request is <request/> (PROTOCOL 3).
type Request struct {
	Queue, Token string
	Probe, New   bool
	Visitor      map[string]string // <visitor/>'s unqualified attributes; empty, not nil, when none
	Body         string
}

// TokenReader implements xmlstream.Marshaler.
func (r Request) TokenReader() xml.TokenReader {
	var inner []xml.TokenReader
	if len(r.Visitor) > 0 {
		keys := make([]string, 0, len(r.Visitor))
		for k := range r.Visitor {
			keys = append(keys, k)
		}
		sortStrings(keys)
		pairs := make([]string, 0, 2*len(keys))
		for _, k := range keys {
			pairs = append(pairs, k, r.Visitor[k])
		}
		inner = append(inner, empty(start("", "visitor", pairs...)))
	}
	if r.Body != "" {
		inner = append(inner, xmlstream.Wrap(xmlstream.Token(xml.CharData(r.Body)), start("", "body")))
	}
	return xmlstream.Wrap(xmlstream.MultiReader(inner...), start(NS, "request", "queue", r.Queue, "token", r.Token,
		"probe", boolAttr(r.Probe), "new", boolAttr(r.New)))
}

// MarshalXML implements xml.Marshaler.
func (r Request) MarshalXML(enc *xml.Encoder, _ xml.StartElement) error {
	return marshal(enc, r.TokenReader())
}

// UnmarshalXML implements xml.Unmarshaler. A probe or new that is not a
// boolean is a *BoolError, two <visitor/> are ErrVisitors.
func (r *Request) UnmarshalXML(d *xml.Decoder, s xml.StartElement) error {
	*r = Request{Queue: attr(s, "queue"), Token: attr(s, "token"), Visitor: map[string]string{}}
	var err error
	if r.Probe, err = boolOf(s, "probe"); err != nil {
		return err
	}
	if r.New, err = boolOf(s, "new"); err != nil {
		return err
	}
	visitors, body := 0, false
	return children(d, func(t xml.StartElement) error {
		switch {
		case t.Name.Space == NS && t.Name.Local == "visitor":
			if visitors++; visitors > 1 {
				return ErrVisitors
			}
			for _, a := range t.Attr {
				if a.Name.Space == "" {
					r.Visitor[a.Name.Local] = a.Value
				}
			}
		case t.Name.Space == NS && t.Name.Local == "body" && !body:
			body = true
			var err error
			r.Body, err = text(d)
			return err
		}
		return d.Skip()
	})
}

// text reads the character data directly inside the element the decoder is
// in, up to its end (children's text left out, as the element tree does).
func text(d *xml.Decoder) (string, error) {
	var b strings.Builder
	for {
		tok, err := d.Token()
		if err != nil {
			return "", err
		}
		switch t := tok.(type) {
		case xml.CharData:
			b.Write(t)
		case xml.StartElement:
			err = d.Skip()
		case xml.EndElement:
			return b.String(), nil
		}
		if err != nil {
			return "", err
		}
	}
}

// Reconnect is <reconnect/> (PROTOCOL 5).
type Reconnect struct{ Session, Token string }

// TokenReader implements xmlstream.Marshaler.
func (r Reconnect) TokenReader() xml.TokenReader {
	return empty(start(NS, "reconnect", "session", r.Session, "token", r.Token))
}

// MarshalXML implements xml.Marshaler.
func (r Reconnect) MarshalXML(enc *xml.Encoder, _ xml.StartElement) error {
	return marshal(enc, r.TokenReader())
}

// UnmarshalXML implements xml.Unmarshaler; without both attributes it is
// ErrReconnect.
func (r *Reconnect) UnmarshalXML(d *xml.Decoder, s xml.StartElement) error {
	*r = Reconnect{Session: attr(s, "session"), Token: attr(s, "token")}
	if err := d.Skip(); err != nil {
		return err
	}
	if r.Session == "" || r.Token == "" {
		return ErrReconnect
	}
	return nil
}

// Suspend is <suspend/>, with the agent's cause when it gives one.
type Suspend struct{ Cause string }

// TokenReader implements xmlstream.Marshaler.
func (s Suspend) TokenReader() xml.TokenReader { return empty(start(NS, "suspend", "cause", s.Cause)) }

// MarshalXML implements xml.Marshaler.
func (s Suspend) MarshalXML(enc *xml.Encoder, _ xml.StartElement) error {
	return marshal(enc, s.TokenReader())
}

// UnmarshalXML implements xml.Unmarshaler.
func (s *Suspend) UnmarshalXML(d *xml.Decoder, st xml.StartElement) error {
	*s = Suspend{Cause: attr(st, "cause")}
	return d.Skip()
}

// WriteXML implements xmlstream.WriterTo.
func (r Request) WriteXML(w xmlstream.TokenWriter) (int, error) {
	return xmlstream.Copy(w, r.TokenReader())
}

// WriteXML implements xmlstream.WriterTo.
func (r Reconnect) WriteXML(w xmlstream.TokenWriter) (int, error) {
	return xmlstream.Copy(w, r.TokenReader())
}

// WriteXML implements xmlstream.WriterTo.
func (s Suspend) WriteXML(w xmlstream.TokenWriter) (int, error) {
	return xmlstream.Copy(w, s.TokenReader())
}
