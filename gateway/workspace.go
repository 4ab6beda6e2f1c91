package gateway

import (
	"strconv"
	"time"

	"github.com/parley-chat/parley/routing"
	"github.com/parley-chat/parley/sessions"
	"github.com/parley-chat/parley/xmpp"
)

// The wire of docs/protocol.md "The agent's workspace": the answer to
// <workspace/>.

func agentEl(local string, a routing.AgentInfo) *xmpp.Element {
	return xmpp.New("", local, "jid", a.JID, "show", a.Show.String(),
		"load", strconv.Itoa(a.Load), "capacity", strconv.Itoa(a.Capacity), "pending", strconv.Itoa(a.Pending))
}

// encodeWorkspace renders the answer to <workspace/>.
func encodeWorkspace(v *sessions.Workspace) *xmpp.Element {
	w := xmpp.New(sessions.NS, "workspace")
	w.Add(agentEl("me", v.Me))
	for _, s := range v.Sessions {
		el := xmpp.New("", "session", "id", s.ID, "room", s.Room.String(), "state", string(s.State), "role", string(s.Role),
			"queue", s.Queue, "started", s.Started.UTC().Format(time.RFC3339),
			"suspended-by", string(s.SuspendedBy), "cause", s.Cause)
		if s.Reconnected {
			el.Set("reconnected", "true")
		}
		vis := xmpp.New("", "visitor", "name", s.Visitor["name"], "email", s.Visitor["email"], "page", s.Visitor["page"])
		el.Add(vis, text("question", s.Question))
		w.Add(el)
	}
	for _, c := range v.Causes {
		w.Add(xmpp.New("", "cause").SetText(c))
	}
	for _, a := range v.Agents {
		w.Add(agentEl("agent", a))
	}
	for _, q := range v.Queues {
		el := xmpp.New("", "queue", "name", q.Name, "waiting", strconv.Itoa(q.Waiting),
			"agents", strconv.Itoa(q.Agents), "free", strconv.Itoa(q.Free))
		if q.HasWaiting {
			el.Set("oldest", strconv.Itoa(int(q.Oldest.Seconds())))
		}
		w.Add(el)
	}
	return xmpp.New("", "iq", "type", "result", "id", v.ID, "from", v.From.String(), "to", v.To.String()).Add(w)
}
