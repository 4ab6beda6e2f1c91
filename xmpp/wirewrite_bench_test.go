package xmpp

import (
	"encoding/xml"
	"io"
	"testing"

	"mellium.im/xmlstream"
)

// BenchmarkWriteGroupchat: one groupchat copy written the old way (tokens
// through encoding/xml, what mellium's stream writer did) and by the writer's
// own serialiser into a reused buffer.
func BenchmarkWriteGroupchat(b *testing.B) {
	el := New("", "message", "from", "y3aiqqi6ntnftltcqdz2rylgru@chat.example.test/Visitor",
		"to", "agent1@example.test/C1BsEYPpP8W2", "type", "groupchat", "id", "601d0c80eaeeecea").Add(
		New("", "body").SetText("pl ed2f604c 0 v 1 3979141"),
		New("urn:xmpp:sid:0", "stanza-id", "by", "y3aiqqi6ntnftltcqdz2rylgru@chat.example.test", "id", "7"))
	b.Run("tokens", func(b *testing.B) {
		b.ReportAllocs()
		w := xml.NewEncoder(io.Discard)
		for b.Loop() {
			if _, err := xmlstream.Copy(w, el.TokenReader()); err != nil {
				b.Fatal(err)
			}
			if err := w.Flush(); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("serialiser", func(b *testing.B) {
		b.ReportAllocs()
		var buf []byte
		for b.Loop() {
			buf, _ = appendStanza(buf[:0], el, "chat.example.test")
		}
	})
}
