package routing

import (
	"slices"
	"strings"
	"time"
)

// Router holds agents, queues and offers. It is not safe for concurrent use:
// the caller serialises every call.
type Router struct {
	cfg Config

	agents   map[string]*agent
	sessions map[string]*entry // every queued session

	queues     map[string][]*entry // per queue, in (arrived, session) order; kept when empty
	queueNames []string            // keys of queues, sorted
	order      []*entry            // every queued session, in (arrived, session) order

	scratch []*agent // candidate list reused by Dispatch

	waits map[string]*waitWindow // recent waits per queue (RecordWait)

	ix scaleIndex // index.go: what Dispatch looks at, kept on change
}

// agent is the router's state for one bare JID.
type agent struct {
	jid       string
	resources map[string]Show // available resources and their show
	show      Show            // best over resources; ShowOffline when none
	capacity  int             // from the latest presence; <= 0 means the default
	sessions  map[string]struct{}
	offers    map[string]*entry // outstanding offers held, by session
	idleSince time.Time
	queues    []string // sorted, deduplicated; nil serves every queue
}

// entry is one waiting session.
type entry struct {
	session  string
	queue    string
	arrived  time.Time
	offer    *Offer               // outstanding offer, nil when none
	cooldown map[string]time.Time // agent -> moment it may be offered this session again
	tried    map[string]bool      // agents offered this session in the current round
	reported int                  // last position reported by Dispatch; 0 = never
	held     bool                 // the visitor is away: kept in place, never offered (see Hold)
}

// New returns an empty router. See Config for how zero values are replaced.
func New(cfg Config) *Router {
	if cfg.DefaultCapacity <= 0 {
		cfg.DefaultCapacity = 1
	}
	if cfg.OfferTimeout <= 0 {
		cfg.OfferTimeout = DefaultOfferTimeout
	}
	return &Router{
		cfg:      cfg,
		agents:   make(map[string]*agent),
		sessions: make(map[string]*entry),
		queues:   make(map[string][]*entry),
	}
}

// rank orders shows for choosing an agent's best resource; higher is better.
func rank(s Show) int {
	switch s {
	case ShowChat:
		return 5
	case ShowAvailable:
		return 4
	case ShowAway:
		return 3
	case ShowXA:
		return 2
	case ShowDND:
		return 1
	}
	return 0
}

func (r *Router) agent(jid string) *agent {
	a := r.agents[jid]
	if a == nil {
		a = &agent{jid: jid}
		r.agents[jid] = a
	}
	return a
}

func (a *agent) capacityOr(def int) int {
	if a.capacity > 0 {
		return a.capacity
	}
	return def
}

func (a *agent) updateShow() {
	a.show = ShowOffline
	for _, s := range a.resources {
		if rank(s) > rank(a.show) {
			a.show = s
		}
	}
}

func (a *agent) serves(queue string) bool {
	if len(a.queues) == 0 {
		return true
	}
	_, ok := slices.BinarySearch(a.queues, queue)
	return ok
}

// cancelOffers ends every offer the agent holds and returns them sorted by session.
func (a *agent) cancelOffers() []Offer {
	if len(a.offers) == 0 {
		return nil
	}
	out := make([]Offer, 0, len(a.offers))
	for _, e := range a.offers {
		out = append(out, *e.offer)
		e.offer = nil
	}
	clear(a.offers)
	slices.SortFunc(out, func(x, y Offer) int { return strings.Compare(x.Session, y.Session) })
	return out
}

// SetPresence records an available resource of an agent (bare JID) with its show and
// capacity (capacity <= 0 means cfg.DefaultCapacity; the latest presence's value wins).
// An agent's Show is the best over its resources (Chat > Available > Away > XA > DND).
// The first time an agent becomes known/online, IdleSince = now.
//
// A show outside ShowAvailable..ShowDND (including ShowOffline) is recorded as
// ShowAvailable, the show of a presence without <show/>. IdleSince is set only
// while it is still zero: an agent that goes offline and comes back keeps its
// place. Outstanding offers survive a change to away/xa/dnd or a lower capacity;
// such an agent just gets no new ones.
func (r *Router) SetPresence(agent, resource string, show Show, capacity int, now time.Time) {
	if rank(show) == 0 {
		show = ShowAvailable
	}
	a := r.agent(agent)
	if a.resources == nil {
		a.resources = make(map[string]Show)
	}
	a.resources[resource] = show
	a.capacity = capacity
	a.updateShow()
	r.touchAgent(a)
	if a.idleSince.IsZero() {
		a.idleSince = now
	}
}

