// Ad-hoc commands surface (XEP-0050): room and service commands onto the core operations.

package sessions

import (
	"maps"
	"slices"
	"strings"

	"github.com/parley-chat/parley/muc"
	"mellium.im/xmpp/jid"
)

// NSCommands is XEP-0050's namespace.
const NSCommands = "http://jabber.org/protocol/commands"

// AdHocCmd is a XEP-0050 command request to a room or to the service.
type AdHocCmd struct {
	Node      string
	Action    string              // "", "execute", "complete", "next", "cancel"
	SessionID string              // the command session, echoed back
	Form      map[string][]string // submitted fields; nil when no form came
	Canned    []Canned            // filled by the edge for the canned command
}

// adhocDef describes one command: who may run it and what it asks.
type adhocDef struct {
	node, name string
	who        []actor
}

var roomCommands = []adhocDef{
	{"suspend", "Suspend the chat", []actor{actorAgent, actorVisitor}},
	{"resume", "Resume the chat", []actor{actorAgent}},
	{"close", "Close the chat", []actor{actorAgent, actorVisitor}},
	{"canned", "Send a canned response", []actor{actorAgent}},
	{"comment", "Add an internal comment", []actor{actorAgent}},
	{"conference", "Invite or transfer to another agent", []actor{actorAgent}},
	{"details", "Visitor details", []actor{actorAgent, actorSupervisor}},
}

func allowed(d adhocDef, who actor) bool { return slices.Contains(d.who, who) }

// commandItems lists the commands who may run on addr (disco#items of the commands node).
func commandItems(addr jid.JID, defs []adhocDef, who actor) *DiscoItems {
	items := &DiscoItems{Node: NSCommands, Items: []DiscoItem{}}
	for _, d := range defs {
		if allowed(d, who) {
			items.Items = append(items.Items, DiscoItem{JID: addr, Node: d.node, Name: d.name})
		}
	}
	return items
}

// field is a XEP-0004 field; options are label, value pairs.
func field(v, typ, label string, values []string, options ...string) Field {
	f := Field{Var: v, Type: typ, Label: label, Values: values}
	for i := 0; i+1 < len(options); i += 2 {
		f.Options = append(f.Options, Option{Label: options[i], Value: options[i+1]})
	}
	return f
}

func form(typ, title string, fields ...Field) *Form {
	return &Form{Type: typ, Title: title, Fields: fields}
}

func (e *Engine) cmdReply(q *IQ, c *AdHocCmd, status string, x *Form, note string) {
	sid := c.SessionID
	if sid == "" {
		sid = strings.ToLower(b32.EncodeToString(e.randomBytes(10)))
	}
	e.reply(q, &CommandReply{Node: c.Node, SessionID: sid, Status: status, Form: x, Note: note})
}

func (e *Engine) cmdForm(q *IQ, c *AdHocCmd, x *Form) { e.cmdReply(q, c, CmdExecuting, x, "") }

func (e *Engine) cmdDone(q *IQ, c *AdHocCmd, note string, extra *Form) {
	e.cmdReply(q, c, CmdCompleted, extra, note)
}

func first(f map[string][]string, k string) string {
	if v := f[k]; len(v) > 0 {
		return v[0]
	}
	return ""
}

