// Timers: what is due (idle suspend, owner grace, suspend expiry) and the deadline heap.

package sessions

import (
	"container/heap"
	"sort"
	"time"
)

// The timers (idle suspend, owner grace, suspend expiry, abandon) come from
// a heap of deadlines instead of a scan of every session on each tick: a
// tick looks only at the sessions whose deadline has come (issue 13).
//
// wake is the earliest moment the tick's rules (Engine.timers) could act on a
// session; it is recomputed whenever the session changes (index.go). A
// session due at a tick is checked by the same rules as before, in id order,
// and scheduled again from what it has become.

// wake returns the earliest moment a tick could act on s; ok is false when
// no timer runs for it.
func (e *Engine) wake(s *session) (at time.Time, ok bool) {
	consider := func(t time.Time) {
		if !ok || t.Before(at) {
			at, ok = t, true
		}
	}
	ownerGrace := func() {
		if t, off := e.offline[s.rec.Owner]; off && s.rec.Owner != "" {
			consider(t.Add(e.cfg.Grace))
		}
	}
	switch s.rec.State {
	case StateQueued:
		if !s.rec.Deadline.IsZero() && !s.room.Present("visitor") {
			consider(s.rec.Deadline)
		}
	case StateActive:
		if !s.visitorGone.IsZero() && !s.room.Present("visitor") {
			consider(s.visitorGone.Add(e.cfg.IdleSuspend))
		}
		ownerGrace()
	case StateSuspended:
		if !s.rec.Deadline.IsZero() {
			consider(s.rec.Deadline)
		}
		if s.reconnected {
			ownerGrace()
		}
	}
	return at, ok
}

// dueSessions returns, sorted, the ids of the sessions whose deadline is not
// after now, and takes them off the heap (the reindex after the tick puts
// back those that still have a timer).
func (e *Engine) dueSessions() []string {
	e.reindexChanged()
	x := &e.scale
	var ids []string
	for len(x.timers.items) > 0 && !x.timers.items[0].at.After(e.now) {
		it := heap.Pop(&x.timers).(timerItem)
		ids = append(ids, it.key)
		x.marked[it.key] = struct{}{}
	}
	sort.Strings(ids)
	return ids
}

// noteOffline: agent bare may just have been marked offline (e.offline) or
// back online (the mark gone): its sessions' grace is scheduled again, and
// the cleanup of the mark.
func (e *Engine) noteOffline(bare string) {
	e.scheduleAgent(bare)
	for _, s := range e.ownedBy(bare) {
		e.timerTouch(s)
	}
}

// scheduleAgent puts agent bare on the agents' heap at the end of its grace.
func (e *Engine) scheduleAgent(bare string) {
	e.scale.init()
	if t, off := e.offline[bare]; off {
		e.scale.agents.set(bare, t.Add(e.cfg.Grace))
		delete(e.scale.linger, bare)
	}
}

// sweepOffline forgets the offline marks that no longer matter: of an agent
// back online, or past its grace and owning nothing that waits for it. It
// looks only at agents whose grace ended (the heap) and at those that still
// owned something when it did (linger).
func (e *Engine) sweepOffline() {
	x := &e.scale
	for len(x.agents.items) > 0 && !x.agents.items[0].at.After(e.now) {
		it := heap.Pop(&x.agents).(timerItem)
		x.linger[it.key] = struct{}{}
	}
	for a := range x.linger {
		e.recheckAgent(a)
	}
}

// recheckAgent applies the cleanup rule to an agent past its grace.
func (e *Engine) recheckAgent(a string) {
	x := &e.scale
	if _, ok := x.linger[a]; !ok || a == "" {
		return
	}
	t, off := e.offline[a]
	switch {
	case !off:
		delete(x.linger, a)
	case e.now.Sub(t) < e.cfg.Grace:
		// Marked offline again since: its grace runs anew.
		e.scheduleAgent(a)
	case e.router.Online(a):
		delete(e.offline, a)
		delete(x.linger, a)
	case !e.ownsLive(a) && !e.ownsSuspended(a):
		delete(e.offline, a)
		delete(x.linger, a)
	}
}

// timerItem is one deadline on a heap.
type timerItem struct {
	key string
	at  time.Time
}

// deadlineHeap is a min-heap of deadlines by (at, key) with at most one item
// per key; pos finds an item's place for changes and removals.
type deadlineHeap struct {
	items []timerItem
	pos   map[string]int
}

func (h *deadlineHeap) Len() int { return len(h.items) }
func (h *deadlineHeap) Less(i, j int) bool {
	if c := h.items[i].at.Compare(h.items[j].at); c != 0 {
		return c < 0
	}
	return h.items[i].key < h.items[j].key
}
func (h *deadlineHeap) Swap(i, j int) {
	h.items[i], h.items[j] = h.items[j], h.items[i]
	h.pos[h.items[i].key] = i
	h.pos[h.items[j].key] = j
}
func (h *deadlineHeap) Push(v any) {
	it := v.(timerItem)
	h.pos[it.key] = len(h.items)
	h.items = append(h.items, it)
}
func (h *deadlineHeap) Pop() any {
	n := len(h.items) - 1
	it := h.items[n]
	h.items[n] = timerItem{}
	h.items = h.items[:n]
	delete(h.pos, it.key)
	return it
}

// set schedules key at at (replacing its earlier deadline).
func (h *deadlineHeap) set(key string, at time.Time) {
	if i, ok := h.pos[key]; ok {
		if h.items[i].at.Equal(at) {
			return
		}
		h.items[i].at = at
		heap.Fix(h, i)
		return
	}
	heap.Push(h, timerItem{key: key, at: at})
}

// remove unschedules key.
func (h *deadlineHeap) remove(key string) {
	if i, ok := h.pos[key]; ok {
		heap.Remove(h, i)
	}
}

// sessionHeap holds session ids; agentHeap agents' bare JIDs.
type (
	sessionHeap = deadlineHeap
	agentHeap   = deadlineHeap
)

// timers runs what is due: idle suspend, owner grace, suspend expiry.
func (e *Engine) timers() {
	e.sweepRates()
	for _, id := range e.dueSessions() {
		s := e.byID[id]
		if s == nil {
			continue
		}
		switch s.rec.State {
		case StateQueued:
			// A queued session is never suspended for want of its visitor:
			// it is abandoned (waiting.go).
			e.abandonIfDue(s)
		case StateActive:
			if !s.visitorGone.IsZero() && !s.room.Present("visitor") && e.now.Sub(s.visitorGone) >= e.cfg.IdleSuspend {
				s.visitorGone = timeZero
				e.suspend(s, BySystem, "", false)
				continue
			}
			if s.rec.State == StateActive && e.ownerGone(s) {
				e.transfer(s)
			}
		case StateSuspended:
			if !s.rec.Deadline.IsZero() && !e.now.Before(s.rec.Deadline) {
				if s.rec.Owner == "" {
					e.abandonSuspended(s)
					continue
				}
				e.expire(s)
				continue
			}
			if s.reconnected && e.ownerGone(s) {
				e.obs.Reconnect("fallback")
				e.transfer(s)
			}
		}
	}
	e.sweepOffline()
}
