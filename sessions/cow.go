// Copy-on-write for the per-input checkpoint: every write to a session's
// four maps goes through these setters (isolate.go).

package sessions

// The maps of a session, as checkpoint.saved indexes them.
const (
	mapAgents = iota
	mapOffered
	mapInvited
	mapNicks
	nMaps
)

var mapNames = [nMaps]string{"agents", "offered", "invited", "nicks"}

// keep is called before a write to map i of s. A write to the session's
// people (agents, offered, invited) moves peopleVer, on which index.go
// reindexes byPerson (a rollback of the write needs nothing more: the
// version moved already, and the reindex after the input reads the maps as
// they were put back). While an input addressed to s is handled (s.cp set),
// the first write copies the map into the checkpoint, so that a panic can
// put it back; outside an input (dispatch, restore, timers) nothing is
// copied.
func (s *session) keep(i int) {
	if i != mapNicks {
		s.peopleVer++
	}
	if c := s.cp; c != nil && !c.saved[i] {
		c.save(i)
	}
}

// wrote runs the test hook Config.faultAfterWrite after a write to map i.
func (s *session) wrote(i int) {
	if c := s.cp; c != nil && c.fault != nil {
		c.fault(mapNames[i])
	}
}

func (s *session) setAgent(bare string, role AgentRole) {
	s.keep(mapAgents)
	s.agents[bare] = role
	s.wrote(mapAgents)
}

func (s *session) setOffered(bare string) {
	s.keep(mapOffered)
	s.offered[bare] = true
	s.wrote(mapOffered)
}

func (s *session) unoffer(bare string) {
	s.keep(mapOffered)
	delete(s.offered, bare)
	s.wrote(mapOffered)
}

// voidOffers forgets every offer of s.
func (s *session) voidOffers() {
	s.keep(mapOffered)
	s.offered = make(map[string]bool)
	s.wrote(mapOffered)
}

func (s *session) setInvited(bare string) {
	s.keep(mapInvited)
	s.invited[bare] = true
	s.wrote(mapInvited)
}

func (s *session) setNick(fold, person string) {
	s.keep(mapNicks)
	if s.nicks == nil {
		s.nicks = make(map[string]string)
	}
	s.nicks[fold] = person
	s.wrote(mapNicks)
}
