package wire

import (
	"encoding/xml"
	"strings"

	"github.com/parley-chat/parley/muc"
	"github.com/parley-chat/parley/routing"
	"github.com/parley-chat/parley/sessions"
	"mellium.im/xmlstream"
)

// This file is the one place where the domain's typed values become Parley's
// elements: the gateway renders what occupants receive with it, the store
// renders what the transcript keeps with it, so both are the same bytes. The
// package depends on the domain for these values only; it never reaches the
// connection or the database.

// EventOf is the <event/> of a domain event.
func EventOf(ev *sessions.Event) Event {
	w := Event{Type: ev.Type, By: ev.By, State: string(ev.State), Position: ev.Position, Agent: ev.Agent,
		Cause: ev.Cause, Wait: -1}
	if ev.Type == "queued" {
		w.Wait = ev.Wait // only a queued event says how long; -1 stays out
	}
	return w
}

// SessionOf is the <session/> of a domain answer.
func SessionOf(s *sessions.SessionAnswer) Session {
	return Session{ID: s.ID, Room: s.Room.String(), State: string(s.State), Token: s.Token,
		SuspendedBy: string(s.SuspendedBy), Cause: s.Cause, Started: s.Started, Replaces: s.Replaces, Nick: s.Nick,
		Reconnected: s.Reconnected}
}

// RoomElement renders a room line's own element; nil for nil or a value it
// does not know.
func RoomElement(el muc.Element) xml.TokenReader {
	switch v := el.(type) {
	case *sessions.Event:
		return EventOf(v).TokenReader()
	case *sessions.CannedMark:
		return Canned{ID: v.ID}.TokenReader()
	case *sessions.CommentMark:
		return Comment{}.TokenReader()
	}
	return nil
}

// Payload renders the typed payloads of Parley's own elements a stanza may
// carry; nil for the others (disco, commands: the gateway's).
func Payload(p sessions.Payload) xml.TokenReader {
	switch v := p.(type) {
	case *sessions.SessionAnswer:
		return SessionOf(v).TokenReader()
	case *sessions.Resumable:
		return Resumable{Mode: v.Mode, Session: SessionOf(&v.Session)}.TokenReader()
	case *sessions.CannedList:
		c := Canned{Items: make([]CannedItem, 0, len(v.Items))}
		for _, it := range v.Items {
			c.Items = append(c.Items, CannedItem{ID: it.ID, Title: it.Title, Text: it.Body})
		}
		return c.TokenReader()
	case *sessions.Reconnected:
		return Reconnected{Session: v.Session, State: string(v.State)}.TokenReader()
	}
	return nil
}

// String renders tokens as XML text ("" for nil).
func String(r xml.TokenReader) string {
	if r == nil {
		return ""
	}
	var b strings.Builder
	e := xml.NewEncoder(&b)
	if _, err := xmlstream.Copy(e, r); err != nil {
		return ""
	}
	if err := e.Flush(); err != nil {
		return ""
	}
	return b.String()
}

// TranscriptPayload is the stored payload of a transcript entry: what the
// occupants received after the body, the relayed extensions then the
// service's own element.
func TranscriptPayload(e sessions.Entry) string {
	return e.Payload + String(RoomElement(e.Element))
}

// AgentOf is an agent's figures as the router knows them.
func AgentOf(a routing.AgentInfo) Agent {
	return Agent{JID: a.JID, Show: a.Show.String(), Load: a.Load, Capacity: a.Capacity, Pending: a.Pending}
}

func agentsOf(as []routing.AgentInfo) []Agent {
	out := make([]Agent, 0, len(as))
	for _, a := range as {
		out = append(out, AgentOf(a))
	}
	return out
}

func queueFiguresFrom(qs []sessions.WorkspaceQueue) []QueueFigures {
	out := make([]QueueFigures, 0, len(qs))
	for _, q := range qs {
		f := QueueFigures{Name: q.Name, Waiting: q.Waiting, Agents: q.Agents, Free: q.Free, Oldest: -1}
		if q.HasWaiting {
			f.Oldest = int(q.Oldest.Seconds())
		}
		out = append(out, f)
	}
	return out
}

// WorkspaceOf is the <workspace/> of a domain answer.
func WorkspaceOf(v *sessions.Workspace) Workspace {
	w := Workspace{Me: AgentOf(v.Me), Causes: v.Causes, Agents: agentsOf(v.Agents), Queues: queueFiguresFrom(v.Queues),
		Sessions: make([]WorkspaceSession, 0, len(v.Sessions)), Unlisted: v.Unlisted, UnlistedAgents: v.UnlistedAgents}
	for _, s := range v.Sessions {
		w.Sessions = append(w.Sessions, WorkspaceSession{ID: s.ID, Room: s.Room.String(), State: string(s.State),
			Role: string(s.Role), Queue: s.Queue, Started: s.Started, SuspendedBy: string(s.SuspendedBy), Cause: s.Cause,
			Reconnected: s.Reconnected, Question: s.Question,
			Visitor: Visitor{Name: s.Visitor["name"], Email: s.Visitor["email"], Page: s.Visitor["page"]}})
	}
	return w
}

// QueuesOf is the <queues/> of a push of queue figures.
func QueuesOf(v *sessions.QueueFigures) Queues {
	return Queues{Queues: queueFiguresFrom(v.Queues), Agents: agentsOf(v.Agents), UnlistedAgents: v.UnlistedAgents}
}

// AvailabilityOf is the answer <availability/> of the domain's queues. How
// many agents there are is the business's own: a visitor learns only whether
// one can answer.
func AvailabilityOf(v *sessions.Availability) Availability {
	a := Availability{Queues: make([]QueueStatus, 0, len(v.Queues))}
	for _, q := range v.Queues {
		s := QueueStatus{Name: q.Queue, Status: q.Status.String(), Waiting: q.Waiting, Full: q.Full, Wait: -1}
		if q.WaitKnown {
			s.Wait = int(q.Wait.Seconds())
		}
		a.Queues = append(a.Queues, s)
	}
	return a
}
