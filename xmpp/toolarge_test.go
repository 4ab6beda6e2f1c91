package xmpp

import (
	"encoding/xml"
	"strings"
	"testing"

	"mellium.im/xmpp/stanza"
)

// A stanza over MaxStanza is not written: an IQ answer becomes a
// resource-constraint error to the asker, a message is left out and told,
// and the stanzas around them go out as they were, on the same connection.
func TestConnWritesNothingOverMaxStanza(t *testing.T) {
	srv := newFakeServer(t, testSecret)
	st := newStates()
	cfg := testConfig(srv.addr())
	cfg.MaxStanza = 4096
	var told []string
	cfg.OnTooLarge = func(name string, size int) {
		if size <= cfg.MaxStanza {
			t.Errorf("told of a %s of %d bytes, under the limit", name, size)
		}
		told = append(told, name)
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
	if got := sc.read().Get("id"); got != "1" {
		t.Fatalf("first stanza %q, want 1", got)
	}
	refused := sc.read()
	if refused.Name.Local != "iq" || refused.Get("type") != "error" || refused.Get("id") != "q1" ||
		refused.Get("to") != "sue@example.com/desk" {
		t.Fatalf("instead of the answer: %s", refused)
	}
	e := refused.Child(NSComponent, "error")
	if e == nil || e.Get("type") != "wait" || e.Child(stanza.NSError, "resource-constraint") == nil ||
		!strings.Contains(e.Child(stanza.NSError, "text").Text, "a page, XEP-0059") {
		t.Fatalf("refusal %s", refused)
	}
	if got := sc.read().Get("id"); got != "3" {
		t.Fatalf("after the refusal %q, want 3 (the large message left out)", got)
	}
	if got := sc.read().Get("id"); got != "5" {
		t.Fatalf("after 3 %q, want 5 (the large odd one left out)", got)
	}
	if strings.Join(told, " ") != "iq message message" {
		t.Errorf("told %v, want [iq message message]", told)
	}
	if !c.Up() {
		t.Error("the connection went down")
	}
}
