// Package routing owns who may receive chat requests right now: agent
// availability and capacity, the waiting queues, offers and their timeouts, and
// the choice of agent (the one idle longest). It is pure: no goroutines, no I/O,
// no clock reads; every method that depends on time takes it as an argument.
package routing

import (
	"errors"
	"time"
)

// Show is an agent's availability, from XMPP presence <show/>.
type Show int

const (
	ShowOffline   Show = iota // no available resource
	ShowAvailable             // available with no <show/>
	ShowChat                  // <show>chat</show>
	ShowAway
	ShowXA
	ShowDND
)

// ErrQueueFull is returned by Enqueue when the queue holds Config.QueueLimit sessions.
var ErrQueueFull = errors.New("routing: queue full")

// ErrNoOffer is returned by Accept when the agent holds no offer for the session.
var ErrNoOffer = errors.New("routing: no offer")

// Config tunes the router.
//
// New replaces a DefaultCapacity <= 0 by 1 and an OfferTimeout <= 0 by
// DefaultOfferTimeout: a zero capacity would silently starve every agent that
// names none, and a zero timeout would re-offer the same session to the same
// agent at the very instant its offer expired, forever.
type Config struct {
	DefaultCapacity int           // chats per agent when presence names none
	OfferTimeout    time.Duration // how long an offer waits for a join
	QueueLimit      int           // sessions waiting per queue; 0 = unlimited
}

// DefaultOfferTimeout is used by New when Config.OfferTimeout is not positive.
const DefaultOfferTimeout = 30 * time.Second

// Offer is a session offered to one agent until Deadline.
type Offer struct {
	Session  string
	Agent    string
	Deadline time.Time
}

// Position is a waiting session's place in its queue, 1-based.
type Position struct {
	Session  string
	Queue    string
	Position int
}

// AgentInfo is a copy of what the router knows of an agent.
type AgentInfo struct {
	JID       string
	Show      Show
	Capacity  int
	Load      int      // sessions counted against capacity
	Pending   int      // outstanding offers
	Sessions  []string // sessions counted in Load, sorted
	IdleSince time.Time
	Queues    []string // nil or empty: serves every queue
}

// Result is what Dispatch decided.
type Result struct {
	Expired   []Offer    // offers whose deadline passed (the agent is skipped for that session for a while)
	Offers    []Offer    // new offers to send
	Positions []Position // waiting sessions whose position changed since the last report
}
