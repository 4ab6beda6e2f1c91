package wire

import (
	"encoding/xml"
	"strings"

	"github.com/parley-chat/parley/muc"
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
