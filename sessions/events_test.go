package sessions

import "strconv"

// The tests' reading of a room line's typed element as the event a program
// sees on the wire.

// eventFrom reads a room line's element as an event.
func eventFrom(e any) (event, bool) {
	ev, ok := e.(*Event)
	if !ok || ev == nil {
		return event{}, false
	}
	pos := ""
	if ev.Position > 0 {
		pos = strconv.Itoa(ev.Position)
	}
	return event{Type: ev.Type, By: ev.By, State: string(ev.State), Cause: ev.Cause, Agent: ev.Agent, Position: pos}, true
}

// eventAttrs are an event's attributes as the wire carries them.
func eventAttrs(ev *Event) map[string]string {
	a := map[string]string{"type": ev.Type, "by": ev.By, "state": string(ev.State), "agent": ev.Agent, "cause": ev.Cause}
	if ev.Position > 0 {
		a["position"] = strconv.Itoa(ev.Position)
	}
	if ev.Type == "queued" && ev.Wait >= 0 {
		a["wait"] = strconv.Itoa(ev.Wait)
	}
	for k, v := range a {
		if v == "" {
			delete(a, k)
		}
	}
	return a
}
