// The engine's named errors, each with its XMPP condition.

package sessions

import "github.com/parley-chat/parley/muc"

// Named errors: the refusals the engine gives in many places, each worded
// once. They are functions, not shared values, so no caller can alter another
// one's error.
func errNoSession() *muc.Error {
	return muc.Errorf(muc.Cancel, muc.ItemNotFound, "no such chat session")
}

func errNotInRoom() *muc.Error { return muc.ErrNotOccupant() }

func errExecuteWithSet() *muc.Error {
	return muc.Errorf(muc.Modify, muc.BadRequest, "execute commands with an IQ set")
}

func errNotInSessions() *muc.Error {
	return muc.Errorf(muc.Cancel, muc.ServiceUnavailable, "not supported by chat sessions")
}

func errNoNode() *muc.Error { return muc.Errorf(muc.Cancel, muc.ItemNotFound, "no such node") }

// errEnded answers a message to a room that ended.
func errEnded(reason string) *muc.Error {
	return muc.Errorf(muc.Modify, muc.NotAcceptable, "this chat session has ended: %s", reason)
}

// errGone answers a join of a room that ended.
func errGone(reason string) *muc.Error { return muc.Errorf(muc.Cancel, muc.Gone, "%s", reason) }

func errNotEntitled() *muc.Error {
	return muc.Errorf(muc.Auth, muc.RegistrationRequired, "you are not entitled to join this chat session")
}

func errBadToken() *muc.Error {
	return muc.Errorf(muc.Auth, muc.NotAuthorized, "the token does not match this chat session")
}