// SetUnavailable removes one resource. When no resource is left the agent is offline
// (Show = ShowOffline): its outstanding offers are cancelled and returned (their sessions
// stay queued for other agents); its Load/Sessions are KEPT (the caller decides later).
//
// offline is true only when this call removed the agent's last resource; an
// unknown agent or resource changes nothing and returns false.
func (r *Router) SetUnavailable(agent, resource string, now time.Time) (offline bool, cancelled []Offer) {
	a := r.agents[agent]
	if a == nil {
		return false, nil
	}
	if _, ok := a.resources[resource]; !ok {
		return false, nil
	}
	delete(a.resources, resource)
	a.updateShow()
	r.touchAgent(a)
	if len(a.resources) > 0 {
		return false, nil
	}
	return true, a.cancelOffers()
}

// SetQueues restricts an agent to queues (nil = all queues). An empty slice also
// means all queues. Offers the agent already holds are not affected.
func (r *Router) SetQueues(agent string, queues []string) {
	a := r.agent(agent)
	r.touchAgent(a)
	if len(queues) == 0 {
		a.queues = nil
		return
	}
	q := slices.Clone(queues)
	slices.Sort(q)
	a.queues = slices.Compact(q)
}

// Forget drops an agent entirely (permission revoked); returns its cancelled offers.
// Its sessions and cooldowns are dropped too.
func (r *Router) Forget(agent string) []Offer {
	a := r.agents[agent]
	if a == nil {
		return nil
	}
	cancelled := a.cancelOffers()
	r.touchAgent(a)
	for _, e := range r.order {
		delete(e.cooldown, agent)
		delete(e.tried, agent)
	}
	delete(r.agents, agent)
	return cancelled
}

func (r *Router) info(a *agent) AgentInfo {
	info := AgentInfo{
		JID:       a.jid,
		Show:      a.show,
		Capacity:  a.capacityOr(r.cfg.DefaultCapacity),
		Load:      len(a.sessions),
		Pending:   len(a.offers),
		IdleSince: a.idleSince,
		Queues:    slices.Clone(a.queues),
	}
	if len(a.sessions) > 0 {
		info.Sessions = make([]string, 0, len(a.sessions))
		for s := range a.sessions {
			info.Sessions = append(info.Sessions, s)
		}
		slices.Sort(info.Sessions)
	}
	return info
}

// Agent returns a copy of what the router knows of an agent.
func (r *Router) Agent(agent string) (AgentInfo, bool) {
	a := r.agents[agent]
	if a == nil {
		return AgentInfo{}, false
	}
	return r.info(a), true
}

// Agents returns every known agent, online or not, sorted by JID.
func (r *Router) Agents() []AgentInfo {
	out := make([]AgentInfo, 0, len(r.agents))
	for _, a := range r.agents {
		out = append(out, r.info(a))
	}
	slices.SortFunc(out, func(x, y AgentInfo) int { return strings.Compare(x.JID, y.JID) })
	return out
}

// Online reports whether the agent has at least one available resource (any show).
func (r *Router) Online(agent string) bool {
	a := r.agents[agent]
	return a != nil && len(a.resources) > 0
}

// compareEntries orders waiting sessions by arrival, ties by session ID.
func compareEntries(x, y *entry) int {
	if c := x.arrived.Compare(y.arrived); c != 0 {
		return c
	}
	return strings.Compare(x.session, y.session)
}

func insertSorted(list []*entry, e *entry) ([]*entry, int) {
	i, _ := slices.BinarySearchFunc(list, e, compareEntries)
	return slices.Insert(list, i, e), i
}

func removeSorted(list []*entry, e *entry) []*entry {
	i, ok := slices.BinarySearchFunc(list, e, compareEntries)
	if !ok {
		return list
	}
	list = slices.Delete(list, i, i+1)
	return list
}

// position returns the 1-based place of a queued session in its queue,
// counting only the sessions ahead of it that are not held.
func (r *Router) position(e *entry) int {
	return r.fastPosition(e)
}

