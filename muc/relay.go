package muc

import (
	"time"

	"mellium.im/xmpp/jid"
)

// Relay passes a message that carries no content to keep (a XEP-0085 chat
// state) from an occupant to every other JID in the room, without recording
// it. Non-occupants get not-acceptable.
func (r *Room) Relay(from jid.JID, id, payload string) ([]Stanza, error) {
	nick, ok := r.byJID[from.String()]
	if !ok {
		return nil, ErrNotOccupant()
	}
	var out []Stanza
	for _, viewer := range r.sortedOccupants() {
		for _, to := range viewer.JIDs {
			if to.Equal(from) {
				continue
			}
			out = append(out, &Message{From: r.occupantJID(nick), To: to, Type: "groupchat", ID: id, Payload: payload})
		}
	}
	return out, nil
}

// Resync replays a join to a JID that is already in the room (a client that
// lost its state and joins again, XEP-0045 7.2 / XEP-0410): the others'
// presence, its own with 110, the history it asks for and the subject, to it
// alone. Nobody else is told anything.
func (r *Room) Resync(full jid.JID, p PresenceInfo, h HistoryRequest, now time.Time) []Stanza {
	o := r.present(full, p)
	if o == nil {
		return nil
	}
	var out []Stanza
	for _, other := range r.sortedOccupants() {
		if other == o {
			continue
		}
		out = append(out, &Presence{From: r.occupantJID(other.Nick), To: full,
			Show: other.Presence.Show, Status: other.Presence.Status, Item: itemFor(other, other.JIDs[0], o, false)})
	}
	out = append(out, &Presence{From: r.occupantJID(o.Nick), To: full, Show: p.Show, Status: p.Status,
		Item: itemFor(o, full, o, true), Codes: []int{StatusSelf, StatusLogged}})
	out = append(out, r.historyFor(o, full, h, now)...)
	subj := r.subject
	return append(out, &Message{From: r.addr, To: full, Type: "groupchat", Subject: &subj})
}

// SendAs broadcasts and records a message from nick whether or not that nick
// is in the room (an agent acting on a session from outside it).
func (r *Room) SendAs(nick, id string, l Line) []Stanza {
	l.Nick = nick
	return r.deliver(id, l)
}
