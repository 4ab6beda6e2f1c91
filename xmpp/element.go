// Package xmpp owns Parley's side of the wire: the XEP-0114 component
// connection to the XMPP server (dial, handshake, reconnect with backoff), the
// one serialised writer that batches outgoing stanzas, and a small element tree
// for decoding incoming stanzas and encoding outgoing ones. It knows XML and
// XMPP, not chat sessions.
package xmpp

import (
	"bytes"
	"encoding/xml"
	"errors"
	"io"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"mellium.im/xmlstream"
)

// Element is an XML element with its attributes, children and text. Names
// carry resolved namespaces; an empty Space on output means "inherit".
//
// Text is all the character data directly inside, concatenated: what a
// reader of a leaf element (a body, a value) wants. A decoded element also
// remembers where each child stood in that text, so that it renders its
// mixed content (XHTML-IM's <p>Hello <b>world</b>, again!</p>) in document
// order; one built with New, Add and SetText renders its text first. Change
// a decoded element through SetText and Add, which keep that order true
// (SetText puts the text first, Add puts the child last); fields assigned
// directly may not.
type Element struct {
	Name     xml.Name
	Attr     []xml.Attr
	Children []*Element
	Text     string // character data directly inside, concatenated

	// at[i] is the offset in Text at which Children[i] stands (offsets
	// never decrease); used only while len(at) == len(Children).
	at []int
}

// ErrTooDeep is returned for elements nested deeper than MaxDepth.
var ErrTooDeep = errors.New("xmpp: element nested too deeply")

// MaxDepth bounds nesting of decoded elements.
const MaxDepth = 32

// ErrTooLarge is returned for elements holding more than MaxBytes of
// attribute values and text.
var ErrTooLarge = errors.New("xmpp: element too large")

// MaxBytes bounds the names, attribute values and character data of one
// decoded element, its children included: far above any stanza Parley takes
// (bodies and fields are limited to a few KiB), below Prosody's c2s limit of
// 256 KiB, so that what is larger reaches Parley and is answered.
const MaxBytes = 64 << 10

// New makes an element; attrs are name, value pairs (empty values left out).
func New(space, local string, attrs ...string) *Element {
	e := &Element{Name: xml.Name{Space: space, Local: local}}
	for i := 0; i+1 < len(attrs); i += 2 {
		if attrs[i+1] != "" {
			e.Attr = append(e.Attr, xml.Attr{Name: xml.Name{Local: attrs[i]}, Value: attrs[i+1]})
		}
	}
	return e
}

// Add appends children (after the text) and returns e.
func (e *Element) Add(c ...*Element) *Element {
	for _, x := range c {
		if x != nil {
			if e.at != nil && e.ordered() { // nil at: text first, as it would say
				e.at = append(e.at, len(e.Text))
			}
			e.Children = append(e.Children, x)
		}
	}
	return e
}

// SetText sets the text (before any children) and returns e.
func (e *Element) SetText(s string) *Element { e.Text, e.at = s, nil; return e }

// ordered reports whether at still says where each child stands in Text.
func (e *Element) ordered() bool {
	return len(e.at) == len(e.Children) && (len(e.at) == 0 || e.at[len(e.at)-1] <= len(e.Text))
}

// Get returns the value of an unqualified attribute.
func (e *Element) Get(name string) string {
	if i := slices.IndexFunc(e.Attr, unqualified(name)); i >= 0 {
		return e.Attr[i].Value
	}
	return ""
}

// Has reports whether an unqualified attribute is present.
func (e *Element) Has(name string) bool { return slices.ContainsFunc(e.Attr, unqualified(name)) }

func unqualified(name string) func(xml.Attr) bool {
	return func(a xml.Attr) bool { return a.Name.Local == name && a.Name.Space == "" }
}

// Set sets an unqualified attribute (removing it when value is empty).
func (e *Element) Set(name, value string) *Element {
	for i, a := range e.Attr {
		if a.Name.Local == name && a.Name.Space == "" {
			if value == "" {
				e.Attr = append(e.Attr[:i:i], e.Attr[i+1:]...)
			} else {
				e.Attr[i].Value = value
			}
			return e
		}
	}
	if value != "" {
		e.Attr = append(e.Attr, xml.Attr{Name: xml.Name{Local: name}, Value: value})
	}
	return e
}

