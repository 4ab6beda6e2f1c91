package wire

import (
	"encoding/xml"
	"strconv"
	"time"

	"mellium.im/xmlstream"
)

// The elements of the agents' and supervisors' console and of the visitor's
// look at a queue before asking (docs/protocol.md "The agent's workspace",
// "Queue figures, pushed", "Waiting visitors"): <workspace/>, <queues/> and
// <availability/>. Their figures are always written, zeros included (a
// console reads load='0' as a figure, not as unknown); an optional figure is
// a negative number when it is left out.

// Agent is an agent's figures: <me/> (the asker) and <agent/> (a colleague)
// in <workspace/>, <agent/> in <queues/>.
type Agent struct {
	JID, Show               string
	Load, Capacity, Pending int
}

func (a Agent) tokens(local string) xml.TokenReader {
	return empty(start("", local, "jid", a.JID, "show", a.Show, "load", strconv.Itoa(a.Load),
		"capacity", strconv.Itoa(a.Capacity), "pending", strconv.Itoa(a.Pending)))
}

// colleague is an <agent/>.
func colleague(a Agent) xml.TokenReader { return a.tokens("agent") }

func agentOf(s xml.StartElement) Agent {
	return Agent{JID: attr(s, "jid"), Show: attr(s, "show"), Load: num(s, "load"), Capacity: num(s, "capacity"),
		Pending: num(s, "pending")}
}

// QueueFigures is a queue's <queue/> in <workspace/> and <queues/>.
type QueueFigures struct {
	Name                  string
	Waiting, Agents, Free int
	Oldest                int // seconds the longest waiter has waited; negative is left out (nobody waits)
}

func (q QueueFigures) tokens() xml.TokenReader {
	return empty(start("", "queue", "name", q.Name, "waiting", strconv.Itoa(q.Waiting), "agents", strconv.Itoa(q.Agents),
		"free", strconv.Itoa(q.Free), "oldest", optional(q.Oldest)))
}

func queueFiguresOf(s xml.StartElement) QueueFigures {
	return QueueFigures{Name: attr(s, "name"), Waiting: num(s, "waiting"), Agents: num(s, "agents"), Free: num(s, "free"),
		Oldest: optionalOf(s, "oldest")}
}

// Visitor is the <visitor/> of a session in <workspace/>: what the visitor
// told of itself.
type Visitor struct{ Name, Email, Page string }

// WorkspaceSession is a <session/> in <workspace/>. Its visitor is always
// written; its question when there is one.
type WorkspaceSession struct {
	ID, Room, State, Role, Queue string
	Started                      time.Time // always written
	SuspendedBy, Cause           string
	Reconnected                  bool
	Visitor                      Visitor
	Question                     string
}

func (s WorkspaceSession) tokens() xml.TokenReader {
	inner := []xml.TokenReader{empty(start("", "visitor", "name", s.Visitor.Name, "email", s.Visitor.Email,
		"page", s.Visitor.Page))}
	if s.Question != "" {
		inner = append(inner, xmlstream.Wrap(xmlstream.Token(xml.CharData(s.Question)), start("", "question")))
	}
	return xmlstream.Wrap(xmlstream.MultiReader(inner...), start("", "session", "id", s.ID, "room", s.Room,
		"state", s.State, "role", s.Role, "queue", s.Queue, "started", s.Started.UTC().Format(time.RFC3339),
		"suspended-by", s.SuspendedBy, "cause", s.Cause, "reconnected", boolAttr(s.Reconnected)))
}

func (s *WorkspaceSession) decode(d *xml.Decoder, st xml.StartElement) error {
	*s = WorkspaceSession{ID: attr(st, "id"), Room: attr(st, "room"), State: attr(st, "state"), Role: attr(st, "role"),
		Queue: attr(st, "queue"), SuspendedBy: attr(st, "suspended-by"), Cause: attr(st, "cause"),
		Reconnected: attr(st, "reconnected") == "true"}
	if v := attr(st, "started"); v != "" {
		t, err := time.Parse(time.RFC3339, v)
		if err != nil {
			return err
		}
		s.Started = t
	}
	return children(d, func(t xml.StartElement) error {
		switch t.Name.Local {
		case "visitor":
			s.Visitor = Visitor{Name: attr(t, "name"), Email: attr(t, "email"), Page: attr(t, "page")}
		case "question":
			var err error
			s.Question, err = text(d)
			return err
		}
		return d.Skip()
	})
}

// Workspace is the answer to <workspace/>: the asker (<me/>), its sessions,
// how many sessions and colleagues were not listed (<unlisted/>), the
// suspension causes, its colleagues (<agent/>) and, for supervisors, the
// queues, in that order.
type Workspace struct {
	Me       Agent
	Sessions []WorkspaceSession
	Unlisted int // sessions left out of the list: <unlisted sessions='N' agents='M'/> after the sessions when N or M > 0
	// UnlistedAgents is the colleagues online left out of the <agent/> list.
	UnlistedAgents int
	Causes         []string
	Agents         []Agent
	Queues         []QueueFigures
}

// TokenReader implements xmlstream.Marshaler.
func (w Workspace) TokenReader() xml.TokenReader {
	inner := []xml.TokenReader{w.Me.tokens("me")}
	inner = each(inner, w.Sessions, WorkspaceSession.tokens)
	if w.Unlisted > 0 || w.UnlistedAgents > 0 {
		inner = append(inner, empty(start("", "unlisted", "sessions", strconv.Itoa(w.Unlisted), "agents", strconv.Itoa(w.UnlistedAgents))))
	}
	inner = each(inner, w.Causes, func(c string) xml.TokenReader {
		return xmlstream.Wrap(xmlstream.Token(xml.CharData(c)), start("", "cause"))
	})
	inner = each(inner, w.Agents, colleague)
	inner = each(inner, w.Queues, QueueFigures.tokens)
	return xmlstream.Wrap(xmlstream.MultiReader(inner...), start(NS, "workspace"))
}

