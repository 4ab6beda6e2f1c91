// Indexes over the live sessions, kept on change: by state, owner, connection, person, deadline, staff nick.

package sessions

import (
	"slices"
	"sort"

	"github.com/google/btree"
	"mellium.im/xmpp/jid"
)

// Indexes over the live sessions (issue 13: what a message, a request or a
// tick costs must not grow with the number of sessions). They are kept on
// change rather than recounted:
//
//   - the number of live sessions in each state (the gauges of Stats);
//   - the sessions of each owner (grace, ownsLive, ownsSuspended);
//   - the sessions of each visitor connection (limits per visitor);
//   - the sessions each person is an agent of (any role), invited to or
//     offered (inviteBack, an agent's workspace and disco#items);
//   - the missed sessions (which any agent serving their queue may take);
//   - the timers' deadlines (timers.go);
//   - the folded nicks of the permission holders (staffNick);
//   - the ids of the live sessions in order (a supervisor's page of them,
//     disco.go), in a B-tree (github.com/google/btree).
//
// An index is exact as of the last reindex of a session. Every change to a
// session's Record comes with e.touch (the row must be written), which marks
// the session; the changes that are not written (visitorGone, reconnected,
// who is in the room) mark it with e.timerTouch. Readers look at the index
// and at the marked sessions, and check each candidate against the session
// itself; Process reindexes what is marked after each input (and a tick
// before it looks at the heap).

// scaleState holds the indexes; its zero value is ready (maps made on first use).
type scaleState struct {
	known    map[string]indexed             // id -> what the indexes hold for it
	states   map[State]int                  // live sessions per state
	byOwner  map[string]map[string]struct{} // owner (bare JID) -> session ids
	byConn   map[string]map[string]struct{} // first visitor JID -> session ids
	byPerson map[string]map[string]struct{} // bare JID -> sessions it is an agent of, invited to or offered
	people   map[string][]string            // session id -> its people in byPerson, sorted
	missed   map[string]struct{}            // the missed sessions
	marked   map[string]struct{}            // sessions changed since their last reindex
	last     string                         // the session marked last (reindexChanged's common case: it alone is marked)

	timers sessionHeap         // timers.go: sessions by next deadline
	agents agentHeap           // timers.go: offline agents by end of grace
	linger map[string]struct{} // timers.go: offline agents past grace that still own sessions

	staff map[string]bool // folded localparts of permission holders; nil: to build

	ids *btree.BTreeG[string] // the live sessions' ids, in order
}

// indexed is what the indexes hold for one session.
type indexed struct {
	state State
	owner string
	conn  string
	// byPerson holds the people of s as of its peopleVer (reindexPeople).
	s         *session
	peopleVer uint64
}

func (x *scaleState) init() {
	if x.known != nil {
		return
	}
	x.known = make(map[string]indexed)
	x.states = make(map[State]int)
	x.byOwner = make(map[string]map[string]struct{})
	x.byConn = make(map[string]map[string]struct{})
	x.byPerson = make(map[string]map[string]struct{})
	x.people = make(map[string][]string)
	x.missed = make(map[string]struct{})
	x.marked = make(map[string]struct{})
	x.linger = make(map[string]struct{})
	x.timers.pos = make(map[string]int)
	x.agents.pos = make(map[string]int)
	x.ids = btree.NewOrderedG[string](32)
}

func addTo(m map[string]map[string]struct{}, k, id string) {
	if k == "" {
		return
	}
	set := m[k]
	if set == nil {
		set = make(map[string]struct{})
		m[k] = set
	}
	set[id] = struct{}{}
}

func removeFrom(m map[string]map[string]struct{}, k, id string) {
	if set := m[k]; set != nil {
		delete(set, id)
		if len(set) == 0 {
			delete(m, k)
		}
	}
}

// timerTouch marks s for reindexing: something its timers depend on changed
// that is not in its Record.
func (e *Engine) timerTouch(s *session) {
	e.scale.init()
	e.scale.marked[s.rec.ID] = struct{}{}
	e.scale.last = s.rec.ID
}

