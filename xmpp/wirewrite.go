package xmpp

import (
	"encoding/hex"
	"encoding/xml"
	"math/rand/v2"
	"unicode/utf8"
)

// The writer's own serialiser (issue 13): every outgoing stanza of a batch
// is appended to one buffer and written with one write call, instead of
// going token by token through encoding/xml and mellium's stanza encoder.
// What it writes is the same XML as that path wrote, with less of it:
//
//   - the stanza itself carries no xmlns: it is in the stream's default
//     namespace (jabber:component:accept), declared once on the stream;
//   - a child declares its namespace only where it differs from its
//     parent's (encoding/xml declared it on every qualified element);
//   - an element without content is written as an empty-element tag
//     (<stanza-id …/>, not <stanza-id …></stanza-id>).
//
// It does what mellium's stanza encoder did to a stanza: a missing or empty
// from becomes the component's domain, a missing id becomes a random one
// (an id that is there but empty stays empty: the answer to an IQ that came
// with id=''). An element it cannot write this way (a qualified attribute
// other than xml:…, a namespace on a name with a prefix of its own) makes
// appendStanza say no, and the writer sends that stanza the old way.

// xmlNS is the namespace of the xml: prefix (xml:lang).
const xmlNS = "http://www.w3.org/XML/1998/namespace"

// appendStanza appends s, a top-level stanza, to buf; ok is false (and buf
// unchanged) when s is not one this serialiser writes.
func appendStanza(buf []byte, s *Element, domain string) (_ []byte, ok bool) {
	switch s.Name.Local {
	case "message", "presence", "iq":
	default:
		return buf, false
	}
	if s.Name.Space != "" && s.Name.Space != NSComponent || !writable(s) {
		return buf, false
	}
	buf = append(buf, '<')
	buf = append(buf, s.Name.Local...)
	hasFrom, hasID := false, false
	for _, a := range s.Attr {
		if a.Name.Space == "" {
			switch a.Name.Local {
			case "from":
				if a.Value == "" {
					continue // mellium dropped it too, and put the domain
				}
				hasFrom = true
			case "id":
				hasID = true // an empty id is written as it is
			}
		}
		buf = appendAttr(buf, a)
	}
	if !hasFrom && domain != "" {
		buf = appendAttr(buf, xml.Attr{Name: xml.Name{Local: "from"}, Value: domain})
	}
	if !hasID {
		buf = append(buf, ` id="`...)
		buf = appendRandomID(buf)
		buf = append(buf, '"')
	}
	return appendContent(buf, s, NSComponent), true
}

// writable reports whether e and its descendants use only what
// appendElement writes: unqualified attributes, xml:… attributes, and
// element names whose namespace is a default-namespace declaration.
func writable(e *Element) bool {
	if e.Name.Local == "" || !ncName(e.Name.Local) {
		return false
	}
	for _, a := range e.Attr {
		if a.Name.Space != "" && a.Name.Space != xmlNS || a.Name.Local == "xmlns" || !ncName(a.Name.Local) {
			return false
		}
	}
	for _, c := range e.Children {
		if !writable(c) {
			return false
		}
	}
	return true
}

// appendElement appends e, a child of an element in namespace parent.
func appendElement(buf []byte, e *Element, parent string) []byte {
	buf = append(buf, '<')
	buf = append(buf, e.Name.Local...)
	ns := parent
	if e.Name.Space != "" && e.Name.Space != parent {
		ns = e.Name.Space
		buf = append(buf, ` xmlns="`...)
		buf = appendEscaped(buf, ns, true)
		buf = append(buf, '"')
	}
	for _, a := range e.Attr {
		buf = appendAttr(buf, a)
	}
	return appendContent(buf, e, ns)
}

// appendContent closes e's start tag and appends its content and end tag
// (or makes the tag an empty-element tag); ns is e's namespace. Text and
// children stand in the order Element.tokens gives them.
func appendContent(buf []byte, e *Element, ns string) []byte {
	if len(e.Children) == 0 && e.Text == "" {
		return append(buf, "/>"...)
	}
	buf = append(buf, '>')
	e.segments(func(text string) { buf = appendEscaped(buf, text, false) }, func(c *Element) { buf = appendElement(buf, c, ns) })
	buf = append(buf, "</"...)
	buf = append(buf, e.Name.Local...)
	return append(buf, '>')
}

func appendAttr(buf []byte, a xml.Attr) []byte {
	buf = append(buf, ' ')
	if a.Name.Space == xmlNS {
		buf = append(buf, "xml:"...)
	}
	buf = append(buf, a.Name.Local...)
	buf = append(buf, `="`...)
	buf = appendEscaped(buf, a.Value, true)
	return append(buf, '"')
}

// appendEscaped appends s escaped as encoding/xml's encoder does it: the
// five markup characters, tab, carriage return and (in attribute values,
// newline true) newline as references, and what is not a character XML
// allows, or not UTF-8, as U+FFFD.
func appendEscaped(buf []byte, s string, newline bool) []byte {
	last := 0
	for i := 0; i < len(s); {
		if c := s[i]; c >= 0x20 && c < utf8.RuneSelf && c != '"' && c != '\'' && c != '&' && c != '<' && c != '>' {
			i++ // plain ASCII, the common case
			continue
		}
		r, width := utf8.DecodeRuneInString(s[i:])
		var esc string
		switch r {
		case '"':
			esc = "&#34;"
		case '\'':
			esc = "&#39;"
		case '&':
			esc = "&amp;"
		case '<':
			esc = "&lt;"
		case '>':
			esc = "&gt;"
		case '\t':
			esc = "&#x9;"
		case '\n':
			if !newline {
				i += width
				continue
			}
			esc = "&#xA;"
		case '\r':
			esc = "&#xD;"
		default:
			if !isInCharacterRange(r) || (r == utf8.RuneError && width == 1) {
				esc = "\uFFFD"
				break
			}
			i += width
			continue
		}
		buf = append(buf, s[last:i]...)
		buf = append(buf, esc...)
		i += width
		last = i
	}
	return append(buf, s[last:]...)
}

// isInCharacterRange is XML 1.0's Char production (as encoding/xml has it).
func isInCharacterRange(r rune) bool {
	return r == 0x09 || r == 0x0A || r == 0x0D ||
		r >= 0x20 && r <= 0xD7FF ||
		r >= 0xE000 && r <= 0xFFFD ||
		r >= 0x10000 && r <= 0x10FFFF
}

// appendRandomID appends 16 hex digits, as long as mellium's ids. They only
// need to be unlikely to repeat on this stream, not secret: a fast source.
func appendRandomID(buf []byte) []byte {
	var b [8]byte
	v := rand.Uint64()
	for i := range b {
		b[i] = byte(v >> (8 * i))
	}
	return hex.AppendEncode(buf, b[:])
}
