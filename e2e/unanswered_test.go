package e2e

import (
	"io"
	"strings"
	"testing"
	"time"

	pxmpp "github.com/parley-chat/parley/xmpp"
)

// sendRaw writes one stanza's bytes straight to the connection, past the
// client library (which gives an IQ with id=” an id of its own) and its
// element limits: a hostile client's view. Nothing else may be sending.
func (c *client) sendRaw(s string) {
	c.t.Helper()
	conn := c.sess.Conn()
	_ = conn.SetWriteDeadline(time.Now().Add(5 * time.Second))
	defer conn.SetWriteDeadline(time.Time{})
	if _, err := io.WriteString(conn, s); err != nil {
		c.t.Fatalf("%s send: %v", c.name, err)
	}
}

// Every IQ is answered through the real Prosody (RFC 6120 8.2.3, PROTOCOL 9):
// one nested 500 deep, one too large for the service, and one with id=”
// each get <bad-request/>; the service goes on answering after them.
func TestEveryIQAnsweredThroughProsody(t *testing.T) {
	p := startParley(t)
	v := p.visitor()
	deep := strings.Repeat("<x xmlns='urn:example:x'>", 500) + strings.Repeat("</x>", 500)
	isAnswer := func(id string) func(*pxmpp.Element) bool {
		return func(e *pxmpp.Element) bool {
			return e.Name.Local == "iq" && e.Has("id") && e.Get("id") == id && e.Get("from") == p.Domain
		}
	}
	v.sendRaw(`<iq xmlns='jabber:client' type='get' id='deep' to='` + p.Domain + `'>` + deep + `</iq>`)
	if e := v.expect("an answer to the deep IQ", isAnswer("deep")); e.Get("type") != "error" || errorCondition(e) != "bad-request" {
		t.Errorf("deep IQ: %s", e)
	}
	v.sendRaw(`<iq xmlns='jabber:client' type='get' id='' to='` + p.Domain + `'><ping xmlns='urn:xmpp:ping'/></iq>`)
	if e := v.expect("an answer to the IQ with id=''", isAnswer("")); e.Get("type") != "error" || errorCondition(e) != "bad-request" {
		t.Errorf("id-less IQ: %s", e)
	}
	// Larger than the service takes (64 KiB of names, attributes and text),
	// small enough for Prosody's c2s stanza limit (256 KiB).
	big := strings.Repeat("<x xmlns='urn:example:x' a='"+strings.Repeat("a", 1000)+"'/>", 100)
	v.sendRaw(`<iq xmlns='jabber:client' type='set' id='big' to='` + p.Domain + `'><q xmlns='urn:example:q'>` + big + `</q></iq>`)
	if e := v.expect("an answer to the large IQ", isAnswer("big")); e.Get("type") != "error" || errorCondition(e) != "bad-request" {
		t.Errorf("large IQ: %s", e)
	}
	// Still answering.
	if r := v.iq("get", p.Domain, `<ping xmlns='urn:xmpp:ping'/>`); r.Get("type") != "result" {
		t.Errorf("ping after the bad IQs: %s", r)
	}
}
