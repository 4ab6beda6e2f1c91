package xmpp

import (
	"encoding/xml"
	"errors"
	"io"
	"reflect"
	"strings"
	"testing"
)

const nsXML = "http://www.w3.org/XML/1998/namespace"

func mustParse(t *testing.T, s string) []*Element {
	t.Helper()
	els, err := Parse(s)
	if err != nil {
		t.Fatalf("Parse(%q): %v", s, err)
	}
	return els
}

func mustParse1(t *testing.T, s string) *Element {
	t.Helper()
	els := mustParse(t, s)
	if len(els) != 1 {
		t.Fatalf("Parse(%q): %d elements, want 1", s, len(els))
	}
	return els[0]
}

// sameTree compares two trees by name, attributes (in order), text and children.
func sameTree(t *testing.T, path string, got, want *Element) {
	t.Helper()
	if got.Name != want.Name {
		t.Errorf("%s: name %v, want %v", path, got.Name, want.Name)
	}
	if !reflect.DeepEqual(got.Attr, want.Attr) && (len(got.Attr) != 0 || len(want.Attr) != 0) {
		t.Errorf("%s: attrs %v, want %v", path, got.Attr, want.Attr)
	}
	if got.Text != want.Text {
		t.Errorf("%s: text %q, want %q", path, got.Text, want.Text)
	}
	if len(got.Children) != len(want.Children) {
		t.Errorf("%s: %d children, want %d", path, len(got.Children), len(want.Children))
		return
	}
	for i := range got.Children {
		sameTree(t, path+"/"+got.Children[i].Name.Local, got.Children[i], want.Children[i])
	}
}

func TestParseNamesAttributesText(t *testing.T) {
	el := mustParse1(t, `<message xmlns='jabber:client' xml:lang='en' to='a@example.com' type='groupchat'>`+
		`<body xml:lang='de'>a &lt; b &amp;&amp; "c" &gt; 'd'&#xD;&#10;é</body>`+
		`<x xmlns='http://jabber.org/protocol/muc#user'><item role='participant'/></x>`+
		`<p:event xmlns:p='urn:parley:chat:0' type='queued' position='2'/>`+
		`</message>`)

	if el.Name != (xml.Name{Space: "jabber:client", Local: "message"}) {
		t.Errorf("name %v", el.Name)
	}
	wantAttr := []xml.Attr{
		{Name: xml.Name{Space: nsXML, Local: "lang"}, Value: "en"},
		{Name: xml.Name{Local: "to"}, Value: "a@example.com"},
		{Name: xml.Name{Local: "type"}, Value: "groupchat"},
	}
	if !reflect.DeepEqual(el.Attr, wantAttr) {
		t.Errorf("attrs (xmlns declarations must be dropped, xml:lang kept):\n got %v\nwant %v", el.Attr, wantAttr)
	}
	if len(el.Children) != 3 {
		t.Fatalf("%d children, want 3", len(el.Children))
	}
	body := el.Child("jabber:client", "body")
	if body == nil {
		t.Fatal("no body in jabber:client (inherited default namespace)")
	}
	if want := "a < b && \"c\" > 'd'\r\né"; body.Text != want {
		t.Errorf("body text %q, want %q", body.Text, want)
	}
	item := el.Child("http://jabber.org/protocol/muc#user", "x").Child("", "item")
	if item == nil || item.Name.Space != "http://jabber.org/protocol/muc#user" {
		t.Errorf("item %v: must inherit the muc#user namespace", item)
	}
	ev := el.Child("urn:parley:chat:0", "event")
	if ev == nil {
		t.Fatal("prefixed element not resolved to its namespace")
	}
	if ev.Get("type") != "queued" || ev.Get("position") != "2" {
		t.Errorf("event attrs %v", ev.Attr)
	}
}

func TestParseSiblingsAndEmpty(t *testing.T) {
	for _, s := range []string{"", "   \n\t"} {
		els, err := Parse(s)
		if err != nil || els != nil {
			t.Errorf("Parse(%q) = %v, %v; want nil, nil", s, els, err)
		}
	}
	els := mustParse(t, `<a xmlns='urn:a'/> <b xmlns='urn:b'>x</b><c/>`)
	if len(els) != 3 {
		t.Fatalf("%d elements, want 3", len(els))
	}
	for i, want := range []xml.Name{{Space: "urn:a", Local: "a"}, {Space: "urn:b", Local: "b"}, {Local: "c"}} {
		if els[i].Name != want {
			t.Errorf("element %d: %v, want %v", i, els[i].Name, want)
		}
	}
}

