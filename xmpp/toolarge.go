package xmpp

import "encoding/xml"

// Stanzas too large for the server (Config.MaxStanza). The domain bounds
// what it answers (a supervisor's list is paged); this is the edge's last
// guard, where the size is known: one oversized answer must not cost every
// session its connection.

// DefaultMaxStanza is parleyd's Config.MaxStanza unless --max-stanza says
// otherwise: under Prosody's component_stanza_size_limit of 512 KB.
const DefaultMaxStanza = 500 << 10

// tooLarge logs s, left out for its size, and hands its start element to
// Config.TooLarge.
func (c *Conn) tooLarge(s *Element, size int) {
	c.log.Error("stanza not written: larger than the server takes", "stanza", s.Name.Local,
		"type", s.Get("type"), "to", s.Get("to"), "bytes", size, "max", c.cfg.MaxStanza)
	if c.cfg.TooLarge != nil {
		c.cfg.TooLarge(&Element{Name: s.Name, Attr: append([]xml.Attr(nil), s.Attr...)}, size)
	}
}
