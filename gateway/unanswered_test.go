package gateway

import (
	"encoding/xml"
	"errors"
	"strings"
	"testing"

	"github.com/parley-chat/parley/xmpp"
)

// decodeLikeConn decodes one stanza as xmpp.Conn does and, when that fails,
// hands what is left to Undecodable, as the connection does.
func (g *testGateway) decodeLikeConn(t *testing.T, s string) error {
	t.Helper()
	d := xml.NewDecoder(strings.NewReader(s))
	tok, err := d.Token()
	if err != nil {
		t.Fatal(err)
	}
	start := tok.(xml.StartElement).Copy()
	el, err := xmpp.Decode(start, d)
	if err != nil {
		g.Undecodable(xmpp.Stub(start), err)
		return err
	}
	g.Handle(el)
	return nil
}

// Every IQ gets an answer (RFC 6120 8.2.3; PROTOCOL 9): too deep, too large,
// panicking and id-less IQs included.
func TestEveryIQAnswered(t *testing.T) {
	deep := strings.Repeat("<x xmlns='urn:x'>", 500) + strings.Repeat("</x>", 500)
	huge := "<ping xmlns='urn:xmpp:ping'>" + strings.Repeat("y", xmpp.MaxBytes+1) + "</ping>"
	for _, tc := range []struct {
		name, in, kind, id, typ, cond string
		wantErr                       error
	}{
		{"nested 500 deep", stanza("iq", agent.String(), service.String(), "d", "get", deep), "iq", "d", "modify", "bad-request", xmpp.ErrTooDeep},
		{"too large", stanza("iq", agent.String(), service.String(), "l", "set", huge), "iq", "l", "modify", "bad-request", xmpp.ErrTooLarge},
		{"deep message", stanza("message", visitor.String(), room.String(), "m", "groupchat", deep), "message", "m", "modify", "bad-request", xmpp.ErrTooDeep},
		{"deep presence", stanza("presence", visitor.String(), room.String()+"/Ann", "p", "", deep), "presence", "p", "modify", "bad-request", xmpp.ErrTooDeep},
		{"empty id", `<iq from='` + agent.String() + `' to='` + service.String() + `' id='' type='get'><ping xmlns='urn:xmpp:ping'/></iq>`, "iq", "", "modify", "bad-request", nil},
		{"no id", stanza("iq", agent.String(), service.String(), "", "get", "<ping xmlns='urn:xmpp:ping'/>"), "iq", "", "modify", "bad-request", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := newTestGateway(t, Config{})
			if err := g.decodeLikeConn(t, tc.in); !errors.Is(err, tc.wantErr) {
				t.Fatalf("decoding: %v, want %v", err, tc.wantErr)
			}
			sent := g.out.all()
			if len(sent) != 1 {
				t.Fatalf("sent %d stanzas, want 1", len(sent))
			}
			expectError(t, sent[0], tc.kind, tc.id, tc.typ, tc.cond)
			if sent[0].Get("to") != strings.Split(strings.Split(tc.in, "from='")[1], "'")[0] {
				t.Errorf("answer goes to %q: %s", sent[0].Get("to"), sent[0])
			}
			if _, _, text := errorOf(t, sent[0]); text == "" {
				t.Errorf("no <text/> saying what was wrong: %s", sent[0])
			}
			if tc.name == "empty id" && !sent[0].Has("id") {
				t.Errorf("the answer to id='' has no id attribute: %s", sent[0])
			}
			if in := g.sub.all(); len(in) != 0 {
				t.Errorf("bad input submitted: %v", in)
			}
		})
	}
}

