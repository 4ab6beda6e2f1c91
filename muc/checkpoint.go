package muc

import (
	"maps"
	"slices"
)

// Checkpoint is a room's state at one moment, to roll back to when the
// handling of an input fails half-way (sessions/isolate.go). One Checkpoint
// is reused input after input: taking one allocates nothing once its maps
// have grown.
type Checkpoint struct {
	subject   string
	occupants map[string]Occupant
	byJID     map[string]string
	history   []Line // history only grows or is replaced: the slice header is enough
	destroyed bool
}

// CheckpointInto records the room's state in c. An occupant's JIDs are only
// appended to or replaced, never changed in place, so the copy shares them.
func (r *Room) CheckpointInto(c *Checkpoint) {
	c.subject, c.history, c.destroyed = r.subject, r.history, r.destroyed
	if c.occupants == nil {
		c.occupants = make(map[string]Occupant, len(r.occupants))
	}
	clear(c.occupants)
	for k, o := range r.occupants {
		c.occupants[k] = *o
	}
	if c.byJID == nil {
		c.byJID = make(map[string]string, len(r.byJID))
	}
	clear(c.byJID)
	maps.Copy(c.byJID, r.byJID)
}

// Rollback puts the room back as it was at c; c is spent.
func (r *Room) Rollback(c *Checkpoint) {
	r.subject, r.history, r.destroyed = c.subject, c.history, c.destroyed
	r.occupants = make(map[string]*Occupant, len(c.occupants))
	for k, o := range c.occupants {
		o := o
		o.JIDs = slices.Clone(o.JIDs)
		r.occupants[k] = &o
	}
	r.byJID, c.byJID, c.occupants = c.byJID, nil, nil
}
