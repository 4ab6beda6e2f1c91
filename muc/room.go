package muc

import (
	"math"
	"sort"
	"time"

	"mellium.im/xmpp/jid"
)

// Occupant is a nick in the room with the full JIDs present under it.
type Occupant struct {
	Nick        string
	Person      string
	Affiliation Affiliation
	Role        Role
	JIDs        []jid.JID // in order of joining
	Presence    PresenceInfo
}

func (o *Occupant) clone() Occupant {
	c := *o
	c.JIDs = append([]jid.JID(nil), o.JIDs...)
	return c
}

// Room is one session room.
type Room struct {
	addr         jid.JID
	subject      string
	historyLimit int
	occupants    map[string]*Occupant // by nick
	byJID        map[string]string    // full JID -> nick
	history      []Line
	destroyed    bool
	fold         func(string) string // the key nicks are compared under (nick.go)
	cp           *Checkpoint         // checkpoint.go: armed, the first write to the occupants copies them
}

// NewRoom makes an empty room at addr (a bare JID) keeping at most
// historyLimit lines of history.
func NewRoom(addr jid.JID, historyLimit int) *Room {
	return &Room{
		addr:         addr.Bare(),
		historyLimit: historyLimit,
		occupants:    make(map[string]*Occupant),
		byJID:        make(map[string]string),
	}
}

// Addr is the room's bare JID.
func (r *Room) Addr() jid.JID { return r.addr }

// SetSubject changes the subject without telling anyone (used at creation).
func (r *Room) SetSubject(s string) { r.subject = s }

// Subject returns the current subject.
func (r *Room) Subject() string { return r.subject }

// Destroyed reports whether Destroy was called.
func (r *Room) Destroyed() bool { return r.destroyed }

func (r *Room) occupantJID(nick string) jid.JID {
	j, err := r.addr.WithResource(nick)
	if err != nil {
		return r.addr
	}
	return j
}

// Occupants returns copies of the occupants sorted by nick.
func (r *Room) Occupants() []Occupant {
	out := make([]Occupant, 0, len(r.occupants))
	for _, o := range r.occupants {
		out = append(out, o.clone())
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Nick < out[j].Nick })
	return out
}

// Lookup returns the occupant a full JID is present as.
func (r *Room) Lookup(full jid.JID) (Occupant, bool) {
	nick, ok := r.byJID[full.String()]
	if !ok {
		return Occupant{}, false
	}
	return r.occupants[nick].clone(), true
}

// ByNick returns the occupant with that nick.
func (r *Room) ByNick(nick string) (Occupant, bool) {
	o, ok := r.occupants[nick]
	if !ok {
		return Occupant{}, false
	}
	return o.clone(), true
}

// Present reports whether some JID of person is in the room.
func (r *Room) Present(person string) bool {
	for _, o := range r.occupants {
		if o.Person == person {
			return true
		}
	}
	return false
}

// Empty reports whether nobody is in the room.
func (r *Room) Empty() bool { return len(r.occupants) == 0 }

// History returns a copy of the history window.
func (r *Room) History() []Line { return append([]Line(nil), r.window()...) }

// window is the history the room shows: the last historyLimit lines kept.
func (r *Room) window() []Line {
	if r.historyLimit >= 0 && len(r.history) > r.historyLimit {
		return r.history[len(r.history)-r.historyLimit:]
	}
	return r.history
}

// LoadHistory replaces the history window (used when rebuilding after a restart).
func (r *Room) LoadHistory(lines []Line) {
	r.history = append([]Line(nil), lines...)
	r.trim()
}

func (r *Room) trim() {
	// Compact only when the slice holds twice the window (and at least 64
	// lines more): an amortised copy, not one per message.
	if r.historyLimit >= 0 && len(r.history) > 2*r.historyLimit+64 {
		r.history = append([]Line(nil), r.window()...)
	}
}

// itemFor is o's item as seen by a recipient: moderators see real JIDs
// (a semi-anonymous room), everyone sees their own.
func itemFor(o *Occupant, full jid.JID, viewer *Occupant, self bool) Item {
	it := Item{Affiliation: o.Affiliation, Role: o.Role}
	if self || (viewer != nil && viewer.Role == RoleModerator) {
		it.JID = full
	}
	return it
}

