package muc

import "fmt"

// ErrorType is the type of a stanza error (RFC 6120 8.3.2): what the sender
// may do about it.
type ErrorType string

// Error types of RFC 6120 8.3.2.
const (
	Cancel ErrorType = "cancel" // do not retry
	Auth   ErrorType = "auth"   // retry after providing credentials
	Modify ErrorType = "modify" // retry after changing the data sent
	Wait   ErrorType = "wait"   // retry after waiting
)

// Condition is a defined condition of a stanza error (RFC 6120 8.3.3). The
// domain names its errors with these constants; the gateway maps them onto
// mellium's stanza.Condition in one table (gateway/errors.go). The domain
// cannot use mellium's stanza package itself: the layout test keeps
// mellium.im/xmpp/stanza out of sessions, which imports this package.
type Condition string

// The defined conditions the service sends.
const (
	BadRequest            Condition = "bad-request"
	Conflict              Condition = "conflict"
	FeatureNotImplemented Condition = "feature-not-implemented"
	Forbidden             Condition = "forbidden"
	Gone                  Condition = "gone"
	InternalServerError   Condition = "internal-server-error"
	ItemNotFound          Condition = "item-not-found"
	JIDMalformed          Condition = "jid-malformed"
	NotAcceptable         Condition = "not-acceptable"
	NotAllowed            Condition = "not-allowed"
	NotAuthorized         Condition = "not-authorized"
	PolicyViolation       Condition = "policy-violation"
	RegistrationRequired  Condition = "registration-required"
	ResourceConstraint    Condition = "resource-constraint"
	ServiceUnavailable    Condition = "service-unavailable"
	UnexpectedRequest     Condition = "unexpected-request"
)

// Conditions lists every Condition above, for the gateway's table and its test.
var Conditions = []Condition{
	BadRequest, Conflict, FeatureNotImplemented, Forbidden, Gone,
	InternalServerError, ItemNotFound, JIDMalformed, NotAcceptable, NotAllowed,
	NotAuthorized, PolicyViolation, RegistrationRequired, ResourceConstraint,
	ServiceUnavailable, UnexpectedRequest,
}

// Error is an XMPP stanza error decided by the domain.
type Error struct {
	Type      ErrorType
	Condition Condition
	Text      string
}

func (e *Error) Error() string {
	if e.Text != "" {
		return fmt.Sprintf("muc: %s (%s): %s", e.Condition, e.Type, e.Text)
	}
	return fmt.Sprintf("muc: %s (%s)", e.Condition, e.Type)
}

// Errorf builds an *Error.
func Errorf(typ ErrorType, condition Condition, format string, args ...any) *Error {
	return &Error{Type: typ, Condition: condition, Text: fmt.Sprintf(format, args...)}
}

// ErrNotOccupant refuses a stanza from a JID that is not in the room.
func ErrNotOccupant() *Error {
	return Errorf(Modify, NotAcceptable, "you are not in this chat session")
}

// errNotJoined refuses a command about an occupant that is not in the room.
func errNotJoined() *Error { return Errorf(Cancel, NotAcceptable, "not joined") }
