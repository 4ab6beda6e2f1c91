package routing

import (
	"slices"
	"strings"
	"time"
)

// What Dispatch looks at is kept on change rather than found by a scan of
// every queued session and every agent (issue 13: a message, a request or a
// tick must not cost more with more sessions):
//
//   - pending: the entries that hold an offer or a cooldown (step 1 expires
//     and forgets only those);
//   - free: the agents whose show and load let them take an offer (step 2's
//     candidates), refreshed for the agents changed since the last Dispatch;
//   - ver/ranVer/wake: step 2 runs only when something it depends on
//     changed (ver, which every change counts, moved from ranVer, its value
//     when step 2 last ran) or an offer deadline or a cooldown end has come;
//   - posFrom: per queue, the first place whose position may have changed
//     since the last report (step 3 starts there; every entry before it
//     still has the position it was last reported at).
//
// Every method of router.go that changes what these depend on calls
// touchAgent, touchEntry or queueChanged.
type scaleIndex struct {
	ver     uint64 // counts the changes (Version)
	ranVer  uint64 // ver when step 2 last ran (offersDue)
	wake    time.Time
	hasWake bool
	pending map[*entry]struct{}
	dirty   map[*agent]struct{}
	free    map[*agent]struct{}
	online  map[*agent]struct{}
	posFrom map[string]int
	unheld  map[string]int // per queue, the entries not held
	scratch []*entry       // reused by pendingInOrder
}

func (x *scaleIndex) init() {
	if x.pending != nil {
		return
	}
	x.pending = make(map[*entry]struct{})
	x.dirty = make(map[*agent]struct{})
	x.free = make(map[*agent]struct{})
	x.online = make(map[*agent]struct{})
	x.posFrom = make(map[string]int)
	x.unheld = make(map[string]int)
}

// touchAgent: a's show, resources, capacity, queues, load or offers changed.
func (r *Router) touchAgent(a *agent) {
	if a == nil {
		return
	}
	r.ix.init()
	r.ix.dirty[a] = struct{}{}
	r.ix.ver++
}

// touchEntry: e got an offer or a cooldown, or lost one.
func (r *Router) touchEntry(e *entry) {
	r.ix.init()
	if r.sessions[e.session] == e && (e.offer != nil || e.cooldown != nil) {
		r.ix.pending[e] = struct{}{}
	}
	r.ix.ver++
}

// queueChanged: e was inserted in its queue, is about to be removed, or was
// held or unheld; the positions from its place on must be reported again.
// unheld is what that did to the queue's count of entries not held (+1, -1, 0).
func (r *Router) queueChanged(e *entry, unheld int) {
	r.ix.init()
	r.ix.unheld[e.queue] += unheld
	i, _ := slices.BinarySearchFunc(r.queues[e.queue], e, compareEntries)
	if from, ok := r.ix.posFrom[e.queue]; !ok || i < from {
		r.ix.posFrom[e.queue] = i
	}
	r.ix.ver++
}

// entryGone: e left the queues.
func (r *Router) entryGone(e *entry) {
	r.ix.init()
	delete(r.ix.pending, e)
	r.ix.ver++
}

// Version counts the changes to what the router knows of agents and queued
// sessions: while it stays the same, every figure it gives (Agents,
// OnlineAgents, Availability, QueueLengths; Oldest aside, which is a
// moment) stays the same, and a caller need not ask again.
func (r *Router) Version() uint64 { return r.ix.ver }

// refreshAgents brings free and online up to date with the changed agents.
func (r *Router) refreshAgents() {
	x := &r.ix
	x.init()
	for a := range x.dirty {
		known := r.agents[a.jid] == a
		if known && (a.show == ShowAvailable || a.show == ShowChat) &&
			len(a.sessions)+len(a.offers) < a.capacityOr(r.cfg.DefaultCapacity) {
			x.free[a] = struct{}{}
		} else {
			delete(x.free, a)
		}
		if known && len(a.resources) > 0 {
			x.online[a] = struct{}{}
		} else {
			delete(x.online, a)
		}
	}
	clear(x.dirty)
}

// OnlineCount is the number of agents with at least one available resource.
func (r *Router) OnlineCount() int {
	r.refreshAgents()
	return len(r.ix.online)
}

