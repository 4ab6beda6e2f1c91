package routing

// OnlineCount is the number of agents with at least one available resource.
func (r *Router) OnlineCount() int {
	n := 0
	for _, a := range r.agents {
		if len(a.resources) > 0 {
			n++
		}
	}
	return n
}
