// Message dedup by origin-id.

package sessions

import (
	"github.com/parley-chat/parley/muc"
)

// At most once per (session, sender, origin-id) (docs/protocol.md, Messages
// sent exactly once): a client marks each message with a XEP-0359
// <origin-id/> and sends it again, with the same origin-id, when it saw no
// reflection (after a reconnect, an error of type wait, or silence). The
// first one is kept and delivered; a repeat is neither kept nor delivered to
// anyone else, and its sender gets the original reflection back (same
// stanza-id), so its "sending" clears. The sender is the visitor (all of its
// JIDs, i.e. its token) or an agent's bare JID. The engine remembers the
// origin-ids of the lines it holds in memory (restored from the transcript's
// last lines after a restart); the store's unique index keeps the rule for
// anything older.

// maxOriginID bounds an origin-id; a longer one is not used for dedup.
const maxOriginID = 128

type originKey struct {
	sender string // "visitor" or an agent's bare JID
	id     string
}

// originSender is who a message counts as for dedup.
func originSender(occ muc.Occupant) string {
	if occ.Person == "visitor" {
		return "visitor"
	}
	return occ.Person
}

// repeated answers a message whose origin-id s already kept: the sender gets
// the original reflection again. It reports whether m was a repeat.
func (e *Engine) repeated(s *session, m *Message, occ muc.Occupant) bool {
	if m.OriginID == "" || len(m.OriginID) > maxOriginID {
		return false
	}
	seq, ok := s.seenOrigin[originKey{originSender(occ), m.OriginID}]
	if !ok {
		return false
	}
	sid := itoa64(seq)
	l := muc.Line{Nick: occ.Nick, Body: m.Body, Payload: m.Payload, StanzaID: sid}
	for _, h := range s.room.History() {
		if h.StanzaID == sid {
			l = h
			break
		}
	}
	from := s.room.Addr()
	if l.Nick != "" {
		if j, err := s.room.Addr().WithResource(l.Nick); err == nil {
			from = j
		}
	}
	e.send(&muc.Message{From: from, To: m.From, Type: "groupchat", ID: m.ID, Body: l.Body, Payload: l.Payload, StanzaID: l.StanzaID})
	e.obs.Request("duplicate_message")
	return true
}

// keepOrigin remembers that the entry just added for m (the last of the
// batch) carries its origin-id, and marks the entry so the store can refuse
// a second one.
func (e *Engine) keepOrigin(s *session, m *Message, occ muc.Occupant) {
	if m.OriginID == "" || len(m.OriginID) > maxOriginID {
		return
	}
	k := originKey{originSender(occ), m.OriginID}
	if s.seenOrigin == nil {
		s.seenOrigin = make(map[originKey]int64)
	}
	s.seenOrigin[k] = s.lastSeq
	e.journal.origins = append(e.journal.origins, originEntry{s, k})
	t := e.out.Batch.Transcript
	if n := len(t); n > 0 && t[n-1].Seq == s.lastSeq && t[n-1].Session == s.rec.ID {
		t[n-1].OriginID, t[n-1].OriginSender = k.id, k.sender
	}
}

// restoreOrigins rebuilds what keepOrigin remembered from restored entries.
func (s *session) restoreOrigins(entries []Entry) {
	for _, h := range entries {
		if h.OriginID == "" {
			continue
		}
		if s.seenOrigin == nil {
			s.seenOrigin = make(map[originKey]int64)
		}
		s.seenOrigin[originKey{h.OriginSender, h.OriginID}] = h.Seq
	}
}
