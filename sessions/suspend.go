// Suspend and resume: who may, with which cause, and how a session resumes.

package sessions

import (
	"strings"

	"github.com/parley-chat/parley/muc"
)

// suspend moves s to suspended (PROTOCOL 5).
func (e *Engine) suspend(s *session, by SuspendedBy, cause string, explicit bool) {
	if s.rec.State == StateQueued {
		e.router.Remove(s.rec.ID)
	}
	if s.rec.Owner != "" {
		e.router.Release(s.rec.Owner, s.rec.ID)
	}
	s.rec.State = StateSuspended
	s.rec.SuspendedBy = by
	s.rec.SuspendCause = cause
	s.rec.Explicit = explicit
	s.rec.SuspendedAt = e.now
	s.rec.Deadline = e.now.Add(e.cfg.SuspendTimeout)
	e.suspendedInQueue(s)
	s.reconnected = false
	e.touch(s)
	e.obs.Suspend(string(by), cause)
	body := "Chat suspended by the " + string(by)
	if by == BySystem {
		body = "Chat suspended: the visitor is away"
	}
	if cause != "" {
		body += " (" + cause + ")"
	}
	e.event(s, Event{Type: "suspended", By: string(by), Cause: cause}, body)
}

// leaving is the widget's suspend beacon (Leaving): it suspends as the
// <suspend/> of that JID's unavailable presence would, whichever of the two
// comes first. From still in the room: its leave will suspend, even when the
// presence is the server's own, without <suspend/>. From gone already: the
// session is suspended now, unless another window of the visitor is in the
// room. Nothing answers a beacon, so a wrong token, a JID that is not the
// session's visitor's, or a session that is not active or queued is ignored.
func (e *Engine) leaving(l *Leaving) {
	s := e.byID[l.Session]
	if s == nil || !tokenMatches(l.Token, s.rec.TokenHash) || !s.visitorJID(l.From) {
		return
	}
	if s.rec.State != StateActive && s.rec.State != StateQueued {
		return
	}
	if _, in := s.room.Lookup(l.From); in {
		s.leavingJID = l.From.String()
		return
	}
	e.suspendOnLeave(s)
}

// suspendOnLeave is PROTOCOL 5's suspend by leaving: the visitor left with
// <suspend/> (its presence's or its beacon's), and s is suspended by the
// visitor if no other window of it is in the room and s is active or queued.
// It reports whether it suspended.
func (e *Engine) suspendOnLeave(s *session) bool {
	if s.room.Present("visitor") || s.rec.State != StateActive && s.rec.State != StateQueued {
		return false
	}
	e.suspend(s, ByVisitor, "", true)
	return true
}

// resume makes a suspended session active again; how is what resumed it.
func (e *Engine) resume(s *session, how string) {
	if s.rec.Owner == "" {
		// Suspended before any agent took it: it waits again.
		s.rec.State = StateQueued
		s.rec.SuspendedBy, s.rec.SuspendCause, s.rec.Explicit = "", "", false
		s.rec.SuspendedAt, s.rec.Deadline = timeZero, timeZero
		e.router.Enqueue(s.rec.ID, s.rec.Queue, s.rec.CreatedAt) //nolint:errcheck // a requeue is never refused for length
		e.awaitVisitor(s)
		e.touch(s)
		return
	}
	e.router.Occupy(s.rec.Owner, s.rec.ID)
	s.rec.State = StateActive
	s.rec.SuspendedBy, s.rec.SuspendCause, s.rec.Explicit = "", "", false
	s.rec.SuspendedAt, s.rec.Deadline = timeZero, timeZero
	s.reconnected = false
	if !s.room.Present("visitor") && s.visitorGone.IsZero() {
		s.visitorGone = e.now
	}
	e.touch(s)
	e.obs.Resume(how)
	e.event(s, Event{Type: "resumed", By: "agent"}, "Chat resumed by the agent")
}

func (e *Engine) suspendBy(s *session, who actor, cause string) (string, *muc.Error) {
	switch who {
	case actorVisitor:
		if s.rec.State == StateActive || s.rec.State == StateQueued {
			e.suspend(s, ByVisitor, "", true)
		}
		return "Session suspended", nil
	case actorAgent:
		if cause == "" {
			cause = e.cfg.Causes[0]
		}
		if !e.knownCause(cause) {
			return "", muc.Errorf(muc.Modify, muc.BadRequest, "unknown cause %q; causes are: %s", cause, strings.Join(e.cfg.Causes, ", "))
		}
		switch s.rec.State {
		case StateActive:
			e.suspend(s, ByAgent, cause, true)
			return "Session suspended: " + cause, nil
		case StateSuspended:
			if s.rec.SuspendCause != cause {
				s.rec.SuspendCause = cause
				if s.rec.SuspendedBy != ByVisitor {
					s.rec.SuspendedBy = ByAgent
				}
				e.touch(s)
				e.event(s, Event{Type: "suspended", By: "agent", Cause: cause}, "Suspension cause changed to "+cause)
			}
			return "Suspension cause: " + cause, nil
		}
		return "", muc.Errorf(muc.Cancel, muc.UnexpectedRequest, "a %s session cannot be suspended", s.rec.State)
	}
	return "", forbidden(who, "only the session's agents and its visitor may suspend it")
}

func (e *Engine) knownCause(c string) bool {
	for _, k := range e.cfg.Causes {
		if k == c {
			return true
		}
	}
	return false
}

// actOn resumes a suspended session because one of its agents acted on it
// (PROTOCOL 5): how is the kind of action.
func (e *Engine) actOn(s *session, how string) {
	if s.rec.State == StateSuspended {
		e.resume(s, how)
	}
}

func (e *Engine) ownsSuspended(bare string) bool {
	for _, s := range e.ownedBy(bare) {
		if s.rec.Owner == bare && s.rec.State == StateSuspended {
			return true
		}
	}
	return false
}
