// The engine's inputs and outputs: decoded stanzas in, stanzas and rows out.

package sessions

import (
	"time"

	"github.com/parley-chat/parley/muc"
	"mellium.im/xmpp/jid"
)

// Input is something that happened, already decoded by the edge: one of
// *Presence, *Message, *IQ, Tick, *Reload.
type Input interface{ isInput() }

// Presence is an incoming presence stanza.
type Presence struct {
	From, To jid.JID
	ID       string
	Type     string // "", "unavailable", "subscribe", "subscribed", "unsubscribe", "unsubscribed", "probe", "error"
	Show     string
	Status   string
	MaxChats int  // <p:agent max-chats/>; 0 when absent
	MUC      bool // carries <x xmlns='http://jabber.org/protocol/muc'/>
	History  muc.HistoryRequest
	Suspend  bool // carries <p:suspend/>
}

// Invite is a XEP-0045 mediated invitation sent to a room.
type Invite struct {
	To     jid.JID
	Reason string
}

// Message is an incoming message stanza.
type Message struct {
	From, To jid.JID
	ID       string
	Type     string // "groupchat", "chat", "normal", "headline", "error"
	Body     string
	Subject  *string
	Payload  string // extension children to pass on (chat states, oob, …) as XML
	OOB      bool   // carries jabber:x:oob (a link or file)
	Comment  bool   // carries <p:comment/>
	Invites  []Invite
	Decline  bool
	HasState bool   // carries a XEP-0085 chat state
	OriginID string // XEP-0359 <origin-id id=''/> ("" when none): dedup.go
}

// IQ is an incoming IQ with its payload decoded into one of the Cmd types.
type IQ struct {
	From, To jid.JID
	ID       string
	Type     string // "get" or "set"
	Cmd      Cmd
}

// Tick asks the engine to run the timers that are due.
type Tick struct{}

// Reload replaces the permissions (after a change in the store).
type Reload struct {
	Permissions map[string]map[string]bool
	Queues      map[string][]string
}

// Leaving is the widget's suspend beacon: visitor JID From, whose page is
// closing or navigating away, leaves session Session's room with <suspend/>.
// The widget sends it over HTTP as well as the presence in its stream,
// because an XMPP server may drop what a page sent just before its socket
// closed (docs/servers.md, Prosody). Token is the visitor token.
type Leaving struct {
	Session, Token string
	From           jid.JID
}

func (*Presence) isInput() {}
func (*Leaving) isInput()  {}
func (*Message) isInput()  {}
func (*IQ) isInput()       {}
func (Tick) isInput()      {}
func (*Reload) isInput()   {}

// Commands carried by IQs.
type (
	// RequestCmd is <request/> (PROTOCOL 3).
	RequestCmd struct {
		Queue      string
		Token      string // as sent, "" when none
		TokenKnown bool   // the edge found the token's hash in the store
		New        bool
		Probe      bool // only ask: answer <resumable/> or an empty result, create nothing
		Visitor    map[string]string
		Body       string
	}
	// ReconnectCmd is <reconnect/>.
	ReconnectCmd struct {
		Session string
		Token   string
		Stored  *Record // the edge's read of the session row, for sessions that ended
	}
	// SuspendCmd is <suspend/> to a room.
	SuspendCmd struct{ Cause string }
	// ResumeCmd is <resume/> to a room.
	ResumeCmd struct{}
	// CloseCmd is <close/> to a room.
	CloseCmd struct{}
	// CannedCmd is <canned/>: get to the service lists, set to a room posts.
	CannedCmd struct {
		ID       string
		Resolved *Canned // filled by the edge from the store for a set
		List     []Canned
	}
	// CommentCmd is <comment>text</comment> to a room.
	CommentCmd struct{ Text string }
	// DiscoInfoCmd is a disco#info query.
	DiscoInfoCmd struct{ Node string }
	// DiscoItemsCmd is a disco#items query.
	DiscoItemsCmd struct {
		Node string
		Page Page // XEP-0059: the page asked for (zero: none asked)
	}
	// PingCmd is a XEP-0199 ping (to an occupant: a XEP-0410 self-ping).
	PingCmd struct{}
	// MAMCmd asks whether From may read the room's archive; the edge runs the query.
	MAMCmd struct {
		Token        string         // the visitor's proof, from the query form
		Query        MAMQuery       // the edge's parsed query, carried back in the grant
		Stored       *Record        // the edge's read of the session row (rooms that ended)
		StoredAgents []SessionAgent // and of its agents
	}
)

// Stanza is an outgoing stanza the engine built itself (IQ results and
// errors, direct messages and presences).
type Stanza struct {
	Name     string // "iq", "message", "presence"
	From, To jid.JID
	ID       string
	Type     string
	Body     string
	Payload  Payload // typed content, rendered by the edge; nil when none
	Err      *muc.Error
}

// Out is an outgoing effect: *muc.Presence, *muc.Message, *Stanza or one of
// the typed notices the edge renders (effects.go lists them).
type Out interface{ Outgoing() }

// Output is what one batch of inputs decided.
type Output struct {
	Batch Batch
	Out   []Out
	// MAM is set when an IQ was a MAM query the edge must answer from the
	// store; the engine has checked the asker's rights.
	MAM []MAMGrant
	// Admin lists permission and canned-response changes the edge must write.
	Admin []AdminOp
	// Panics lists inputs whose handling panicked (their effects were dropped).
	Panics []string
}

// Clock tells the time; tests inject a fake one.
type Clock interface{ Now() time.Time }
