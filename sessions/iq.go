package sessions

import (
	"encoding/hex"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/parley-chat/parley/muc"
	"github.com/parley-chat/parley/routing"
	"mellium.im/xmpp/jid"
)

// Features of the service (PROTOCOL 10) and of rooms.
var (
	ServiceFeatures = []string{
		"http://jabber.org/protocol/disco#info", "http://jabber.org/protocol/disco#items",
		muc.NS, NS, "http://jabber.org/protocol/commands", "urn:xmpp:mam:2",
		"urn:xmpp:ping", "jabber:iq:version",
	}
	roomFeatures = []string{
		"http://jabber.org/protocol/disco#info", muc.NS, "muc_membersonly", "muc_hidden",
		"muc_semianonymous", "muc_unmoderated", "muc_temporary", "urn:xmpp:mam:2",
		"urn:xmpp:sid:0", NS, NSCommands,
	}
)

func (e *Engine) iq(q *IQ) {
	if e.isService(q.To) || e.isSignIn(q.To) {
		e.serviceIQ(q)
		return
	}
	// Answers that do not depend on the room come first, so that a stranger
	// gets the same answer whether the room exists or not.
	s := e.lookup(q.To)
	if q.To.Resourcepart() != "" {
		if _, ok := q.Cmd.(*PingCmd); !ok {
			e.replyErr(q, muc.Errorf(muc.Cancel, muc.ServiceUnavailable, "IQs to occupants are not relayed"))
			return
		}
		if s == nil {
			e.replyErr(q, muc.Errorf(muc.Cancel, muc.NotAcceptable, "not joined"))
			return
		}
		if err := s.room.SelfPing(q.From, q.To.Resourcepart()); err != nil {
			e.replyErr(q, err.(*muc.Error))
			return
		}
		e.reply(q, nil)
		return
	}
	switch q.Cmd.(type) {
	case *PingCmd, *DiscoInfoCmd, *DiscoItemsCmd, *SuspendCmd, *ResumeCmd, *CloseCmd, *CommentCmd, *MAMCmd, *AdHocCmd,
		*MUCOwnerCmd, *MUCAdminCmd:
	case *CannedCmd:
		if q.Type != "set" {
			e.replyErr(q, muc.Errorf(muc.Modify, muc.BadRequest, "post a canned response with an IQ set"))
			return
		}
	default:
		e.replyErr(q, errNotInSessions())
		return
	}
	if s == nil {
		if c, ok := q.Cmd.(*MAMCmd); ok {
			e.archiveOfEnded(q, c)
			return
		}
		e.replyErr(q, errNoSession())
		return
	}
	e.roomIQ(s, q)
}

func (e *Engine) serviceIQ(q *IQ) {
	switch c := q.Cmd.(type) {
	case *RequestCmd:
		if q.Type != "set" {
			e.replyErr(q, muc.Errorf(muc.Modify, muc.BadRequest, "request must be an IQ set"))
			return
		}
		e.request(q, c)
	case *ReconnectCmd:
		if q.Type != "set" {
			e.replyErr(q, muc.Errorf(muc.Modify, muc.BadRequest, "reconnect must be an IQ set"))
			return
		}
		e.reconnect(q, c)
	case *CannedCmd:
		bare := q.fromBare()
		if !e.has(bare, PermChat) && !e.has(bare, PermAdmin) && !e.has(bare, PermSupervise) {
			e.replyErr(q, muc.Errorf(muc.Auth, muc.Forbidden, "canned responses are for agents"))
			return
		}
		e.reply(q, &CannedList{Items: c.List})
	case *DiscoInfoCmd:
		if c.Node != "" {
			e.replyErr(q, errNoNode())
			return
		}
		e.reply(q, &DiscoInfo{Identity: Identity{"conference", "text", "Parley chat sessions"}, Features: ServiceFeatures})
	case *DiscoItemsCmd:
		switch c.Node {
		case "":
			e.reply(q, &DiscoItems{Items: e.visibleRooms(q.fromBare())})
		case NSCommands:
			e.reply(q, e.serviceCommandItems(q.fromBare()))
		default:
			e.replyErr(q, errNoNode())
		}
	case *AdHocCmd:
		if q.Type != "set" {
			e.replyErr(q, errExecuteWithSet())
			return
		}
		e.serviceAdhoc(q, c)
	case *PingCmd:
		e.reply(q, nil)
	case *AvailabilityCmd:
		e.availability(q, c)
	case *WorkspaceCmd:
		e.workspace(q)
	case *LeaveMessageCmd:
		if q.Type != "set" {
			e.replyErr(q, muc.Errorf(muc.Modify, muc.BadRequest, "leave-message must be an IQ set"))
			return
		}
		e.leaveMessage(q, c)
	default:
		e.replyErr(q, muc.Errorf(muc.Cancel, muc.ServiceUnavailable, "not supported by the service"))
	}
}