// noteInput marks the session an input is addressed to (its room or an
// occupant), and returns it: presence in the room, which its timers depend
// on, changes only through such inputs.
func (e *Engine) noteInput(in Input) *session {
	s := e.target(in)
	if s != nil {
		e.timerTouch(s)
	}
	return s
}

// reindexChanged brings every index up to date with the sessions changed
// since the last call (the marked ones).
func (e *Engine) reindexChanged() {
	e.scale.init()
	switch x := &e.scale; len(x.marked) {
	case 0:
		return
	case 1:
		if _, ok := x.marked[x.last]; ok { // one input's session: no need to iterate
			e.reindex(x.last)
			delete(x.marked, x.last)
			return
		}
	}
	for id := range e.scale.marked {
		e.reindex(id)
	}
	clear(e.scale.marked)
}

// reindex brings the indexes up to date with session id (gone if not live).
func (e *Engine) reindex(id string) {
	x := &e.scale
	old, had := x.known[id]
	s := e.byID[id]
	if s == nil {
		if had {
			x.states[old.state]--
			removeFrom(x.byOwner, old.owner, id)
			removeFrom(x.byConn, old.conn, id)
			delete(x.known, id)
			delete(x.missed, id)
			x.ids.Delete(id)
			e.recheckAgent(old.owner)
		}
		x.timers.remove(id)
		e.reindexPeople(id, nil)
		return
	}
	now := indexed{state: s.rec.State, owner: s.rec.Owner, s: s, peopleVer: s.peopleVer}
	if len(s.rec.VisitorJIDs) > 0 {
		now.conn = s.rec.VisitorJIDs[0]
	}
	if !had || old.s != s || old.peopleVer != s.peopleVer {
		e.reindexPeople(id, s) // its people changed (cow.go's setters count the writes)
	}
	if !had || old != now {
		x.known[id] = now
	}
	if !had {
		x.ids.ReplaceOrInsert(id)
	}
	if !had || old.where() != now.where() {
		if had {
			x.states[old.state]--
			removeFrom(x.byOwner, old.owner, id)
			removeFrom(x.byConn, old.conn, id)
		}
		x.states[now.state]++
		if now.state == StateMissed {
			x.missed[id] = struct{}{}
		} else {
			delete(x.missed, id)
		}
		addTo(x.byOwner, now.owner, id)
		addTo(x.byConn, now.conn, id)
		if had && old.owner != now.owner {
			e.recheckAgent(old.owner)
		}
	}
	if at, ok := e.wake(s); ok {
		x.timers.set(id, at)
	} else {
		x.timers.remove(id)
	}
}

// reindexPeople keeps byPerson: the people of s (nil: gone), every bare
// JID that is an agent of it (any role), invited to it or offered it.
func (e *Engine) reindexPeople(id string, s *session) {
	x := &e.scale
	old := x.people[id]
	if s != nil && samePeople(old, s) || s == nil && len(old) == 0 {
		return // the common case (a line in the room): nothing to build
	}
	var now []string
	if s != nil {
		now = peopleOf(s)
	}
	for _, a := range old {
		removeFrom(x.byPerson, a, id)
	}
	for _, a := range now {
		addTo(x.byPerson, a, id)
	}
	if len(now) == 0 {
		delete(x.people, id)
	} else {
		x.people[id] = now
	}
}

// peopleOf lists the people of s, sorted, each once.
func peopleOf(s *session) []string {
	now := make([]string, 0, len(s.agents)+len(s.invited)+len(s.offered))
	for a := range s.agents {
		now = append(now, a)
	}
	for a := range s.invited {
		now = append(now, a)
	}
	for a := range s.offered {
		now = append(now, a)
	}
	slices.Sort(now)
	return slices.Compact(now)
}

