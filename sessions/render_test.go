package sessions

import (
	"encoding/xml"
	"slices"
	"strconv"
	"strings"
	"time"
)

// The tests' reading of the engine's typed payloads as the XML text the
// gateway sends, for the assertions written against payload text (attribute
// order and quoting as the gateway's encoder writes them). The real rendering
// is gateway/answers.go and package wire, checked by their golden tests; the
// newer assertions compare the typed values themselves.

// rawXML is a payload the tests build as text (invitations, read as the
// gateway sends them).
type rawXML string

func (rawXML) isPayload() {}

// el renders one element with attributes (pairs of name, value; empty values
// are left out) and inner XML (already rendered).
func el(name, ns string, attrs []string, inner string) string {
	var b strings.Builder
	b.WriteByte('<')
	b.WriteString(name)
	if ns != "" {
		b.WriteString(` xmlns="` + ns + `"`)
	}
	for i := 0; i+1 < len(attrs); i += 2 {
		if attrs[i+1] == "" {
			continue
		}
		b.WriteString(" " + attrs[i] + `="` + text(attrs[i+1]) + `"`)
	}
	if inner == "" {
		b.WriteString("/>")
		return b.String()
	}
	b.WriteString(">" + inner + "</" + name + ">")
	return b.String()
}

// text renders escaped character data.
func text(s string) string {
	var b strings.Builder
	_ = xml.EscapeText(&b, []byte(s))
	return b.String()
}

func stampOf(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

func sessionXML(s *SessionAnswer, ns string) string {
	rec := ""
	if s.Reconnected {
		rec = "true"
	}
	return el("session", ns, []string{"id", s.ID, "room", s.Room.String(), "state", string(s.State),
		"token", s.Token, "suspended-by", string(s.SuspendedBy), "cause", s.Cause, "started", stampOf(s.Started),
		"replaces", s.Replaces, "nick", s.Nick, "reconnected", rec}, "")
}

func formXML(f *Form) string {
	if f == nil {
		return ""
	}
	fields := func(fs []Field) string {
		var b strings.Builder
		for _, fl := range fs {
			var in strings.Builder
			for _, o := range fl.Options {
				in.WriteString(el("option", "", []string{"label", o.Label}, el("value", "", nil, text(o.Value))))
			}
			for _, v := range fl.Values {
				in.WriteString(el("value", "", nil, text(v)))
			}
			b.WriteString(el("field", "", []string{"var", fl.Var, "type", fl.Type, "label", fl.Label}, in.String()))
		}
		return b.String()
	}
	inner := ""
	if f.Title != "" {
		inner = el("title", "", nil, text(f.Title))
	}
	inner += fields(f.Fields)
	if len(f.Reported) > 0 {
		inner += el("reported", "", nil, fields(f.Reported))
	}
	for _, row := range f.Items {
		inner += el("item", "", nil, fields(row))
	}
	return el("x", "jabber:x:data", []string{"type", f.Type}, inner)
}

// xmlOf is a payload as text ("" for none).
func xmlOf(p Payload) string {
	switch v := p.(type) {
	case nil:
		return ""
	case rawXML:
		return string(v)
	case *SessionAnswer:
		return sessionXML(v, NS)
	case *Resumable:
		return el("resumable", NS, []string{"mode", v.Mode}, sessionXML(&v.Session, ""))
	case *CannedList:
		var b strings.Builder
		for _, c := range v.Items {
			b.WriteString(el("item", "", []string{"id", c.ID, "title", c.Title}, text(c.Body)))
		}
		return el("canned", NS, nil, b.String())
	case *Reconnected:
		return el("reconnected", NS, []string{"session", v.Session, "state", string(v.State)}, "")
	case *DiscoInfo:
		b := el("identity", "", []string{"category", v.Identity.Category, "type", v.Identity.Type, "name", v.Identity.Name}, "")
		for _, f := range v.Features {
			b += el("feature", "", []string{"var", f}, "")
		}
		return el("query", "http://jabber.org/protocol/disco#info", []string{"node", v.Node}, b+formXML(v.Form))
	case *DiscoItems:
		var b strings.Builder
		for _, it := range v.Items {
			b.WriteString(el("item", "", []string{"jid", it.JID.String(), "node", it.Node, "name", it.Name}, ""))
		}
		return el("query", "http://jabber.org/protocol/disco#items", []string{"node", v.Node}, b.String())
	case *CommandReply:
		inner := ""
		switch v.Status {
		case CmdExecuting:
			inner = el("actions", "", []string{"execute", "complete"}, el("complete", "", nil, "")) + formXML(v.Form)
		case CmdCompleted:
			inner = formXML(v.Form) + el("note", "", []string{"type", "info"}, text(v.Note))
		}
		return el("command", NSCommands, []string{"node", v.Node, "sessionid", v.SessionID, "status", v.Status}, inner)
	}
	return ""
}

// eventFrom reads a room line's element as an event.
func eventFrom(e any) (event, bool) {
	ev, ok := e.(*Event)
	if !ok || ev == nil {
		return event{}, false
	}
	pos := ""
	if ev.Position > 0 {
		pos = strconv.Itoa(ev.Position)
	}
	return event{Type: ev.Type, By: ev.By, State: string(ev.State), Cause: ev.Cause, Agent: ev.Agent, Position: pos}, true
}

// eventAttrs are an event's attributes as the wire carries them.
func eventAttrs(ev *Event) map[string]string {
	a := map[string]string{"type": ev.Type, "by": ev.By, "state": string(ev.State), "agent": ev.Agent, "cause": ev.Cause}
	if ev.Position > 0 {
		a["position"] = strconv.Itoa(ev.Position)
	}
	if ev.Type == "queued" && ev.Wait >= 0 {
		a["wait"] = strconv.Itoa(ev.Wait)
	}
	for k, v := range a {
		if v == "" {
			delete(a, k)
		}
	}
	return a
}

var _ = slices.Sort[[]string]