// MarshalXML implements xml.Marshaler.
func (w Workspace) MarshalXML(enc *xml.Encoder, _ xml.StartElement) error {
	return marshal(enc, w.TokenReader())
}

// UnmarshalXML implements xml.Unmarshaler.
func (w *Workspace) UnmarshalXML(d *xml.Decoder, _ xml.StartElement) error {
	*w = Workspace{}
	return children(d, func(t xml.StartElement) error {
		switch t.Name.Local {
		case "me":
			w.Me = agentOf(t)
		case "session":
			var s WorkspaceSession
			if err := s.decode(d, t); err != nil {
				return err
			}
			w.Sessions = append(w.Sessions, s)
			return nil
		case "unlisted":
			w.Unlisted, w.UnlistedAgents = num(t, "sessions"), num(t, "agents")
		case "cause":
			c, err := text(d)
			w.Causes = append(w.Causes, c)
			return err
		case "agent":
			w.Agents = append(w.Agents, agentOf(t))
		case "queue":
			w.Queues = append(w.Queues, queueFiguresOf(t))
		}
		return d.Skip()
	})
}

// Queues is <queues/>, the queue figures pushed to a supervisor: every
// queue, then every signed-in agent, as <workspace/> has them.
type Queues struct {
	Queues         []QueueFigures
	Agents         []Agent
	UnlistedAgents int // agents online left out: <unlisted agents='M'/> after them when M > 0
}

// TokenReader implements xmlstream.Marshaler.
func (q Queues) TokenReader() xml.TokenReader {
	inner := each(each(nil, q.Queues, QueueFigures.tokens), q.Agents, colleague)
	if q.UnlistedAgents > 0 {
		inner = append(inner, empty(start("", "unlisted", "agents", strconv.Itoa(q.UnlistedAgents))))
	}
	return xmlstream.Wrap(xmlstream.MultiReader(inner...), start(NS, "queues"))
}

// MarshalXML implements xml.Marshaler.
func (q Queues) MarshalXML(enc *xml.Encoder, _ xml.StartElement) error {
	return marshal(enc, q.TokenReader())
}

// UnmarshalXML implements xml.Unmarshaler: its children are read as those
// of a <workspace/>.
func (q *Queues) UnmarshalXML(d *xml.Decoder, s xml.StartElement) error {
	var w Workspace
	err := w.UnmarshalXML(d, s)
	*q = Queues{Queues: w.Queues, Agents: w.Agents, UnlistedAgents: w.UnlistedAgents}
	return err
}

// QueueStatus is a <queue/> in the answer to <availability/>: what a
// visitor may know of a queue (not how many agents there are).
type QueueStatus struct {
	Name, Status string // available, busy or away
	Waiting      int
	Full         bool
	Wait         int // estimated seconds; negative is left out (unknown)
}

// Availability is <availability/>: with Queue, the request about one queue
// (none: every queue); with Queues, the answer.
type Availability struct {
	Queue  string
	Queues []QueueStatus
}

// TokenReader implements xmlstream.Marshaler.
func (a Availability) TokenReader() xml.TokenReader {
	inner := each(nil, a.Queues, func(q QueueStatus) xml.TokenReader {
		return empty(start("", "queue", "name", q.Name, "status", q.Status, "waiting", strconv.Itoa(q.Waiting),
			"full", boolAttr(q.Full), "wait", optional(q.Wait)))
	})
	return xmlstream.Wrap(xmlstream.MultiReader(inner...), start(NS, "availability", "queue", a.Queue))
}

// MarshalXML implements xml.Marshaler.
func (a Availability) MarshalXML(enc *xml.Encoder, _ xml.StartElement) error {
	return marshal(enc, a.TokenReader())
}

// UnmarshalXML implements xml.Unmarshaler.
func (a *Availability) UnmarshalXML(d *xml.Decoder, s xml.StartElement) error {
	*a = Availability{Queue: attr(s, "queue")}
	return children(d, func(t xml.StartElement) error {
		if t.Name.Local == "queue" {
			a.Queues = append(a.Queues, QueueStatus{Name: attr(t, "name"), Status: attr(t, "status"),
				Waiting: num(t, "waiting"), Full: attr(t, "full") == "true", Wait: optionalOf(t, "wait")})
		}
		return d.Skip()
	})
}

// each appends f of every item to inner.
func each[T any](inner []xml.TokenReader, items []T, f func(T) xml.TokenReader) []xml.TokenReader {
	for _, it := range items {
		inner = append(inner, f(it))
	}
	return inner
}

// num reads a number attribute; absent or not a number is 0.
func num(s xml.StartElement, name string) int {
	n, _ := strconv.Atoi(attr(s, name))
	return n
}

// optional writes an optional figure: negative is left out, 0 is written.
func optional(n int) string {
	if n < 0 {
		return ""
	}
	return strconv.Itoa(n)
}

// optionalOf reads an optional figure: absent (or not a number) is -1.
func optionalOf(s xml.StartElement, name string) int {
	n, err := strconv.Atoi(attr(s, name))
	if err != nil {
		return -1
	}
	return n
}