// Join adds full as nick with what e grants, or updates its presence when it
// is already there under that nick. It returns, in order: the presences of the
// others to the joiner, the joiner's presence to everyone, the history, and
// the subject.
func (r *Room) Join(full jid.JID, nick string, e Entry, p PresenceInfo, h HistoryRequest, now time.Time) ([]Stanza, error) {
	if r.destroyed {
		return nil, Errorf(Cancel, ItemNotFound, "the room no longer exists")
	}
	if nick == "" {
		return nil, Errorf(Modify, JIDMalformed, "a nick is required")
	}
	// The nick must be a resourcepart as is: otherwise the occupant's stanzas
	// would come from the bare room JID (occupantJID's fallback) or two nicks
	// would share one occupant JID after normalization.
	if oj, err := r.addr.WithResource(nick); err != nil || oj.Resourcepart() != nick {
		return nil, Errorf(Modify, JIDMalformed, "the nick is not a valid resourcepart")
	}
	if r.isServiceNick(nick) {
		return nil, Errorf(Cancel, Conflict, "the nick %s belongs to the service", ServiceNick)
	}
	key := full.String()
	if cur, ok := r.byJID[key]; ok {
		if cur != nick {
			return nil, Errorf(Cancel, NotAcceptable, "nick changes are not supported in chat sessions")
		}
		r.keep()
		o := r.occupants[cur]
		o.Presence = p
		return r.broadcastPresence(o, full, "", false), nil
	}
	o, exists := r.occupants[nick]
	if exists && o.Person != e.Person || !exists && r.NickTaken(nick, e.Person) {
		return nil, Errorf(Cancel, Conflict, "that nick is in use")
	}
	var out []Stanza
	r.keep()
	if !exists {
		o = &Occupant{Nick: nick, Person: e.Person, Affiliation: e.Affiliation, Role: e.Role}
		r.occupants[nick] = o
	}
	o.JIDs = append(o.JIDs, full)
	o.Presence = p
	r.byJID[key] = nick

	// The others' presence to the joiner.
	for _, other := range r.sortedOccupants() {
		if other == o {
			continue
		}
		out = append(out, &Presence{
			From: r.occupantJID(other.Nick), To: full,
			Show: other.Presence.Show, Status: other.Presence.Status,
			Item: itemFor(other, other.JIDs[0], o, false),
		})
	}
	// The joiner's presence to everyone, itself last with 110.
	out = append(out, r.broadcastPresence(o, full, "", true)...)
	out = append(out, r.historyFor(o, full, h, now)...)
	subj := r.subject
	out = append(out, &Message{From: r.addr, To: full, Type: "groupchat", Subject: &subj})
	return out, nil
}

func (r *Room) sortedOccupants() []*Occupant {
	out := make([]*Occupant, 0, len(r.occupants))
	for _, o := range r.occupants {
		out = append(out, o)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Nick < out[j].Nick })
	return out
}

// broadcastPresence sends o's presence (typ "" or "unavailable") to every JID
// in the room, the JID `self` last with status 110 (and 170 when entering:
// XEP-0045 puts 170 in the initial presence only).
func (r *Room) broadcastPresence(o *Occupant, self jid.JID, typ string, entering bool) []Stanza {
	var out []Stanza
	var own *Presence
	from := r.occupantJID(o.Nick)
	for _, viewer := range r.sortedOccupants() {
		for _, to := range viewer.JIDs {
			isSelf := to.Equal(self)
			p := &Presence{From: from, To: to, Type: typ, Item: itemFor(o, self, viewer, isSelf)}
			if typ == "" {
				p.Show, p.Status = o.Presence.Show, o.Presence.Status
			}
			if isSelf {
				p.Codes = []int{StatusSelf}
				if entering && typ == "" {
					p.Codes = append(p.Codes, StatusLogged)
				}
				own = p
				continue
			}
			out = append(out, p)
		}
	}
	if own != nil {
		out = append(out, own)
	}
	return out
}

