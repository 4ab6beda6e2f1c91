package xmpp

import (
	"errors"
	"testing"
)

// FuzzParse feeds arbitrary bytes to the element decoder (what every stanza
// from the server goes through): it must never panic, must keep its limits,
// and whatever it accepts must render as XML that it accepts again, the same.
// Seeds: testdata/fuzz/FuzzParse; run with scripts/fuzz.sh.
func FuzzParse(f *testing.F) {
	f.Add("<message from='a@b/c' to='chat.example.com' type='groupchat'><body>hi</body></message>")
	f.Fuzz(func(t *testing.T, s string) {
		els, err := Parse(s)
		if err != nil {
			return
		}
		for _, el := range els {
			if d := depth(el); d > MaxDepth {
				t.Fatalf("decoded %d deep, limit %d", d, MaxDepth)
			}
			out := el.String()
			again, err := Parse(out)
			if err != nil {
				if errors.Is(err, ErrTooLarge) {
					continue // escaping grew it past the limit
				}
				t.Fatalf("rendered %q, which does not parse: %v (from %q)", out, err, s)
			}
			if len(again) != 1 {
				t.Fatalf("rendered %q, which parses as %d elements", out, len(again))
			}
			if a, b := again[0].String(), out; a != b {
				t.Fatalf("not stable: %q renders %q, then %q", s, b, a)
			}
		}
	})
}

func depth(e *Element) int {
	d := 0
	for _, c := range e.Children {
		if n := depth(c); n > d {
			d = n
		}
	}
	return d + 1
}
