// The closed sets Cmd and Out: marker methods for every command and effect.

package sessions

// The closed sets of the engine's inputs and outputs: every IQ command and
// every outgoing effect is one of the types below. The gateway decodes into
// the first and renders the second; nothing crosses as `any`.

// Cmd is the decoded payload of an IQ: one of the *…Cmd types.
type Cmd interface{ isCmd() }

// VersionCmd is a XEP-0092 version query; the gateway answers it itself.
type VersionCmd struct{}

// MAMQuery is the edge's parsed XEP-0313 query. The engine does not read it:
// it carries it back in the MAMGrant so the edge runs the query it parsed.
type MAMQuery interface{ MAMQuery() }

func (*RequestCmd) isCmd()      {}
func (*ReconnectCmd) isCmd()    {}
func (*SuspendCmd) isCmd()      {}
func (*ResumeCmd) isCmd()       {}
func (*CloseCmd) isCmd()        {}
func (*CannedCmd) isCmd()       {}
func (*CommentCmd) isCmd()      {}
func (*DiscoInfoCmd) isCmd()    {}
func (*DiscoItemsCmd) isCmd()   {}
func (*PingCmd) isCmd()         {}
func (*MAMCmd) isCmd()          {}
func (*AdHocCmd) isCmd()        {}
func (*MUCOwnerCmd) isCmd()     {}
func (*MUCAdminCmd) isCmd()     {}
func (*AvailabilityCmd) isCmd() {}
func (*LeaveMessageCmd) isCmd() {}
func (*WorkspaceCmd) isCmd()    {}
func (*VersionCmd) isCmd()      {}

// Outgoing marks an effect (Out).
func (*Stanza) Outgoing() {}

// Outgoing marks an effect (Out).
func (*Invitation) Outgoing() {}

// Outgoing marks an effect (Out).
func (*ReservedNick) Outgoing() {}

// Outgoing marks an effect (Out).
func (*Withdrawal) Outgoing() {}

// Outgoing marks an effect (Out).
func (*MissedNotice) Outgoing() {}

// Outgoing marks an effect (Out).
func (*Availability) Outgoing() {}

// Outgoing marks an effect (Out).
func (*Workspace) Outgoing() {}

// Outgoing marks an effect (Out).
func (*QueueFigures) Outgoing() {}
