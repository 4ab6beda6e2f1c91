package gateway

import (
	"context"
	"encoding/xml"
	"errors"
	"log/slog"
	"strings"
	"testing"

	"github.com/parley-chat/parley/muc"
	"github.com/parley-chat/parley/sessions"
	"github.com/parley-chat/parley/xmpp"
	"github.com/prometheus/client_golang/prometheus"
)

// Fuzz targets for the gateway's decoders (run with scripts/fuzz.sh; seeds
// in testdata/fuzz). Each must never panic, and every refusal must be an
// answer that can be sent: a PROTOCOL 9 condition, rendered as a stanza that
// parses again.

// discard is a Sender that keeps the last stanza.
type discard struct{ last *xmpp.Element }

func (d *discard) Send(els ...*xmpp.Element) error {
	if len(els) > 0 {
		d.last = els[len(els)-1]
	}
	return nil
}

func fuzzGateway() (*Gateway, *discard) {
	g := New(context.Background(), Config{Domain: service}, nil, slog.New(slog.DiscardHandler), prometheus.NewRegistry())
	d := &discard{}
	g.Attach(d, nil)
	return g, d
}

var conditions = map[string]bool{"bad-request": true, "service-unavailable": true, "item-not-found": true,
	"forbidden": true, "not-acceptable": true, "jid-malformed": true, "policy-violation": true, "internal-server-error": true}

// checkAnswer checks the error stanza the gateway would send for a refusal.
func checkAnswer(t *testing.T, g *Gateway, d *discard, el *xmpp.Element, merr *muc.Error) {
	t.Helper()
	if merr.Condition == "" || !conditions[string(merr.Condition)] {
		t.Fatalf("refused with condition %q", merr.Condition)
	}
	d.last = nil
	g.errorReply(el, merr)
	if el.Get("type") == "error" {
		if d.last != nil {
			t.Fatalf("answered an error with %s", d.last)
		}
		return
	}
	if d.last == nil {
		t.Fatalf("no answer to %s", el)
	}
	if _, err := xmpp.Parse(d.last.String()); err != nil && !errors.Is(err, xmpp.ErrTooLarge) {
		t.Fatalf("answer %q does not parse: %v", d.last.String(), err)
	}
}

// decodeOne decodes a stanza the way xmpp.Conn does; a decoding failure goes
// to Undecodable. It returns nil when there was nothing to decode.
func decodeOne(t *testing.T, g *Gateway, d *discard, data []byte) *xmpp.Element {
	dec := xml.NewDecoder(strings.NewReader(string(data)))
	for {
		tok, err := dec.Token()
		if err != nil {
			return nil
		}
		start, ok := tok.(xml.StartElement)
		if !ok {
			continue
		}
		start = start.Copy()
		el, err := xmpp.Decode(start, dec)
		if err != nil {
			d.last = nil
			g.Undecodable(xmpp.Stub(start), err)
			if errors.Is(err, xmpp.ErrTooDeep) || errors.Is(err, xmpp.ErrTooLarge) {
				stub := xmpp.Stub(start)
				needs := stub.Get("from") != "" && stub.Get("type") != "error" && !(stub.Name.Local == "iq" && stub.Get("type") == "result") &&
					(stub.Name.Local == "iq" || stub.Name.Local == "message" || stub.Name.Local == "presence")
				if needs && d.last == nil {
					t.Fatalf("no answer to an undecodable %s", stub)
				}
			}
			return nil
		}
		return el
	}
}

// FuzzDecodeStanza: any stanza through the presence, message and IQ decoders.
func FuzzDecodeStanza(f *testing.F) {
	f.Add([]byte("<iq from='ann@example.com/w' to='chat.example.com' id='1' type='get'><ping xmlns='urn:xmpp:ping'/></iq>"))
	f.Fuzz(func(t *testing.T, data []byte) {
		g, d := fuzzGateway()
		el := decodeOne(t, g, d, data)
		if el == nil {
			return
		}
		var merr *muc.Error
		switch el.Name.Local {
		case "presence":
			if _, err := decodePresence(el); err != nil {
				merr = muc.Errorf(muc.Modify, muc.BadRequest, "%v", err)
			}
		case "message":
			if _, err := decodeMessage(el); err != nil {
				merr = muc.Errorf(muc.Modify, muc.BadRequest, "%v", err)
			}
		case "iq":
			q, err := decodeIQ(el)
			if err != nil {
				merr = err
			} else if q.Cmd == nil {
				t.Fatalf("decoded IQ with no command: %s", el)
			}
		default:
			return
		}
		if merr != nil {
			checkAnswer(t, g, d, el, merr)
		}
	})
}

// FuzzParseMAM: the XEP-0313 query, its data form and RSM set.
func FuzzParseMAM(f *testing.F) {
	f.Add("<x xmlns='jabber:x:data' type='submit'><field var='start'><value>2026-11-24T10:00:00Z</value></field></x>" +
		"<set xmlns='http://jabber.org/protocol/rsm'><max>10</max><after>3</after></set>")
	f.Fuzz(func(t *testing.T, inner string) {
		els, err := xmpp.Parse("<query xmlns='urn:xmpp:mam:2' queryid='f'>" + inner + "</query>")
		if err != nil || len(els) != 1 {
			return
		}
		m, merr := parseMAM(els[0])
		if merr != nil {
			if !conditions[string(merr.Condition)] {
				t.Fatalf("refused with condition %q", merr.Condition)
			}
			return
		}
		if m.max < 0 || m.max > mamMaxPage || m.after < 0 || m.before < 0 {
			t.Fatalf("out of range: %+v", m)
		}
	})
}

// FuzzAdHocForm: an XEP-0050 command with a submitted XEP-0004 form.
func FuzzAdHocForm(f *testing.F) {
	f.Add("close", "execute", "<field var='session'><value>abc</value></field><field var='note'/>")
	f.Fuzz(func(t *testing.T, node, action, fields string) {
		els, err := xmpp.Parse("<iq from='ann@example.com/w' to='chat.example.com' id='1' type='set'><command xmlns='http://jabber.org/protocol/commands'><x xmlns='jabber:x:data' type='submit'>" + fields + "</x></command></iq>")
		if err != nil || len(els) != 1 {
			return
		}
		c := els[0].Children[0]
		c.Set("node", node)
		c.Set("action", action)
		q, merr := decodeIQ(els[0])
		if merr != nil {
			g, d := fuzzGateway()
			checkAnswer(t, g, d, els[0], merr)
			return
		}
		cmd, ok := q.Cmd.(*sessions.AdHocCmd)
		if !ok || cmd.Node != node || cmd.Node == "" {
			t.Fatalf("decoded %T %+v from node %q", q.Cmd, q.Cmd, node)
		}
	})
}