// Enqueue puts a session in a queue, ordered by arrived (a requeued session keeps its
// original arrival so it goes back to its old place). Returns its 1-based position.
// ErrQueueFull when cfg.QueueLimit > 0 and the queue already holds that many.
// Enqueueing a session already queued just returns its position.
//
// Sessions that arrived at the same instant are ordered by session ID. For a
// session already queued, queue and arrived are ignored and the position in
// its current queue is returned. The returned position does not count as
// reported: the next Dispatch reports it in Positions.
func (r *Router) Enqueue(session, queue string, arrived time.Time) (int, error) {
	if e := r.sessions[session]; e != nil {
		return r.position(e), nil
	}
	list, known := r.queues[queue]
	if r.cfg.QueueLimit > 0 && len(list) >= r.cfg.QueueLimit {
		return 0, ErrQueueFull
	}
	if !known {
		i, _ := slices.BinarySearch(r.queueNames, queue)
		r.queueNames = slices.Insert(r.queueNames, i, queue)
	}
	e := &entry{session: session, queue: queue, arrived: arrived}
	r.sessions[session] = e
	r.order, _ = insertSorted(r.order, e)
	list, _ = insertSorted(list, e)
	r.queues[queue] = list
	r.queueChanged(e, 1)
	return r.position(e), nil
}

// dequeue takes a session out of the queues and ends its offer, which it returns.
func (r *Router) dequeue(e *entry) *Offer {
	if e.held {
		r.queueChanged(e, 0)
	} else {
		r.queueChanged(e, -1)
	}
	r.entryGone(e)
	delete(r.sessions, e.session)
	r.order = removeSorted(r.order, e)
	r.queues[e.queue] = removeSorted(r.queues[e.queue], e)
	o := e.offer
	if o != nil {
		if a := r.agents[o.Agent]; a != nil {
			delete(a.offers, e.session)
			r.touchAgent(a)
		}
		e.offer = nil
	}
	return o
}

// Remove takes a session out of its queue and cancels its outstanding offer (returned, if any).
// A session that is not queued is ignored.
func (r *Router) Remove(session string) (cancelled *Offer) {
	e := r.sessions[session]
	if e == nil {
		return nil
	}
	return r.dequeue(e)
}

// Queued reports whether the session waits in a queue.
func (r *Router) Queued(session string) bool {
	return r.sessions[session] != nil
}

// Accept: the agent who holds the outstanding offer for the session joined. The session
// leaves the queue, the agent's Load grows by one (Sessions gains it), IdleSince = now.
// ErrNoOffer if that agent holds no offer for it.
func (r *Router) Accept(session, agent string, now time.Time) error {
	e := r.sessions[session]
	if e == nil || e.offer == nil || e.offer.Agent != agent {
		return ErrNoOffer
	}
	a := r.agents[agent]
	r.dequeue(e)
	a.occupy(session)
	a.idleSince = now
	r.touchAgent(a)
	return nil
}

// Decline: the agent refused; the offer ends, the agent is skipped for this session
// until now + cfg.OfferTimeout (the "cooldown"), then it may be offered again.
// Unknown offers are ignored (return false).
func (r *Router) Decline(session, agent string, now time.Time) bool {
	e := r.sessions[session]
	if e == nil || e.offer == nil || e.offer.Agent != agent {
		return false
	}
	r.endOffer(e, now)
	return true
}

// endOffer ends the entry's offer and puts its agent on cooldown for the session.
func (r *Router) endOffer(e *entry, now time.Time) {
	agent := e.offer.Agent
	if a := r.agents[agent]; a != nil {
		delete(a.offers, e.session)
		r.touchAgent(a)
	}
	e.offer = nil
	if e.cooldown == nil {
		e.cooldown = make(map[string]time.Time)
	}
	e.cooldown[agent] = now.Add(r.cfg.OfferTimeout)
	r.touchEntry(e)
}

func (a *agent) occupy(session string) {
	if a.sessions == nil {
		a.sessions = make(map[string]struct{})
	}
	a.sessions[session] = struct{}{}
}

// Occupy counts a session against the agent's capacity whatever the capacity (used for
// resume, restart rebuild and conference). Idempotent per (agent, session).
// An unknown agent becomes known (offline) so that its load is right when its
// presence arrives. The session's queue and offers are not touched.
func (r *Router) Occupy(agent, session string) {
	a := r.agent(agent)
	a.occupy(session)
	r.touchAgent(a)
}

// Release frees the agent's slot for the session (suspend, close, transfer). Idempotent.
func (r *Router) Release(agent, session string) {
	if a := r.agents[agent]; a != nil {
		delete(a.sessions, session)
		r.touchAgent(a)
	}
}

