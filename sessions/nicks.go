// Nicks: reserved, assigned and folded nicks in rooms.

package sessions

import (
	"strconv"
	"strings"
	"unicode"

	"github.com/mtibben/confusables"
	"github.com/parley-chat/parley/muc"
	"golang.org/x/text/secure/precis"
	"mellium.im/xmpp/jid"
)

// Nicks of session rooms belong to the service (docs/protocol.md, Nicks):
//
//   - Two nicks are the same nick when they fold to the same key: the PRECIS
//     Nickname profile's comparison key (RFC 8266: width, spaces, case,
//     NFKC), then the
//     Unicode confusables skeleton (UTS #39), lower case, no spaces. So
//     "Agent1", "agentl", "аgent1" (Cyrillic a) and "agent 1" are one nick.
//   - The service's own nick (ServiceNick) and the localpart of every holder
//     of a permission are never a visitor's. A visitor whose name collides is
//     given "NAME (visitor)" as its nick in <session/>; a visitor's join under
//     such a nick, or under a nick reserved for an agent of the room, gets
//     <conflict/>.
//   - Agents' nicks are reserved per room from the moment they are offered
//     or invited (their localpart), and the nick they join under from then
//     on. An agent's join never fails on a nick: when the nick it asks for is
//     someone else's, the service gives it its reserved nick (or that nick
//     with a number) and says so with status 210 (XEP-0045 7.2.9).

// ServiceNick is the nick the service's system lines come from: nobody else
// may have it (nor anything that folds to it).
const ServiceNick = muc.ServiceNick

// visitorSuffix is added to a visitor's name that collides with a reserved nick.
const visitorSuffix = " (visitor)"

// FoldNick is the key under which nicks are compared.
func FoldNick(nick string) string {
	n, err := precis.Nickname.CompareKey(nick)
	if err != nil {
		n = strings.ToLower(nick)
	}
	n = strings.ToLower(confusables.Skeleton(n))
	return strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) || unicode.In(r, unicode.Cf) {
			return -1
		}
		return r
	}, n)
}

// newRoom is a session room comparing nicks under FoldNick (muc/nick.go has
// the rule).
func newRoom(addr jid.JID, historyLimit int) *muc.Room {
	r := muc.NewRoom(addr, historyLimit)
	r.SetNickFold(FoldNick)
	return r
}

// staffNick reports whether the folded nick belongs to the service or to a
// holder of a permission (by localpart).
func (e *Engine) staffNick(fold string) bool {
	if fold == FoldNick(ServiceNick) {
		return true
	}
	return e.isStaffFold(fold)
}

// assignVisitorNick is the nick a new session's visitor gets: its name, or
// "Visitor", with visitorSuffix when that is someone else's.
func (e *Engine) assignVisitorNick(name string) string {
	nick := strings.TrimSpace(name)
	if nick == "" {
		nick = "Visitor"
	}
	if e.staffNick(FoldNick(nick)) {
		nick += visitorSuffix
	}
	return nick
}

// visitorNickOf is the visitor's nick in s (assigned at creation or restore).
func (e *Engine) visitorNickOf(s *session) string {
	if s.vnick == "" {
		s.vnick = e.assignVisitorNick(s.rec.Visitor["name"])
	}
	return s.vnick
}

// reserveNick keeps nick for person (a bare JID, or "visitor") in s unless
// it is already someone's.
func (s *session) reserveNick(nick, person string) {
	k := FoldNick(nick)
	if k == "" {
		return
	}
	if _, taken := s.nicks[k]; !taken {
		s.setNick(k, person)
	}
}

// reserveAgent reserves an offered or invited agent's localpart in s.
func (s *session) reserveAgent(bare string) {
	if j, err := jid.Parse(bare); err == nil && j.Localpart() != "" {
		s.reserveNick(j.Localpart(), bare)
	}
}

// nickFree reports whether person may have nick in s: nobody else has it
// reserved nor is in the room under something that folds to it.
func (e *Engine) nickFree(s *session, nick, person string) bool {
	k := FoldNick(nick)
	if k == "" {
		return false
	}
	if owner, ok := s.nicks[k]; ok && owner != person {
		return false
	}
	if s.room.NickTaken(nick, person) {
		return false
	}
	if person == "visitor" && e.staffNick(k) && !strings.HasSuffix(nick, visitorSuffix) {
		return false
	}
	return true
}

// checkJoinNick decides the nick of a new occupant: the one asked for, or
// for an agent one the service gives it; ok is false for a visitor that
// must pick another (the error to answer).
func (e *Engine) checkJoinNick(s *session, asked string, ent muc.Entry) (nick string, assigned bool, err *muc.Error) {
	if cur, ok := e.presentNick(s, ent.Person); ok {
		// Another JID of someone already in the room shares its nick.
		if cur == asked {
			return asked, false, nil
		}
	}
	if ent.Person == "visitor" {
		if !e.nickFree(s, asked, "visitor") {
			return "", false, muc.Errorf(muc.Cancel, muc.Conflict, "that nick belongs to someone else in this chat; join as %s", e.visitorNickOf(s))
		}
		return asked, false, nil
	}
	if e.nickFree(s, asked, ent.Person) {
		return asked, false, nil
	}
	// An agent never gets a conflict: it is given its own nick.
	base := asked
	if j, err := jid.Parse(ent.Person); err == nil && j.Localpart() != "" {
		base = j.Localpart()
	}
	if cur, ok := e.presentNick(s, ent.Person); ok {
		base = cur
	}
	for i := 1; ; i++ {
		cand := base
		if i > 1 {
			cand = base + " " + strconv.Itoa(i)
		}
		if oj, err := s.room.Addr().WithResource(cand); err != nil || oj.Resourcepart() != cand {
			cand = "agent " + strconv.Itoa(i)
		}
		if e.nickFree(s, cand, ent.Person) {
			return cand, cand != asked, nil
		}
	}
}

// presentNick is the nick person is in the room under, if present.
func (e *Engine) presentNick(s *session, person string) (string, bool) {
	for _, o := range s.room.Occupants() {
		if o.Person == person {
			return o.Nick, true
		}
	}
	return "", false
}

// markAssigned adds status 210 to the joiner's own presence when the
// service changed its nick.
func markAssigned(st []muc.Stanza, to jid.JID) {
	for _, x := range st {
		if p, ok := x.(*muc.Presence); ok && p.To.Equal(to) {
			for _, c := range p.Codes {
				if c == muc.StatusSelf {
					p.Codes = append(p.Codes, muc.StatusNickAssigned)
					break
				}
			}
		}
	}
}

// subjectOf is the room's subject: who the chat is with, by the visitor's nick.
func (e *Engine) subjectOf(s *session) string {
	if strings.TrimSpace(s.rec.Visitor["name"]) == "" {
		return subjectFor(s.rec.Visitor)
	}
	return "Chat with " + e.visitorNickOf(s)
}