// samePeople reports whether old (sorted) holds exactly the people of s,
// without building that list.
func samePeople(old []string, s *session) bool {
	n := 0
	in := func(a string) bool {
		_, found := slices.BinarySearch(old, a)
		return found
	}
	for a := range s.agents {
		if !in(a) {
			return false
		}
		n++
	}
	for a := range s.invited {
		if _, dup := s.agents[a]; !dup {
			if !in(a) {
				return false
			}
			n++
		}
	}
	for a := range s.offered {
		_, dupA := s.agents[a]
		_, dupI := s.invited[a]
		if !dupA && !dupI {
			if !in(a) {
				return false
			}
			n++
		}
	}
	return n == len(old)
}

// where is what the indexes by state, owner and connection hold.
func (i indexed) where() indexed { return indexed{state: i.state, owner: i.owner, conn: i.conn} }

// linkedTo returns the live sessions bare may be an agent of, invited to or
// offered (check s.agents, s.invited, s.offered).
func (e *Engine) linkedTo(bare string) []*session {
	e.scale.init()
	return e.candidates(e.scale.byPerson[bare])
}

// missedNow returns the live sessions that may be missed (check the state).
func (e *Engine) missedNow() []*session {
	e.scale.init()
	return e.candidates(e.scale.missed)
}

// candidates returns the live sessions that are in set or changed since
// their last reindex, sorted by id; the caller checks each against what it
// looks for.
func (e *Engine) candidates(set map[string]struct{}) []*session {
	out := make([]*session, 0, len(set))
	for id := range set {
		if s := e.byID[id]; s != nil {
			out = append(out, s)
		}
	}
	for id := range e.scale.marked {
		if _, in := set[id]; in {
			continue
		}
		if s := e.byID[id]; s != nil {
			out = append(out, s)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].rec.ID < out[j].rec.ID })
	return out
}

// ownedBy returns the live sessions whose owner may be bare (check s.rec.Owner).
func (e *Engine) ownedBy(bare string) []*session {
	e.scale.init()
	return e.candidates(e.scale.byOwner[bare])
}

// ofConn returns the live sessions whose first visitor JID may be conn (check it).
func (e *Engine) ofConn(conn string) []*session {
	e.scale.init()
	return e.candidates(e.scale.byConn[conn])
}

// countStates adds the number of live sessions per state to into.
func (e *Engine) countStates(into map[State]int) {
	e.scale.init()
	for st, n := range e.scale.states {
		if n != 0 {
			into[st] += n
		}
	}
}

// presize makes the maps of an engine that holds no session yet ready for n
// (a restore): a map grown one entry at a time rehashes all along the way.
func (e *Engine) presize(n int) {
	if len(e.byID) > 0 || n < 1024 {
		return
	}
	e.byID = make(map[string]*session, n)
	e.byToken = make(map[string][]string, n)
	x := &e.scale
	x.init()
	if len(x.known) == 0 {
		x.known = make(map[string]indexed, n)
		x.byConn = make(map[string]map[string]struct{}, n)
		x.byPerson = make(map[string]map[string]struct{}, n)
		x.people = make(map[string][]string, n)
		x.timers.pos = make(map[string]int, n)
		x.timers.items = make([]timerItem, 0, n)
	}
}

// indexRestored indexes the sessions Restore rebuilt and the agents it
// marked offline.
func (e *Engine) indexRestored(snap *Snapshot) {
	e.scale.init()
	for _, rec := range snap.Sessions {
		e.reindex(rec.ID)
	}
	for a := range e.offline {
		e.scheduleAgent(a)
	}
}

// isStaffFold reports whether fold is the folded localpart of a permission
// holder (the index behind staffNick, rebuilt after a reload).
func (e *Engine) isStaffFold(fold string) bool {
	if e.scale.staff == nil {
		e.scale.staff = make(map[string]bool, len(e.perms))
		for bare := range e.perms {
			if j, err := jid.Parse(bare); err == nil && j.Localpart() != "" {
				e.scale.staff[FoldNick(j.Localpart())] = true
			}
		}
	}
	return e.scale.staff[fold]
}