func TestParseErrors(t *testing.T) {
	for _, s := range []string{
		`<a>`,
		`<a><b></b>`,
		`<a></b>`,
		`<a x='1>`,
		`<a>&bogus;</a>`,
		`<a/><b>`,
	} {
		if els, err := Parse(s); err == nil {
			t.Errorf("Parse(%q) = %v, want an error", s, els)
		}
	}
}

// Round trip: Parse, String, Parse again gives the same tree; String is stable.
func TestStringRoundTrip(t *testing.T) {
	for _, s := range []string{
		`<presence xmlns='jabber:client' from='r@chat.example.com/ann' to='ann@example.com/w'><x xmlns='http://jabber.org/protocol/muc#user'><item affiliation='member' role='participant' jid='ann@example.com/w'/><status code='110'/><status code='170'/></x></presence>`,
		`<body xml:lang='en'>tab&#9;cr&#13;lf&#10;amp&amp;lt&lt;gt&gt;quot"apos'</body>`,
		`<x xmlns='jabber:x:data' type='submit'><field var='FORM_TYPE' type='hidden'><value>urn:parley:chat:0#visitor</value></field><field var='token'><value>a&amp;b</value></field></x>`,
		`<e xmlns='urn:a' attr='&lt;&amp;&quot;&apos;&gt;'><f xmlns='urn:b'><g/></f><h/></e>`,
		`<q xmlns:p='urn:p' p:at='1' at='2'/>`,
		`<empty/>`,
	} {
		first := mustParse1(t, s)
		out := first.String()
		second := mustParse1(t, out)
		sameTree(t, first.Name.Local, second, first)
		if again := second.String(); again != out {
			t.Errorf("String not stable:\n first %s\nsecond %s", out, again)
		}
		if err := wellFormed(out); err != nil {
			t.Errorf("String() = %s: %v", out, err)
		}
	}
}

