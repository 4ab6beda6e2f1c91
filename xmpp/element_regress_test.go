package xmpp

// Regression tests: each comment below describes a bug as it was found,
// before it was fixed; the test holds the fix.

import "testing"

// Decode keeps one strings.Builder per open element in a []strings.Builder
// (element.go, Decode: `text = append(text, strings.Builder{})`). When a child
// opens and the append grows the slice, the builders already written to are
// copied by value; the next Write to the parent's builder (text after the
// child: `text[len(text)-1].Write(t)`) panics with "strings: illegal use of
// non-zero Builder copied by value". Whitespace between child elements, as in
// any pretty-printed stanza, is enough.
func TestRegress_DecodePanicsOnTextAfterChild(t *testing.T) {
	for _, tc := range []struct{ in, text string }{
		{"<message>\n  <body>hi</body>\n</message>", "\n  \n"},
		{"<a>x<b/>y</a>", "xy"},
		{"<a>x<b>1<c/>2</b>y</a>", "xy"},
	} {
		func() {
			defer func() {
				if r := recover(); r != nil {
					t.Errorf("Parse(%q) panicked: %v", tc.in, r)
				}
			}()
			els, err := Parse(tc.in)
			if err != nil {
				t.Errorf("Parse(%q): %v", tc.in, err)
				return
			}
			if els[0].Text != tc.text {
				t.Errorf("Parse(%q): text %q, want %q", tc.in, els[0].Text, tc.text)
			}
		}()
	}
}

// Strip says it returns a copy, but the copy shares e.Attr
// (element.go, Strip: `c := &Element{Name: e.Name, Attr: e.Attr, ...}`), and
// Set changes a value in place (`e.Attr[i].Value = value`): setting an
// attribute on the stripped copy changes the original.
func TestRegress_StripSharesAttributes(t *testing.T) {
	in := mustParse1(t, `<message xmlns='jabber:component:accept' from='a@example.com/r' to='room@chat.example.com'><body>hi</body></message>`)
	out := in.Strip(NSComponent)
	out.Set("to", "other@example.com")
	if got := in.Get("to"); got != "room@chat.example.com" {
		t.Errorf("after Set(to) on the stripped copy the original's to is %q, want %q", got, "room@chat.example.com")
	}
}

// Get is documented to return "the value of an unqualified attribute", but it
// also matches an attribute qualified with the element's own namespace
// (element.go, Get: `a.Name.Space == "" || a.Name.Space == e.Name.Space`), and
// returns whichever comes first. Has and Set only look at unqualified ones, so
// Has("at") can be false while Get("at") is not empty.
func TestRegress_GetReadsQualifiedAttribute(t *testing.T) {
	el := mustParse1(t, `<e xmlns='urn:a' xmlns:p='urn:a' p:at='qualified' at='plain'/>`)
	if got := el.Get("at"); got != "plain" {
		t.Errorf("Get(at) = %q, want %q (the unqualified attribute)", got, "plain")
	}
	only := mustParse1(t, `<e xmlns='urn:a' xmlns:p='urn:a' p:at='qualified'/>`)
	if got, has := only.Get("at"), only.Has("at"); (got != "") != has {
		t.Errorf("Get(at) = %q but Has(at) = %v", got, has)
	}
}
