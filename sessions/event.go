package sessions

import (
	"slices"
	"strconv"
)

// NS is the namespace of Parley's own protocol elements.
const NS = "urn:parley:chat:0"

func itoa(n int) string { return strconv.Itoa(n) }

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

// sessionAnswer is <session/> as in a request's result.
func sessionAnswer(s *session, token string, reconnect bool) *SessionAnswer {
	return &SessionAnswer{
		ID: s.rec.ID, Room: s.room.Addr(), State: s.rec.State, Token: token, SuspendedBy: s.rec.SuspendedBy,
		Cause: s.rec.SuspendCause, Started: s.rec.CreatedAt, Replaces: s.rec.Replaces, Nick: s.vnick,
		Reconnected: reconnect,
	}
}

// resultForm is a XEP-0004 result form with a FORM_TYPE and text fields in
// key order.
func resultForm(formType string, fields map[string]string) *Form {
	f := &Form{Type: "result", Fields: []Field{{Var: "FORM_TYPE", Type: "hidden", Values: []string{formType}}}}
	keys := make([]string, 0, len(fields))
	for k := range fields {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		f.Fields = append(f.Fields, Field{Var: k, Type: "text-single", Label: fieldLabel(k), Values: []string{fields[k]}})
	}
	return f
}
