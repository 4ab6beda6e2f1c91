// Package wire is the one XML form of Parley's own protocol elements
// (namespace urn:parley:chat:0, PROTOCOL 3 to 7 and docs/protocol.md). Each
// element is a Go type with TokenReader, MarshalXML and UnmarshalXML,
// as mellium's disco/info and ping types are. The gateway renders the domain's
// effects with these types and decodes Parley's elements with them; the
// transcript keeps what the same code wrote for the occupants.
//
// It is a package of its own, beside gateway rather than inside it, so that
// every reader and writer of the format (the gateway, its tests, tools) uses
// the same code, and so that it depends on nothing of the project: the layout
// test keeps it free of the domain and of the connection.
package wire

import (
	"encoding/xml"
	"slices"
	"strconv"
	"time"

	"mellium.im/xmlstream"
)

// NS is the namespace of Parley's own elements.
const NS = "urn:parley:chat:0"

// attrs builds attributes from name, value pairs, leaving out empty values.
func attrs(pairs ...string) []xml.Attr {
	a := make([]xml.Attr, 0, len(pairs)/2)
	for i := 0; i+1 < len(pairs); i += 2 {
		if pairs[i+1] != "" {
			a = append(a, xml.Attr{Name: xml.Name{Local: pairs[i]}, Value: pairs[i+1]})
		}
	}
	return a
}

// attr is the value of the unqualified attribute local of start.
func attr(start xml.StartElement, local string) string {
	for _, a := range start.Attr {
		if a.Name.Local == local && a.Name.Space == "" {
			return a.Value
		}
	}
	return ""
}

// start opens element local in space ("" inherits the parent's namespace).
func start(space, local string, pairs ...string) xml.StartElement {
	return xml.StartElement{Name: xml.Name{Space: space, Local: local}, Attr: attrs(pairs...)}
}

// empty is an element with attributes and no content.
func empty(s xml.StartElement) xml.TokenReader { return xmlstream.Wrap(nil, s) }

func marshal(e *xml.Encoder, r xml.TokenReader) error {
	if _, err := xmlstream.Copy(e, r); err != nil {
		return err
	}
	return e.Flush()
}

func itoa(n int) string {
	if n == 0 {
		return ""
	}
	return strconv.Itoa(n)
}

func stamp(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

func boolAttr(b bool) string {
	if b {
		return "true"
	}
	return ""
}

func sortStrings(s []string) { slices.Sort(s) }

// children calls f for each child element of the element the decoder is in,
// up to its end; f consumes the child (decoding or skipping it).
func children(d *xml.Decoder, f func(xml.StartElement) error) error {
	for {
		tok, err := d.Token()
		if err != nil {
			return err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if err := f(t.Copy()); err != nil {
				return err
			}
		case xml.EndElement:
			return nil
		}
	}
}

// flat is the codec of one of Parley's elements that has attributes only:
// its local name, its attributes as name, value pairs (empty ones left out)
// and the value made from the attributes read.
type flat[T any] struct {
	local string
	attrs func(T) []string
	from  func(attr func(string) string) T
}

func (f flat[T]) tokens(v T) xml.TokenReader { return empty(start(NS, f.local, f.attrs(v)...)) }

func (f flat[T]) marshal(e *xml.Encoder, v T) error { return marshal(e, f.tokens(v)) }

func (f flat[T]) unmarshal(d *xml.Decoder, s xml.StartElement, v *T) error {
	*v = f.from(func(name string) string { return attr(s, name) })
	return d.Skip()
}
