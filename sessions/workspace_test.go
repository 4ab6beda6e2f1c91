package sessions

import (
	"testing"
	"time"

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