// adhoc runs a command on a room.
func (e *Engine) adhoc(s *session, q *IQ, who actor, c *AdHocCmd) {
	if c.Node == "take" {
		e.takeCommand(s, q, c)
		return
	}
	if q.Type != "set" {
		e.replyErr(q, errExecuteWithSet())
		return
	}
	var def *adhocDef
	for i := range roomCommands {
		if roomCommands[i].node == c.Node {
			def = &roomCommands[i]
		}
	}
	if def == nil {
		e.replyErr(q, muc.Errorf(muc.Cancel, muc.ItemNotFound, "no command %q", c.Node))
		return
	}
	if !allowed(*def, who) {
		e.replyErr(q, forbidden(who, "you may not run "+c.Node+" on this chat session"))
		return
	}
	if c.Action == "cancel" {
		e.cmdReply(q, c, CmdCanceled, nil, "")
		return
	}
	var action Cmd
	switch c.Node {
	case "suspend":
		if who == actorAgent && c.Form == nil {
			opts := make([]string, 0, 2*len(e.cfg.Causes))
			for _, cause := range e.cfg.Causes {
				opts = append(opts, cause, cause)
			}
			e.cmdForm(q, c, form("form", "Suspend the chat", field("cause", "list-single", "Cause", []string{e.cfg.Causes[0]}, opts...)))
			return
		}
		action = &SuspendCmd{Cause: first(c.Form, "cause")}
	case "resume":
		action = &ResumeCmd{}
	case "close":
		action = &CloseCmd{}
	case "canned":
		if c.Form == nil {
			if len(c.Canned) == 0 {
				e.cmdDone(q, c, "There are no canned responses", nil)
				return
			}
			opts := make([]string, 0, 2*len(c.Canned))
			for _, cn := range c.Canned {
				opts = append(opts, cn.Title, cn.ID)
			}
			e.cmdForm(q, c, form("form", "Send a canned response", field("id", "list-single", "Response", []string{c.Canned[0].ID}, opts...)))
			return
		}
		id := first(c.Form, "id")
		cmd := &CannedCmd{ID: id}
		for i := range c.Canned {
			if c.Canned[i].ID == id {
				cmd.Resolved = &c.Canned[i]
			}
		}
		action = cmd
	case "comment":
		if c.Form == nil {
			e.cmdForm(q, c, form("form", "Add an internal comment (never shown to the visitor)", field("text", "text-multi", "Comment", nil)))
			return
		}
		action = &CommentCmd{Text: strings.Join(c.Form["text"], "\n")}
	case "conference":
		if c.Form == nil {
			e.cmdForm(q, c, form("form", "Invite or transfer to another agent",
				field("jid", "jid-single", "Agent", nil),
				field("mode", "list-single", "Mode", []string{"conference"}, "Conference (both stay)", "conference", "Transfer (the other agent takes over)", "transfer"),
				field("reason", "text-single", "Reason", nil)))
			return
		}
		to, err := jid.Parse(first(c.Form, "jid"))
		if err != nil || to.Localpart() == "" {
			e.replyErr(q, muc.Errorf(muc.Modify, muc.BadRequest, "jid must be an agent's JID"))
			return
		}
		if merr := e.conference(s, q.From, []Invite{{To: to, Reason: first(c.Form, "reason")}}, first(c.Form, "mode") == "transfer"); merr != nil {
			e.replyErr(q, merr)
			return
		}
		e.cmdDone(q, c, "Invitation sent to "+to.Bare().String(), nil)
		return
	case "details":
		e.cmdDone(q, c, "Visitor details", resultForm(NS+"#visitor", e.visitorFields(s)))
		return
	}
	note, merr := e.perform(s, q.From, who, action)
	if merr != nil {
		e.replyErr(q, merr)
		return
	}
	e.cmdDone(q, c, note, nil)
}

// serviceCommands are the commands on the service, by who may run them.
var serviceCommands = []struct {
	adhocDef
	perms []string
}{
	{adhocDef{"sessions", "My chat sessions", nil}, []string{PermChat, PermSupervise}},
	{adhocDef{"queues", "Queues and agents' load", nil}, []string{PermSupervise}},
	{adhocDef{"grant", "Grant permissions", nil}, []string{PermAdmin}},
	{adhocDef{"revoke", "Revoke permissions", nil}, []string{PermAdmin}},
	{adhocDef{"canned-add", "Add or change a canned response", nil}, []string{PermAdmin}},
	{adhocDef{"canned-remove", "Remove a canned response", nil}, []string{PermAdmin}},
}

// serviceCommandItems lists the service's commands bare may run.
func (e *Engine) serviceCommandItems(bare string) *DiscoItems {
	items := &DiscoItems{Node: NSCommands, Items: []DiscoItem{}}
	for _, c := range serviceCommands {
		if e.hasAny(bare, c.perms) {
			items.Items = append(items.Items, DiscoItem{JID: e.cfg.Domain, Node: c.node, Name: c.name})
		}
	}
	return items
}

func (e *Engine) hasAny(bare string, perms []string) bool {
	return slices.ContainsFunc(perms, func(p string) bool { return e.has(bare, p) })
}

// AdminOp is a change to permissions or canned responses an admin asked for
// by ad-hoc command; the engine checked the right, the edge writes it and
// answers the IQ.
type AdminOp struct {
	IQ     *IQ
	Cmd    *AdHocCmd
	Kind   string // "grant", "revoke", "canned-add", "canned-remove"
	JID    string
	Perms  []string
	Canned Canned
}

