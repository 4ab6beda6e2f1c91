package xmpp

import (
	"encoding/xml"
	"strings"
	"testing"
)

// A stanza over MaxStanza is not written: TooLarge gets its start element
// and size (so that the gateway can answer it), and the stanzas around it go
// out as they were, on the same connection, by either of the writer's ways.
func TestConnWritesNothingOverMaxStanza(t *testing.T) {
	srv := newFakeServer(t, testSecret)
	st := newStates()
	cfg := testConfig(srv.addr())
	cfg.MaxStanza = 4096
	var told []string
	cfg.TooLarge = func(stub *Element, size int) {
		if size <= cfg.MaxStanza || len(stub.Children) != 0 || stub.Text != "" {
			t.Errorf("told of %s (%d bytes), want a stub over the limit", stub, size)
		}
		told = append(told, stub.Name.Local+" "+stub.Get("id"))
	}
	c := NewConn(cfg, func(*Element) {}, st.on)
	run(t, c)
	sc := srv.next()
	st.expect(t, true)

	big := strings.Repeat("x", 5000)
	answer := New("", "iq", "type", "result", "id", "q1", "to", "sue@example.com/desk").Add(
		New("http://jabber.org/protocol/disco#items", "query").Add(New("", "item", "jid", "r@"+testDomain, "name", big)))
	huge := msg("2")
	huge.Child("", "body").SetText(big)
	// One that the writer's own serialiser does not write (a qualified
	// attribute): measured the other way.
	odd := New("", "message", "from", testDomain, "to", "ann@example.com/w", "id", "4").Add(New("urn:x", "x"))
	odd.Children[0].Attr = append(odd.Children[0].Attr, xml.Attr{Name: xml.Name{Space: "urn:y", Local: "k"}, Value: big})
	if err := c.Send(msg("1"), answer, huge, msg("3"), odd, msg("5")); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"1", "3", "5"} {
		if got := sc.read().Get("id"); got != want {
			t.Fatalf("read %q, want %q (the large ones left out)", got, want)
		}
	}
	if got := strings.Join(told, ", "); got != "iq q1, message 2, message 4" {
		t.Errorf("told of %s, want iq q1, message 2, message 4", got)
	}
	if !c.Up() {
		t.Error("the connection went down")
	}
}
