// Waiting in the queue: position, abandonment, missed chats, leave-a-message, take.

package sessions

import (
	"encoding/hex"
	"slices"
	"strings"
	"time"

	"github.com/parley-chat/parley/muc"
	"github.com/parley-chat/parley/routing"
	"mellium.im/xmpp/jid"
)

// Waiting visitors come first: a queued session whose visitor is away is not
// offered (its offer is withdrawn) and is abandoned after Config.AbandonAfter;
// a visitor can learn before asking whether anyone is there and how long the
// wait is; when nobody is, it can leave a message (a missed session) that an
// agent takes later.

// DefaultAbandonAfter is used when Config.AbandonAfter is not positive.
const DefaultAbandonAfter = 2 * time.Minute

// WaitObserver hears waits and the sessions that never reached an agent, per
// queue, for metrics. An Observer that also implements it gets these calls.
type WaitObserver interface {
	FirstOffer(queue string, waited time.Duration) // a session's first offer, after waited in the queue
	Answered(queue string, waited time.Duration)   // an agent took a session, after waited
	Abandoned(queue string)
	Missed(queue string)
}

type nopWaitObserver struct{}

func (nopWaitObserver) FirstOffer(string, time.Duration) {}
func (nopWaitObserver) Answered(string, time.Duration)   {}
func (nopWaitObserver) Abandoned(string)                 {}
func (nopWaitObserver) Missed(string)                    {}

// Commands of this file.
type (
	// AvailabilityCmd is <availability queue=''/> to the service: how each
	// queue (or the one named) looks before a request.
	AvailabilityCmd struct{ Queue string }
	// LeaveMessageCmd is <leave-message/> to the service: the visitor's
	// details and message when nobody can chat.
	LeaveMessageCmd struct {
		Queue      string
		Token      string
		TokenKnown bool // the edge found the token's hash in the store
		Visitor    map[string]string
		Body       string
	}
)

// Outgoing values of this file; the gateway renders them.
type (
	// Withdrawal tells one of an agent's resources that the offer it holds
	// for Session is void because the visitor left the queue.
	Withdrawal struct {
		From, To jid.JID // the room; the agent's resource
		Session  string
		Reason   string // "visitor-left"
		Body     string // for a human
	}
	// MissedNotice tells a signed-in agent who serves the queue that a
	// visitor left a message (a missed session it may take).
	MissedNotice struct {
		From, To jid.JID // the room; the agent's resource
		Session  string
		Queue    string
		Body     string
	}
	// Availability answers an AvailabilityCmd.
	Availability struct {
		From, To jid.JID
		ID       string
		Queues   []routing.QueueAvailability
	}
)

// WithdrawnVisitorLeft is the reason of a withdrawal whose visitor left.
const WithdrawnVisitorLeft = "visitor-left"

// serves reports whether agent bare may get sessions of queue.
func (e *Engine) serves(bare, queue string) bool {
	if !e.has(bare, PermChat) {
		return false
	}
	qs := e.queues[bare]
	return len(qs) == 0 || slices.Contains(qs, queue)
}

// mayTake is the rule of a missed session (docs/protocol.md "Who sees a
// missed session", "Taking it"): an agent who serves its queue sees it,
// reads its archive, joins it and takes it. Joining it, or the command take,
// makes bare its owner (take).
func (e *Engine) mayTake(s *session, bare string) bool {
	return s.rec.State == StateMissed && e.serves(bare, s.rec.Queue)
}

// visitorAway: the last visitor JID left a queued session. It keeps its place
// but is offered to nobody until the visitor is back; an offer out is
// withdrawn; after AbandonAfter it is abandoned.
func (e *Engine) visitorAway(s *session) {
	if o := e.router.Hold(s.rec.ID); o != nil {
		e.withdraw(s, *o)
	}
	s.rec.Deadline = e.now.Add(e.cfg.AbandonAfter)
	e.touch(s)
}

// awaitVisitor gives a session that goes back to the queue while its
// visitor is not in the room (a reconnect on its way, an owner gone) the
// same time to join as a new request: it is offered meanwhile, like a new
// request before its widget joined, and abandoned if nobody comes.
func (e *Engine) awaitVisitor(s *session) {
	if !s.room.Present("visitor") {
		s.rec.Deadline = e.now.Add(e.cfg.AbandonAfter)
	}
}

// visitorBack: a visitor JID joined. A queued session goes on from its place.
func (e *Engine) visitorBack(s *session) {
	if s.rec.State != StateQueued {
		return
	}
	e.router.Unhold(s.rec.ID)
	if !s.rec.Deadline.IsZero() {
		s.rec.Deadline = timeZero
		e.touch(s)
	}
}

