package gateway

import (
	"testing"

	"github.com/parley-chat/parley/xmpp"
)

// BenchmarkDecodePlainMessage: the quiet path's message, a body and nothing
// to relay (what parleyload and most clients send).
func BenchmarkDecodePlainMessage(b *testing.B) {
	el := xmpp.New("", "message", "from", "ann@guest.example.test/w", "to", "s1@chat.example.test",
		"type", "groupchat", "id", "9b5d74beab759e33").Add(xmpp.New("", "body").SetText("pl ed2f604c 0 v 0 88788"))
	b.ReportAllocs()
	for b.Loop() {
		m, err := decodeMessage(el)
		if err != nil || m.Payload != "" {
			b.Fatal(err, m.Payload)
		}
	}
}
