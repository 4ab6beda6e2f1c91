// Service discovery surface (XEP-0030): features, visible rooms, the visitor details form.

package sessions

import (
	"slices"
	"sort"
	"strings"

	"github.com/parley-chat/parley/muc"
)

// Features of the service (PROTOCOL 10) and of rooms.
var (
	ServiceFeatures = []string{
		"http://jabber.org/protocol/disco#info", "http://jabber.org/protocol/disco#items",
		muc.NS, NS, "http://jabber.org/protocol/commands", "urn:xmpp:mam:2",
		"urn:xmpp:ping", "jabber:iq:version",
		"http://jabber.org/protocol/rsm", // disco#items of the service is paged (XEP-0059)
	}
	roomFeatures = []string{
		"http://jabber.org/protocol/disco#info", muc.NS, "muc_membersonly", "muc_hidden",
		"muc_semianonymous", "muc_unmoderated", "muc_temporary", "urn:xmpp:mam:2",
		"urn:xmpp:sid:0", NS, NSCommands,
	}
)

// serviceDiscoInfo answers disco#info to the service: one identity, the
// service's features, no nodes.
func (e *Engine) serviceDiscoInfo(q *IQ, c *DiscoInfoCmd) {
	if c.Node != "" {
		e.replyErr(q, errNoNode())
		return
	}
	e.reply(q, &DiscoInfo{Identity: Identity{"conference", "text", "Parley chat sessions"}, Features: ServiceFeatures})
}

// serviceDiscoItems answers disco#items to the service: the rooms the asker
// may know of, or on the commands node its ad-hoc commands.
func (e *Engine) serviceDiscoItems(q *IQ, c *DiscoItemsCmd) {
	switch c.Node {
	case "":
		ids, page := e.knownPage(q.fromBare(), c.Page)
		e.reply(q, &DiscoItems{Items: e.rooms(ids), Page: page})
	case NSCommands:
		e.reply(q, e.serviceCommandItems(q.fromBare()))
	default:
		e.replyErr(q, errNoNode())
	}
}

// roomDiscoInfo answers disco#info to a room for one who may see it: the
// room's identity and features, the visitor's details for all but the
// visitor, or on node x-roomuser-item the asker's reserved nick.
func (e *Engine) roomDiscoInfo(s *session, q *IQ, c *DiscoInfoCmd, who actor, visitor bool) {
	if !e.canSee(s, q.From, who) {
		e.replyErr(q, errNoSession())
		return
	}
	if c.Node == "x-roomuser-item" {
		// XEP-0045 7.12: the asker's reserved nick, which clients join
		// with (Converse.js would otherwise take the room's name).
		e.send(&ReservedNick{From: q.To, To: q.From, ID: q.ID, Nick: e.reservedNick(s, q.From, visitor)})
		return
	}
	info := &DiscoInfo{Node: c.Node, Identity: Identity{"conference", "text", s.room.Subject()}, Features: roomFeatures}
	if who != actorVisitor {
		info.Form = resultForm(NS+"#visitor", e.visitorFields(s))
	}
	e.reply(q, info)
}

// roomDiscoItems answers disco#items to a room for one who may see it: no
// items (occupants are not listed), or on the commands node the room
// commands the asker may run.
func (e *Engine) roomDiscoItems(s *session, q *IQ, c *DiscoItemsCmd, who actor) {
	if !e.canSee(s, q.From, who) {
		e.replyErr(q, errNoSession())
		return
	}
	if c.Node == NSCommands {
		e.reply(q, commandItems(s.room.Addr(), e.roomCommandsFor(s, q.From), who))
		return
	}
	e.reply(q, &DiscoItems{})
}

// mayKnow is the rule of who learns that a live session exists from the
// service (PROTOCOL 1; docs/protocol.md "Visibility agrees with joins"): a
// supervisor; a chat holder who is an agent of it (owner, conference or
// previous owner), invited to it, or offered it while it waits; an agent who
// may take it while it is missed. disco#items of the service and the ad-hoc
// command sessions both list by it, so that an agent in a plain client finds
// every room it may join by either.
func (e *Engine) mayKnow(s *session, bare string) bool {
	if e.has(bare, PermSupervise) || e.mayTake(s, bare) {
		return true
	}
	return e.has(bare, PermChat) && (s.agents[bare] != "" || s.invited[bare]) || e.offeredTo(s, bare)
}

// knownSessions are the ids of the live sessions bare may know of, sorted,
// found without going through every session: anyone may ask, as often as
// the rate limit lets it, and at 100k live sessions a scan took 57 ms of the
// engine each time. Each clause of mayKnow needs the chat or the supervise
// permission, so one with neither (a visitor, a stranger) knows of none.
// An agent knows of the sessions it is one of the people of (agent,
// invited, offered: index.go's byPerson) and of missed ones, each checked
// against the rule. A supervisor knows of them all: its pages come from the
// index of live ids (knownPage); the scan here is the rule's whole list.
func (e *Engine) knownSessions(bare string) []string {
	switch {
	case e.has(bare, PermSupervise):
		return e.scanKnown(bare)
	case !e.has(bare, PermChat):
		return []string{}
	}
	ids := make([]string, 0)
	for _, list := range [][]*session{e.linkedTo(bare), e.missedNow()} {
		for _, s := range list {
			if e.mayKnow(s, bare) {
				ids = append(ids, s.rec.ID)
			}
		}
	}
	sort.Strings(ids)
	return slices.Compact(ids) // a missed session bare is one of the people of is in both lists
}

