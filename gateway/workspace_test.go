package gateway

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/parley-chat/parley/sessions"
	"github.com/parley-chat/parley/xmpp"
	"mellium.im/xmpp/jid"
)

// An agent's workspace fits in one stanza under --max-stanza's default (500
// KB) however many sessions the agent holds, whatever their visitors typed
// and however many colleagues are online: 150 suspended sessions whose
// visitor details and question are as long as the limits let them be, in the
// character that escapes longest (`"` is written as &#34;, five bytes), and
// 1,000 colleagues signed in.
func TestWorkspaceFitsOneStanza(t *testing.T) {
	const maxStanza = xmpp.DefaultMaxStanza
	const agent = "alice@example.com"
	eng := sessions.NewEngine(sessions.Config{Domain: jid.MustParse("chat.example.com"), Queues: []string{"support"},
		MaxField: 4096, MaxBody: 65536, MaxFields: 32, SuspendTimeout: time.Hour})
	now := time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)
	worst := func(n int) string { return strings.Repeat(`"`, n) }
	snap := &sessions.Snapshot{Permissions: map[string]map[string]bool{agent: {sessions.PermChat: true}}}
	for i := range 150 {
		id := fmt.Sprintf("s%025d", i)
		at := now.Add(-time.Duration(i) * time.Second)
		snap.Sessions = append(snap.Sessions, sessions.Record{ID: id, Queue: "support", State: sessions.StateSuspended,
			Owner: agent, VisitorJIDs: []string{"v" + fmt.Sprint(i) + "@guest.example.com/w"},
			Visitor:  map[string]string{"name": worst(4096), "email": worst(4096), "page": worst(4096), "order": worst(4096)},
			Question: worst(65536), SuspendedBy: sessions.ByVisitor, SuspendCause: "Investigation", // causes are the operator's (--causes)
			CreatedAt: at, UpdatedAt: at, AssignedAt: at, SuspendedAt: at, Deadline: now.Add(time.Hour)})
		snap.Agents = append(snap.Agents, sessions.SessionAgent{Session: id, JID: agent, Role: "owner", At: at})
	}
	var in []sessions.Input
	for i := range 1000 {
		bare := fmt.Sprintf("colleague%04d@agents.example.com", i)
		snap.Permissions[bare] = map[string]bool{sessions.PermChat: true}
		in = append(in, &sessions.Presence{From: jid.MustParse(bare + "/desk"), To: jid.MustParse("chat.example.com")})
	}
	eng.Restore(now, snap)
	eng.Process(now, in)
	out := eng.Process(now, []sessions.Input{&sessions.IQ{From: jid.MustParse(agent + "/desk"), To: jid.MustParse("chat.example.com"),
		ID: "w1", Type: "get", Cmd: &sessions.WorkspaceCmd{}}})
	var ws *sessions.Workspace
	for _, o := range out.Out {
		if w, ok := o.(*sessions.Workspace); ok {
			ws = w
		}
	}
	if ws == nil || len(ws.Sessions) != sessions.DefaultWorkspaceMax || ws.Unlisted != 150-sessions.DefaultWorkspaceMax ||
		len(ws.Agents) != sessions.DefaultWorkspaceAgents || ws.UnlistedAgents != 1000-sessions.DefaultWorkspaceAgents {
		t.Fatalf("workspace of %d sessions (%d unlisted) and %d colleagues (%d unlisted): want %d and %d listed, the rest counted",
			len(ws.Sessions), ws.Unlisted, len(ws.Agents), ws.UnlistedAgents, sessions.DefaultWorkspaceMax, sessions.DefaultWorkspaceAgents)
	}
	xml := encodeWorkspace(ws).String()
	if n := strings.Count(xml, "<session "); n != len(ws.Sessions) {
		t.Fatalf("the answer holds %d sessions of %d: %.300s", n, len(ws.Sessions), xml)
	}
	if n := strings.Count(xml, "<agent "); n != len(ws.Agents) {
		t.Fatalf("the answer holds %d colleagues of %d", n, len(ws.Agents))
	}
	size := len(xml)
	t.Logf("the workspace of %d sessions is %d bytes (%d per session)", len(ws.Sessions), size, size/len(ws.Sessions))
	if size > maxStanza-1024 { // room for the <iq/> around it
		t.Fatalf("the workspace takes %d bytes, over %d", size, maxStanza-1024)
	}
}
