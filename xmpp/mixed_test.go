package xmpp

import (
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
)

// Mixed content (text and children interleaved, as in XHTML-IM) renders in
// document order, and Text still reads all the character data concatenated.
func TestMixedContentKeepsDocumentOrder(t *testing.T) {
	for _, tc := range []struct{ in, want, text string }{
		{`<p>Hello <b>world</b>, again!</p>`, `<p>Hello <b>world</b>, again!</p>`, "Hello , again!"},
		{`<p><b>bold</b> first</p>`, `<p><b>bold</b> first</p>`, " first"},
		{`<p>a<b/><i/>b<u/></p>`, `<p>a<b></b><i></i>b<u></u></p>`, "ab"},
		{`<p>1<b>2<i>3</i>4</b>5</p>`, `<p>1<b>2<i>3</i>4</b>5</p>`, "15"},
		{`<p>a &amp; <b>b</b> &lt; c</p>`, `<p>a &amp; <b>b</b> &lt; c</p>`, "a &  < c"},
		{"<html xmlns='http://jabber.org/protocol/xhtml-im'>\n  <body xmlns='http://www.w3.org/1999/xhtml'>\n    <p>Hi <em>you</em>!</p>\n  </body>\n</html>",
			"<html xmlns=\"http://jabber.org/protocol/xhtml-im\">\n  <body xmlns=\"http://www.w3.org/1999/xhtml\">\n    <p xmlns=\"http://www.w3.org/1999/xhtml\">Hi <em xmlns=\"http://www.w3.org/1999/xhtml\">you</em>!</p>\n  </body>\n</html>",
			"\n  \n"},
		{`<p>a<!-- c -->b<b/>c<?pi x?>d</p>`, `<p>ab<b></b>cd</p>`, "abcd"},
	} {
		el := mustParse1(t, tc.in)
		if got := el.String(); got != tc.want {
			t.Errorf("Parse(%q).String()\n got %s\nwant %s", tc.in, got, tc.want)
		}
		if el.Text != tc.text {
			t.Errorf("Parse(%q).Text = %q, want %q", tc.in, el.Text, tc.text)
		}
		if got := el.Strip("").String(); got != tc.want {
			t.Errorf("Strip of %q\n got %s\nwant %s", tc.in, got, tc.want)
		}
	}
}

// Built elements put their text first, whatever the order of the calls; a
// decoded element that is changed through Add keeps its order and puts the
// new child last; fields set directly fall back to text first.
func TestMixedContentBuilt(t *testing.T) {
	if got, want := New("", "p").Add(New("", "b")).SetText("t").String(), `<p>t<b></b></p>`; got != want {
		t.Errorf("Add then SetText: %s, want %s", got, want)
	}
	if got, want := New("", "p").SetText("t").Add(New("", "b")).String(), `<p>t<b></b></p>`; got != want {
		t.Errorf("SetText then Add: %s, want %s", got, want)
	}
	el := mustParse1(t, `<p>a<b/>c</p>`)
	el.Add(New("", "i"))
	if got, want := el.String(), `<p>a<b></b>c<i></i></p>`; got != want {
		t.Errorf("decoded, then Add: %s, want %s", got, want)
	}
	el = mustParse1(t, `<p>a<b/>c</p>`)
	el.Text = "x"
	if got, want := el.String(), `<p>x<b></b></p>`; got != want {
		t.Errorf("decoded, then Text shortened: %s, want %s", got, want)
	}
	el = mustParse1(t, `<p>a<b/>c</p>`)
	el.Children = append(el.Children, New("", "i"))
	if got, want := el.String(), `<p>ac<b></b><i></i></p>`; got != want {
		t.Errorf("decoded, then Children appended: %s, want %s", got, want)
	}
}

// FuzzDocumentOrder: whatever Parse accepts renders the same elements,
// attributes and character data, in the same order, as the input holds
// (comments and processing instructions aside).
func FuzzDocumentOrder(f *testing.F) {
	for _, s := range []string{
		`<p>Hello <b>world</b>, again!</p>`,
		"<message xmlns='jabber:client'>\n <body>hi</body>\n <html xmlns='http://jabber.org/protocol/xhtml-im'><body xmlns='http://www.w3.org/1999/xhtml'><p>a<em>b</em>c<br/>d</p></body></html>\n</message>",
		`<a>1<b>2<c>3</c>4</b>5<d/>6</a>`,
		`<x xmlns='jabber:x:oob'>t<url>https://a.example/?q=1&amp;r=2</url> <desc>d</desc></x>`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		els, err := Parse(s)
		if err != nil || len(els) == 0 {
			return
		}
		want, err := outline(s)
		if err != nil {
			t.Fatalf("Parse took %q, which encoding/xml does not: %v", s, err)
		}
		var b strings.Builder
		for _, el := range els {
			b.WriteString(el.String())
		}
		got, err := outline(b.String())
		if err != nil {
			t.Fatalf("rendered %q, which does not decode: %v", b.String(), err)
		}
		if got != want {
			t.Fatalf("order differs for %q:\n got %s\nwant %s", s, got, want)
		}
	})
}

// outline lists the elements (resolved names, attributes but namespace
// declarations) and the character data (adjacent runs joined) of s, in
// document order, from the first element on.
func outline(s string) (string, error) {
	d := xml.NewDecoder(strings.NewReader(s))
	var b strings.Builder
	var text strings.Builder
	depth := 0
	flush := func() {
		if text.Len() > 0 {
			fmt.Fprintf(&b, "text %q\n", text.String())
			text.Reset()
		}
	}
	for {
		tok, err := d.Token()
		if err == io.EOF {
			flush()
			return b.String(), nil
		}
		if err != nil {
			return "", err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			flush()
			depth++
			fmt.Fprintf(&b, "start {%s}%s", t.Name.Space, t.Name.Local)
			for _, a := range t.Attr {
				if a.Name.Space == "xmlns" || a.Name.Space == "" && a.Name.Local == "xmlns" {
					continue
				}
				fmt.Fprintf(&b, " {%s}%s=%q", a.Name.Space, a.Name.Local, a.Value)
			}
			b.WriteString("\n")
		case xml.EndElement:
			flush()
			depth--
			b.WriteString("end\n")
		case xml.CharData:
			if depth > 0 { // text between top-level elements is not theirs
				text.Write(t)
			}
		}
	}
}

// A child in no namespace under a namespaced parent cannot be represented
// (an empty Space inherits), so it is refused rather than moved into its
// parent's namespace (FuzzDocumentOrder's finding 101f32fbe4b02330).
func TestNoNamespaceChildRefused(t *testing.T) {
	for _, s := range []string{
		`<message xmlns='jabber:component:accept'><html xmlns=''/></message>`,
		`<message xmlns='0'>0<html xmlns=''></html></message>`,
	} {
		if _, err := Parse(s); !errors.Is(err, ErrNoNamespace) {
			t.Errorf("Parse(%q) = %v, want ErrNoNamespace", s, err)
		}
	}
	// A document with no namespace at all is fine: nothing is inherited.
	if els, err := Parse(`<a><b/></a>`); err != nil || els[0].String() != `<a><b></b></a>` {
		t.Errorf("Parse(<a><b/></a>) = %v, %v", els, err)
	}
}
