package xmpp

// Regression tests for what the fuzz targets found (docs/fuzzing.md); the
// failing inputs are also in testdata/fuzz, where plain `go test` runs them.

import (
	"errors"
	"testing"
)

// FuzzParse, after 2.8 million executions: Go's decoder takes "<A:0/>" (an
// unbound prefix A and a local name "0"), and Parse returned an element that
// String rendered as `<0 xmlns="A"></0>`, which is not XML: a relayed or
// archived payload with such a name could not be written back. Decode now
// refuses names whose local part is not an XML name (ErrBadName); the
// connection answers such a stanza with bad-request.
func TestRegress_DecodeAcceptsNamesItCannotWrite(t *testing.T) {
	for _, in := range []string{"<A:0/>", "<a><b:-x/></a>", "<a x:1='v'/>"} {
		if els, err := Parse(in); !errors.Is(err, ErrBadName) {
			t.Errorf("Parse(%q) = %v, %v; want ErrBadName", in, els, err)
		}
	}
	for _, in := range []string{"<a:b xmlns:a='urn:x'/>", "<_a/>", "<é/>", "<a xml:lang='en'/>"} {
		if _, err := Parse(in); err != nil {
			t.Errorf("Parse(%q): %v", in, err)
		}
	}
}
