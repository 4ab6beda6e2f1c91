package sessions

import (
	"testing"
	"time"
)

func figuresIn(out Output, to string) []*QueueFigures {
	var fs []*QueueFigures
	for _, o := range out.Out {
		if f, ok := o.(*QueueFigures); ok && f.To.String() == to {
			fs = append(fs, f)
		}
	}
	return fs
}

func waitingIn(f *QueueFigures, queue string) int {
	for _, q := range f.Queues {
		if q.Name == queue {
			return q.Waiting
		}
	}
	return -1
}

// A supervisor's <workspace/> subscribes its resource: a change of the
// figures is pushed once, nothing while nothing changes, nothing after the
// subscription expires or the resource went unavailable, nothing to agents.
func TestQueueFiguresPushed(t *testing.T) {
	w := newWorld(t)
	w.grant(bareOf(sue), PermSupervise)
	w.signIn(alice)
	w.workspaceOf(alice) // an agent's workspace subscribes nothing
	w.workspaceOf(sue)
	if fs := figuresIn(w.presence(alice, "", "dnd", 0), sue); len(fs) != 1 || fs[0].Agents[0].Show.String() != "dnd" {
		t.Fatalf("after alice's dnd, pushed %+v", fs)
	}
	w.advance(QueuePushEvery)

	_, _, out := w.newChat("b1@guest.example.com/w", "waiting")
	fs := figuresIn(out, sue)
	if len(fs) != 1 || waitingIn(fs[0], "support") != 1 || fs[0].From.String() != service {
		t.Fatalf("after a visitor arrived, pushed %+v", fs[0])
	}
	if len(fs[0].Agents) != 1 || fs[0].Agents[0].JID != bareOf(alice) {
		t.Errorf("agents pushed %+v", fs[0].Agents)
	}
	for _, o := range out.Out {
		if f, ok := o.(*QueueFigures); ok && f.To.String() != sue {
			t.Errorf("pushed to %s", f.To)
		}
	}
	w.advance(5 * time.Second)
	if fs := figuresIn(w.step(Tick{}), sue); len(fs) != 0 {
		t.Errorf("pushed with no change: %+v", fs)
	}
	_, _, out = w.newChat("b2@guest.example.com/w", "waiting too")
	if fs := figuresIn(out, sue); len(fs) != 1 || waitingIn(fs[0], "support") != 2 || !fs[0].Queues[0].HasWaiting {
		t.Fatalf("second visitor: %+v", fs)
	}

	// Two changes within QueuePushEvery of a push: the first waits, and one
	// push a second after the last carries both (the figures of that moment).
	w.advance(QueuePushEvery)
	w.newChat("b5@guest.example.com/w", "fifth") // pushed: a second since the last
	if _, _, out = w.newChat("b6@guest.example.com/w", "sixth"); len(figuresIn(out, sue)) != 0 {
		t.Fatal("pushed twice within QueuePushEvery")
	}
	w.advance(QueuePushEvery / 2)
	if fs := figuresIn(w.step(Tick{}), sue); len(fs) != 0 {
		t.Fatalf("pushed %v after half of QueuePushEvery", fs)
	}
	w.advance(QueuePushEvery / 2)
	if fs := figuresIn(w.step(Tick{}), sue); len(fs) != 1 || waitingIn(fs[0], "support") != 4 {
		t.Fatalf("a second after the last push, pushed %+v; want one with 4 waiting", fs)
	}
	if fs := figuresIn(w.step(Tick{}), sue); len(fs) != 0 {
		t.Fatalf("pushed again with no change: %+v", fs)
	}

	// Expired: no more pushes.
	w.advance(QueueWatchTTL)
	if _, _, out = w.newChat("b3@guest.example.com/w", "third"); len(figuresIn(out, sue)) != 0 {
		t.Error("pushed after the subscription expired")
	}
	// Subscribed again, then unavailable: no more pushes.
	w.workspaceOf(sue)
	w.presence(sue, "unavailable", "", 0)
	if _, _, out = w.newChat("b4@guest.example.com/w", "fourth"); len(figuresIn(out, sue)) != 0 {
		t.Error("pushed after the resource went unavailable")
	}
}

// A push lists at most Config.WorkspaceAgents agents, as a workspace lists
// colleagues (those able to take a chat first), and counts the rest: each
// push goes to every subscriber, and one over the stanza limit would be left
// out, the queues' figures with it.
func TestQueueFiguresPushBounded(t *testing.T) {
	w := newWorld(t, func(c *Config) { c.WorkspaceAgents = 1 })
	w.signIn(alice)
	w.signIn(bob)
	w.presence(bob, "", "dnd", 0)
	w.workspaceOf(sue)
	w.advance(QueuePushEvery)
	_, _, out := w.newChat("b1@guest.example.com/w", "waiting")
	fs := figuresIn(out, sue)
	if len(fs) != 1 || len(fs[0].Agents) != 1 || fs[0].Agents[0].JID != bareOf(alice) || fs[0].UnlistedAgents != 1 {
		t.Fatalf("pushed %+v: want alice (available) listed and bob (busy) counted", fs)
	}
}