// scanKnown is knownSessions by a scan of every live session (mayKnow on
// each): the rule itself, which the indexes must agree with.
func (e *Engine) scanKnown(bare string) []string {
	ids := make([]string, 0)
	for id, s := range e.byID {
		if e.mayKnow(s, bare) {
			ids = append(ids, id)
		}
	}
	sort.Strings(ids)
	return ids
}

// ServicePageMax is the most rooms one answer of the service lists
// (disco#items, the sessions command). A supervisor sees every live
// session: at 2,000 of them the whole list is about 200 KB in one stanza as
// disco#items and 600 KB as the sessions command's form, over Prosody's
// component_stanza_size_limit (512 KB), on which Prosody closes the
// component's stream. Longer lists are paged (XEP-0059).
const ServicePageMax = 100

// knownPage is the page p asks for of the sessions bare may know of
// (mayKnow), and what the answer says of it (pageOf). A supervisor knows
// them all: its page comes from the index of live ids (index.go) without
// going through every session, so that paging through 100k of them does not
// hold the engine for each page.
func (e *Engine) knownPage(bare string, p Page) ([]string, *PageAnswer) {
	if !e.has(bare, PermSupervise) {
		return pageOf(e.knownSessions(bare), p)
	}
	e.scale.init()
	limit := pageLimit(p)
	ids := make([]string, 0, min(limit, e.scale.ids.Len()))
	if limit > 0 {
		e.scale.ids.AscendGreaterOrEqual(p.After, func(id string) bool {
			if id != p.After {
				ids = append(ids, id)
			}
			return len(ids) < limit
		})
	}
	return ids, pageAnswer(ids, e.scale.ids.Len(), p)
}

// pageOf is the page p asks for of ids (sorted): at most pageLimit(p) of
// them, after p.After; and what the answer says of it (pageAnswer).
func pageOf(ids []string, p Page) ([]string, *PageAnswer) {
	all := len(ids)
	if p.After != "" {
		i, found := slices.BinarySearch(ids, p.After)
		if found {
			i++
		}
		ids = ids[i:]
	}
	if limit := pageLimit(p); len(ids) > limit {
		ids = ids[:limit]
	}
	return ids, pageAnswer(ids, all, p)
}

// pageLimit is the most items a page p may hold: ServicePageMax, fewer when
// p asks for fewer, none when it asks for the count only.
func pageLimit(p Page) int {
	switch {
	case p.CountOnly:
		return 0
	case p.Max > 0 && p.Max < ServicePageMax:
		return p.Max
	}
	return ServicePageMax
}

// pageAnswer says which page ids are, of a list of all: nil when p asked
// for no page and ids are the whole list.
func pageAnswer(ids []string, all int, p Page) *PageAnswer {
	if !p.Asked && p.After == "" && len(ids) == all {
		return nil
	}
	a := &PageAnswer{Count: all}
	if len(ids) > 0 {
		a.First, a.Last = ids[0], ids[len(ids)-1]
	}
	return a
}

// rooms are the disco items of the sessions with these ids.
func (e *Engine) rooms(ids []string) []DiscoItem {
	items := make([]DiscoItem, 0, len(ids))
	for _, id := range ids {
		s := e.byID[id]
		items = append(items, DiscoItem{JID: s.room.Addr(), Name: s.room.Subject()})
	}
	return items
}

func (e *Engine) visitorFields(s *session) map[string]string {
	f := make(map[string]string, len(s.rec.Visitor)+4)
	for k, v := range s.rec.Visitor {
		f[k] = v
	}
	f["question"] = s.rec.Question
	f["session"] = s.rec.ID
	f["state"] = string(s.rec.State)
	f["queue"] = s.rec.Queue
	return f
}

// resultForm is a XEP-0004 result form with a FORM_TYPE and text fields in
// key order.
func resultForm(formType string, fields map[string]string) *Form {
	f := &Form{Type: "result", Fields: []Field{{Var: "FORM_TYPE", Type: "hidden", Values: []string{formType}}}}
	keys := make([]string, 0, len(fields))
	for k := range fields {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		f.Fields = append(f.Fields, Field{Var: k, Type: "text-single", Label: fieldLabel(k), Values: []string{fields[k]}})
	}
	return f
}

// fieldLabel is the human label of a visitor form field.
func fieldLabel(k string) string {
	switch k {
	case "name":
		return "Name"
	case "email":
		return "E-mail"
	case "page":
		return "Page"
	case "referrer":
		return "Referrer"
	case "language":
		return "Language"
	case "user-agent":
		return "Browser"
	case "question":
		return "Question"
	case "session":
		return "Session"
	case "state":
		return "State"
	case "queue":
		return "Queue"
	}
	if k == "" {
		return k
	}
	return strings.ToUpper(k[:1]) + strings.ReplaceAll(k[1:], "-", " ")
}
