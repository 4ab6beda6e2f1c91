package gateway

import (
	"github.com/parley-chat/parley/sessions"
	"github.com/parley-chat/parley/wire"
	"github.com/parley-chat/parley/xmpp"
)

// The wire of docs/protocol.md "The agent's workspace": the answer to
// <workspace/>, whose element is package wire's.

// encodeWorkspace renders the answer to <workspace/>.
func encodeWorkspace(v *sessions.Workspace) *xmpp.Element {
	return xmpp.New("", "iq", "type", "result", "id", v.ID, "from", v.From.String(), "to", v.To.String()).
		Add(written(wire.WorkspaceOf(v).TokenReader()))
}
