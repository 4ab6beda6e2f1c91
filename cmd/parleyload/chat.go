package main

import (
	"context"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	pxmpp "github.com/parley-chat/parley/xmpp"
)

// chat is one chat of a scenario: a visitor, an agent, two directions of
// messages; D is the scenario's record of one direction (direction for the
// modes, dayDirection for the day).
type chat[D any] struct {
	idx     int
	jid     string // bare room JID ("" in echo mode)
	sid     string // Parley's session id (the modes)
	visitor *client
	agent   atomic.Pointer[client]
	joined  chan struct{} // parley: closed when the agent has joined
	once    sync.Once
	dirs    [2]D
}

// sender is the client that sends direction d's messages.
func (c *chat[D]) sender(d int) *client {
	if d == fromVisitor {
		return c.visitor
	}
	return c.agent.Load()
}

// room is one chat of the loaded and unloaded modes.
type room = chat[direction]

// daySession is one chat of the day scenario.
type daySession = chat[dayDirection]

// mucEnter: the visitor creates the MUC room c.jid by joining it, then a
// joins it.
func (c *chat[D]) mucEnter(ctx context.Context, stall time.Duration, a *client) error {
	if err := c.visitor.joinRoom(ctx, stall, c.jid, "Visitor"); err != nil {
		return err
	}
	if err := a.joinRoom(ctx, stall, c.jid, "Agent"); err != nil {
		return err
	}
	c.agent.Store(a)
	return nil
}

// mucLeave: both leave; the server destroys the empty room.
func (c *chat[D]) mucLeave(ctx context.Context) error {
	if a := c.agent.Load(); a != nil {
		if err := a.sendXML(ctx, `<presence xmlns='jabber:client' type='unavailable' to='%s/Agent'/>`, xmlEscape(c.jid)); err != nil {
			return err
		}
	}
	return c.visitor.sendXML(ctx, `<presence xmlns='jabber:client' type='unavailable' to='%s/Visitor'/>`, xmlEscape(c.jid))
}

// parleyClose: the agent closes the session (the room is destroyed).
func (c *chat[D]) parleyClose(ctx context.Context, stall time.Duration) error {
	a := c.agent.Load()
	if a == nil || c.jid == "" {
		return nil
	}
	_, err := a.iq(ctx, stall, "set", c.jid, `<close xmlns='`+nsParley+`'/>`)
	return err
}

// takeOffer answers an offer that reached agent a, for the run whose
// visitors are named prefix followed by their chat's index: the agent joins
// the room of an offer for one of chats (once per chat; on a goroutine,
// since this runs on a's read loop) and declines any other, counting it in
// foreign.
func takeOffer[D any](a *client, el *pxmpp.Element, prefix string, chats []*chat[D], stall time.Duration,
	foreign *atomic.Int64, logf func(string, ...any)) {
	roomJID := el.Get("from")
	reason := ""
	if x := el.Child("http://jabber.org/protocol/muc#user", "x"); x != nil {
		if inv := x.Child("", "invite"); inv != nil {
			if r := inv.Child("", "reason"); r != nil {
				reason = r.Text
			}
		}
	}
	idx := -1
	if rest, ok := strings.CutPrefix(reason, prefix); ok {
		n := strings.IndexFunc(rest, func(r rune) bool { return r < '0' || r > '9' })
		if n < 0 {
			n = len(rest)
		}
		if i, err := strconv.Atoi(rest[:n]); err == nil && i >= 0 && i < len(chats) {
			idx = i
		}
	}
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), stall)
		defer cancel()
		if idx < 0 {
			foreign.Add(1)
			_ = a.sendXML(ctx, `<message xmlns='jabber:client' to='%s'><x xmlns='http://jabber.org/protocol/muc#user'><decline/></x></message>`, xmlEscape(roomJID))
			return
		}
		c := chats[idx]
		c.once.Do(func() {
			if err := a.joinRoom(ctx, stall, roomJID, "Agent"); err != nil {
				logf("parley: %v", err)
				return
			}
			c.agent.Store(a)
			close(c.joined)
		})
	}()
}