// Dispatch is called after every change and at deadlines:
//  1. offers whose Deadline <= now expire (returned in Expired; the agent goes on cooldown
//     for that session exactly as on Decline);
//  2. queued sessions without an outstanding offer, in arrival order across all queues,
//     get an offer (Deadline = now + cfg.OfferTimeout) to the eligible agent idle longest
//     (earliest IdleSince; ties by JID). Eligible: Show is Available or Chat, serves the
//     session's queue (Queues empty or containing it), Load + Pending < Capacity, not on
//     cooldown for that session, and not already holding an offer for it. One session has
//     at most one outstanding offer. An offer counts as Pending against capacity.
//  3. Positions: for every queued session whose 1-based position in its queue differs from
//     the last position reported for it (or never reported), a Position; then remember it.
//     Sessions holding an offer are still queued and keep a position.
//
// Expired and Offers are in arrival order of their sessions (across queues);
// Positions are by queue name, then position. The cooldown of an expired offer
// runs until now + cfg.OfferTimeout, now being Dispatch's argument.
func (r *Router) Dispatch(now time.Time) Result {
	var res Result

	// 1. Expire offers; drop cooldowns that have ended.
	for _, e := range r.pendingInOrder() {
		if e.offer != nil && !e.offer.Deadline.After(now) {
			res.Expired = append(res.Expired, *e.offer)
			r.endOffer(e, now)
		}
		for agent, until := range e.cooldown {
			if !until.After(now) {
				delete(e.cooldown, agent)
			}
		}
		if len(e.cooldown) == 0 {
			e.cooldown = nil
		}
	}

	// 2. Offer waiting sessions to the agents idle longest.
	due := r.offersDue(now)
	cands := r.scratch[:0]
	if due {
		cands = r.candidates(cands)
	}
	free := len(cands)
	for _, e := range r.order {
		if free == 0 {
			break
		}
		if e.offer != nil || e.held {
			continue
		}
		// Agents not yet offered this session come first (a round); when every
		// eligible agent has had it, a new round starts with those whose
		// cooldown has ended.
		var pick, again *agent
		for _, a := range cands {
			capacity := a.capacityOr(r.cfg.DefaultCapacity)
			if len(a.sessions)+len(a.offers) >= capacity || !a.serves(e.queue) {
				continue
			}
			if until, ok := e.cooldown[a.jid]; ok && until.After(now) {
				continue
			}
			if e.tried[a.jid] {
				if again == nil {
					again = a
				}
				continue
			}
			pick = a
			break
		}
		if pick == nil && again != nil {
			pick = again
			e.tried = nil
		}
		if pick == nil {
			continue
		}
		a := pick
		// e.offer == nil, so no agent holds an offer for this session.
		o := &Offer{Session: e.session, Agent: a.jid, Deadline: now.Add(r.cfg.OfferTimeout)}
		e.offer = o
		if e.tried == nil {
			e.tried = make(map[string]bool)
		}
		e.tried[a.jid] = true
		if a.offers == nil {
			a.offers = make(map[string]*entry)
		}
		a.offers[e.session] = e
		r.touchEntry(e)
		r.touchAgent(a)
		res.Offers = append(res.Offers, *o)
		if len(a.sessions)+len(a.offers) >= a.capacityOr(r.cfg.DefaultCapacity) {
			free--
		}
	}
	clear(cands) // do not keep forgotten agents alive through the scratch slice
	r.scratch = cands[:0]
	if due {
		r.offersRan()
	}

	// 3. Report positions that changed.
	r.reportPositions(&res)
	return res
}

// NextDeadline: the earliest future moment Dispatch has something to do (offer deadline or
// cooldown end of a session that is still queued); ok false when none.
//
// Cooldowns of a session that holds an offer are left out: nothing happens when
// they end, and the offer's own deadline or end brings a Dispatch anyway. The
// router has no clock, so if Dispatch has not run since a deadline passed that
// deadline is returned although it lies in the past: dispatch at once.
func (r *Router) NextDeadline() (t time.Time, ok bool) {
	consider := func(d time.Time) {
		if !ok || d.Before(t) {
			t, ok = d, true
		}
	}
	for _, e := range r.order {
		if e.offer != nil {
			consider(e.offer.Deadline)
			continue
		}
		for _, until := range e.cooldown {
			consider(until)
		}
	}
	return t, ok
}

// Offers returns the outstanding offers, sorted by session.
func (r *Router) Offers() []Offer {
	var out []Offer
	for _, e := range r.order {
		if e.offer != nil {
			out = append(out, *e.offer)
		}
	}
	slices.SortFunc(out, func(x, y Offer) int { return strings.Compare(x.Session, y.Session) })
	return out
}

// QueueLengths returns the number of waiting sessions per queue (queues that ever had a
// session, including empty ones).
func (r *Router) QueueLengths() map[string]int {
	out := make(map[string]int, len(r.queues))
	for q, list := range r.queues {
		out[q] = len(list)
	}
	return out
}
