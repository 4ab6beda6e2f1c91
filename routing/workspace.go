package routing

import "time"

// Oldest returns when the longest-waiting session of queue arrived (held
// sessions included); ok is false when the queue is empty.
func (r *Router) Oldest(queue string) (arrived time.Time, ok bool) {
	for _, e := range r.queues[queue] {
		if !ok || e.arrived.Before(arrived) {
			arrived, ok = e.arrived, true
		}
	}
	return arrived, ok
}