// visibleRooms lists the rooms bare may know of: its own sessions, or all for
// a supervisor.
func (e *Engine) visibleRooms(bare string) []DiscoItem {
	sup := e.has(bare, PermSupervise)
	ids := make([]string, 0)
	for id, s := range e.byID {
		if sup || (e.has(bare, PermChat) && (s.agents[bare] != "" || s.invited[bare] || (s.offered[bare] && s.rec.State == StateQueued))) ||
			(s.rec.State == StateMissed && e.serves(bare, s.rec.Queue)) {
			ids = append(ids, id)
		}
	}
	sort.Strings(ids)
	items := make([]DiscoItem, 0, len(ids))
	for _, id := range ids {
		s := e.byID[id]
		items = append(items, DiscoItem{JID: s.room.Addr(), Name: s.room.Subject()})
	}
	return items
}

func (e *Engine) roomIQ(s *session, q *IQ) {
	visitor := s.visitorJID(q.From)
	who := e.actorOf(s, q, visitor)
	switch c := q.Cmd.(type) {
	case *PingCmd:
		if !e.canSee(s, q.From, who) {
			e.replyErr(q, errNoSession())
			return
		}
		e.reply(q, nil)
	case *MUCOwnerCmd, *MUCAdminCmd:
		e.roomAdmin(s, q, who)
	case *DiscoInfoCmd:
		if !e.canSee(s, q.From, who) {
			e.replyErr(q, errNoSession())
			return
		}
		if c.Node == "x-roomuser-item" {
			// XEP-0045 7.12: the asker's reserved nick, which clients join
			// with (Converse.js would otherwise take the room's name).
			e.send(&ReservedNick{From: q.To, To: q.From, ID: q.ID, Nick: e.reservedNick(s, q.From, visitor)})
			return
		}
		info := &DiscoInfo{Node: c.Node, Identity: Identity{"conference", "text", s.room.Subject()}, Features: roomFeatures}
		if who != actorVisitor {
			info.Form = resultForm(NS+"#visitor", e.visitorFields(s))
		}
		e.reply(q, info)
	case *DiscoItemsCmd:
		if !e.canSee(s, q.From, who) {
			e.replyErr(q, errNoSession())
			return
		}
		if c.Node == NSCommands {
			e.reply(q, commandItems(s.room.Addr(), e.roomCommandsFor(s, q.From), who))
			return
		}
		e.reply(q, &DiscoItems{})
	case *SuspendCmd, *ResumeCmd, *CloseCmd, *CannedCmd, *CommentCmd:
		if _, err := e.perform(s, q.From, who, c); err != nil {
			e.replyErr(q, err)
			return
		}
		e.reply(q, nil)
	case *AdHocCmd:
		if c.Node == "decline" && who == actorNone {
			e.declineCommand(s, q, c)
			return
		}
		e.adhoc(s, q, who, c)
	case *MAMCmd:
		switch {
		case who == actorAgent || who == actorSupervisor || (s.rec.State == StateMissed && e.serves(q.fromBare(), s.rec.Queue)):
			e.out.MAM = append(e.out.MAM, MAMGrant{IQ: q, Session: s.rec.ID})
		case visitor || (c.Token != "" && tokenMatches(c.Token, s.rec.TokenHash)):
			e.out.MAM = append(e.out.MAM, MAMGrant{IQ: q, Session: s.rec.ID, NoComments: true})
		default:
			e.replyErr(q, errNoSession())
		}
	default:
		e.replyErr(q, errNotInSessions())
	}
}

func forbidden(who actor, text string) *muc.Error {
	if who == actorNone {
		return errNoSession()
	}
	return muc.Errorf(muc.Auth, muc.Forbidden, "%s", text)
}

