// The typed IQ answers (payloads) and room elements the gateway renders.

package sessions

import (
	"time"

	"github.com/parley-chat/parley/muc"
	"mellium.im/xmpp/jid"
)

// The typed answers the engine returns: what a *Stanza carries (Payload) and
// what a room line carries besides its body (muc.Element). The gateway renders
// each of them (gateway/answers.go): Parley's own elements with package wire,
// disco, commands and forms with mellium's types where they fit. The engine
// builds no markup.

// Payload is the typed content of a *Stanza: one of the types below.
type Payload interface{ isPayload() }

// SessionAnswer is <session/>, the result of a request, a reconnect or a left
// message (PROTOCOL 3, 5).
type SessionAnswer struct {
	ID          string
	Room        jid.JID
	State       State
	Token       string
	SuspendedBy SuspendedBy
	Cause       string
	Started     time.Time
	Replaces    string
	Nick        string
	Reconnected bool
}

// Resumable is <resumable/>: the visitor's cookie has a live session.
type Resumable struct {
	Mode    string // "prompt" or "always"
	Session SessionAnswer
}

// CannedList is <canned/> with the canned responses, to an agent.
type CannedList struct{ Items []Canned }

// Reconnected is <reconnected/> in the headline that tells agents the
// visitor came back.
type Reconnected struct {
	Session string
	State   State
}

// Identity is a disco#info identity.
type Identity struct{ Category, Type, Name string }

// DiscoInfo is a disco#info answer (XEP-0030).
type DiscoInfo struct {
	Node     string
	Identity Identity
	Features []string
	Form     *Form // XEP-0128 extended information, or nil
}

// DiscoItem is one item of a disco#items answer.
type DiscoItem struct {
	JID        jid.JID
	Node, Name string
}

// DiscoItems is a disco#items answer (XEP-0030).
type DiscoItems struct {
	Node  string
	Items []DiscoItem
	Page  *PageAnswer // the page these items are, when the list is paged
}

// Page is a XEP-0059 request for a page of a list ordered by id: the items
// after the one with id After ("": from the first), at most Max of them
// (0: as many as the service gives at once); CountOnly is <max>0</max>,
// the number of items and none of them. Asked: the request had a <set/>.
type Page struct {
	Max       int
	After     string
	CountOnly bool
	Asked     bool
}

// PageAnswer is the XEP-0059 <set/> of an answer: the ids of the page's
// first and last items (empty for an empty page) and the list's length.
type PageAnswer struct {
	First, Last string
	Count       int
}

// Command statuses (XEP-0050).
const (
	CmdExecuting = "executing"
	CmdCompleted = "completed"
	CmdCanceled  = "canceled"
)

// CommandReply is a XEP-0050 <command/> answer: executing with a form to fill
// (the only action is complete), completed with an optional form and a note,
// or canceled.
type CommandReply struct {
	Node, SessionID string
	Status          string
	Form            *Form
	Note            string // completed: an info note
}

// Option is a choice of a list field.
type Option struct{ Label, Value string }

// Field is a XEP-0004 field.
type Field struct {
	Var, Type, Label string
	Values           []string
	Options          []Option
}

// Form is a XEP-0004 data form: fields, or a table (Reported columns and one
// Items row per entry) for results.
type Form struct {
	Type     string // "form" or "result"
	Title    string
	Fields   []Field
	Reported []Field
	Items    [][]Field
}

func (*SessionAnswer) isPayload() {}
func (*Resumable) isPayload()     {}
func (*CannedList) isPayload()    {}
func (*Reconnected) isPayload()   {}
func (*DiscoInfo) isPayload()     {}
func (*DiscoItems) isPayload()    {}
func (*CommandReply) isPayload()  {}

// CannedMark marks a room line as a posted canned response (<canned id=”/>).
type CannedMark struct{ ID string }

// CommentMark marks a room line as an internal comment (<comment/>).
type CommentMark struct{}

// RoomElement marks an event as a room line's element (muc.Element).
func (*Event) RoomElement() {}

// RoomElement marks a canned response's marker as a room line's element.
func (*CannedMark) RoomElement() {}

// RoomElement marks a comment's marker as a room line's element.
func (*CommentMark) RoomElement() {}

var _ = []muc.Element{(*Event)(nil), (*CannedMark)(nil), (*CommentMark)(nil)}
