package xmpp

import (
	"strconv"

	"mellium.im/xmpp/stanza"
)

// Stanzas too large for the server (Config.MaxStanza). The domain bounds
// what it answers (a supervisor's list is paged); this is the edge's last
// guard, where the size is known: one oversized answer must not cost every
// session its connection.

// refusal is what is written instead of s, a stanza over max bytes: for an
// IQ result, an error answer to the same request (resource-constraint, so
// the asker knows it will not come); nil for anything else, left out.
func refusal(s *Element, max int) *Element {
	if s.Name.Local != "iq" || s.Get("type") != "result" {
		return nil
	}
	e := New("", "iq", "type", "error", "id", s.Get("id"), "to", s.Get("to"))
	if from := s.Get("from"); from != "" {
		e.Set("from", from)
	}
	e.Add(New("", "error", "type", string(stanza.Wait)).Add(
		New(stanza.NSError, string(stanza.ResourceConstraint)),
		New(stanza.NSError, "text").SetText("the answer is larger than the service may send at once ("+
			strconv.Itoa(max)+" bytes); ask for less (a page, XEP-0059)")))
	return e
}

// tooLarge logs and counts s, left out for its size.
func (c *Conn) tooLarge(s *Element, size int) {
	c.log.Error("stanza not written: larger than the server takes", "stanza", s.Name.Local,
		"type", s.Get("type"), "to", s.Get("to"), "bytes", size, "max", c.cfg.MaxStanza)
	if c.cfg.OnTooLarge != nil {
		c.cfg.OnTooLarge(s.Name.Local, size)
	}
}
