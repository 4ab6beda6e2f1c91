// Close and expiry: how a session ends, and what a gone room answers.

package sessions

import (
	"github.com/parley-chat/parley/muc"
	"mellium.im/xmpp/jid"
)

// end closes or expires s: event, room destroyed, capacity freed.
func (e *Engine) end(s *session, state State, by, body string) {
	e.router.Remove(s.rec.ID)
	if s.rec.Owner != "" {
		e.router.Release(s.rec.Owner, s.rec.ID)
	}
	s.rec.State = state
	s.rec.EndedAt = e.now
	s.rec.Deadline = timeZero
	e.touch(s)
	e.obs.Ended(state, by)
	e.event(s, Event{Type: string(state), By: by}, body)
	e.sendMUC(s.room.Destroy(body))
	e.rememberGone(s, body)
	// Gone at once, so nothing later in the batch acts on it; written at the end.
	e.forget(s)
	if e.ended == nil {
		e.ended = make(map[string]*session)
	}
	e.ended[s.rec.ID] = s
}

func (e *Engine) close(s *session, by string) {
	e.end(s, StateClosed, by, "Chat closed by the "+by)
}

func (e *Engine) expire(s *session) {
	e.end(s, StateExpired, "system", "Chat expired after being suspended too long")
}

// goneRoom is what the engine remembers of a session that ended, so that a
// later join by someone who was entitled gets <gone/> with the reason.
type goneRoom struct {
	reason string
	people map[string]bool // bare JIDs of its agents, full JIDs of its visitor
}

const goneLimit = 4096

// goneRooms are the last goneLimit rooms that ended, oldest first.
type goneRooms struct {
	byID  map[string]goneRoom
	order []string
}

func (e *Engine) rememberGone(s *session, reason string) {
	if e.gone.byID == nil {
		e.gone.byID = make(map[string]goneRoom)
	}
	g := goneRoom{reason: reason, people: make(map[string]bool)}
	for a := range s.agents {
		g.people[a] = true
	}
	for _, v := range s.rec.VisitorJIDs {
		g.people[v] = true
	}
	e.gone.byID[s.rec.ID] = g
	e.gone.order = append(e.gone.order, s.rec.ID)
	if len(e.gone.order) > goneLimit {
		delete(e.gone.byID, e.gone.order[0])
		e.gone.order = e.gone.order[1:]
	}
}

// noRoom is the answer to a stanza from `from` to a room that is not live:
// ended with the reason when it ended and the sender may know why (goneFor),
// unknown otherwise.
func (e *Engine) noRoom(to, from jid.JID, ended func(reason string) *muc.Error, unknown func() *muc.Error) *muc.Error {
	if reason, ok := e.goneFor(to, from); ok {
		return ended(reason)
	}
	return unknown()
}

// goneFor returns why the room p is joining ended, when the joiner may know.
func (e *Engine) goneFor(to, from jid.JID) (string, bool) {
	if to.Domainpart() != e.cfg.Domain.Domainpart() {
		return "", false
	}
	g, ok := e.gone.byID[to.Localpart()]
	if !ok {
		return "", false
	}
	if g.people[from.Bare().String()] || g.people[from.String()] || e.has(from.Bare().String(), PermSupervise) {
		return g.reason, true
	}
	return "", false
}
