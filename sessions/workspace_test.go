package sessions

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/parley-chat/parley/routing"
)

// workspaceOf asks the service for from's workspace.
func (w *world) workspaceOf(from string) *Workspace {
	w.t.Helper()
	q := &IQ{From: mustJID(from), To: mustJID(service), ID: w.nextID(), Type: "get", Cmd: &WorkspaceCmd{}}
	for _, o := range w.step(q).Out {
		if ws, ok := o.(*Workspace); ok && ws.ID == q.ID {
			return ws
		}
	}
	w.t.Fatalf("no workspace answer for %s", from)
	return nil
}

func TestWorkspace(t *testing.T) {
	w := newWorld(t, func(c *Config) { c.DefaultCapacity = 2 })
	w.signIn(alice)
	w.signIn(bob)
	sid, token := w.active(ann, "Where is my parcel?")

	ws := w.workspaceOf(alice)
	if ws.Me.JID != bareOf(alice) || ws.Me.Show != routing.ShowAvailable || ws.Me.Load != 1 || ws.Me.Capacity != 2 {
		t.Errorf("me %+v", ws.Me)
	}
	if len(ws.Sessions) != 1 || ws.Sessions[0].ID != sid || ws.Sessions[0].Role != "owner" || ws.Sessions[0].State != StateActive ||
		ws.Sessions[0].Question != "Where is my parcel?" || ws.Sessions[0].Reconnected || ws.Sessions[0].Cause != "" {
		t.Fatalf("sessions %+v", ws.Sessions)
	}
	if !equal(ws.Causes, []string{"Investigation", "Visitor Machine Restart"}) {
		t.Errorf("causes %v", ws.Causes)
	}
	if len(ws.Agents) != 1 || ws.Agents[0].JID != bareOf(bob) {
		t.Errorf("colleagues %+v", ws.Agents)
	}
	if ws.Queues != nil {
		t.Errorf("an agent sees queues %+v", ws.Queues)
	}
	if len(w.workspaceOf(bob).Sessions) != 0 {
		t.Error("bob sees alice's session")
	}

	// Suspended with a cause, the visitor leaves and reconnects: flagged.
	if _, r := w.cmd(alice, sid, &SuspendCmd{Cause: "Investigation"}); errCond(r) != "" {
		t.Fatalf("suspend: %+v", r)
	}
	s := w.workspaceOf(alice).Sessions[0]
	if s.State != StateSuspended || s.Cause != "Investigation" || s.SuspendedBy != "agent" || s.Reconnected {
		t.Errorf("suspended %+v", s)
	}
	w.leave(ann, sid, "Ann", true)
	if _, r := w.svc(annLater, &ReconnectCmd{Session: sid, Token: token}); errCond(r) != "" {
		t.Fatalf("reconnect: %+v", r)
	}
	w.join(annLater, sid, "Ann")
	if s := w.workspaceOf(alice).Sessions[0]; !s.Reconnected || s.State != StateSuspended {
		t.Errorf("after the reconnect %+v", s)
	}
	if _, r := w.cmd(alice, sid, &ResumeCmd{}); errCond(r) != "" {
		t.Fatalf("resume: %+v", r)
	}
	if s := w.workspaceOf(alice).Sessions[0]; s.Reconnected || s.State != StateActive || s.Cause != "" {
		t.Errorf("after the resume %+v", s)
	}

	// A supervisor sees every queue, with the oldest wait.
	w.grant(bareOf(sue), PermSupervise)
	w.signOut(bob)
	w.presence(alice, "", "dnd", 0)
	w.newChat("b1@guest.example.com/w", "waiting")
	w.advance(90 * time.Second)
	sup := w.workspaceOf(sue)
	var support *WorkspaceQueue
	for i := range sup.Queues {
		if sup.Queues[i].Name == "support" {
			support = &sup.Queues[i]
		}
	}
	if len(sup.Queues) != 2 || support == nil || support.Waiting != 1 || !support.HasWaiting || support.Oldest != 90*time.Second {
		t.Errorf("queues %+v", sup.Queues)
	}

	// Nobody else may ask; only a get.
	if _, r := w.iq(eve, mustJID(service), "get", &WorkspaceCmd{}); errCond(r) != "forbidden" {
		t.Errorf("eve: %+v", r)
	}
	if _, r := w.iq(alice, mustJID(service), "set", &WorkspaceCmd{}); errCond(r) != "bad-request" {
		t.Errorf("set: %+v", r)
	}
}

