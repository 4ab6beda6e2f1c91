package muc

// The one rule of who may have a nick in a room: a nick is taken when it, or
// a nick that is the same under the room's fold, is the service's or belongs
// to an occupant who is someone else (another Person). Without a fold nicks
// are compared as they are (XEP-0045's exact match); package sessions sets
// its confusable-folding key (sessions.FoldNick), and uses NickTaken when it
// picks a nick, so that joining and picking follow this same rule.

// SetNickFold sets the key under which the room compares nicks.
func (r *Room) SetNickFold(fold func(string) string) { r.fold = fold }

func (r *Room) key(nick string) string {
	if r.fold == nil {
		return nick
	}
	return r.fold(nick)
}

func (r *Room) isServiceNick(nick string) bool {
	return nick == ServiceNick || r.key(nick) == r.key(ServiceNick)
}

// NickTaken reports whether person may not have nick in the room: it is the
// service's, or an occupant who is someone else has it or one the same under
// the fold.
func (r *Room) NickTaken(nick, person string) bool {
	if r.isServiceNick(nick) {
		return true
	}
	if o, ok := r.occupants[nick]; ok {
		return o.Person != person
	}
	if r.fold == nil {
		return false
	}
	k := r.key(nick)
	for _, o := range r.occupants {
		if o.Person != person && r.key(o.Nick) == k {
			return true
		}
	}
	return false
}
