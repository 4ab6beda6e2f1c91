package gateway

import (
	"strings"
	"testing"
	"time"

	"github.com/parley-chat/parley/routing"
	"github.com/parley-chat/parley/sessions"
	"mellium.im/xmpp/jid"
)

func TestDecodeWorkspace(t *testing.T) {
	q, err := decodeIQ(parseOne(t, `<iq xmlns='jabber:component:accept' type='get' id='1' from='a@x/r' to='chat.x'><workspace xmlns='urn:parley:chat:0'/></iq>`))
	if _, ok := q.Cmd.(*sessions.WorkspaceCmd); err != nil || !ok {
		t.Fatalf("decoded %+v %v", q.Cmd, err)
	}
}

func TestEncodeWorkspace(t *testing.T) {
	var enc encoder
	started := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	got := enc.encode(&sessions.Workspace{From: jid.MustParse("chat.x"), To: jid.MustParse("a@x/desk"), ID: "9",
		Me: routing.AgentInfo{JID: "a@x", Show: routing.ShowDND, Load: 2, Capacity: 4},
		Sessions: []sessions.WorkspaceSession{{ID: "s1", Room: jid.MustParse("s1@chat.x"), Queue: "support", State: sessions.StateSuspended,
			Role: "owner", Visitor: map[string]string{"name": "Ann", "email": "ann@example.org"}, Question: "Parcel?", Started: started,
			SuspendedBy: "agent", Cause: "Investigation", Reconnected: true}},
		Causes: []string{"Investigation"},
		Agents: []routing.AgentInfo{{JID: "b@x", Show: routing.ShowAvailable, Load: 1, Capacity: 3}},
		Queues: []sessions.WorkspaceQueue{{Name: "support", Waiting: 2, Agents: 1, Free: 0, Oldest: 75 * time.Second, HasWaiting: true}, {Name: "sales"}},
	}).String()
	for _, part := range []string{
		`<iq type="result" id="9" from="chat.x" to="a@x/desk"><workspace xmlns="urn:parley:chat:0">`,
		`<me jid="a@x" show="dnd" load="2" capacity="4" pending="0">`,
		`<session id="s1" room="s1@chat.x" state="suspended" role="owner" queue="support" started="2026-12-01T10:00:00Z" suspended-by="agent" cause="Investigation" reconnected="true"><visitor name="Ann" email="ann@example.org"></visitor><question>Parcel?</question></session>`,
		`<cause>Investigation</cause>`,
		`<agent jid="b@x" show="available" load="1" capacity="3" pending="0">`,
		`<queue name="support" waiting="2" agents="1" free="0" oldest="75">`,
		`<queue name="sales" waiting="0" agents="0" free="0">`,
	} {
		if !strings.Contains(got, part) {
			t.Errorf("workspace %s\n lacks %s", got, part)
		}
	}
}

func TestEncodeQueueFigures(t *testing.T) {
	var enc encoder
	got := enc.encode(&sessions.QueueFigures{From: jid.MustParse("chat.x"), To: jid.MustParse("sue@x/desk"),
		Queues: []sessions.WorkspaceQueue{{Name: "support", Waiting: 2, Agents: 1, Oldest: 75 * time.Second, HasWaiting: true}},
		Agents: []routing.AgentInfo{{JID: "b@x", Show: routing.ShowDND, Load: 1, Capacity: 3}},
	}).String()
	want := `<message from="chat.x" to="sue@x/desk" type="headline"><queues xmlns="urn:parley:chat:0"><queue name="support" waiting="2" agents="1" free="0" oldest="75"></queue><agent jid="b@x" show="dnd" load="1" capacity="3" pending="0"></agent></queues></message>`
	if got != want {
		t.Errorf("queue figures\n got %s\nwant %s", got, want)
	}
}
