package muc

import "mellium.im/xmpp/jid"

// Relay passes a message that carries no content to keep (a XEP-0085 chat
// state) from an occupant to every other JID in the room, without recording
// it. Non-occupants get not-acceptable.
func (r *Room) Relay(from jid.JID, id, payload string) ([]Stanza, error) {
	nick, ok := r.byJID[from.String()]
	if !ok {
		return nil, Errorf("modify", "not-acceptable", "you are not in this chat session")
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
