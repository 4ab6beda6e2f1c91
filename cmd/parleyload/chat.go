package main

import (
	"sync"
	"sync/atomic"
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
