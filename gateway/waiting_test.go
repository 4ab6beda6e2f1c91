package gateway

import (
	"strings"
	"testing"
	"time"

	"github.com/parley-chat/parley/routing"
	"github.com/parley-chat/parley/sessions"
	"github.com/parley-chat/parley/xmpp"
	"mellium.im/xmpp/jid"
)

func parseOne(t *testing.T, s string) *xmpp.Element {
	t.Helper()
	els, err := xmpp.Parse(s)
	if err != nil || len(els) != 1 {
		t.Fatalf("parse %q: %v", s, err)
	}
	return els[0]
}

func TestDecodeWaitingIQs(t *testing.T) {
	iq := func(inner string) *xmpp.Element {
		return parseOne(t, `<iq xmlns='jabber:component:accept' type='set' id='1' from='v@guest.x/r' to='chat.x'>`+inner+`</iq>`)
	}
	q, err := decodeIQ(iq(`<leave-message xmlns='urn:parley:chat:0' queue='sales' token='tk'><visitor name='Ann' email='a@x'/><body>Call me</body></leave-message>`))
	if err != nil {
		t.Fatal(err)
	}
	lm, ok := q.Cmd.(*sessions.LeaveMessageCmd)
	if !ok || lm.Queue != "sales" || lm.Token != "tk" || lm.Body != "Call me" || lm.Visitor["name"] != "Ann" || lm.Visitor["email"] != "a@x" {
		t.Fatalf("decoded %+v", q.Cmd)
	}
	for _, bad := range []string{
		`<leave-message xmlns='urn:parley:chat:0'/>`,
		`<leave-message xmlns='urn:parley:chat:0'><visitor/><visitor/><body>x</body></leave-message>`,
	} {
		if _, err := decodeIQ(iq(bad)); err == nil || err.Condition != "bad-request" {
			t.Errorf("%s: %v, want bad-request", bad, err)
		}
	}
	q, err = decodeIQ(iq(`<availability xmlns='urn:parley:chat:0' queue='sales'/>`))
	if c, ok := q.Cmd.(*sessions.AvailabilityCmd); err != nil || !ok || c.Queue != "sales" {
		t.Fatalf("availability decoded %+v %v", q.Cmd, err)
	}
}

func TestEncodeWaitingElements(t *testing.T) {
	var enc encoder
	room, agent := jid.MustParse("s1@chat.x"), jid.MustParse("a@x/desk")
	got := (enc.encode(&sessions.Withdrawal{From: room, To: agent, Session: "s1", Reason: "visitor-left", Body: "Ann left"})).String()
	want := `<message from="s1@chat.x" to="a@x/desk"><body>Ann left</body><withdrawn xmlns="urn:parley:chat:0" session="s1" reason="visitor-left"></withdrawn></message>`
	if got != want {
		t.Errorf("withdrawal\n got  %s\n want %s", got, want)
	}
	got = (enc.encode(&sessions.Availability{From: jid.MustParse("chat.x"), To: agent, ID: "7", Queues: []routing.QueueAvailability{
		{Queue: "support", Status: routing.StatusBusy, Agents: 2, Free: 0, Waiting: 3, Wait: 125 * time.Second, WaitKnown: true},
		{Queue: "sales", Status: routing.StatusAway, Full: true},
	}})).String()
	for _, part := range []string{
		`<iq type="result" id="7" from="chat.x" to="a@x/desk">`,
		`<availability xmlns="urn:parley:chat:0">`,
		`<queue name="support" status="busy" waiting="3" wait="125">`,
		`<queue name="sales" status="away" waiting="0" full="true">`,
	} {
		if !strings.Contains(got, part) {
			t.Errorf("availability %s lacks %s", got, part)
		}
	}
	if strings.Contains(got, "agents") || strings.Contains(got, "free") {
		t.Errorf("availability tells the number of agents: %s", got)
	}
}
