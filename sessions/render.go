package sessions

import (
	"encoding/xml"
	"sort"
	"strconv"
	"strings"
	"time"
)

// NS is the namespace of Parley's own protocol elements.
const NS = "urn:parley:chat:0"

// el renders one element with attributes (pairs of name, value; empty values
// are left out) and inner XML (already rendered). The domain renders the few
// elements of its own protocol itself, so that the transcript keeps exactly
// what occupants received.
func el(name, ns string, attrs []string, inner string) string {
	var b strings.Builder
	b.WriteByte('<')
	b.WriteString(name)
	if ns != "" {
		b.WriteString(` xmlns="`)
		b.WriteString(ns)
		b.WriteByte('"')
	}
	for i := 0; i+1 < len(attrs); i += 2 {
		if attrs[i+1] == "" {
			continue
		}
		b.WriteByte(' ')
		b.WriteString(attrs[i])
		b.WriteString(`="`)
		xmlEscape(&b, attrs[i+1])
		b.WriteByte('"')
	}
	if inner == "" {
		b.WriteString("/>")
		return b.String()
	}
	b.WriteByte('>')
	b.WriteString(inner)
	b.WriteString("</")
	b.WriteString(name)
	b.WriteByte('>')
	return b.String()
}

// text renders escaped character data.
func text(s string) string {
	var b strings.Builder
	xmlEscape(&b, s)
	return b.String()
}

func xmlEscape(b *strings.Builder, s string) {
	_ = xml.EscapeText(b, []byte(s))
}

func stamp(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

func itoa(n int) string { return strconv.Itoa(n) }

// Event is a system event of a session (PROTOCOL 4).
type Event struct {
	Type     string // queued, assigned, suspended, resumed, reconnected, visitor-left, conference, transferred, closed, expired
	By       string // visitor, agent, system
	State    State
	Position int
	Agent    string // nick of the agent concerned
	Cause    string
	Wait     int // queued: estimated seconds still to wait; -1 unknown (0 is "any moment")
}

func (e Event) render() string {
	pos := ""
	if e.Position > 0 {
		pos = itoa(e.Position)
	}
	wait := ""
	if e.Type == "queued" && e.Wait >= 0 {
		wait = itoa(e.Wait)
	}
	return el("event", NS, []string{"type", e.Type, "by", e.By, "state", string(e.State), "position", pos, "wait", wait, "agent", e.Agent, "cause", e.Cause}, "")
}

// sessionEl renders <session/> as in a request's result.
func sessionEl(s *session, token string, ns, reconnect bool) string {
	n := ""
	if ns {
		n = NS
	}
	return el("session", n, []string{
		"id", s.rec.ID, "room", s.room.Addr().String(), "state", string(s.rec.State),
		"token", token, "suspended-by", s.rec.SuspendedBy, "cause", s.rec.SuspendCause,
		"started", stamp(s.rec.CreatedAt), "replaces", s.rec.Replaces, "nick", s.vnick,
		"reconnected", reconnected(reconnect),
	}, "")
}

func reconnected(b bool) string {
	if b {
		return "true"
	}
	return ""
}

// formEl renders a XEP-0004 result form with a FORM_TYPE and text fields in
// key order.
func formEl(formType string, fields map[string]string) string {
	var b strings.Builder
	b.WriteString(el("field", "", []string{"var", "FORM_TYPE", "type", "hidden"}, el("value", "", nil, text(formType))))
	keys := make([]string, 0, len(fields))
	for k := range fields {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		b.WriteString(el("field", "", []string{"var", k, "type", "text-single", "label", fieldLabel(k)}, el("value", "", nil, text(fields[k]))))
	}
	return el("x", "jabber:x:data", []string{"type", "result"}, b.String())
}
