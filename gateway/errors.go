package gateway

import (
	"github.com/parley-chat/parley/muc"
	"github.com/parley-chat/parley/xmpp"
	xstanza "mellium.im/xmpp/stanza"
)

// The one table from the domain's typed error vocabulary (muc.ErrorType and
// muc.Condition, which the domain may use without importing the wire) to
// mellium's xstanza.ErrorType and xstanza.Condition. A condition missing here is
// sent as undefined-condition; TestErrorTableComplete keeps the table whole.
var (
	errorTypes = map[muc.ErrorType]xstanza.ErrorType{
		muc.Cancel: xstanza.Cancel,
		muc.Auth:   xstanza.Auth,
		muc.Modify: xstanza.Modify,
		muc.Wait:   xstanza.Wait,
	}
	wireConditions = map[muc.Condition]xstanza.Condition{
		muc.BadRequest:            xstanza.BadRequest,
		muc.Conflict:              xstanza.Conflict,
		muc.FeatureNotImplemented: xstanza.FeatureNotImplemented,
		muc.Forbidden:             xstanza.Forbidden,
		muc.Gone:                  xstanza.Gone,
		muc.InternalServerError:   xstanza.InternalServerError,
		muc.ItemNotFound:          xstanza.ItemNotFound,
		muc.JIDMalformed:          xstanza.JIDMalformed,
		muc.NotAcceptable:         xstanza.NotAcceptable,
		muc.NotAllowed:            xstanza.NotAllowed,
		muc.NotAuthorized:         xstanza.NotAuthorized,
		muc.PolicyViolation:       xstanza.PolicyViolation,
		muc.RegistrationRequired:  xstanza.RegistrationRequired,
		muc.ResourceConstraint:    xstanza.ResourceConstraint,
		muc.ServiceUnavailable:    xstanza.ServiceUnavailable,
		muc.UnexpectedRequest:     xstanza.UnexpectedRequest,
	}
)

// stanzaError is the domain's error as mellium's xstanza.Error.
func stanzaError(err *muc.Error) xstanza.Error {
	typ, ok := errorTypes[err.Type]
	if !ok {
		typ = xstanza.Cancel
	}
	cond, ok := wireConditions[err.Condition]
	if !ok {
		cond = xstanza.UndefinedCondition
	}
	return xstanza.Error{Type: typ, Condition: cond}
}

// errorEl renders the <error/> child of an error stanza (RFC 6120 8.3.2).
func errorEl(err *muc.Error) *xmpp.Element {
	se := stanzaError(err)
	x := xmpp.New("", "error", "type", string(se.Type))
	x.Add(xmpp.New(nsStanzas, string(se.Condition)))
	if err.Text != "" {
		x.Add(xmpp.New(nsStanzas, "text").SetText(err.Text))
	}
	return x
}
