package main

import (
	"context"
	"sync"
	"sync/atomic"
	"time"
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
