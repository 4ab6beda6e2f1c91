package muc

import (
	"reflect"
	"testing"
)

// A checkpoint copies the occupants on the first write after it is taken,
// not before: a line in the room copies nothing; a join, a presence change,
// a leave or the destruction copies them once, and Rollback puts them back.
func TestCheckpointCopiesOnFirstWrite(t *testing.T) {
	for _, tc := range []struct {
		name  string
		write func(r *Room)
	}{
		{"join", func(r *Room) { join(t, r, agentDesk, "Agent", agentE) }},
		{"presence", func(r *Room) { r.SetPresence(visTab1, PresenceInfo{Show: "away"}) }},
		{"resync", func(r *Room) { r.Resync(visTab1, PresenceInfo{Show: "xa"}, NoHistoryLimit, t0) }},
		{"leave", func(r *Room) { r.Leave(visTab1, "bye") }},
		{"destroy", func(r *Room) { r.Destroy("closed") }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := NewRoom(roomJID, 10)
			join(t, r, visTab1, "Visitor", visitorE)
			before, hist := r.Occupants(), r.History()

			var c Checkpoint
			r.CheckpointInto(&c)
			if _, err := r.Send(visTab1, "m1", Line{Body: "hello"}); err != nil {
				t.Fatal(err)
			}
			if c.Saved() {
				t.Fatalf("a line copied the occupants")
			}
			tc.write(r)
			if !c.Saved() {
				t.Fatalf("%s did not copy the occupants before writing them", tc.name)
			}
			if reflect.DeepEqual(r.Occupants(), before) && !r.Destroyed() {
				t.Fatalf("%s changed nothing", tc.name)
			}
			r.Rollback(&c)
			if got := r.Occupants(); !reflect.DeepEqual(got, before) || r.Destroyed() {
				t.Errorf("after rollback: %+v (destroyed %v), want %+v", got, r.Destroyed(), before)
			}
			if got := r.History(); !reflect.DeepEqual(got, hist) {
				t.Errorf("history after rollback: %d lines, want %d", len(got), len(hist))
			}
		})
	}
}

// Released, a room no longer copies into the checkpoint: the next input's
// checkpoint may be another room's.
func TestReleasedRoomCopiesNothing(t *testing.T) {
	r := NewRoom(roomJID, 10)
	var c Checkpoint
	r.CheckpointInto(&c)
	r.Release(&c)
	join(t, r, visTab1, "Visitor", visitorE)
	if c.Saved() {
		t.Errorf("a released room copied its occupants")
	}
}