func (r *Room) historyFor(o *Occupant, to jid.JID, h HistoryRequest, now time.Time) []Stanza {
	if h.MaxStanzas == 0 || h.MaxChars == 0 {
		return nil
	}
	var lines []Line
	for _, l := range r.window() {
		if l.AgentsOnly && o.Role != RoleModerator {
			continue
		}
		// Seconds past what a Duration holds (about 292 years) would overflow:
		// they limit nothing.
		if h.Seconds >= 0 && int64(h.Seconds) <= math.MaxInt64/int64(time.Second) &&
			l.At.Before(now.Add(-time.Duration(h.Seconds)*time.Second)) {
			continue
		}
		if !h.Since.IsZero() && !l.At.After(h.Since) {
			continue
		}
		lines = append(lines, l)
	}
	if h.MaxStanzas > 0 && len(lines) > h.MaxStanzas {
		lines = lines[len(lines)-h.MaxStanzas:]
	}
	if h.MaxChars > 0 {
		// Keep the newest lines whose approximate stanza size fits.
		total, cut := 0, len(lines)
		for i := len(lines) - 1; i >= 0; i-- {
			total += approxSize(lines[i])
			if total > h.MaxChars {
				break
			}
			cut = i
		}
		lines = lines[cut:]
	}
	out := make([]Stanza, 0, len(lines))
	for _, l := range lines {
		from := r.addr
		if l.Nick != "" {
			from = r.occupantJID(l.Nick)
		}
		out = append(out, &Message{From: from, To: to, Type: "groupchat", Body: l.Body, Payload: l.Payload, Element: l.Element, Delay: l.At, StanzaID: l.StanzaID})
	}
	return out
}

// approxSize estimates the characters of a history stanza for maxchars.
func approxSize(l Line) int {
	n := 160 + len(l.Nick) + len(l.Body) + len(l.Payload)
	if l.Element != nil {
		n += elementSize
	}
	return n
}

// elementSize estimates the characters of a line's own element (an event
// with its attributes), which the room holds typed and does not render.
const elementSize = 120

// SetPresence updates the presence of a JID that is in the room and tells everyone.
func (r *Room) SetPresence(full jid.JID, p PresenceInfo) []Stanza {
	o := r.present(full, p)
	if o == nil {
		return nil
	}
	return r.broadcastPresence(o, full, "", false)
}

// present records p as the presence of full, if it is in the room, and
// returns its occupant (nil: not in the room).
func (r *Room) present(full jid.JID, p PresenceInfo) *Occupant {
	nick, ok := r.byJID[full.String()]
	if !ok {
		return nil
	}
	r.keep()
	o := r.occupants[nick]
	o.Presence = p
	return o
}

// Leave removes full from the room. When other JIDs remain under its nick only
// full is told it left; when it was the last, everyone is. lastOfNick reports
// that the nick left the room.
func (r *Room) Leave(full jid.JID, status string) (out []Stanza, was Occupant, lastOfNick bool) {
	key := full.String()
	nick, ok := r.byJID[key]
	if !ok {
		return nil, Occupant{}, false
	}
	r.keep()
	o := r.occupants[nick]
	delete(r.byJID, key)
	for i, j := range o.JIDs {
		if j.String() == key {
			o.JIDs = append(o.JIDs[:i:i], o.JIDs[i+1:]...)
			break
		}
	}
	self := &Presence{From: r.occupantJID(nick), To: full, Type: "unavailable", Status: status,
		Item: Item{Affiliation: o.Affiliation, Role: RoleNone, JID: full}, Codes: []int{StatusSelf}}
	if len(o.JIDs) > 0 {
		return []Stanza{self}, o.clone(), false
	}
	delete(r.occupants, nick)
	for _, viewer := range r.sortedOccupants() {
		for _, to := range viewer.JIDs {
			it := Item{Affiliation: o.Affiliation, Role: RoleNone}
			if viewer.Role == RoleModerator {
				it.JID = full
			}
			out = append(out, &Presence{From: r.occupantJID(nick), To: to, Type: "unavailable", Status: status, Item: it})
		}
	}
	out = append(out, self)
	c := o.clone()
	c.JIDs = []jid.JID{full}
	return out, c, true
}

