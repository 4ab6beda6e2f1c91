package muc

import (
	"maps"
	"slices"
)

// Checkpoint is a room's state at one moment, to roll back to when the
// handling of an input fails half-way (sessions/isolate.go). One Checkpoint
// is reused input after input: taking one allocates nothing once its maps
// have grown.
//
// The occupants are copied lazily: CheckpointInto arms the room, and the
// first write to its occupants after that (a join, a leave, a presence
// change) copies them into the checkpoint before it changes anything. An
// input that writes no occupant (a groupchat line) copies nothing.
type Checkpoint struct {
	subject   string
	occupants map[string]Occupant
	byJID     map[string]string
	history   []Line // history only grows or is replaced: the slice header is enough
	destroyed bool
	saved     bool // occupants and byJID hold the room's before the first write
}

// CheckpointInto records the room's state in c and arms the room: until
// Release or Rollback, its first write to the occupants copies them into c.
func (r *Room) CheckpointInto(c *Checkpoint) {
	c.subject, c.history, c.destroyed, c.saved = r.subject, r.history, r.destroyed, false
	r.cp = c
}

// keep is called before every write to the occupants (or the JIDs under
// them): the first one after CheckpointInto copies them. An occupant's JIDs
// are only appended to or replaced, never changed in place, so the copy
// shares them.
func (r *Room) keep() {
	c := r.cp
	if c == nil || c.saved {
		return
	}
	c.saved = true
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

// Release disarms the room: the input c was taken for is done.
func (r *Room) Release(c *Checkpoint) {
	if r.cp == c {
		r.cp = nil
	}
}

// Rollback puts the room back as it was at c and disarms it; c is spent.
func (r *Room) Rollback(c *Checkpoint) {
	r.Release(c)
	r.subject, r.history, r.destroyed = c.subject, c.history, c.destroyed
	if !c.saved {
		return // no occupant was written
	}
	r.occupants = make(map[string]*Occupant, len(c.occupants))
	for k, o := range c.occupants {
		o := o
		o.JIDs = slices.Clone(o.JIDs)
		r.occupants[k] = &o
	}
	r.byJID, c.byJID, c.occupants, c.saved = c.byJID, nil, nil, false
}

// Saved reports whether the input c was taken for wrote the occupants (and
// so c holds a copy of them).
func (c *Checkpoint) Saved() bool { return c.saved }
