package xmpp

import (
	"encoding/xml"
	"errors"
	"strings"
	"testing"
	"time"
)

type stubbed struct {
	stub *Element
	err  error
}

// What cannot be decoded, and what the handler panics on, reaches
// Config.Undecodable with the stanza's attributes, so that it can be
// answered; the connection goes on.
func TestConnUndecodableGetsTheStub(t *testing.T) {
	srv := newFakeServer(t, testSecret)
	h := newHandled()
	got := make(chan stubbed, 8)
	cfg := testConfig(srv.addr())
	cfg.Undecodable = func(stub *Element, err error) { got <- stubbed{stub, err} }
	c := NewConn(cfg, func(el *Element) {
		if el.Get("id") == "boom" {
			panic("handler bug")
		}
		h.handle(el)
	}, nil)
	run(t, c)
	sc := srv.next()
	deep := strings.Repeat("<x xmlns='urn:x'>", 500) + strings.Repeat("</x>", 500)
	sc.write(`<iq from='a@example.com/r' to='chat.example.com' id='deep' type='get'>` + deep + `</iq>`)
	sc.write(`<iq from='a@example.com/r' to='chat.example.com' id='big' type='set'><q xmlns='urn:x' v='` +
		strings.Repeat("v", MaxBytes/2) + `'>` + strings.Repeat("t", MaxBytes/2) + `</q></iq>`)
	sc.write(`<iq from='a@example.com/r' to='chat.example.com' id='boom' type='get'><ping xmlns='urn:xmpp:ping'/></iq>`)
	sc.write(`<message from='a@example.com/r' to='chat.example.com' id='next'/>`)
	for _, want := range []struct {
		id  string
		err error
	}{{"deep", ErrTooDeep}, {"big", ErrTooLarge}, {"boom", ErrHandlerPanic}} {
		select {
		case s := <-got:
			if s.stub.Get("id") != want.id || s.stub.Get("from") != "a@example.com/r" || s.stub.Get("type") == "" || s.stub.Name.Local != "iq" {
				t.Errorf("stub %s, want the attributes of iq %s", s.stub, want.id)
			}
			if len(s.stub.Children) != 0 || s.stub.Text != "" {
				t.Errorf("stub %s has content", s.stub)
			}
			if !errors.Is(s.err, want.err) {
				t.Errorf("stub %s: err %v, want %v", want.id, s.err, want.err)
			}
		case <-time.After(wait):
			t.Fatalf("Undecodable never called for %s", want.id)
		}
	}
	if el := h.next(t); el.Get("id") != "next" {
		t.Errorf("handler got %s, want the stanza after the bad ones", el)
	}
	if n := srv.accepts(); n != 1 {
		t.Errorf("%d connections, want 1", n)
	}
}

func TestDecodeTooLarge(t *testing.T) {
	if _, err := Parse("<a>" + strings.Repeat("x", MaxBytes) + "</a>"); !errors.Is(err, ErrTooLarge) {
		t.Errorf("text of MaxBytes: %v, want ErrTooLarge", err)
	}
	if _, err := Parse("<a>" + strings.Repeat("x", MaxBytes-10) + "</a>"); err != nil {
		t.Errorf("text under MaxBytes: %v", err)
	}
	// What the service builds itself is not a peer's input: FromTokens takes
	// it whole (the writer bounds what is sent, Config.MaxStanza).
	big := New("", "workspace").SetText(strings.Repeat("x", 4*MaxBytes))
	r := big.TokenReader()
	start, _ := r.Token()
	el, err := FromTokens(start.(xml.StartElement), r)
	if err != nil || len(el.Text) != 4*MaxBytes {
		t.Errorf("FromTokens of 4 MaxBytes: %v", err)
	}
}

// A stanza with id=” (the answer to an IQ that came so) keeps its empty id
// on the wire, between stanzas written as usual.
func TestConnWritesEmptyID(t *testing.T) {
	srv := newFakeServer(t, testSecret)
	c := NewConn(testConfig(srv.addr()), func(*Element) {}, nil)
	run(t, c)
	sc := srv.next()
	empty := New("", "iq", "from", testDomain, "to", "ann@example.com/w", "type", "error")
	empty.Attr = append(empty.Attr, xml.Attr{Name: xml.Name{Local: "id"}})
	empty.Add(New("", "error", "type", "modify").Add(New("urn:ietf:params:xml:ns:xmpp-stanzas", "bad-request")))
	if err := c.Send(msg("1"), empty, msg("2")); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"1", "", "2"} {
		el := sc.read()
		if !el.Has("id") || el.Get("id") != want {
			t.Fatalf("server read %s, want id %q", el, want)
		}
		if want == "" && (el.Name.Space != NSComponent || el.Child("", "error") == nil || el.Child("", "error").Child("urn:ietf:params:xml:ns:xmpp-stanzas", "bad-request") == nil) {
			t.Errorf("the raw stanza lost its namespace or content: %#v %s", el.Name, el)
		}
	}
}