func wellFormed(s string) error {
	d := xml.NewDecoder(strings.NewReader(s))
	for {
		_, err := d.Token()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

// Outgoing elements are built with an empty Space ("inherit"): String must not
// put them in any namespace, and a child in the parent's namespace stays there.
func TestStringNamespaces(t *testing.T) {
	el := New("", "message", "to", "a@example.com", "id", "").Add(
		New("", "body").SetText("hi"),
		New("http://jabber.org/protocol/muc#user", "x").Add(
			New("", "item", "role", "moderator"),
			New("urn:xmpp:sid:0", "stanza-id", "id", "7")),
		nil,
	)
	got := el.String()
	want := `<message to="a@example.com"><body>hi</body>` +
		`<x xmlns="http://jabber.org/protocol/muc#user"><item role="moderator"></item>` +
		`<stanza-id xmlns="urn:xmpp:sid:0" id="7"></stanza-id></x></message>`
	if got != want {
		t.Errorf("String:\n got %s\nwant %s", got, want)
	}

	// Read back inside a component stream: the namespaces land where they should.
	d := xml.NewDecoder(strings.NewReader(`<stream xmlns='jabber:component:accept'>` + got + `</stream>`))
	var names []xml.Name
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if st, ok := tok.(xml.StartElement); ok {
			names = append(names, st.Name)
		}
	}
	wantNames := []xml.Name{
		{Space: NSComponent, Local: "stream"},
		{Space: NSComponent, Local: "message"},
		{Space: NSComponent, Local: "body"},
		{Space: "http://jabber.org/protocol/muc#user", Local: "x"},
		{Space: "http://jabber.org/protocol/muc#user", Local: "item"},
		{Space: "urn:xmpp:sid:0", Local: "stanza-id"},
	}
	if !reflect.DeepEqual(names, wantNames) {
		t.Errorf("names read back:\n got %v\nwant %v", names, wantNames)
	}
}

func nested(n int) string {
	return strings.Repeat("<a>", n) + strings.Repeat("</a>", n)
}

func TestDecodeDepthLimit(t *testing.T) {
	if _, err := Parse(nested(MaxDepth)); err != nil {
		t.Errorf("%d levels: %v, want no error", MaxDepth, err)
	}
	_, err := Parse(nested(MaxDepth + 1))
	if !errors.Is(err, ErrTooDeep) {
		t.Errorf("%d levels: %v, want ErrTooDeep", MaxDepth+1, err)
	}
	// Deeper still, and inside a wider tree.
	_, err = Parse(`<root><ok/>` + nested(10*MaxDepth) + `</root>`)
	if !errors.Is(err, ErrTooDeep) {
		t.Errorf("deep: %v, want ErrTooDeep", err)
	}
}

// tokens is a TokenReader over a fixed list, then io.EOF.
type tokens []xml.Token

func (t *tokens) Token() (xml.Token, error) {
	if len(*t) == 0 {
		return nil, io.EOF
	}
	tok := (*t)[0]
	*t = (*t)[1:]
	return tok, nil
}

func TestDecodeTruncated(t *testing.T) {
	start := xml.StartElement{Name: xml.Name{Local: "message"}}
	body := xml.StartElement{Name: xml.Name{Local: "body"}}
	for _, toks := range [][]xml.Token{
		{},
		{body},
		{body, xml.CharData("hi"), body.End()},
	} {
		r := tokens(toks)
		el, err := Decode(start, &r)
		if !errors.Is(err, io.ErrUnexpectedEOF) {
			t.Errorf("Decode of %d tokens without the end: %v, %v; want io.ErrUnexpectedEOF", len(toks), el, err)
		}
	}
	boom := errors.New("connection reset")
	r := readerFunc(func() (xml.Token, error) { return nil, boom })
	if _, err := Decode(start, r); !errors.Is(err, boom) {
		t.Errorf("reader error: %v, want %v", err, boom)
	}
}

type readerFunc func() (xml.Token, error)

func (f readerFunc) Token() (xml.Token, error) { return f() }

// Decode ignores comments, processing instructions and directives and keeps
// the text of each element. (Text after a child element: see
// TestBug_DecodePanicsOnTextAfterChild.)
func TestDecodeSkipsNonElements(t *testing.T) {
	el := mustParse1(t, `<a>one<!-- c --><?pi x?>two<b>in b</b></a>`)
	if el.Text != "onetwo" {
		t.Errorf("text %q, want %q", el.Text, "onetwo")
	}
	if len(el.Children) != 1 || el.Children[0].Text != "in b" {
		t.Errorf("children %v", el.Children)
	}
}

func TestNewAddSetText(t *testing.T) {
	el := New("urn:x", "e", "a", "1", "empty", "", "b", "2", "odd")
	want := []xml.Attr{{Name: xml.Name{Local: "a"}, Value: "1"}, {Name: xml.Name{Local: "b"}, Value: "2"}}
	if !reflect.DeepEqual(el.Attr, want) {
		t.Errorf("New attrs %v, want %v (empty values and a lone name left out)", el.Attr, want)
	}
	if got := el.Add(nil, New("", "c"), nil).SetText("t"); got != el || len(el.Children) != 1 || el.Text != "t" {
		t.Errorf("Add/SetText: %v", el)
	}
}

func TestGetSetHas(t *testing.T) {
	el := New("", "iq", "type", "get")
	if el.Get("id") != "" || el.Has("id") {
		t.Error("absent attribute reported present")
	}
	el.Set("id", "1").Set("to", "a@b").Set("id", "2")
	if el.Get("id") != "2" || el.Get("to") != "a@b" || !el.Has("id") {
		t.Errorf("after Set: %v", el.Attr)
	}
	if len(el.Attr) != 3 {
		t.Errorf("Set of an existing attribute must replace it: %v", el.Attr)
	}
	el.Set("type", "")
	if el.Has("type") || el.Get("type") != "" {
		t.Errorf("Set to empty must remove: %v", el.Attr)
	}
	if want := []string{"id", "to"}; len(el.Attr) != 2 || el.Attr[0].Name.Local != want[0] || el.Attr[1].Name.Local != want[1] {
		t.Errorf("order after removal: %v", el.Attr)
	}
	el.Set("absent", "")
	if len(el.Attr) != 2 {
		t.Errorf("Set of an absent attribute to empty added it: %v", el.Attr)
	}

	// Removing must not disturb another element sharing the backing array.
	orig := New("", "p", "a", "1", "b", "2", "c", "3")
	shared := &Element{Name: orig.Name, Attr: orig.Attr}
	shared.Set("a", "")
	if orig.Get("a") != "1" || orig.Get("b") != "2" || orig.Get("c") != "3" {
		t.Errorf("removal on a sharer changed the original: %v", orig.Attr)
	}

	// xml:lang is not the unqualified "lang".
	body := mustParse1(t, `<body xml:lang='en'>x</body>`)
	if body.Get("lang") != "" || body.Has("lang") {
		t.Errorf("xml:lang read as lang: %v", body.Attr)
	}
	body.Set("lang", "de")
	if len(body.Attr) != 2 || body.Attr[0].Name.Space != nsXML || body.Attr[0].Value != "en" {
		t.Errorf("Set(lang) touched xml:lang: %v", body.Attr)
	}
}

func TestChildAndChildrenNamed(t *testing.T) {
	el := mustParse1(t, `<x xmlns='jabber:x:data'><field var='a'/><other xmlns='urn:o'/><field var='b'/><field xmlns='urn:f' var='c'/></x>`)
	if c := el.Child("jabber:x:data", "field"); c == nil || c.Get("var") != "a" {
		t.Errorf("Child: %v", c)
	}
	if c := el.Child("urn:f", "field"); c == nil || c.Get("var") != "c" {
		t.Errorf("Child in another namespace: %v", c)
	}
	if c := el.Child("urn:none", "field"); c != nil {
		t.Errorf("Child in an absent namespace: %v", c)
	}
	var vars []string
	for _, f := range el.ChildrenNamed("jabber:x:data", "field") {
		vars = append(vars, f.Get("var"))
	}
	if strings.Join(vars, ",") != "a,b" {
		t.Errorf("ChildrenNamed: %v", vars)
	}
	if n := len(el.ChildrenNamed("", "field")); n != 3 {
		t.Errorf("ChildrenNamed any space: %d, want 3", n)
	}
	if el.ChildrenNamed("", "nothing") != nil {
		t.Error("ChildrenNamed of nothing must be nil")
	}
}

func TestStrip(t *testing.T) {
	in := mustParse1(t, `<message xmlns='jabber:component:accept' to='a@b'><body>hi</body>`+
		`<x xmlns='jabber:x:oob'><url>https://x</url></x></message>`)
	out := in.Strip(NSComponent)
	if out.Name.Space != "" || out.Child("", "body").Name.Space != "" {
		t.Errorf("stripped names: %v %v", out.Name, out.Child("", "body").Name)
	}
	if x := out.Child("jabber:x:oob", "x"); x == nil || x.Child("jabber:x:oob", "url") == nil {
		t.Errorf("other namespaces must be kept: %s", out)
	}
	if in.Name.Space != NSComponent || in.Children[0].Name.Space != NSComponent {
		t.Errorf("Strip changed its input: %v %v", in.Name, in.Children[0].Name)
	}
	want := `<message to="a@b"><body>hi</body><x xmlns="jabber:x:oob"><url xmlns="jabber:x:oob">https://x</url></x></message>`
	if got := out.String(); got != want {
		t.Errorf("String of stripped:\n got %s\nwant %s", got, want)
	}
	// A copy: adding children to it leaves the input alone.
	out.Add(New("", "extra"))
	out.Children[0].Add(New("", "extra"))
	if len(in.Children) != 2 || len(in.Children[0].Children) != 0 {
		t.Errorf("Strip's copy shares children with its input: %s", in)
	}
}

// The stream encoder may rewrite the attribute slices of the tokens it is
// given; one element is shared by many outgoing stanzas, so TokenReader must
// hand out copies.
func TestTokenReaderAttrsAreCopies(t *testing.T) {
	el := New("", "message", "from", "r@chat.example.com", "to", "a@example.com").Add(
		New("urn:x", "child", "k", "v"))
	before := el.String()

	r := el.TokenReader()
	for {
		tok, err := r.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if st, ok := tok.(xml.StartElement); ok {
			for i := range st.Attr {
				st.Attr[i].Value = "CHANGED"
				st.Attr[i].Name.Space = "urn:changed"
			}
			st.Attr = append(st.Attr[:0], xml.Attr{Name: xml.Name{Local: "injected"}, Value: "x"})
		}
	}
	if after := el.String(); after != before {
		t.Errorf("modifying TokenReader's attributes changed the element:\nbefore %s\n after %s", before, after)
	}

	// The same holds through an xml.Encoder writing xmlns attributes of its own.
	var b strings.Builder
	enc := xml.NewEncoder(&b)
	r = el.TokenReader()
	for {
		tok, err := r.Token()
		if err == io.EOF {
			break
		}
		if err := enc.EncodeToken(tok); err != nil {
			t.Fatal(err)
		}
	}
	_ = enc.Flush()
	if b.String() != before || el.String() != before {
		t.Errorf("encoding changed the element:\n got %s\nwant %s", el.String(), before)
	}
}

// Two readers of one element are independent.
func TestTokenReaderIndependent(t *testing.T) {
	el := New("", "a").Add(New("", "b").SetText("t"))
	r1, r2 := el.TokenReader(), el.TokenReader()
	var n1, n2 int
	for {
		if _, err := r1.Token(); err != nil {
			break
		}
		n1++
	}
	for {
		if _, err := r2.Token(); err != nil {
			break
		}
		n2++
	}
	if n1 != 5 || n2 != 5 {
		t.Errorf("token counts %d, %d; want 5 each (start, start, text, end, end)", n1, n2)
	}
}
