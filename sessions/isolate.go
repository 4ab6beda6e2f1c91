// Input isolation: a checkpoint per input, rolled back when it panics.

package sessions

import (
	"encoding/hex"
	"maps"
	"slices"
	"time"

	"github.com/parley-chat/parley/muc"
)

// A panic isolates one input. Each input's rows, stanzas and grants are cut
// from the batch when it panics (safeHandle); its in-memory changes are
// rolled back too: the session the input is addressed to (a room, an
// occupant) is put back as it was before the input, the origin-ids it kept
// are forgotten, and the sessions it created are removed. What an input
// changes elsewhere (the router, other sessions) is not rolled back; none of
// its rows were written, so a restart reloads those as the store has them.

// checkpoint is a session's in-memory state before an input. The engine
// keeps one and refills it for every input, so that taking it allocates
// nothing in the steady state.
//
// Its scalars and Record are copied when it is taken; the session's four
// maps and the room's occupants only when the input first writes them
// (copy-on-write: cow.go's setters, muc.Room's keep), so that an input that
// changes none of them (a groupchat line) copies none.
type checkpoint struct {
	s                 *session
	rec               Record // its slices and map are replaced, never changed in place: a copy shares them
	room              muc.Checkpoint
	agents            map[string]AgentRole
	offered, invited  map[string]bool
	nicks             map[string]string
	saved             [nMaps]bool // which of the four maps the input wrote (and were copied above)
	nilMaps           [nMaps]bool // which of the saved maps was nil
	lastSeq           int64
	visitorGone       time.Time
	reconnected       bool
	transferTo, vnick string
	leavingJID        string
	firstOffer        bool
	fault             func(what string) // Config.faultAfterWrite
}

// inputJournal records what the input being handled added to the engine's
// indexes, so that a panic can take it out again.
type inputJournal struct {
	origins []originEntry
	created []string
}

type originEntry struct {
	s *session
	k originKey
}

// refill makes *dst a copy of src, reusing *dst's buckets, and reports
// whether src was nil.
func refill[K comparable, V any](dst *map[K]V, src map[K]V) (wasNil bool) {
	if *dst == nil {
		*dst = make(map[K]V, len(src))
	}
	clear(*dst)
	maps.Copy(*dst, src)
	return src == nil
}

// take records s in c and arms s: until release or rollback, the first
// write to one of its maps or its room's occupants copies that into c.
func (c *checkpoint) take(s *session, fault func(string)) {
	c.s, c.rec, c.lastSeq, c.visitorGone, c.reconnected = s, s.rec, s.lastSeq, s.visitorGone, s.reconnected
	c.transferTo, c.vnick, c.firstOffer, c.leavingJID = s.transferTo, s.vnick, s.firstOffer, s.leavingJID
	c.saved, c.fault = [nMaps]bool{}, fault
	s.room.CheckpointInto(&c.room)
	s.cp = c
}

// save copies map i of the session into c (its first write by the input).
func (c *checkpoint) save(i int) {
	s := c.s
	c.saved[i] = true
	switch i {
	case mapAgents:
		c.nilMaps[i] = refill(&c.agents, s.agents)
	case mapOffered:
		c.nilMaps[i] = refill(&c.offered, s.offered)
	case mapInvited:
		c.nilMaps[i] = refill(&c.invited, s.invited)
	case mapNicks:
		c.nilMaps[i] = refill(&c.nicks, s.nicks)
	}
}

// release disarms the session: the input went through.
func (c *checkpoint) release() {
	c.s.cp = nil
	c.s.room.Release(&c.room)
	c.s, c.fault = nil, nil
}

func orNil[M ~map[K]V, K comparable, V any](m M, isNil bool) M {
	if isNil {
		return nil
	}
	return m
}

// rollback puts the session back as it was and disarms it; the maps it
// puts back now belong to the session.
func (c *checkpoint) rollback() {
	s := c.s
	s.rec, s.lastSeq, s.visitorGone, s.reconnected = c.rec, c.lastSeq, c.visitorGone, c.reconnected
	s.transferTo, s.vnick, s.firstOffer, s.leavingJID = c.transferTo, c.vnick, c.firstOffer, c.leavingJID
	s.room.Rollback(&c.room)
	if c.saved[mapAgents] {
		s.agents, c.agents = orNil(c.agents, c.nilMaps[mapAgents]), nil
	}
	if c.saved[mapOffered] {
		s.offered, c.offered = orNil(c.offered, c.nilMaps[mapOffered]), nil
	}
	if c.saved[mapInvited] {
		s.invited, c.invited = orNil(c.invited, c.nilMaps[mapInvited]), nil
	}
	if c.saved[mapNicks] {
		s.nicks, c.nicks = orNil(c.nicks, c.nilMaps[mapNicks]), nil
	}
	s.cp = nil
	c.s, c.fault, c.saved = nil, nil, [nMaps]bool{}
}

// restoreIndex puts a session the failed input ended back where the engine
// finds it.
func (e *Engine) restoreIndex(s *session) {
	id := s.rec.ID
	if _, ok := e.byID[id]; ok {
		return
	}
	e.byID[id] = s
	delete(e.ended, id)
	if len(s.rec.TokenHash) > 0 {
		k := hex.EncodeToString(s.rec.TokenHash)
		if !slices.Contains(e.byToken[k], id) {
			e.byToken[k] = append(e.byToken[k], id)
		}
	}
}

// target is the session an input is addressed to, if any.
func (e *Engine) target(in Input) *session {
	switch v := in.(type) {
	case *Presence:
		return e.lookup(v.To)
	case *Message:
		return e.lookup(v.To)
	case *IQ:
		return e.lookup(v.To)
	case *Leaving:
		return e.byID[v.Session]
	}
	return nil
}

// undo takes out what the failed input added to the indexes.
func (j *inputJournal) undo(e *Engine) {
	for _, o := range j.origins {
		delete(o.s.seenOrigin, o.k)
	}
	for _, id := range j.created {
		if _, ok := e.byID[id]; !ok {
			continue
		}
		delete(e.byID, id)
		delete(e.dirty, id)
		e.router.Remove(id)
		for k, ids := range e.byToken {
			if i := slices.Index(ids, id); i >= 0 {
				if ids = slices.Delete(ids, i, i+1); len(ids) == 0 {
					delete(e.byToken, k)
				} else {
					e.byToken[k] = ids
				}
			}
		}
	}
}