// post puts a message from an agent into the room (canned response, comment by IQ).
func (e *Engine) post(s *session, from jid.JID, kind EntryKind, body string, elem muc.Element) {
	bare := from.Bare().String()
	nick := e.agentNick(s, bare)
	l := e.line(s, "agent", from.String(), nick, kind, body, "", elem)
	if kind == KindComment {
		l.Body = CommentPrefix + l.Body // agents only; the transcript keeps the text as written
	}
	if occ, ok := s.room.Lookup(from); ok {
		st, err := s.room.Send(occ.JIDs[0], "", l)
		if err == nil {
			e.sendMUC(st)
			return
		}
	}
	// Not in the room: the message still comes from the agent's nick.
	e.sendMUC(s.room.SendAs(nick, "", l))
}

func (e *Engine) visitorFields(s *session) map[string]string {
	f := make(map[string]string, len(s.rec.Visitor)+4)
	for k, v := range s.rec.Visitor {
		f[k] = v
	}
	f["question"] = s.rec.Question
	f["session"] = s.rec.ID
	f["state"] = string(s.rec.State)
	f["queue"] = s.rec.Queue
	return f
}

// perform carries out an action on a session for whoever asked (by IQ, by
// ad-hoc command): it returns a note for the asker or the error to answer.
func (e *Engine) perform(s *session, from jid.JID, who actor, cmd any) (string, *muc.Error) {
	switch c := cmd.(type) {
	case *SuspendCmd:
		return e.suspendBy(s, who, c.Cause)
	case *ResumeCmd:
		if who != actorAgent {
			return "", forbidden(who, "only the session's agents may resume it")
		}
		if s.rec.State != StateSuspended {
			return "The session is not suspended", nil
		}
		e.resume(s, "explicit")
		return "Session resumed", nil
	case *CloseCmd:
		if who != actorAgent && who != actorVisitor {
			return "", forbidden(who, "only the session's agents and its visitor may close it")
		}
		by := "agent"
		if who == actorVisitor {
			by = "visitor"
		}
		e.close(s, by)
		return "Session closed", nil
	case *CannedCmd:
		if who != actorAgent {
			return "", forbidden(who, "only the session's agents may post canned responses")
		}
		if c.Resolved == nil {
			return "", muc.Errorf(muc.Cancel, muc.ItemNotFound, "no canned response %q", c.ID)
		}
		e.actOn(s, "canned")
		e.post(s, from, KindCanned, c.Resolved.Body, &CannedMark{ID: c.Resolved.ID})
		return "Canned response posted", nil
	case *CommentCmd:
		if who != actorAgent {
			return "", forbidden(who, "only the session's agents may comment")
		}
		if strings.TrimSpace(c.Text) == "" || len(c.Text) > e.cfg.MaxBody {
			return "", muc.Errorf(muc.Modify, muc.BadRequest, "a comment needs 1 to %d bytes of text", e.cfg.MaxBody)
		}
		e.actOn(s, "comment")
		e.post(s, from, KindComment, c.Text, &CommentMark{})
		return "Comment added", nil
	}
	return "", errNotInSessions()
}

func (e *Engine) suspendBy(s *session, who actor, cause string) (string, *muc.Error) {
	switch who {
	case actorVisitor:
		if s.rec.State == StateActive || s.rec.State == StateQueued {
			e.suspend(s, ByVisitor, "", true)
		}
		return "Session suspended", nil
	case actorAgent:
		if cause == "" {
			cause = e.cfg.Causes[0]
		}
		if !e.knownCause(cause) {
			return "", muc.Errorf(muc.Modify, muc.BadRequest, "unknown cause %q; causes are: %s", cause, strings.Join(e.cfg.Causes, ", "))
		}
		switch s.rec.State {
		case StateActive:
			e.suspend(s, ByAgent, cause, true)
			return "Session suspended: " + cause, nil
		case StateSuspended:
			if s.rec.SuspendCause != cause {
				s.rec.SuspendCause = cause
				if s.rec.SuspendedBy != ByVisitor {
					s.rec.SuspendedBy = ByAgent
				}
				e.touch(s)
				e.event(s, Event{Type: "suspended", By: "agent", Cause: cause}, "Suspension cause changed to "+cause)
			}
			return "Suspension cause: " + cause, nil
		}
		return "", muc.Errorf(muc.Cancel, muc.UnexpectedRequest, "a %s session cannot be suspended", s.rec.State)
	}
	return "", forbidden(who, "only the session's agents and its visitor may suspend it")
}

