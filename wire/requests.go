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
	return xmlstream.Wrap(requestChildren(r.Visitor, r.Body), start(NS, "request", "queue", r.Queue, "token", r.Token,
		"probe", boolAttr(r.Probe), "new", boolAttr(r.New)))
}

// requestChildren are a request's <visitor/> (attributes in name order) and <body/>.
func requestChildren(visitor map[string]string, body string) xml.TokenReader {
	var inner []xml.TokenReader
	if len(visitor) > 0 {
		keys := make([]string, 0, len(visitor))
		for k := range visitor {
			keys = append(keys, k)
		}
		sortStrings(keys)
		pairs := make([]string, 0, 2*len(keys))
		for _, k := range keys {
			pairs = append(pairs, k, visitor[k])
		}
		inner = append(inner, empty(start("", "visitor", pairs...)))
	}
	if body != "" {
		inner = append(inner, xmlstream.Wrap(xmlstream.Token(xml.CharData(body)), start("", "body")))
	}
	return xmlstream.MultiReader(inner...)
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
	_, err = readRequestChildren(d, r.Visitor, &r.Body)
	return err
}

// readRequestChildren reads a request's children up to its end: the one
// <visitor/>'s unqualified attributes into visitor, the first <body/>'s text
// into body; found says whether there was a body.
func readRequestChildren(d *xml.Decoder, visitor map[string]string, body *string) (found bool, err error) {
	visitors := 0
	err = children(d, func(t xml.StartElement) error {
		switch {
		case t.Name.Space == NS && t.Name.Local == "visitor":
			if visitors++; visitors > 1 {
				return ErrVisitors
			}
			for _, a := range t.Attr {
				if a.Name.Space == "" {
					visitor[a.Name.Local] = a.Value
				}
			}
		case t.Name.Space == NS && t.Name.Local == "body" && !found:
			found = true
			var err error
			*body, err = text(d)
			return err
		}
		return d.Skip()
	})
	return found, err
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

var suspendCodec = flat[Suspend]{"suspend",
	func(s Suspend) []string { return []string{"cause", s.Cause} },
	func(a func(string) string) Suspend { return Suspend{Cause: a("cause")} }}

// TokenReader implements xmlstream.Marshaler.
func (s Suspend) TokenReader() xml.TokenReader { return suspendCodec.tokens(s) }

// MarshalXML implements xml.Marshaler.
func (s Suspend) MarshalXML(e *xml.Encoder, _ xml.StartElement) error {
	return suspendCodec.marshal(e, s)
}

// UnmarshalXML implements xml.Unmarshaler.
func (s *Suspend) UnmarshalXML(d *xml.Decoder, st xml.StartElement) error {
	return suspendCodec.unmarshal(d, st, s)
}
