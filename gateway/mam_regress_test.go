package gateway

// Regression tests: each comment below describes a bug as it was found,
// before it was fixed; the test holds the fix.

import (
	"context"
	"testing"
	"time"

	"github.com/parley-chat/parley/sessions"
)

// XEP-0297 forwards a stanza in jabber:client (every XEP-0313 example reads
// <forwarded xmlns='urn:xmpp:forward:0'>…<message xmlns='jabber:client'>).
// archive builds the archived message with an empty namespace (mam.go,
// archive: `inner := xmpp.New("", "message", "from", from, "type", "groupchat")`),
// which means "inherit": on the wire it and its <body/> land in
// urn:xmpp:forward:0, so clients that look for {jabber:client}message in the
// result (slixmpp, Smack) find no message. The e2e archive test does not see
// it because it matches the message by local name only.
func TestRegress_MAMForwardedMessageNotInJabberClient(t *testing.T) {
	g := newTestGateway(t, Config{})
	g.store.transcript = []sessions.Entry{{Seq: 1, At: time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC), Nick: "Ann", Body: "Hello"}}
	q := &sessions.IQ{From: visitor, To: room, ID: "q1", Type: "set",
		Cmd: &sessions.MAMCmd{Query: &mamQuery{queryID: "f1", max: mamMaxPage}}}
	g.archive(context.Background(), sessions.MAMGrant{IQ: q, Session: room.Localpart()})
	sent := g.out.all()
	if len(sent) == 0 {
		t.Fatal("nothing sent")
	}
	_, spaces := readBack(t, sent[0].String())
	for _, path := range []string{"result/forwarded/message", "result/forwarded/message/body"} {
		if got := spaces[path]; len(got) != 1 || got[0] != "jabber:client" {
			t.Errorf("%s is in %v, want jabber:client:\n%s", path, got, sent[0])
		}
	}
}