// Send broadcasts a groupchat message from an occupant and records it in the
// history. Non-occupants get not-acceptable; occupants without voice forbidden.
func (r *Room) Send(from jid.JID, id string, l Line) ([]Stanza, error) {
	nick, ok := r.byJID[from.String()]
	if !ok {
		return nil, ErrNotOccupant()
	}
	o := r.occupants[nick]
	if o.Role < RoleParticipant {
		return nil, Errorf(Auth, Forbidden, "you may not speak in this chat session")
	}
	l.Nick = nick
	return r.deliver(id, l), nil
}

// Announce broadcasts a message from the room itself and records it.
func (r *Room) Announce(l Line) []Stanza {
	l.Nick = ""
	return r.deliver("", l)
}

// ServiceNick is the nick the service speaks under in every room. System
// lines come from room@service/ServiceNick because common clients
// (Converse.js) drop groupchat messages that carry no nick; no occupant may
// take it.
const ServiceNick = "Parley"

// AnnounceAsService broadcasts a line from the service's nick and records it.
func (r *Room) AnnounceAsService(l Line) []Stanza {
	l.Nick = ServiceNick
	return r.deliver("", l)
}

// Record adds a line to the history without sending it to anyone (a message
// kept while nobody who may see it is present).
func (r *Room) Record(l Line) {
	r.history = append(r.history, l)
	r.trim()
}

func (r *Room) deliver(id string, l Line) []Stanza {
	r.Record(l)
	from := r.addr
	if l.Nick != "" {
		from = r.occupantJID(l.Nick)
	}
	// The sender's own copies (the reflection, XEP-0045 7.4) go last: the
	// server routes a component's stanzas one after the other in the order
	// they come, so each copy before the reflection reaches its occupant one
	// stanza's routing sooner (docs/benchmarks.md, "-timeline").
	var out []Stanza
	var sender *Occupant
	add := func(viewer *Occupant) {
		for _, to := range viewer.JIDs {
			out = append(out, &Message{From: from, To: to, Type: "groupchat", ID: id, Body: l.Body, Payload: l.Payload, Element: l.Element, StanzaID: l.StanzaID})
		}
	}
	for _, viewer := range r.sortedOccupants() {
		switch {
		case l.AgentsOnly && viewer.Role != RoleModerator:
		case l.Nick != "" && viewer.Nick == l.Nick:
			sender = viewer
		default:
			add(viewer)
		}
	}
	if sender != nil {
		add(sender)
	}
	return out
}

// SelfPing answers XEP-0410: nil when full is joined as nick.
func (r *Room) SelfPing(full jid.JID, nick string) error {
	if cur, ok := r.byJID[full.String()]; ok && cur == nick {
		return nil
	}
	return errNotJoined()
}

// Destroy removes every occupant, telling each JID the room is gone (XEP-0045
// 10.9), and refuses later joins.
func (r *Room) Destroy(reason string) []Stanza {
	var out []Stanza
	for _, o := range r.sortedOccupants() {
		for _, to := range o.JIDs {
			out = append(out, &Presence{From: r.occupantJID(o.Nick), To: to, Type: "unavailable",
				Item: Item{Affiliation: AffNone, Role: RoleNone}, Codes: []int{StatusSelf},
				Destroyed: true, DestroyReason: reason})
		}
	}
	r.keep()
	r.occupants = make(map[string]*Occupant)
	r.byJID = make(map[string]string)
	r.destroyed = true
	return out
}

// Remove takes every JID of a person out of the room (a transfer or revoked
// permission), telling everyone as a kick would (status 307 is not used: the
// reason is in the status text).
func (r *Room) Remove(person, status string) []Stanza {
	var out []Stanza
	for _, o := range r.sortedOccupants() {
		if o.Person != person {
			continue
		}
		for _, j := range append([]jid.JID(nil), o.JIDs...) {
			s, _, _ := r.Leave(j, status)
			out = append(out, s...)
		}
	}
	return out
}
