// Package muc owns session rooms as plain in-memory data, following XEP-0045
// (Multi-User Chat): occupants keyed by nick with the full JIDs behind each,
// affiliations and roles, the history window, the subject and destruction.
//
// A Room decides nothing about who may join: the caller (package sessions)
// hands it an Entry with the affiliation and role it granted. Every command
// returns the stanzas to send (as Stanza values) or a typed *Error; nothing here
// starts a goroutine, does I/O or reads a clock.
package muc

import (
	"time"

	"mellium.im/xmpp/jid"
)

// Namespaces of XEP-0045.
const (
	NS      = "http://jabber.org/protocol/muc"
	NSUser  = "http://jabber.org/protocol/muc#user"
	NSOwner = "http://jabber.org/protocol/muc#owner"
)

// Status codes of XEP-0045 used here.
const (
	StatusSelf         = 110 // presence refers to the recipient
	StatusLogged       = 170 // room logging is enabled
	StatusNickAssigned = 210 // the service assigned or modified the occupant's nick
	StatusNickChanged  = 303
)

// Affiliation is a long-lived relation of a JID with a room.
type Affiliation int

// Affiliations, in XEP-0045 order.
const (
	AffNone Affiliation = iota
	AffMember
	AffAdmin
	AffOwner
)

func (a Affiliation) String() string {
	switch a {
	case AffMember:
		return "member"
	case AffAdmin:
		return "admin"
	case AffOwner:
		return "owner"
	}
	return "none"
}

// Role is an occupant's privileges for the time it is in the room.
type Role int

// Roles, in XEP-0045 order.
const (
	RoleNone Role = iota
	RoleVisitor
	RoleParticipant
	RoleModerator
)

func (r Role) String() string {
	switch r {
	case RoleVisitor:
		return "visitor"
	case RoleParticipant:
		return "participant"
	case RoleModerator:
		return "moderator"
	}
	return "none"
}

// Entry is what the caller grants to a joining JID.
type Entry struct {
	Affiliation Affiliation
	Role        Role
	// Person identifies who is behind the JID: JIDs with the same Person may
	// share one nick (a visitor's two windows, an agent's two clients).
	Person string
}

// Stanza is a stanza to send: *Presence or *Message.
type Stanza interface {
	isStanza()
	Outgoing()
}

// Item is the <item/> of a muc#user presence.
type Item struct {
	Affiliation Affiliation
	Role        Role
	JID         jid.JID // zero when the recipient may not see it
}

// Presence is an occupant presence sent by the room.
type Presence struct {
	From   jid.JID // room@service/nick
	To     jid.JID
	Type   string // "" or "unavailable"
	Show   string
	Status string
	Item   Item
	Codes  []int
	// Destroyed is set when the room is destroyed; DestroyReason goes with it.
	Destroyed     bool
	DestroyReason string
}

// Message is a message sent by the room: groupchat from an occupant or from the
// room itself, history, or subject.
type Message struct {
	From     jid.JID
	To       jid.JID
	Type     string // "groupchat"
	ID       string
	Body     string
	Subject  *string
	Payload  string    // extension children as self-contained XML
	Element  Element   // the service's own element, rendered after Payload; nil when none
	Delay    time.Time // non-zero on history
	StanzaID string    // XEP-0359 id assigned by the room ("" for the subject)
}

func (*Presence) isStanza() {}
func (*Message) isStanza()  {}

// Outgoing marks the room's stanzas as effects the domain hands to the edge
// (sessions.Out).
func (*Presence) Outgoing() {}

// Outgoing marks the room's stanzas as effects the domain hands to the edge
// (sessions.Out).
func (*Message) Outgoing() {}

// Element is one of the service's own elements a room line carries (a
// session event, the marker of a canned response or of a comment) as a typed
// value. The room only carries it; the edge renders it.
type Element interface{ RoomElement() }

// PresenceInfo is an occupant's availability as it sent it.
type PresenceInfo struct {
	Show   string
	Status string
}

// HistoryRequest is the <history/> of a join (XEP-0045 7.2.13). Negative
// values mean "not given".
type HistoryRequest struct {
	MaxChars   int
	MaxStanzas int
	Seconds    int
	Since      time.Time
}

// NoHistoryLimit is a HistoryRequest with nothing given: the whole window.
var NoHistoryLimit = HistoryRequest{MaxChars: -1, MaxStanzas: -1, Seconds: -1}

// Line is one message of the history window.
type Line struct {
	Nick       string // "" for a message from the room itself
	At         time.Time
	Body       string
	Payload    string
	Element    Element // the service's own element, as a typed value; nil when none
	StanzaID   string
	AgentsOnly bool // delivered to moderators only (internal comments)
}