// serviceAdhoc runs a command on the service: the agent's own sessions.
func (e *Engine) serviceAdhoc(q *IQ, c *AdHocCmd) {
	bare := q.fromBare()
	var perms []string
	for _, sc := range serviceCommands {
		if sc.node == c.Node {
			perms = sc.perms
		}
	}
	if perms == nil {
		e.replyErr(q, muc.Errorf(muc.Cancel, muc.ItemNotFound, "no command %q", c.Node))
		return
	}
	if !e.hasAny(bare, perms) {
		e.replyErr(q, muc.Errorf(muc.Auth, muc.Forbidden, "you may not run %s", c.Node))
		return
	}
	if c.Action == "cancel" {
		e.cmdReply(q, c, CmdCanceled, nil, "")
		return
	}
	switch c.Node {
	case "queues":
		e.queuesCommand(q, c)
		return
	case "grant", "revoke", "canned-add", "canned-remove":
		e.adminCommand(q, c)
		return
	}
	// The sessions command: the rooms bare may know of, the same rule as
	// disco#items of the service (mayKnow, disco.go).
	ids, page := e.knownPage(bare, Page{})
	all := len(ids)
	if page != nil {
		all = page.Count
	}
	x := &Form{Type: "result", Title: "Chat sessions", Reported: []Field{
		field("room", "jid-single", "Chat room", nil), field("state", "text-single", "State", nil),
		field("visitor", "text-single", "Visitor", nil), field("agent", "text-single", "Agent", nil)}}
	for _, id := range ids {
		s := e.byID[id]
		x.Items = append(x.Items, []Field{
			field("room", "jid-single", "", []string{s.room.Addr().String()}),
			field("state", "text-single", "", []string{string(s.rec.State)}),
			field("visitor", "text-single", "", []string{s.rec.Visitor["name"]}),
			field("agent", "text-single", "", []string{s.rec.Owner})})
	}
	note := itoa(all) + " chat sessions; join a room to work on it"
	if page != nil {
		note = itoa(all) + " chat sessions, the first " + itoa(len(ids)) +
			" listed (disco#items of the service pages through all); join a room to work on it"
	}
	e.cmdDone(q, c, note, x)
}

// queuesCommand shows a supervisor the queues and every agent's load.
func (e *Engine) queuesCommand(q *IQ, c *AdHocCmd) {
	lengths := e.router.QueueLengths()
	names := slices.Sorted(maps.Keys(lengths))
	x := &Form{Type: "result", Title: "Queues and agents", Reported: []Field{
		field("name", "text-single", "Queue or agent", nil), field("waiting", "text-single", "Waiting", nil),
		field("load", "text-single", "Chats / capacity", nil), field("show", "text-single", "Availability", nil)}}
	for _, n := range names {
		x.Items = append(x.Items, []Field{field("name", "text-single", "", []string{"queue " + n}),
			field("waiting", "text-single", "", []string{itoa(lengths[n])})})
	}
	for _, a := range e.router.Agents() {
		show := a.Show.String()
		if show == "" {
			show = "?"
		}
		x.Items = append(x.Items, []Field{field("name", "text-single", "", []string{a.JID}),
			field("load", "text-single", "", []string{itoa(a.Load) + " / " + itoa(a.Capacity)}),
			field("show", "text-single", "", []string{show})})
	}
	e.cmdDone(q, c, "Queues and agents", x)
}

var permOptions = []string{"Use Media Chat", PermChat, "Manage Media Chat", PermSupervise, "Administer Parley", PermAdmin}

