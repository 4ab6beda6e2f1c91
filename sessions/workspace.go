// The agent workspace: the agent's sessions and queues in one answer.

package sessions

import (
	"sort"
	"time"
	"unicode/utf8"

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
	Unlisted int                 // sessions of the asker left out (over Config.WorkspaceMax): suspended ones, the longest suspended first
	// UnlistedAgents is how many colleagues online were left out (over
	// Config.WorkspaceAgents): those least able to take a chat first.
	UnlistedAgents int
}

// DefaultWorkspaceAgents is the most colleagues one workspace lists, for the
// conference and transfer picker: about 50 KB at most (an <agent/> is about
// 100 bytes), next to the sessions' 430 KB at most (DefaultWorkspaceMax),
// under --max-stanza. Those left out are the ones least able to take a chat:
// the picker keeps whoever is available with free capacity first, then
// whoever is available, then the rest (away, extended away, busy).
const DefaultWorkspaceAgents = 500

// DefaultWorkspaceMax is the most sessions one workspace lists. Suspended
// sessions have no bound of their own (they expire after SuspendTimeout,
// 24 hours by default), and a visitor may suspend its own session: with the
// visitor's summary clipped (the clip constants below) a listed session is
// at most about 4 KB on the wire, so a workspace stays under the
// component's stanza limit (--max-stanza, 500 KB) whatever visitors typed
// and however many sessions an agent holds (gateway's
// TestWorkspaceFitsOneStanza). What is left out are the sessions suspended
// longest; the console says how many, and disco#items of the service (paged)
// lists every session the agent may join.
const DefaultWorkspaceMax = 100

// What a workspace shows of each visitor, in bytes (a visitor may send up
// to 32 details of --max-field and a question of --max-body): enough for a
// list and an offer card; the room's disco#info and the details command
// give everything.
const (
	clipName     = 128
	clipEmail    = 128
	clipPage     = 256
	clipQuestion = 300
)

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
	suspendedAt time.Time
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
			Visitor: visitorSummary(s.rec.Visitor), Question: clip(s.rec.Question, clipQuestion), Started: s.rec.CreatedAt,
			Reconnected: s.reconnected && s.rec.State == StateSuspended}
		if s.rec.State == StateSuspended {
			ws.SuspendedBy, ws.Cause = s.rec.SuspendedBy, s.rec.SuspendCause
			ws.suspendedAt = s.rec.SuspendedAt
		}
		w.Sessions = append(w.Sessions, ws)
	}
	w.Sessions, w.Unlisted = workspaceCut(w.Sessions, e.cfg.WorkspaceMax)
	sort.Slice(w.Sessions, func(i, j int) bool {
		a, b := w.Sessions[i], w.Sessions[j]
		if !a.Started.Equal(b.Started) {
			return a.Started.Before(b.Started)
		}
		return a.ID < b.ID
	})
	w.Agents, w.UnlistedAgents = e.onlineAgents(bare)
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

// workspaceCut keeps at most max of an agent's sessions: every one that is
// not suspended and every suspended one whose visitor is back (what the
// agent must act on) first, then the suspended ones, the most recently
// suspended first. It returns those kept and how many were left out.
func workspaceCut(list []WorkspaceSession, max int) ([]WorkspaceSession, int) {
	if len(list) <= max {
		return list, 0
	}
	waits := func(s WorkspaceSession) bool { return s.State == StateSuspended && !s.Reconnected }
	sort.SliceStable(list, func(i, j int) bool {
		a, b := list[i], list[j]
		if waits(a) != waits(b) {
			return !waits(a)
		}
		if !a.suspendedAt.Equal(b.suspendedAt) {
			return a.suspendedAt.After(b.suspendedAt)
		}
		return a.ID < b.ID
	})
	return list[:max], len(list) - max
}

// visitorSummary is what a workspace shows of a visitor: name, email and
// page, each clipped.
func visitorSummary(v map[string]string) map[string]string {
	out := make(map[string]string, 3)
	for k, n := range map[string]int{"name": clipName, "email": clipEmail, "page": clipPage} {
		if x := v[k]; x != "" {
			out[k] = clip(x, n)
		}
	}
	return out
}

// clip cuts s to at most n bytes, at a character boundary, marking the cut
// with an ellipsis (within the n bytes).
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	const more = "…"
	cut := n - len(more)
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + more
}

// onlineAgents are the chat holders signed in but except (a workspace's
// asker; "" for none), at most Config.WorkspaceAgents of them
// (colleaguesCut), and how many were left out: a workspace's colleagues and
// the agents of a queue push.
func (e *Engine) onlineAgents(except string) ([]routing.AgentInfo, int) {
	var as []routing.AgentInfo
	for _, a := range e.router.OnlineAgents() {
		if a.JID != except && e.has(a.JID, PermChat) {
			as = append(as, a)
		}
	}
	return colleaguesCut(as, e.cfg.WorkspaceAgents)
}

// colleaguesCut keeps at most max of the colleagues (sorted by JID, and
// kept so): first those available with free capacity, then the other
// available ones, then the rest, each by JID. It returns those kept and how
// many were left out.
func colleaguesCut(list []routing.AgentInfo, max int) ([]routing.AgentInfo, int) {
	if len(list) <= max {
		return list, 0
	}
	rank := func(a routing.AgentInfo) int {
		switch {
		case (a.Show == routing.ShowAvailable || a.Show == routing.ShowChat) && a.Load+a.Pending < a.Capacity:
			return 0
		case a.Show == routing.ShowAvailable || a.Show == routing.ShowChat:
			return 1
		}
		return 2
	}
	sort.SliceStable(list, func(i, j int) bool { return rank(list[i]) < rank(list[j]) })
	kept := list[:max]
	sort.Slice(kept, func(i, j int) bool { return kept[i].JID < kept[j].JID })
	return kept, len(list) - max
}
