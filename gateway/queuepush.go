package gateway

import (
	"github.com/parley-chat/parley/sessions"
	"github.com/parley-chat/parley/wire"
	"github.com/parley-chat/parley/xmpp"
)

// The wire of docs/protocol.md "Queue figures, pushed": a headline from the
// service to a supervisor's resource carrying package wire's <queues/>, whose
// <queue/> and <agent/> children are those of the <workspace/> answer.

// encodeQueueFigures renders a push of queue figures.
func encodeQueueFigures(v *sessions.QueueFigures) *xmpp.Element {
	return xmpp.New("", "message", "from", v.From.String(), "to", v.To.String(), "type", "headline").
		Add(written(wire.QueuesOf(v).TokenReader()))
}