// adminCommand shows an admin's form, or hands the checked change to the edge.
func (e *Engine) adminCommand(q *IQ, c *AdHocCmd) {
	if c.Form == nil {
		var fields []Field
		switch c.Node {
		case "grant", "revoke":
			fields = []Field{field("jid", "jid-single", "User", nil), field("permissions", "list-multi", "Permissions", nil, permOptions...)}
		case "canned-add":
			fields = []Field{field("id", "text-single", "Id", nil), field("title", "text-single", "Title", nil), field("body", "text-multi", "Text", nil)}
		case "canned-remove":
			fields = []Field{field("id", "text-single", "Id", nil)}
		}
		e.cmdForm(q, c, form("form", c.Node, fields...))
		return
	}
	op := AdminOp{IQ: q, Cmd: c, Kind: c.Node}
	switch c.Node {
	case "grant", "revoke":
		j, err := jid.Parse(first(c.Form, "jid"))
		if err != nil || j.Localpart() == "" {
			e.replyErr(q, muc.Errorf(muc.Modify, muc.BadRequest, "jid must be a user's JID"))
			return
		}
		op.JID, op.Perms = j.Bare().String(), c.Form["permissions"]
		if len(op.Perms) == 0 {
			e.replyErr(q, muc.Errorf(muc.Modify, muc.BadRequest, "choose at least one permission"))
			return
		}
		for _, p := range op.Perms {
			if p != PermChat && p != PermSupervise && p != PermAdmin {
				e.replyErr(q, muc.Errorf(muc.Modify, muc.BadRequest, "unknown permission %q", p))
				return
			}
		}
	case "canned-add":
		op.Canned = Canned{ID: first(c.Form, "id"), Title: first(c.Form, "title"), Body: strings.Join(c.Form["body"], "\n")}
		if op.Canned.ID == "" || strings.TrimSpace(op.Canned.Body) == "" || len(op.Canned.Body) > e.cfg.MaxBody {
			e.replyErr(q, muc.Errorf(muc.Modify, muc.BadRequest, "a canned response needs an id and 1 to %d bytes of text", e.cfg.MaxBody))
			return
		}
	case "canned-remove":
		op.Canned.ID = first(c.Form, "id")
		if op.Canned.ID == "" {
			e.replyErr(q, muc.Errorf(muc.Modify, muc.BadRequest, "id is required"))
			return
		}
	}
	e.out.Admin = append(e.out.Admin, op)
}

// AdminDone answers an admin command once the edge carried it out.
func AdminDone(op AdminOp, note string) *Stanza {
	sid := op.Cmd.SessionID
	if sid == "" {
		sid = "admin"
	}
	return &Stanza{Name: "iq", From: op.IQ.To, To: op.IQ.From, ID: op.IQ.ID, Type: "result",
		Payload: &CommandReply{Node: op.Cmd.Node, SessionID: sid, Status: CmdCompleted, Note: note}}
}

var declineDef = adhocDef{"decline", "Decline this chat request", []actor{actorNone}}

// roomCommandsFor lists the room's commands for from: an agent with a
// pending offer (not yet in the session) sees only decline.
func (e *Engine) roomCommandsFor(s *session, from jid.JID) []adhocDef {
	bare := from.Bare().String()
	if s.agents[bare] == "" && e.offeredTo(s, bare) {
		return []adhocDef{declineDef}
	}
	return roomCommands
}

// declineCommand is the ad-hoc form of a XEP-0045 decline, for clients
// that cannot send one (Profanity's /invite decline sends nothing).
func (e *Engine) declineCommand(s *session, q *IQ, c *AdHocCmd) {
	bare := q.fromBare()
	if q.Type != "set" {
		e.replyErr(q, errExecuteWithSet())
		return
	}
	if !e.offeredTo(s, bare) {
		e.replyErr(q, errNoSession())
		return
	}
	e.declineOffer(s, bare)
	e.cmdDone(q, c, "Chat request declined; it goes to another agent", nil)
}

// takeCommand is the ad-hoc command take on a room: an agent who serves the
// queue takes a missed session without joining it first.
func (e *Engine) takeCommand(s *session, q *IQ, c *AdHocCmd) {
	bare := q.fromBare()
	switch {
	case q.Type != "set":
		e.replyErr(q, errExecuteWithSet())
	case e.mayTake(s, bare):
		e.take(s, bare)
		e.cmdDone(q, c, "You own this session now; join "+s.room.Addr().String()+" to answer", nil)
	// The refusals split mayTake to say why: one who neither serves the
	// queue nor is an agent of the session is told it does not exist (as
	// for any room it may not see); an agent of it learns that it is no
	// longer missed, or that the queue is not theirs.
	case !e.serves(bare, s.rec.Queue) && s.agents[bare] == "":
		e.replyErr(q, errNoSession())
	case s.rec.State != StateMissed:
		e.replyErr(q, muc.Errorf(muc.Cancel, muc.NotAllowed, "only a missed session can be taken; this one is %s", s.rec.State))
	default:
		e.replyErr(q, muc.Errorf(muc.Auth, muc.Forbidden, "you do not serve the %s queue", s.rec.Queue))
	}
}
