// The agent workspace: the agent's sessions and queues in one answer.

package sessions

import (
	"sort"
	"time"

	"github.com/parley-chat/parley/muc"
	"github.com/parley-chat/parley/routing"
	"mellium.im/xmpp/jid"
)

// The agent's workspace (docs/protocol.md "The agent's workspace"): one IQ
// get <workspace/> to the service answers what an agent console shows.

// WorkspaceCmd is <workspace/> (IQ get) to the service.
type WorkspaceCmd struct{}

// Workspace answers a WorkspaceCmd: the asker's own availability, its
// sessions, the configured suspension causes, the colleagues it may invite to
// a conference or transfer, and for supervisors every queue's figures.
type Workspace struct {
	From, To jid.JID
	ID       string
	Me       routing.AgentInfo // the asker as the router knows it (Show offline when signed out)
	Sessions []WorkspaceSession
	Causes   []string
	Agents   []routing.AgentInfo // online chat holders other than the asker
	Queues   []WorkspaceQueue    // supervisors only; nil otherwise
}

// WorkspaceSession is one session of the asker.
type WorkspaceSession struct {
	ID, Queue   string
	Room        jid.JID
	State       State
	Role        AgentRole // owner, conference, or offer (offered to the asker, not yet taken)
	Visitor     map[string]string
	Question    string
	Started     time.Time
	SuspendedBy SuspendedBy
	Cause       string
	Reconnected bool // the visitor came back to the suspended session and waits for a resume
}

// WorkspaceQueue is a queue's figures for a supervisor.
type WorkspaceQueue struct {
	Name       string
	Waiting    int
	Agents     int // available agents serving it
	Free       int // of those, with free capacity
	Oldest     time.Duration
	HasWaiting bool // Oldest is meaningful
}

func (e *Engine) workspace(q *IQ) {
	if q.Type != "get" {
		e.replyErr(q, muc.Errorf(muc.Modify, muc.BadRequest, "workspace is an IQ get"))
		return
	}
	bare := q.fromBare()
	sup := e.has(bare, PermSupervise)
	if !e.has(bare, PermChat) && !sup {
		e.replyErr(q, muc.Errorf(muc.Auth, muc.Forbidden, "the workspace is for agents"))
		return
	}
	w := &Workspace{From: q.To, To: q.From, ID: q.ID, Causes: append([]string(nil), e.cfg.Causes...)}
	if me, ok := e.router.Agent(bare); ok {
		w.Me = me
	} else {
		w.Me = routing.AgentInfo{JID: bare, Capacity: e.cfg.DefaultCapacity}
	}
	for _, s := range e.linkedTo(bare) {
		role := e.workspaceRole(s, bare)
		if role == "" {
			continue
		}
		ws := WorkspaceSession{ID: s.rec.ID, Queue: s.rec.Queue, Room: s.room.Addr(), State: s.rec.State, Role: role,
			Visitor: s.rec.Visitor, Question: s.rec.Question, Started: s.rec.CreatedAt, Reconnected: s.reconnected && s.rec.State == StateSuspended}
		if s.rec.State == StateSuspended {
			ws.SuspendedBy, ws.Cause = s.rec.SuspendedBy, s.rec.SuspendCause
		}
		w.Sessions = append(w.Sessions, ws)
	}
	sort.Slice(w.Sessions, func(i, j int) bool {
		a, b := w.Sessions[i], w.Sessions[j]
		if !a.Started.Equal(b.Started) {
			return a.Started.Before(b.Started)
		}
		return a.ID < b.ID
	})
	for _, a := range e.router.OnlineAgents() {
		if a.JID != bare && e.has(a.JID, PermChat) {
			w.Agents = append(w.Agents, a)
		}
	}
	if sup {
		e.watchQueues(q.From)
		w.Queues = make([]WorkspaceQueue, 0, len(e.cfg.Queues))
		for _, n := range e.cfg.Queues {
			av := e.router.Availability(n)
			wq := WorkspaceQueue{Name: n, Waiting: av.Waiting, Agents: av.Agents, Free: av.Free}
			if t, ok := e.router.Oldest(n); ok {
				wq.Oldest, wq.HasWaiting = e.now.Sub(t), true
			}
			w.Queues = append(w.Queues, wq)
		}
	}
	e.send(w)
}

// workspaceRole is bare's role in s as its workspace lists it: owner,
// conference, "offer" (offered it while it waits), or "" (not listed). Each
// is one of the people of s (index.go), so the workspace is built from the
// agent's sessions, not from every live one.
func (e *Engine) workspaceRole(s *session, bare string) AgentRole {
	switch role := s.agents[bare]; {
	case role == RoleOwner || role == RoleConference:
		return role
	case e.offeredTo(s, bare):
		return "offer"
	}
	return ""
}
