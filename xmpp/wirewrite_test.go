package xmpp

import (
	"encoding/xml"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

const streamOpen = `<stream:stream xmlns="jabber:component:accept" xmlns:stream="http://etherx.jabber.org/streams">`

// decodeStream reads the stanzas of a component stream's content.
func decodeStream(t *testing.T, body string) []*Element {
	t.Helper()
	d := xml.NewDecoder(strings.NewReader(streamOpen + body + `</stream:stream>`))
	if _, err := d.Token(); err != nil {
		t.Fatal(err)
	}
	var out []*Element
	for {
		tok, err := d.Token()
		if err != nil {
			t.Fatalf("decoding %q: %v", body, err)
		}
		switch tok := tok.(type) {
		case xml.StartElement:
			el, err := Decode(tok.Copy(), d)
			if err != nil {
				t.Fatalf("decoding %q: %v", body, err)
			}
			out = append(out, el)
		case xml.EndElement:
			return out
		}
	}
}

// canon renders an element with resolved names, attributes sorted and
// text in document order: two elements with the same canon are the same XML.
func canon(e *Element, skip ...string) string {
	var attrs []string
	for _, a := range e.Attr {
		if a.Name.Space == "" && slices.Contains(skip, a.Name.Local) {
			continue
		}
		attrs = append(attrs, fmt.Sprintf("{%s}%s=%q", a.Name.Space, a.Name.Local, a.Value))
	}
	slices.Sort(attrs)
	var kids []string
	toks := []xml.Token{}
	e.tokens(&toks)
	for _, tk := range toks[1 : len(toks)-1] {
		if cd, ok := tk.(xml.CharData); ok {
			kids = append(kids, fmt.Sprintf("%q", string(cd)))
		}
	}
	for _, c := range e.Children {
		kids = append(kids, canon(c))
	}
	return fmt.Sprintf("<{%s}%s %s>%s</>", e.Name.Space, e.Name.Local, strings.Join(attrs, " "), strings.Join(kids, ","))
}

func wireStanzas(t *testing.T) []*Element {
	t.Helper()
	parsed, err := Parse(`<message from="r@chat.example.test/Ann" to="bob@example.test/x" type="groupchat" id="m1" xml:lang="en">` +
		`<body>a &amp; b &lt;c&gt; "q" 'a'` + "\ttab\nnl\r" + `</body>` +
		`<html xmlns="http://jabber.org/protocol/xhtml-im"><body xmlns="http://www.w3.org/1999/xhtml"><p>Hello <b>world</b>, again!</p></body></html>` +
		`<x xmlns="urn:parley:chat:0"><y><z xmlns="urn:other" a="1"/></y></x></message>`)
	if err != nil {
		t.Fatal(err)
	}
	msg := New("", "message", "from", "r@chat.example.test/Visitor", "to", "agent1@example.test/r", "type", "groupchat", "id", "abc").
		Add(New("", "body").SetText("pl 1 v 0 <&> \x01 bad \xff utf8 ☃ 𝄞"),
			New("urn:xmpp:sid:0", "stanza-id", "by", "r@chat.example.test", "id", "6"))
	pres := New("", "presence", "from", "r@chat.example.test/Agent", "to", "v@guest.example.test/w").
		Add(New("http://jabber.org/protocol/muc#user", "x").Add(
			New("", "item", "affiliation", "owner", "role", "moderator"),
			New("http://jabber.org/protocol/muc#user", "status", "code", "110")))
	emptyID := New("", "iq", "type", "result", "to", "a@example.test/b")
	emptyID.Attr = append(emptyID.Attr, xml.Attr{Name: xml.Name{Local: "id"}})
	noFrom := New("", "iq", "type", "result", "to", "a@example.test/b", "id", "q1")
	noFrom.Attr = append(noFrom.Attr, xml.Attr{Name: xml.Name{Local: "from"}})
	return append(parsed, msg, pres, emptyID, noFrom)
}

// What the writer's serialiser writes is, once read back from the stream,
// the same XML as what mellium's token path wrote for it, with the stream's
// namespace inherited, the domain as from where there was none, and an id
// where there was none.
func TestAppendStanzaIsTheSameXML(t *testing.T) {
	const domain = "chat.example.test"
	for _, s := range wireStanzas(t) {
		buf, ok := appendStanza(nil, s, domain)
		if !ok {
			t.Fatalf("appendStanza refused %s", s)
		}
		got := decodeStream(t, string(buf))
		if len(got) != 1 {
			t.Fatalf("%s: %d stanzas", buf, len(got))
		}
		// The reference: the element as encoding/xml writes it, inside the stream.
		ref := *s
		ref.Attr = slices.DeleteFunc(slices.Clone(s.Attr), func(a xml.Attr) bool { return a.Name.Local == "from" && a.Value == "" })
		if ref.Get("from") == "" {
			ref.Attr = append(ref.Attr, xml.Attr{Name: xml.Name{Local: "from"}, Value: domain})
		}
		want := decodeStream(t, ref.String())[0]
		if c, w := canon(got[0], "id"), canon(want, "id"); c != w {
			t.Errorf("wrote %s\n read %s\n want %s", buf, c, w)
		}
		switch {
		case !s.Has("id"):
			if id := got[0].Get("id"); len(id) != 16 {
				t.Errorf("%s: id %q, want 16 random hex digits", buf, id)
			}
		case got[0].Get("id") != s.Get("id") || !got[0].Has("id"):
			t.Errorf("%s: id %q, want %q", buf, got[0].Get("id"), s.Get("id"))
		}
		if strings.Contains(string(buf), NSComponent) {
			t.Errorf("%s: the stream's namespace declared again", buf)
		}
	}
}

// The serialiser declares a namespace only where it changes and closes an
// empty element in its start tag: the bytes a groupchat copy needs.
func TestAppendStanzaBytes(t *testing.T) {
	msg := New("", "message", "from", "r@c/V", "to", "a@e/r", "type", "groupchat", "id", "i").
		Add(New("", "body").SetText("hi"), New("urn:xmpp:sid:0", "stanza-id", "by", "r@c", "id", "6"),
			New("urn:a", "x").Add(New("urn:a", "y"), New("urn:b", "z")))
	buf, _ := appendStanza(nil, msg, "c")
	want := `<message from="r@c/V" to="a@e/r" type="groupchat" id="i"><body>hi</body>` +
		`<stanza-id xmlns="urn:xmpp:sid:0" by="r@c" id="6"/><x xmlns="urn:a"><y/><z xmlns="urn:b"/></x></message>`
	if string(buf) != want {
		t.Errorf("wrote\n%s\nwant\n%s", buf, want)
	}
}

// Text with every kind of character survives the trip.
func TestAppendStanzaText(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	alphabet := []rune("ab <>&\"'\t\n\r\x00\x01\x7f\u00e9\u2603\ufffe\U0001d11e")
	for i := 0; i < 300; i++ {
		var b strings.Builder
		for n := r.IntN(12); n > 0; n-- {
			b.WriteRune(alphabet[r.IntN(len(alphabet))])
		}
		if r.IntN(4) == 0 {
			b.WriteByte(0xff) // not UTF-8
		}
		s := b.String()
		msg := New("", "message", "to", "a@e/r", "id", "x", "from", "r@c").Add(New("", "body", "note", s).SetText(s))
		buf, _ := appendStanza(nil, msg, "c")
		got := decodeStream(t, string(buf))[0]
		want := decodeStream(t, msg.String())[0]
		if canon(got) != canon(want) {
			t.Fatalf("text %q: wrote %s, read %s, want %s", s, buf, canon(got), canon(want))
		}
	}
}

// Stanzas it does not write (a qualified attribute, a non-stanza) are left
// to the token path.
func TestAppendStanzaRefuses(t *testing.T) {
	q := New("", "message", "to", "a@e/r")
	q.Children = append(q.Children, &Element{Name: xml.Name{Local: "x"}, Attr: []xml.Attr{{Name: xml.Name{Space: "urn:z", Local: "a"}, Value: "1"}}})
	for _, s := range []*Element{q, New("", "handshake"), New("jabber:client", "message", "to", "a@e/r")} {
		if buf, ok := appendStanza([]byte("keep"), s, "c"); ok || string(buf) != "keep" {
			t.Errorf("appendStanza(%s) = %q, %v; want it refused, the buffer unchanged", s, buf, ok)
		}
	}
}