// withdraw tells the agent's resources that its offer for s is void.
func (e *Engine) withdraw(s *session, o routing.Offer) {
	e.obs.Offer("withdrawn")
	name := s.rec.Visitor["name"]
	if name == "" {
		name = "The visitor"
	}
	for _, to := range e.agentTargets(o.Agent) {
		e.send(&Withdrawal{From: s.room.Addr(), To: to, Session: s.rec.ID, Reason: WithdrawnVisitorLeft,
			Body: name + " left before the chat started; the request for " + s.room.Addr().String() + " is withdrawn"})
	}
}

// abandonIfDue ends a queued session whose visitor has been away (or never
// came) until its deadline.
func (e *Engine) abandonIfDue(s *session) {
	if s.rec.Deadline.IsZero() || e.now.Before(s.rec.Deadline) || s.room.Present("visitor") {
		return
	}
	if o := e.router.Remove(s.rec.ID); o != nil {
		e.withdraw(s, *o)
	}
	e.wobs.Abandoned(s.rec.Queue)
	e.end(s, StateAbandoned, "system", "The visitor left before an agent was free")
}

// suspendedInQueue: a session suspended while it waited for an agent (the
// visitor closed the page) left the queue; a visitor who comes back within
// the abandon time takes its old place again (resume), one who comes later
// does not jump the queue ahead of those who waited: it is abandoned.
func (e *Engine) suspendedInQueue(s *session) {
	if s.rec.Owner != "" {
		return
	}
	if d := e.now.Add(e.cfg.AbandonAfter); d.Before(s.rec.Deadline) {
		s.rec.Deadline = d
	}
}

// abandonSuspended ends a session suspended before any agent took it, at
// its abandon deadline.
func (e *Engine) abandonSuspended(s *session) {
	e.wobs.Abandoned(s.rec.Queue)
	e.end(s, StateAbandoned, "system", "The visitor left before an agent was free")
}

// restoreQueued applies the abandon rule to a queued session rebuilt at
// start: its visitor is not in the room (occupants are gone), so it waits
// held until the visitor rejoins or its deadline passes. A deadline not set
// yet (the visitor was there when the service stopped) starts now and is
// written by the next batch.
func (e *Engine) restoreQueued(s *session, now time.Time) {
	e.router.Hold(s.rec.ID)
	if s.rec.Deadline.IsZero() {
		s.rec.Deadline = now.UTC().Add(e.cfg.AbandonAfter)
		e.restore = append(e.restore, s.rec.ID)
	}
}

// offered measures the time to a session's first offer.
func (e *Engine) offered(s *session) {
	if s.firstOffer {
		return
	}
	s.firstOffer = true
	if s.rec.AssignedAt.IsZero() {
		e.wobs.FirstOffer(s.rec.Queue, e.now.Sub(s.rec.CreatedAt))
	}
}

// answered records the wait of a session an agent just took for the first
// time: the queue's estimate and the time-to-answer metric.
func (e *Engine) answered(s *session) {
	if !s.rec.AssignedAt.IsZero() {
		return
	}
	waited := e.now.Sub(s.rec.CreatedAt)
	e.router.RecordWait(s.rec.Queue, waited)
	e.wobs.Answered(s.rec.Queue, waited)
}

// queuedWait is the estimated time s still waits, in seconds; -1 unknown.
func (e *Engine) queuedWait(s *session) int {
	est, ok := e.router.EstimatedWait(s.rec.Queue)
	if !ok {
		return -1
	}
	left := est - e.now.Sub(s.rec.CreatedAt)
	if left < 0 {
		left = 0
	}
	return int(left.Round(time.Second) / time.Second)
}

// queuedEvent tells the visitor its position and estimated wait.
func (e *Engine) queuedEvent(s *session, pos int) {
	wait := e.queuedWait(s)
	body := "You are number " + itoa(pos) + " in the queue"
	if wait >= 0 {
		body += "; " + waitPhrase(wait)
	}
	e.event(s, Event{Type: "queued", By: "system", Position: pos, Wait: wait}, body)
}

// waitPhrase says a wait for a human.
func waitPhrase(secs int) string {
	switch m := (secs + 59) / 60; {
	case secs < 60:
		return "an agent should be with you in less than a minute"
	case m == 1:
		return "about 1 minute to wait"
	default:
		return "about " + itoa(m) + " minutes to wait"
	}
}

// availability answers <availability/>: each configured queue, or the one named.
func (e *Engine) availability(q *IQ, c *AvailabilityCmd) {
	names := e.cfg.Queues
	if c.Queue != "" {
		if !e.knownQueue(c.Queue) {
			e.replyErr(q, muc.Errorf(muc.Cancel, muc.ItemNotFound, "no queue %q", c.Queue))
			return
		}
		names = []string{c.Queue}
	}
	a := &Availability{From: q.To, To: q.From, ID: q.ID}
	for _, n := range names {
		a.Queues = append(a.Queues, e.router.Availability(n))
	}
	e.send(a)
}

