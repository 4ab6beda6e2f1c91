package gateway

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/parley-chat/parley/sessions"
)

// An empty page answers with the count alone (no <first/> or <last/> to
// name); a page of one names it as first and last; a stamp keeps its
// fraction of a second.
func TestArchivePages(t *testing.T) {
	g := newTestGateway(t, Config{})
	q := &sessions.IQ{From: visitor, To: room, ID: "q2", Type: "set", Cmd: &sessions.MAMCmd{Query: &mamQuery{max: mamMaxPage}}}
	g.archive(context.Background(), sessions.MAMGrant{IQ: q, Session: room.Localpart()})
	sent := g.out.all()
	want := `<iq type="result" id="q2" from="` + room.String() + `" to="` + visitor.String() +
		`"><fin xmlns="urn:xmpp:mam:2"><set xmlns="http://jabber.org/protocol/rsm"><count>3</count></set></fin></iq>`
	if len(sent) != 1 || sent[0].String() != want {
		t.Fatalf("empty page sent %v\nwant %s", sent, want)
	}

	g.store.transcript = []sessions.Entry{{Seq: 7, At: time.Date(2026, 11, 24, 10, 0, 0, 250e6, time.UTC), Body: "Hi"}}
	g.archive(context.Background(), sessions.MAMGrant{IQ: q, Session: room.Localpart()})
	sent = g.out.all()[1:]
	if len(sent) != 2 {
		t.Fatalf("sent %v, want the result and the fin", sent)
	}
	for _, part := range []string{`<result xmlns="urn:xmpp:mam:2" id="7">`, `<delay xmlns="urn:xmpp:delay" stamp="2026-11-24T10:00:00.25Z"></delay>`} {
		if !strings.Contains(sent[0].String(), part) {
			t.Errorf("result %s lacks %s", sent[0], part)
		}
	}
	if got := sent[1].String(); !strings.Contains(got, `<set xmlns="http://jabber.org/protocol/rsm"><first>7</first><last>7</last><count>4</count></set>`) {
		t.Errorf("fin %s", got)
	}
}
