// The typed vocabulary: agent roles, who suspended, transcript entry kinds.

package sessions

// AgentRole is an agent's relation with a session.
type AgentRole string

// Agent roles.
const (
	RoleOwner      AgentRole = "owner"      // takes the session's messages and decisions
	RoleConference AgentRole = "conference" // invited to help
	RolePrevious   AgentRole = "previous"   // owned it before a transfer or a takeover
	RoleOffer      AgentRole = "offer"      // workspace: offered to the asker, not yet taken
)

// SuspendedBy says who suspended a session.
type SuspendedBy string

// Who suspends.
const (
	ByVisitor SuspendedBy = "visitor"
	ByAgent   SuspendedBy = "agent"
	BySystem  SuspendedBy = "system"
)

// EntryKind is what a transcript line is.
type EntryKind string

// Transcript line kinds.
const (
	KindMessage EntryKind = "message"
	KindCanned  EntryKind = "canned"
	KindLink    EntryKind = "link"
	KindComment EntryKind = "comment"
	KindEvent   EntryKind = "event"
)
