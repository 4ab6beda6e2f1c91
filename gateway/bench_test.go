package gateway

import (
	"encoding/xml"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/parley-chat/parley/muc"
	"github.com/parley-chat/parley/xmpp"
	"mellium.im/xmlstream"
	"mellium.im/xmpp/jid"
)

// recipients of one broadcast: the occupants' full JIDs.
func recipients(n int) []jid.JID {
	out := make([]jid.JID, n)
	for i := range out {
		out[i] = jid.MustParse(fmt.Sprintf("occupant%d@example.com/r%d", i, i))
	}
	return out
}

const benchPayload = `<active xmlns="http://jabber.org/protocol/chatstates"></active>` +
	`<x xmlns="jabber:x:oob"><url>https://files.example.com/invoice.pdf</url><desc>Invoice</desc></x>`

// BenchmarkEncodeGroupchat encodes one groupchat message with a payload for
// 10 recipients, as a broadcast does: one encoder per broadcast (the payload
// is parsed once and shared), then each stanza written as the connection's
// writer would (tokens into an xml.Encoder).
func BenchmarkEncodeGroupchat(b *testing.B) {
	to := recipients(10)
	msgs := make([]*muc.Message, len(to))
	for i, j := range to {
		msgs[i] = &muc.Message{From: nick("Alice"), To: j, Type: "groupchat", ID: "m1",
			Body: "Here is your invoice", Payload: benchPayload, StanzaID: "18"}
	}
	b.Run("element", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var enc encoder
			for _, m := range msgs {
				if enc.encode(m) == nil {
					b.Fatal("nil")
				}
			}
		}
	})
	b.Run("element+write", func(b *testing.B) {
		b.ReportAllocs()
		w := xml.NewEncoder(io.Discard)
		for b.Loop() {
			var enc encoder
			for _, m := range msgs {
				if _, err := xmlstream.Copy(w, enc.encode(m).TokenReader()); err != nil {
					b.Fatal(err)
				}
			}
			if err := w.Flush(); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkDecodeMessage decodes a groupchat message with a chat state, a
// link and forged stamps: from an already decoded element (decodeMessage
// alone) and from XML text (xmpp.Decode as the connection does, then
// decodeMessage).
func BenchmarkDecodeMessage(b *testing.B) {
	data, err := os.ReadFile(filepath.Join("testdata", "in", "message_groupchat.xml"))
	if err != nil {
		b.Fatal(err)
	}
	el := readStanza(b, data)
	b.Run("element", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := decodeMessage(el); err != nil {
				b.Fatal(err)
			}
		}
	})
	raw := el.String()
	b.Run("xml", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(raw)))
		for b.Loop() {
			els, err := xmpp.Parse(raw)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := decodeMessage(els[0]); err != nil {
				b.Fatal(err)
			}
		}
	})
}
