package routing

import (
	"slices"
	"time"
)

// Waiting visitors come first: a queued session whose visitor is away is held
// (kept in its place, never offered), recent waits give an estimate of the
// next one, and Availability tells a visitor before it asks whether anyone is
// there.

// Hold marks a queued session whose visitor is not present: it keeps its
// place in the queue (a visitor who comes back goes on where it was) but
// Dispatch offers it to nobody and leaves it out of the positions it reports,
// so the sessions behind it move up. An offer out for it is withdrawn and
// returned: its agent's slot is free at once and, the agent being blameless,
// it is not put on cooldown. A session that is not queued, or already held,
// is ignored.
func (r *Router) Hold(session string) (withdrawn *Offer) {
	e := r.sessions[session]
	if e == nil || e.held {
		return nil
	}
	e.held = true
	e.reported = 0
	r.queueChanged(e, -1)
	if e.offer == nil {
		return nil
	}
	o := *e.offer
	if a := r.agents[o.Agent]; a != nil {
		delete(a.offers, session)
		r.touchAgent(a)
	}
	e.offer = nil
	return &o
}

// Unhold lets a held session be offered again, in its old place. Its
// position is reported by the next Dispatch.
func (r *Router) Unhold(session string) {
	if e := r.sessions[session]; e != nil && e.held {
		e.held = false
		e.reported = 0
		r.queueChanged(e, 1)
	}
}

// Held reports whether a queued session is held.
func (r *Router) Held(session string) bool {
	e := r.sessions[session]
	return e != nil && e.held
}

// WaitWindow is how many recent waits per queue the estimate averages.
const WaitWindow = 10

type waitWindow struct {
	last []time.Duration // oldest first, at most WaitWindow
}

// RecordWait adds the wait of a session that was just answered (from its
// request to an agent taking it) to its queue's recent waits.
func (r *Router) RecordWait(queue string, waited time.Duration) {
	if waited < 0 {
		waited = 0
	}
	if r.waits == nil {
		r.waits = make(map[string]*waitWindow)
	}
	w := r.waits[queue]
	if w == nil {
		w = &waitWindow{}
		r.waits[queue] = w
	}
	if len(w.last) == WaitWindow {
		w.last = slices.Delete(w.last, 0, 1)
	}
	w.last = append(w.last, waited)
}

// EstimatedWait is the mean of the queue's last WaitWindow waits, rounded to
// the second; ok is false while the queue has none (unknown).
func (r *Router) EstimatedWait(queue string) (d time.Duration, ok bool) {
	w := r.waits[queue]
	if w == nil || len(w.last) == 0 {
		return 0, false
	}
	var sum time.Duration
	for _, x := range w.last {
		sum += x
	}
	return (sum / time.Duration(len(w.last))).Round(time.Second), true
}

// Status is what a visitor is told of a queue before it asks for a chat.
type Status int

const (
	// StatusAway: no agent serving the queue is signed in and available
	// (available or chat; away, xa and dnd agents take no new chats).
	StatusAway Status = iota
	// StatusBusy: agents are available but none has a free slot.
	StatusBusy
	// StatusAvailable: an available agent has a free slot.
	StatusAvailable
)

func (s Status) String() string {
	switch s {
	case StatusAvailable:
		return "available"
	case StatusBusy:
		return "busy"
	}
	return "away"
}

// QueueAvailability is a queue as a visitor sees it before asking.
type QueueAvailability struct {
	Queue     string
	Status    Status
	Agents    int           // available agents serving the queue
	Free      int           // of those, agents with a free slot
	Waiting   int           // sessions waiting whose visitor is present (not held)
	Full      bool          // the queue holds Config.QueueLimit sessions: a request is refused
	Wait      time.Duration // EstimatedWait
	WaitKnown bool
}

// Availability describes one queue (any name: a queue with no sessions and
// no agents is simply away).
func (r *Router) Availability(queue string) QueueAvailability {
	q := QueueAvailability{Queue: queue}
	for _, a := range r.agents {
		if (a.show != ShowAvailable && a.show != ShowChat) || !a.serves(queue) {
			continue
		}
		q.Agents++
		if len(a.sessions)+len(a.offers) < a.capacityOr(r.cfg.DefaultCapacity) {
			q.Free++
		}
	}
	list := r.queues[queue]
	for _, e := range list {
		if !e.held {
			q.Waiting++
		}
	}
	q.Full = r.cfg.QueueLimit > 0 && len(list) >= r.cfg.QueueLimit
	switch {
	case q.Free > 0:
		q.Status = StatusAvailable
	case q.Agents > 0:
		q.Status = StatusBusy
	}
	q.Wait, q.WaitKnown = r.EstimatedWait(queue)
	return q
}
