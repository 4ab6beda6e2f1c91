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
	}
	roomFeatures = []string{
		"http://jabber.org/protocol/disco#info", muc.NS, "muc_membersonly", "muc_hidden",
		"muc_semianonymous", "muc_unmoderated", "muc_temporary", "urn:xmpp:mam:2",
		"urn:xmpp:sid:0", NS, NSCommands,
	}
)

// visibleRooms lists the rooms bare may know of: its own sessions, or all for
// a supervisor.
func (e *Engine) visibleRooms(bare string) []DiscoItem {
	sup := e.has(bare, PermSupervise)
	ids := make([]string, 0)
	for id, s := range e.byID {
		if sup || (e.has(bare, PermChat) && (s.agents[bare] != "" || s.invited[bare] || (s.offered[bare] && s.rec.State == StateQueued))) ||
			e.mayTake(s, bare) {
			ids = append(ids, id)
		}
	}
	sort.Strings(ids)
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