// A panic in handling is answered with internal-server-error; nothing is
// answered without a from address, nor any error or IQ result.
func TestUndecodableAnswers(t *testing.T) {
	g := newTestGateway(t, Config{})
	g.Undecodable(xmpp.New("", "iq", "from", agent.String(), "to", service.String(), "id", "p", "type", "get"), xmpp.ErrHandlerPanic)
	sent := g.out.all()
	if len(sent) != 1 {
		t.Fatalf("sent %d stanzas, want 1", len(sent))
	}
	expectError(t, sent[0], "iq", "p", "cancel", "internal-server-error")
	for _, stub := range []*xmpp.Element{
		xmpp.New("", "iq", "to", service.String(), "id", "x", "type", "get"),
		xmpp.New("", "iq", "from", agent.String(), "to", service.String(), "id", "x", "type", "result"),
		xmpp.New("", "iq", "from", agent.String(), "to", service.String(), "id", "x", "type", "error"),
		xmpp.New("", "message", "from", agent.String(), "to", service.String(), "id", "x", "type", "error"),
		xmpp.New("", "handshake", "from", agent.String()),
	} {
		g.Undecodable(stub, xmpp.ErrTooDeep)
	}
	if n := len(g.out.all()); n != 1 {
		t.Errorf("answered %d stubs that need no answer: %v", n-1, g.out.all()[1:])
	}
}

// healthSubmitter is a submitter that says its store is down.
type healthSubmitter struct {
	*fakeSubmitter
	healthy bool
}

func (h *healthSubmitter) StoreHealthy() bool { return h.healthy }

// With the store down, messages and IQs get a wait error at once instead of
// waiting in silence; presences still queue.
func TestStoreDownAnswersWait(t *testing.T) {
	g := newTestGateway(t, Config{})
	sub := &healthSubmitter{fakeSubmitter: newFakeSubmitter()}
	g.Attach(g.out, sub)
	g.handle(t, stanza("message", visitor.String(), room.String(), "m1", "groupchat", "<body>hello</body>"))
	g.handle(t, stanza("iq", visitor.String(), room.String(), "q1", "set", "<close xmlns='urn:parley:chat:0'/>"))
	g.handle(t, stanza("presence", visitor.String(), room.String()+"/Ann", "p1", "unavailable", ""))
	sent := g.out.all()
	if len(sent) != 2 {
		t.Fatalf("sent %d stanzas, want 2: %v", len(sent), sent)
	}
	expectError(t, sent[0], "message", "m1", "wait", "internal-server-error")
	expectError(t, sent[1], "iq", "q1", "wait", "internal-server-error")
	if in := sub.all(); len(in) != 1 {
		t.Errorf("submitted %d inputs, want the presence only", len(in))
	}
	sub.healthy = true
	g.handle(t, stanza("message", visitor.String(), room.String(), "m2", "groupchat", "<body>again</body>"))
	if in := sub.all(); len(in) != 2 {
		t.Errorf("with the store back the message was not submitted")
	}
}

// A stanza the connection left out for its size (xmpp.Config.TooLarge): an
// IQ result becomes a resource-constraint error from the service to the
// asker, with the request's id; anything else is only counted.
func TestTooLargeAnswersTheAsker(t *testing.T) {
	g := newTestGateway(t, Config{})
	g.TooLarge(xmpp.New("", "iq", "from", service.String(), "to", agent.String(), "id", "d1", "type", "result"), 600_000)
	g.TooLarge(xmpp.New("", "message", "from", service.String(), "to", agent.String(), "id", "m1", "type", "groupchat"), 600_000)
	sent := g.out.all()
	if len(sent) != 1 {
		t.Fatalf("sent %d stanzas, want 1: %v", len(sent), sent)
	}
	expectError(t, sent[0], "iq", "d1", "wait", "resource-constraint")
	if sent[0].Get("from") != service.String() || sent[0].Get("to") != agent.String() ||
		!strings.Contains(sent[0].String(), "600000 bytes") {
		t.Errorf("refusal %s, want from the service to the asker, with the size", sent[0])
	}
	for kind, want := range map[string]float64{"iq": 1, "message": 1} {
		if got := g.counter(t, "parley_component_too_large_total", kind); got != want {
			t.Errorf("too large %s: %v, want %v", kind, got, want)
		}
	}
}