// Child returns the first child with that namespace and local name ("" space
// matches any).
func (e *Element) Child(space, local string) *Element {
	if i := slices.IndexFunc(e.Children, named(space, local)); i >= 0 {
		return e.Children[i]
	}
	return nil
}

func named(space, local string) func(*Element) bool {
	return func(c *Element) bool { return c.Name.Local == local && (space == "" || c.Name.Space == space) }
}

// ChildrenNamed returns every child with that namespace and local name.
func (e *Element) ChildrenNamed(space, local string) []*Element {
	var out []*Element
	match := named(space, local)
	for _, c := range e.Children {
		if match(c) {
			out = append(out, c)
		}
	}
	return out
}

// Decode reads the element that start opens from r (which yields the tokens
// after start, up to and including its end), as an xml.Decoder reads them
// from the wire: names carry resolved namespaces, so a child with no
// namespace under a namespaced parent was written xmlns=” and is refused
// (ErrNoNamespace).
func Decode(start xml.StartElement, r xml.TokenReader) (*Element, error) {
	return decode(start, r, true, MaxBytes)
}

// FromTokens is Decode for tokens made in code (mellium's TokenReaders): an
// empty namespace there means "inherit", as in an Element. MaxBytes, a
// bound on what a peer sends, does not apply: what the service builds may
// be larger (an agent's workspace of 100 sessions is), and what it may send
// at once is the writer's to bound (Config.MaxStanza).
func FromTokens(start xml.StartElement, r xml.TokenReader) (*Element, error) {
	return decode(start, r, false, 0)
}

// decode builds an element from tokens; limit, when above zero, bounds its
// names, attribute values and character data (ErrTooLarge).
func decode(start xml.StartElement, r xml.TokenReader, resolved bool, limit int) (*Element, error) {
	root := fromStart(start)
	stack := []*Element{root}
	// Pointers: a strings.Builder must not be copied once written to, and
	// the slice grows.
	text := []*strings.Builder{{}}
	size := attrBytes(start)
	if !goodNames(start) {
		return nil, ErrBadName
	}
	for len(stack) > 0 {
		tok, err := r.Token()
		if err != nil {
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return nil, err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if len(stack) >= MaxDepth {
				return nil, ErrTooDeep
			}
			if size += attrBytes(t); limit > 0 && size > limit {
				return nil, ErrTooLarge
			}
			if !goodNames(t) {
				return nil, ErrBadName
			}
			c := fromStart(t)
			top := stack[len(stack)-1]
			if resolved && c.Name.Space == "" && top.Name.Space != "" {
				return nil, ErrNoNamespace
			}
			top.at = append(top.at, text[len(text)-1].Len())
			top.Children = append(top.Children, c)
			stack = append(stack, c)
			text = append(text, &strings.Builder{})
		case xml.CharData:
			if size += len(t); limit > 0 && size > limit {
				return nil, ErrTooLarge
			}
			text[len(text)-1].Write(t)
		case xml.EndElement:
			top := stack[len(stack)-1]
			top.Text = text[len(text)-1].String()
			stack = stack[:len(stack)-1]
			text = text[:len(text)-1]
		}
	}
	return root, nil
}

// ErrNoNamespace is returned for a child taken out of every namespace
// (xmlns=”) under a parent that has one: an empty Space means "inherit"
// in an Element, so such a child would come back in its parent's namespace
// (found by FuzzDocumentOrder). No XMPP payload Parley relays needs it, so
// it is refused rather than represented.
var ErrNoNamespace = errors.New("xmpp: element in no namespace under a namespaced parent")

// ErrBadName is returned for an element or attribute whose local name (the
// part after a prefix) is not an XML name: Go's decoder takes "<A:0/>", which
// no XML writer can write back ("<0 xmlns='A'>").
var ErrBadName = errors.New("xmpp: element or attribute name is not an XML name")

// goodNames reports whether every local name of s can be written back.
func goodNames(s xml.StartElement) bool {
	if !ncName(s.Name.Local) {
		return false
	}
	for _, a := range s.Attr {
		if !ncName(a.Name.Local) {
			return false
		}
	}
	return true
}

