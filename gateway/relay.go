package gateway

import (
	"encoding/xml"
	"slices"
	"strings"

	"github.com/parley-chat/parley/xmpp"
	"mellium.im/xmlstream"
)

// relayed is the payload of an incoming message: its direct children that
// the service passes on without understanding them (chat states, links,
// XHTML-IM, origin-id, …), in document order, as self-contained XML. What is
// carried apart and what only the service may stamp (kept says which) is
// stripped on the way, by transforms on the message's token stream; deeper
// elements are left as they are. The string is what the engine relays to
// occupants and the store keeps for the transcript: both are rendered from it
// by encoder.payload, so what the archive returns is what occupants received.
func relayed(el *xmpp.Element) (string, error) {
	if !slices.ContainsFunc(el.Children, func(c *xmpp.Element) bool { return kept(c.Name) }) {
		return "", nil // nothing to relay (a plain message): no encoder to set up
	}
	r := el.TokenReader()
	if _, err := r.Token(); err != nil { // the message's own start
		return "", err
	}
	depth := 0 // below the message, of the token being read
	track := xmlstream.Inspect(func(t xml.Token) {
		switch t.(type) {
		case xml.StartElement:
			depth++
		case xml.EndElement:
			depth--
		}
	})
	strip := xmlstream.RemoveElement(func(s xml.StartElement) bool { return depth == 1 && !kept(s.Name) })
	between := xmlstream.Remove(func(t xml.Token) bool {
		_, text := t.(xml.CharData)
		return text && depth == 0 // whitespace between the message's children
	})
	var b strings.Builder
	enc := xml.NewEncoder(&b)
	if _, err := xmlstream.Copy(enc, between(strip(track(xmlstream.Inner(r))))); err != nil {
		return "", err
	}
	if err := enc.Flush(); err != nil {
		return "", err
	}
	return b.String(), nil
}
