package xmpptest

import (
	"testing"

	pxmpp "github.com/parley-chat/parley/xmpp"
)

func parse(t *testing.T, s string) *pxmpp.Element {
	t.Helper()
	els, err := pxmpp.Parse(s)
	if err != nil || len(els) != 1 {
		t.Fatalf("parse %q: %v", s, err)
	}
	return els[0]
}

func TestPredicates(t *testing.T) {
	const room = "s1@parley.example.test"
	for _, c := range []struct {
		name  string
		match func(*pxmpp.Element) bool
		xml   string
		want  bool
	}{
		{"message from anyone", IsMessage("", "lo w"), `<message from='a@b/c'><body>hello world</body></message>`, true},
		{"message from someone else", IsMessage("x@b/c", "hello"), `<message from='a@b/c'><body>hello</body></message>`, false},
		{"message without the text", IsMessage("", "bye"), `<message><body>hello</body></message>`, false},
		{"message without body", IsMessage("", ""), `<message/>`, false},
		{"presence is no message", IsMessage("", ""), `<presence><body>x</body></presence>`, false},
		{"event", IsEvent(room, "joined"), `<message from='` + room + `/Parley'><event xmlns='urn:parley:chat:0' type='joined'/></message>`, true},
		{"event of another type", IsEvent(room, "left"), `<message from='` + room + `/Parley'><event xmlns='urn:parley:chat:0' type='joined'/></message>`, false},
		{"event not from the service's nick", IsEvent(room, "joined"), `<message from='` + room + `/Ann'><event xmlns='urn:parley:chat:0' type='joined'/></message>`, false},
		{"event in another namespace", IsEvent(room, "joined"), `<message from='` + room + `/Parley'><event xmlns='urn:other' type='joined'/></message>`, false},
		{"available presence", IsPresence("a@b", ""), `<presence from='a@b'/>`, true},
		{"unavailable presence", IsPresence("a@b", "unavailable"), `<presence from='a@b' type='unavailable'/>`, true},
		{"presence of another type", IsPresence("a@b", ""), `<presence from='a@b' type='unavailable'/>`, false},
	} {
		if got := c.match(parse(t, c.xml)); got != c.want {
			t.Errorf("%s: %s matched %v, want %v", c.name, c.xml, got, c.want)
		}
	}
}

func TestHasStatus(t *testing.T) {
	e := parse(t, `<presence><x xmlns='http://jabber.org/protocol/muc#user'><status code='100'/><status code='110'/></x></presence>`)
	if !HasStatus(e, "110") || !HasStatus(e, "100") || HasStatus(e, "201") {
		t.Errorf("status codes of %s misread", e)
	}
	if HasStatus(parse(t, `<presence><x xmlns='http://jabber.org/protocol/muc'><status code='110'/></x></presence>`), "110") {
		t.Error("a status outside muc#user counted")
	}
}

func TestErrors(t *testing.T) {
	for _, c := range []struct {
		xml, cond, text, describe string
	}{
		{`<iq type='error'><error type='cancel'><item-not-found xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/><text xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'>No such session</text></error></iq>`,
			"item-not-found", "No such session", "item-not-found (No such session)"},
		{`<iq type='error'><error type='modify'><text xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'>first</text><bad-request xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq>`,
			"bad-request", "first", "bad-request (first)"},
		{`<message type='error'><error type='wait'><resource-constraint xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/><limit xmlns='urn:other'/></error></message>`,
			"resource-constraint", "", "resource-constraint"},
		{`<iq type='result'/>`, "", "", "type result"},
	} {
		e := parse(t, c.xml)
		if got := ErrorCondition(e); got != c.cond {
			t.Errorf("ErrorCondition(%s) = %q, want %q", c.xml, got, c.cond)
		}
		if got := ErrorText(e); got != c.text {
			t.Errorf("ErrorText(%s) = %q, want %q", c.xml, got, c.text)
		}
		if got := DescribeError(e); got != c.describe {
			t.Errorf("DescribeError(%s) = %q, want %q", c.xml, got, c.describe)
		}
	}
}

func TestEscape(t *testing.T) {
	s := `a&b<c>'d"`
	if got := Escape(s); got != `a&amp;b&lt;c&gt;&#39;d&#34;` {
		t.Errorf("Escape(%q) = %q", s, got)
	}
	e := parse(t, `<message to='`+Escape(s)+`'/>`)
	if e.Get("to") != s {
		t.Errorf("escaped attribute reads back as %q", e.Get("to"))
	}
}