// An agent's workspace lists at most WorkspaceMax sessions: what the agent
// must act on (active, and a suspended one whose visitor is back) first,
// then the most recently suspended; the rest are counted, not listed. What
// it shows of each visitor is clipped, whatever the visitor typed.
func TestWorkspaceBounded(t *testing.T) {
	w := newWorld(t, func(c *Config) { c.DefaultCapacity = 10; c.WorkspaceMax = 3 })
	w.signIn(alice)
	var sids, tokens []string
	for i := range 5 {
		question := "question " + strconv.Itoa(i)
		if i == 0 {
			question = strings.Repeat("<parcel> é", 90) // 990 bytes: testConfig's MaxBody is 1,000
		}
		w.advance(time.Second)
		sid, token := w.active("v"+strconv.Itoa(i)+"@guest.example.com/w", question)
		sids, tokens = append(sids, sid), append(tokens, token)
	}
	// Sessions 1 to 4 suspended a minute apart; session 2's visitor comes back.
	for i := 1; i <= 4; i++ {
		w.advance(time.Minute)
		if _, r := w.cmd(alice, sids[i], &SuspendCmd{Cause: "Investigation"}); errCond(r) != "" {
			t.Fatalf("suspend %d: %+v", i, r)
		}
	}
	w.leave("v2@guest.example.com/w", sids[2], "Ann", true)
	if _, r := w.svc("v2@guest.example.com/later", &ReconnectCmd{Session: sids[2], Token: tokens[2]}); errCond(r) != "" {
		t.Fatalf("reconnect: %+v", r)
	}
	w.join("v2@guest.example.com/later", sids[2], "Ann")

	ws := w.workspaceOf(alice)
	var listed []string
	for _, s := range ws.Sessions {
		listed = append(listed, s.ID)
	}
	// Oldest first among those listed: 0 (active), 2 (back), 4 (suspended last).
	if want := []string{sids[0], sids[2], sids[4]}; !equal(listed, want) || ws.Unlisted != 2 {
		t.Fatalf("listed %v and %d unlisted, want %v and 2 (sessions %v)", listed, ws.Unlisted, want, sids)
	}
	q := ws.Sessions[0].Question
	if len(q) > clipQuestion || !strings.HasSuffix(q, "…") || !utf8.ValidString(q) || !strings.HasPrefix(q, "<parcel> é<parcel>") {
		t.Errorf("the question is shown as %d bytes %q, want at most %d, cut at a character and marked", len(q), q, clipQuestion)
	}

	// One more listed: the next most recently suspended (3, not 1).
	w.eng.cfg.WorkspaceMax = 4
	listed = listed[:0]
	for _, s := range w.workspaceOf(alice).Sessions {
		listed = append(listed, s.ID)
	}
	if want := []string{sids[0], sids[2], sids[3], sids[4]}; !equal(listed, want) {
		t.Fatalf("with room for 4: listed %v, want %v (sessions %v)", listed, want, sids)
	}

	// Within the bound nothing is left out.
	w.eng.cfg.WorkspaceMax = 10
	if ws := w.workspaceOf(alice); len(ws.Sessions) != 5 || ws.Unlisted != 0 {
		t.Errorf("with room for all: %d listed, %d unlisted", len(ws.Sessions), ws.Unlisted)
	}
}

func TestVisitorSummaryClipped(t *testing.T) {
	long := strings.Repeat("é", 200) // 400 bytes
	got := visitorSummary(map[string]string{"name": long, "email": "ann@example.org", "page": strings.Repeat("p", 300), "order": "A-1"})
	if len(got) != 3 || got["email"] != "ann@example.org" || got["order"] != "" {
		t.Fatalf("summary %v: want name, email and page only", got)
	}
	if n := got["name"]; len(n) > clipName || !utf8.ValidString(n) || !strings.HasSuffix(n, "…") || len(n) < clipName-4 {
		t.Errorf("name clipped to %d bytes %q", len(n), n)
	}
	if p := got["page"]; len(p) != clipPage || !strings.HasSuffix(p, "…") {
		t.Errorf("page clipped to %d bytes", len(p))
	}
	if s := clip("short", 10); s != "short" {
		t.Errorf("clip of a short string: %q", s)
	}
}

// Past DefaultWorkspaceAgents colleagues, a workspace keeps those able to take
// a chat: available with free capacity, then available, then the rest; the
// kept ones by JID, the others counted.
func TestWorkspaceColleaguesBounded(t *testing.T) {
	var list []routing.AgentInfo
	add := func(n int, show routing.Show, load int, prefix string) {
		for i := range n {
			list = append(list, routing.AgentInfo{JID: fmt.Sprintf("%s%04d@example.com", prefix, i), Show: show, Capacity: 2, Load: load})
		}
	}
	add(300, routing.ShowDND, 0, "a")       // busy: left out first
	add(300, routing.ShowAvailable, 2, "b") // available, full
	add(300, routing.ShowAvailable, 1, "c") // available, free
	slices.SortFunc(list, func(x, y routing.AgentInfo) int { return strings.Compare(x.JID, y.JID) })
	kept, unlisted := colleaguesCut(list, DefaultWorkspaceAgents)
	if len(kept) != DefaultWorkspaceAgents || unlisted != 900-DefaultWorkspaceAgents {
		t.Fatalf("kept %d, unlisted %d", len(kept), unlisted)
	}
	counts := map[byte]int{}
	for i, a := range kept {
		counts[a.JID[0]]++
		if i > 0 && kept[i-1].JID >= a.JID {
			t.Fatalf("kept not in JID order at %d: %s then %s", i, kept[i-1].JID, a.JID)
		}
	}
	if counts['c'] != 300 || counts['b'] != DefaultWorkspaceAgents-300 || counts['a'] != 0 {
		t.Errorf("kept free %d, full %d, busy %d; want 300, %d, 0", counts['c'], counts['b'], counts['a'], DefaultWorkspaceAgents-300)
	}
	if short, n := colleaguesCut(list[:10], DefaultWorkspaceAgents); len(short) != 10 || n != 0 {
		t.Errorf("a short list: kept %d, unlisted %d", len(short), n)
	}
}