func (e *Engine) knownCause(c string) bool {
	for _, k := range e.cfg.Causes {
		if k == c {
			return true
		}
	}
	return false
}

// validRequest checks a request against the limits (PROTOCOL 9).
func (e *Engine) validRequest(c *RequestCmd) *muc.Error {
	if len(c.Body) > e.cfg.MaxBody {
		return muc.Errorf(muc.Modify, muc.BadRequest, "body longer than %d bytes", e.cfg.MaxBody)
	}
	if !utf8.ValidString(c.Body) {
		return muc.Errorf(muc.Modify, muc.BadRequest, "body is not valid UTF-8")
	}
	if len(c.Visitor) > e.cfg.MaxFields {
		return muc.Errorf(muc.Modify, muc.BadRequest, "more than %d visitor details", e.cfg.MaxFields)
	}
	for k, v := range c.Visitor {
		if len(k) > 64 || len(v) > e.cfg.MaxField {
			return muc.Errorf(muc.Modify, muc.BadRequest, "visitor detail %q longer than %d bytes", k, e.cfg.MaxField)
		}
	}
	if c.Queue != "" && !e.knownQueue(c.Queue) {
		return muc.Errorf(muc.Cancel, muc.ItemNotFound, "no queue %q", c.Queue)
	}
	return nil
}

func (e *Engine) knownQueue(q string) bool {
	for _, k := range e.cfg.Queues {
		if k == q {
			return true
		}
	}
	return false
}

func (e *Engine) request(q *IQ, c *RequestCmd) {
	if err := e.validRequest(c); err != nil {
		e.obs.Request("bad_request")
		e.replyErr(q, err)
		return
	}
	hash, wellFormed := HashToken(c.Token)
	live := []string(nil)
	if wellFormed {
		live = e.byToken[hex.EncodeToString(hash)]
	}
	known := wellFormed && (c.TokenKnown || len(live) > 0)
	if c.Probe {
		// Only a question: never creates anything, whatever else it carries.
		e.obs.Request("probe")
		if !known || len(live) == 0 {
			e.reply(q, nil)
			return
		}
		s, scenario := e.choose(live)
		e.obs.Prompt(scenario)
		e.reply(q, e.resumable(s))
		return
	}
	if known && !c.New && len(live) > 0 {
		if err := e.admit(q.From, hash, false); err != nil {
			e.replyErr(q, err)
			return
		}
		s, scenario := e.choose(live)
		if e.cfg.ReconnectAlways {
			e.obs.Request("reconnect")
			e.doReconnect(q, s, c.Token)
			return
		}
		e.obs.Prompt(scenario)
		e.obs.Request("prompt")
		e.reply(q, e.resumable(s))
		return
	}
	var knownHash []byte
	if known {
		knownHash = hash
	}
	if err := e.admit(q.From, knownHash, true); err != nil {
		e.replyErr(q, err)
		return
	}
	token := c.Token
	if !known {
		token = e.newToken()
		hash, _ = HashToken(token)
	}
	s, err := e.create(q.From, c, hash, "")
	if err != nil {
		e.obs.Request("queue_full")
		e.replyErr(q, err)
		return
	}
	e.obs.Request("created")
	e.reply(q, sessionAnswer(s, token, false))
}

// choose picks the session to offer for a token (PROTOCOL 3): the most
// recently suspended of those the visitor suspended explicitly, else the most
// recently started.
func (e *Engine) choose(ids []string) (*session, string) {
	var best *session
	for _, id := range ids {
		s := e.byID[id]
		if s.rec.State == StateSuspended && s.rec.SuspendedBy == ByVisitor && s.rec.Explicit {
			if best == nil || s.rec.SuspendedAt.After(best.rec.SuspendedAt) {
				best = s
			}
		}
	}
	if best != nil {
		return best, "explicit_suspend"
	}
	for _, id := range ids {
		s := e.byID[id]
		if best == nil || s.rec.CreatedAt.After(best.rec.CreatedAt) ||
			(s.rec.CreatedAt.Equal(best.rec.CreatedAt) && s.rec.ID > best.rec.ID) {
			best = s
		}
	}
	if len(ids) > 1 {
		return best, "most_recent"
	}
	return best, "in_progress"
}