// leaveMessage turns a visitor's message into a missed session: kept with
// its room and transcript until an agent takes it.
func (e *Engine) leaveMessage(q *IQ, c *LeaveMessageCmd) {
	req := &RequestCmd{Queue: c.Queue, Token: c.Token, TokenKnown: c.TokenKnown, Visitor: c.Visitor, Body: c.Body}
	if err := e.validRequest(req); err != nil {
		e.obs.Request("bad_request")
		e.replyErr(q, err)
		return
	}
	if strings.TrimSpace(c.Body) == "" {
		e.obs.Request("bad_request")
		e.replyErr(q, muc.Errorf(muc.Modify, muc.BadRequest, "a message needs a body"))
		return
	}
	hash, wellFormed := HashToken(c.Token)
	var knownHash []byte
	if wellFormed && (c.TokenKnown || len(e.byToken[hex.EncodeToString(hash)]) > 0) {
		knownHash = hash
	}
	if err := e.admit(q.From, knownHash, false); err != nil {
		e.replyErr(q, err)
		return
	}
	token := c.Token
	if !wellFormed || (!c.TokenKnown && len(e.byToken[hex.EncodeToString(hash)]) == 0) {
		token = e.newToken()
		hash, _ = HashToken(token)
	}
	queue := c.Queue
	if queue == "" {
		queue = e.cfg.Queues[0]
	}
	id := e.newSessionID()
	addr, _ := jid.New(id, e.cfg.Domain.Domainpart(), "")
	s := &session{
		rec: Record{
			ID: id, TokenHash: hash, Queue: queue, State: StateMissed,
			VisitorJIDs: []string{q.From.String()}, Visitor: copyMap(c.Visitor), Question: c.Body,
			CreatedAt: e.now,
		},
		room:    newRoom(addr, e.cfg.HistoryLimit),
		agents:  make(map[string]AgentRole),
		offered: make(map[string]bool),
		invited: make(map[string]bool),
	}
	s.reserveNick(e.visitorNickOf(s), "visitor")
	s.room.SetSubject(e.subjectOf(s))
	e.byID[id] = s
	e.journal.created = append(e.journal.created, id)
	e.indexToken(id, hash)
	e.touch(s)
	name := s.rec.Visitor["name"]
	if name == "" {
		name = "Visitor"
	}
	s.room.Record(e.line(s, "visitor", q.From.String(), name, KindMessage, c.Body, "", nil))
	e.obs.Request("missed")
	e.wobs.Missed(queue)
	e.reply(q, sessionAnswer(s, token, false))
	e.announceMissed(s)
}

// announceMissed tells every signed-in agent who serves the queue of s.
func (e *Engine) announceMissed(s *session) {
	agents := make([]string, 0, len(e.resource))
	for bare := range e.resource {
		if e.serves(bare, s.rec.Queue) {
			agents = append(agents, bare)
		}
	}
	slices.Sort(agents)
	body := offerReason(s) + " (left a message in " + s.rec.Queue + "; take it with the take command on " +
		s.room.Addr().String() + " or by joining it)"
	for _, bare := range agents {
		for _, to := range e.agentTargets(bare) {
			e.send(&MissedNotice{From: s.room.Addr(), To: to, Session: s.rec.ID, Queue: s.rec.Queue, Body: body})
		}
	}
}

// take makes agent bare the owner of missed session s: an ordinary active
// session from now on, whose visitor is away until it comes back with its
// cookie (the idle rule then suspends it like any other).
func (e *Engine) take(s *session, bare string) {
	s.setAgent(bare, RoleOwner)
	s.rec.Owner = bare
	s.rec.State = StateActive
	s.rec.AssignedAt = e.now
	s.rec.Deadline = timeZero
	if !s.room.Present("visitor") {
		s.visitorGone = e.now
	}
	e.router.Occupy(bare, s.rec.ID)
	e.touch(s)
	e.out.Batch.Agents = append(e.out.Batch.Agents, SessionAgent{Session: s.rec.ID, JID: bare, Role: RoleOwner, At: e.now})
	if !s.room.Present(bare) {
		// Taken by command: its nick in the room is not known yet.
		e.event(s, Event{Type: "assigned", By: "agent"}, "An agent has answered your message")
		return
	}
	nick := e.agentNick(s, bare)
	e.event(s, Event{Type: "assigned", By: "agent", Agent: nick}, nick+" has answered your message")
}
