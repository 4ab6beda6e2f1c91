package gateway

import (
	"strings"
	"testing"
)

func TestCheckURL(t *testing.T) {
	for _, ok := range []string{"https://shop.example/cart", "http://example.org", "HTTPS://EXAMPLE.ORG/x?y#z", "mailto:ann@example.org", " https://example.org/ "} {
		if err := checkURL(ok); err != nil {
			t.Errorf("%q refused: %v", ok, err)
		}
	}
	for _, bad := range []string{"javascript:alert(1)", "JavaScript:alert(1)", " javascript:alert(1)", "java\tscript:alert(1)",
		"data:text/html,<script>alert(1)</script>", "file:///etc/passwd", "vbscript:x", "xmpp:room@chat.example", "//example.org",
		"example.org", "", "https:", "https:///path", "mailto:", "https://ex\x00ample.org", "http://a b"} {
		if err := checkURL(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

// A visitor's javascript: link is refused with not-acceptable and never
// reaches the engine; an https link is relayed.
func TestHandleRefusesUnsafeLinks(t *testing.T) {
	for _, tc := range []struct {
		url  string
		pass bool
	}{
		{"javascript:alert(1)", false},
		{"data:text/html;base64,PHNjcmlwdD4=", false},
		{"https://shop.example/order/42", true},
	} {
		g := newTestGateway(t, Config{})
		g.handle(t, stanza("message", visitor.String(), room.String(), "l1", "groupchat",
			"<body>see</body><x xmlns='jabber:x:oob'><url>"+tc.url+"</url></x>"))
		if tc.pass {
			if in := g.sub.all(); len(in) != 1 {
				t.Errorf("%s: submitted %d inputs, want 1", tc.url, len(in))
			}
			if sent := g.out.all(); len(sent) != 0 {
				t.Errorf("%s: answered %s", tc.url, sent[0])
			}
			continue
		}
		sent := g.out.all()
		if len(sent) != 1 {
			t.Fatalf("%s: sent %d stanzas, want 1", tc.url, len(sent))
		}
		expectError(t, sent[0], "message", "l1", "modify", "not-acceptable")
		if _, _, text := errorOf(t, sent[0]); !strings.Contains(text, "http, https and mailto") {
			t.Errorf("%s: text %q", tc.url, text)
		}
		if in := g.sub.all(); len(in) != 0 {
			t.Errorf("%s: submitted %v", tc.url, in)
		}
	}
}