// create starts a new session for a visitor and queues it.
func (e *Engine) create(from jid.JID, c *RequestCmd, tokenHash []byte, replaces string) (*session, *muc.Error) {
	queue := c.Queue
	if queue == "" {
		queue = e.cfg.Queues[0]
	}
	id := e.newSessionID()
	if _, err := e.router.Enqueue(id, queue, e.now); err != nil {
		if err == routing.ErrQueueFull {
			return nil, muc.Errorf(muc.Wait, muc.ResourceConstraint, "the %s queue is full; try again later", queue)
		}
		return nil, muc.Errorf(muc.Wait, muc.InternalServerError, "%v", err)
	}
	addr, _ := jid.New(id, e.cfg.Domain.Domainpart(), "")
	s := &session{
		rec: Record{
			ID: id, TokenHash: tokenHash, Queue: queue, State: StateQueued,
			VisitorJIDs: []string{from.String()}, Visitor: copyMap(c.Visitor), Question: c.Body,
			Replaces: replaces, CreatedAt: e.now,
		},
		room:    newRoom(addr, e.cfg.HistoryLimit),
		agents:  make(map[string]AgentRole),
		offered: make(map[string]bool),
		invited: make(map[string]bool),
		// The idle rule runs until the visitor joins: one who never comes is
		// suspended like one who left.
		visitorGone: e.now,
	}
	// A visitor who never joins abandons the queue like one who left it.
	s.rec.Deadline = e.now.Add(e.cfg.AbandonAfter)
	s.reserveNick(e.visitorNickOf(s), "visitor")
	s.room.SetSubject(e.subjectOf(s))
	e.byID[id] = s
	e.journal.created = append(e.journal.created, id)
	if len(tokenHash) > 0 {
		k := hex.EncodeToString(tokenHash)
		e.byToken[k] = append(e.byToken[k], id)
		if !e.tokens[k] {
			e.tokens[k] = true
			e.out.Batch.Tokens = append(e.out.Batch.Tokens, Token{Hash: tokenHash, CreatedAt: e.now})
		}
	}
	e.touch(s)
	if c.Body != "" {
		s.room.Record(e.line(s, "visitor", from.String(), e.visitorNickOf(s), KindMessage, c.Body, "", nil))
	}
	return s, nil
}

func subjectFor(v map[string]string) string {
	if n := v["name"]; n != "" {
		return "Chat with " + n
	}
	return "Chat with a visitor"
}

func copyMap(m map[string]string) map[string]string {
	c := make(map[string]string, len(m))
	for k, v := range m {
		c[k] = v
	}
	return c
}

// archiveOfEnded decides a XEP-0313 query on a room that no longer exists from
// the stored session: its agents and supervisors read everything, its visitor
// (a JID it had, or the token) everything but comments (PROTOCOL 8).
func (e *Engine) archiveOfEnded(q *IQ, c *MAMCmd) {
	rec := c.Stored
	if rec == nil || rec.ID != q.To.Localpart() {
		e.replyErr(q, errNoSession())
		return
	}
	bare := q.fromBare()
	agent := false
	for _, a := range c.StoredAgents {
		if a.JID == bare && e.has(bare, PermChat) {
			agent = true
		}
	}
	visitor := c.Token != "" && tokenMatches(c.Token, rec.TokenHash)
	for _, v := range rec.VisitorJIDs {
		if v == q.From.String() {
			visitor = true
		}
	}
	switch {
	case agent || e.has(bare, PermSupervise):
		e.out.MAM = append(e.out.MAM, MAMGrant{IQ: q, Session: rec.ID})
	case visitor:
		e.out.MAM = append(e.out.MAM, MAMGrant{IQ: q, Session: rec.ID, NoComments: true})
	default:
		e.replyErr(q, errNoSession())
	}
}

// resumable is the reconnect prompt's payload; mode='always' tells the widget
// the service is configured to reconnect without asking.
func (e *Engine) resumable(s *session) *Resumable {
	mode := "prompt"
	if e.cfg.ReconnectAlways {
		mode = "always"
	}
	return &Resumable{Mode: mode, Session: *sessionAnswer(s, "", false)}
}