// ncName checks what Go's decoder leaves unchecked in a local name: its
// first character, and that it holds no colon.
func ncName(s string) bool {
	if s == "" || strings.ContainsRune(s, ':') {
		return false
	}
	r, _ := utf8.DecodeRuneInString(s)
	return r == '_' || unicode.IsLetter(r) || r > 0x7f && !unicode.In(r, unicode.Mn, unicode.Mc, unicode.Nd) && r != 0xB7 && (r < 0x203F || r > 0x2040)
}

func attrBytes(s xml.StartElement) int {
	n := len(s.Name.Local)
	for _, a := range s.Attr {
		n += len(a.Name.Local) + len(a.Value)
	}
	return n
}

// Stub is the element that start opens, with its attributes and no content:
// what is left to answer a stanza that could not be decoded.
func Stub(start xml.StartElement) *Element { return fromStart(start) }

func fromStart(s xml.StartElement) *Element {
	e := &Element{Name: s.Name}
	for _, a := range s.Attr {
		if a.Name.Local == "xmlns" && a.Name.Space == "" || a.Name.Space == "xmlns" {
			continue
		}
		e.Attr = append(e.Attr, a)
	}
	return e
}

// Parse decodes a string holding zero or more sibling elements (a payload).
func Parse(s string) ([]*Element, error) {
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	d := xml.NewDecoder(strings.NewReader(s))
	var out []*Element
	for {
		tok, err := d.Token()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
		if st, ok := tok.(xml.StartElement); ok {
			el, err := Decode(st.Copy(), d)
			if err != nil {
				return nil, err
			}
			out = append(out, el)
		}
	}
}

// TokenReader returns the element as tokens.
func (e *Element) TokenReader() xml.TokenReader {
	var toks []xml.Token
	e.tokens(&toks)
	i := 0
	return xmlstream.ReaderFunc(func() (xml.Token, error) {
		if i >= len(toks) {
			return nil, io.EOF
		}
		t := toks[i]
		i++
		return t, nil
	})
}

// segments calls text for each run of e's text and child for each child, in
// document order; text comes first when the positions are not known (an
// element built in code). Element.tokens and the stream writer both walk an
// element through it, so both write its content in the same order.
func (e *Element) segments(text func(string), child func(*Element)) {
	at := e.at
	if !e.ordered() {
		at = nil // text first
	}
	done := 0 // bytes of Text written
	for i, c := range e.Children {
		if i < len(at) && at[i] > done {
			text(e.Text[done:at[i]])
			done = at[i]
		} else if at == nil && done < len(e.Text) {
			text(e.Text)
			done = len(e.Text)
		}
		child(c)
	}
	if done < len(e.Text) {
		text(e.Text[done:])
	}
}

func (e *Element) tokens(out *[]xml.Token) {
	// The stream's encoder rewrites attribute slices in place: hand it copies,
	// since one element may be shared by many outgoing stanzas.
	start := xml.StartElement{Name: e.Name, Attr: append([]xml.Attr(nil), e.Attr...)}
	*out = append(*out, start)
	e.segments(func(text string) { *out = append(*out, xml.CharData(text)) }, func(c *Element) { c.tokens(out) })
	*out = append(*out, start.End())
}

// String renders the element as XML (namespaces declared where they change).
func (e *Element) String() string {
	var b bytes.Buffer
	enc := xml.NewEncoder(&b)
	_, _ = xmlstream.Copy(enc, e.TokenReader())
	_ = enc.Flush()
	return b.String()
}

// Strip returns a copy of e in which names in space (the stream's default
// namespace, e.g. jabber:component:accept) become unqualified, so they
// inherit the namespace of wherever they are written.
func (e *Element) Strip(space string) *Element {
	c := &Element{Name: e.Name, Attr: append([]xml.Attr(nil), e.Attr...), Text: e.Text, at: slices.Clone(e.at)}
	if c.Name.Space == space {
		c.Name.Space = ""
	}
	for _, ch := range e.Children {
		c.Children = append(c.Children, ch.Strip(space))
	}
	return c
}
