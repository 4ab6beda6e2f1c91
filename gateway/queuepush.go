package gateway

import (
	"strconv"

	"github.com/parley-chat/parley/sessions"
	"github.com/parley-chat/parley/xmpp"
)

// The wire of docs/protocol.md "Queue figures, pushed": a headline from the
// service to a supervisor's resource carrying <queues/>, whose <queue/> and
// <agent/> children are those of the <workspace/> answer.

func queueEl(q sessions.WorkspaceQueue) *xmpp.Element {
	el := xmpp.New("", "queue", "name", q.Name, "waiting", strconv.Itoa(q.Waiting),
		"agents", strconv.Itoa(q.Agents), "free", strconv.Itoa(q.Free))
	if q.HasWaiting {
		el.Set("oldest", strconv.Itoa(int(q.Oldest.Seconds())))
	}
	return el
}

// encodeQueueFigures renders a push of queue figures.
func encodeQueueFigures(v *sessions.QueueFigures) *xmpp.Element {
	qs := xmpp.New(sessions.NS, "queues")
	for _, q := range v.Queues {
		qs.Add(queueEl(q))
	}
	for _, a := range v.Agents {
		qs.Add(agentEl("agent", a))
	}
	return xmpp.New("", "message", "from", v.From.String(), "to", v.To.String(), "type", "headline").Add(qs)
}