// OnlineAgents returns the agents with at least one available resource
// (any show), sorted by JID: Agents less those offline, from the online
// index rather than every agent known (an owner who signed out stays known
// while it owns sessions), so that a workspace or a queue push costs what
// the agents online make, not what every session's owner does.
func (r *Router) OnlineAgents() []AgentInfo {
	r.refreshAgents()
	out := make([]AgentInfo, 0, len(r.ix.online))
	for a := range r.ix.online {
		out = append(out, r.info(a))
	}
	slices.SortFunc(out, func(x, y AgentInfo) int { return strings.Compare(x.JID, y.JID) })
	return out
}

// pendingInOrder returns the entries with an offer or a cooldown in
// (arrived, session) order, forgetting those that have neither any more.
func (r *Router) pendingInOrder() []*entry {
	x := &r.ix
	x.init()
	clear(x.scratch)
	out := x.scratch[:0]
	for e := range x.pending {
		if r.sessions[e.session] != e || (e.offer == nil && e.cooldown == nil) {
			delete(x.pending, e)
			continue
		}
		out = append(out, e)
	}
	slices.SortFunc(out, compareEntries)
	x.scratch = out
	return out
}

// offersDue reports whether step 2 of Dispatch may have anything new to do
// at now: something changed since it last ran, or a deadline has come.
func (r *Router) offersDue(now time.Time) bool {
	x := &r.ix
	x.init()
	return x.ver != x.ranVer || (x.hasWake && !now.Before(x.wake))
}

// offersRan records that step 2 ran at now: nothing is new until the next
// change or the earliest offer deadline or cooldown end of a session still
// waiting.
func (r *Router) offersRan() {
	x := &r.ix
	x.ranVer, x.hasWake = x.ver, false
	consider := func(t time.Time) {
		if !x.hasWake || t.Before(x.wake) {
			x.wake, x.hasWake = t, true
		}
	}
	for e := range x.pending {
		if e.offer != nil {
			consider(e.offer.Deadline)
			continue
		}
		for _, until := range e.cooldown {
			consider(until)
		}
	}
}

// candidates returns the free agents, idle longest first (ties by JID).
func (r *Router) candidates(into []*agent) []*agent {
	r.refreshAgents()
	for a := range r.ix.free {
		into = append(into, a)
	}
	slices.SortFunc(into, func(x, y *agent) int {
		if c := x.idleSince.Compare(y.idleSince); c != 0 {
			return c
		}
		return strings.Compare(x.jid, y.jid)
	})
	return into
}

// reportPositions is step 3 of Dispatch: for each queue in name order,
// from the first place that may have changed, the positions that differ from
// the last reported.
func (r *Router) reportPositions(res *Result) {
	x := &r.ix
	x.init()
	if len(x.posFrom) == 0 {
		return
	}
	for _, q := range r.queueNames {
		from, ok := x.posFrom[q]
		if !ok {
			continue
		}
		list := r.queues[q]
		n := r.positionBefore(q, list, from)
		for _, e := range list[min(from, len(list)):] {
			if e.held {
				continue // not counted: the sessions behind it move up
			}
			n++
			if e.reported != n {
				e.reported = n
				res.Positions = append(res.Positions, Position{Session: e.session, Queue: q, Position: n})
			}
		}
	}
	clear(x.posFrom)
}

// positionBefore is the number of sessions not held in list[:i], found from
// the last one reported before the queue's first changed place.
func (r *Router) positionBefore(q string, list []*entry, i int) int {
	from, ok := r.ix.posFrom[q]
	if !ok {
		from = len(list)
	}
	k := 0
	for j := min(i, len(list)) - 1; j >= 0; j-- {
		y := list[j]
		if y.held {
			continue
		}
		if j < from {
			return y.reported + k
		}
		k++
	}
	return k
}

// fastPosition is position (router.go) from the reported positions.
func (r *Router) fastPosition(e *entry) int {
	r.ix.init()
	list := r.queues[e.queue]
	i, ok := slices.BinarySearchFunc(list, e, compareEntries)
	if !ok {
		return r.scanPosition(e)
	}
	if i == len(list)-1 {
		// The last of its queue (a new request, a restored session): after
		// every entry not held but itself.
		before := r.ix.unheld[e.queue]
		if !e.held {
			before--
		}
		return before + 1
	}
	return r.positionBefore(e.queue, list, i) + 1
}

// scanPosition is position counted from the head of the queue (the
// reference fastPosition must agree with).
func (r *Router) scanPosition(e *entry) int {
	n := 1
	for _, x := range r.queues[e.queue] {
		if x == e {
			break
		}
		if !x.held {
			n++
		}
	}
	return n
}
