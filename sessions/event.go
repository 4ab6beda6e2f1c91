// Parley's namespace and the session event posted into rooms.

package sessions

// NS is the namespace of Parley's own protocol elements.
const NS = "urn:parley:chat:0"

// Event is a system event of a session (PROTOCOL 4).
type Event struct {
	Type     string // queued, assigned, suspended, resumed, reconnected, visitor-left, conference, transferred, closed, expired
	By       string // visitor, agent, system
	State    State
	Position int
	Agent    string // nick of the agent concerned
	Cause    string
	Wait     int // queued: estimated seconds still to wait; -1 unknown (0 is "any moment")
}
