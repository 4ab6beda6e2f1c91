// Restore: rebuilding the engine from a snapshot, and reloading one session.

package sessions

import (
	"encoding/hex"
	"time"

	"github.com/parley-chat/parley/muc"
	"mellium.im/xmpp/jid"
)

// Restore rebuilds the engine from a snapshot after a start; now is the time of
// the start. Occupants are gone (clients rejoin); agents are offline until they
// send presence, so their sessions' grace counts from now.
func (e *Engine) Restore(now time.Time, snap *Snapshot) {
	e.reload(&Reload{Permissions: snap.Permissions, Queues: e.queues})
	e.presize(len(snap.Sessions))
	agents := make(map[string][]SessionAgent)
	for _, a := range snap.Agents {
		agents[a.Session] = append(agents[a.Session], a)
	}
	for _, rec := range snap.Sessions {
		addr, err := parseJID(rec.ID + "@" + e.cfg.Domain.Domainpart())
		if err != nil {
			continue
		}
		s := &session{rec: cloneRecord(rec), room: newRoom(addr, e.cfg.HistoryLimit),
			agents: make(map[string]AgentRole), offered: make(map[string]bool), invited: make(map[string]bool),
			lastSeq: snap.LastSeq[rec.ID]}
		s.reserveNick(e.visitorNickOf(s), "visitor")
		s.room.SetSubject(e.subjectOf(s))
		for _, a := range agents[rec.ID] {
			s.agents[a.JID] = a.Role
			s.reserveAgent(a.JID)
		}
		if rec.Owner != "" {
			s.agents[rec.Owner] = RoleOwner // the record is authoritative over the first role seen
		}
		for a, role := range s.agents {
			if role == RoleOwner && a != rec.Owner {
				s.agents[a] = RolePrevious
			}
		}
		lines := make([]muc.Line, 0, len(snap.History[rec.ID]))
		for _, h := range snap.History[rec.ID] {
			lines = append(lines, muc.Line{Nick: h.Nick, At: h.At, Body: h.Body, Payload: h.Payload, Element: h.Element,
				StanzaID: itoa64(h.Seq), AgentsOnly: h.Kind == KindComment})
		}
		s.room.LoadHistory(lines)
		s.restoreOrigins(snap.History[rec.ID])
		switch rec.State {
		case StateQueued:
			e.router.Enqueue(rec.ID, rec.Queue, rec.CreatedAt) //nolint:errcheck // restore ignores the limit
			s.visitorGone = now
			e.restoreQueued(s, now)
		case StateActive:
			e.router.Occupy(rec.Owner, rec.ID)
			e.offline[rec.Owner] = now
			s.visitorGone = now
		case StateSuspended:
			if rec.Owner != "" {
				e.offline[rec.Owner] = now // until it signs in again
			}
		}
		e.byID[rec.ID] = s
		if len(rec.TokenHash) > 0 {
			k := hex.EncodeToString(rec.TokenHash)
			e.byToken[k] = append(e.byToken[k], rec.ID)
		}
	}
	e.indexRestored(snap)
}

func parseJID(s string) (jid.JID, error) { return jid.Parse(s) }

func (e *Engine) reload(r *Reload) {
	e.perms = r.Permissions
	e.scale.staff = nil
	if e.perms == nil {
		e.perms = make(map[string]map[string]bool)
	}
	e.queues = r.Queues
	for _, s := range e.byID {
		for _, o := range s.room.Occupants() {
			if o.Person == "visitor" {
				continue
			}
			if _, ok := e.entry(s, o.JIDs[0]); !ok {
				e.sendMUC(s.room.Remove(o.Person, "Your permission for this chat was revoked"))
			}
		}
	}
	for _, a := range e.router.Agents() {
		if !e.has(a.JID, PermChat) {
			for _, o := range e.router.Forget(a.JID) {
				e.obs.Offer("cancelled")
				_ = o
			}
			delete(e.resource, a.JID)
			continue
		}
		e.router.SetQueues(a.JID, e.queues[a.JID])
	}
}
