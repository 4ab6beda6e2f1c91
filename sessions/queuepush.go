// Queue figures pushed to watching supervisors.

package sessions

import (
	"fmt"
	"slices"
	"time"

	"github.com/parley-chat/parley/routing"
	"mellium.im/xmpp/jid"
)

// Queue figures pushed to supervisors (docs/protocol.md "Queue figures,
// pushed"): a supervisor's <workspace/> request subscribes the resource
// that sent it for QueueWatchTTL; after every batch in which the figures
// changed, each subscribed resource gets them as a QueueFigures headline.
// Cheap: nothing is computed while nobody watches, nothing while the router
// did not change since the last figures (its Version; a permission reload
// touches every agent it knows, restore.go; a message, the common batch,
// changes nothing there: building the figures of 1,000 agents took 0.8 ms of
// the engine per message), and nothing is sent when nothing changed
// (the oldest wait, which grows every second, is sent along but is not
// itself a change).

// QueuePushEvery is the least time between two pushes. A busy service's
// figures change with nearly every batch (a load, a waiting count), and
// every push is one headline per subscribed resource listing every agent
// online: at 500 agents about 60 KB each, through the XMPP server. A change
// within QueuePushEvery of the last push is pushed at the first batch or
// tick (every 200 ms) after it, with the figures of that moment.
const QueuePushEvery = time.Second

// QueueWatchTTL is how long a supervisor's <workspace/> keeps its resource
// subscribed to pushed queue figures; the console asks again well before.
const QueueWatchTTL = 10 * time.Minute

// maxQueueWatchers bounds the subscriptions (one per supervisor resource).
const maxQueueWatchers = 1000

// QueueFigures is an outgoing headline to one supervisor resource: every
// queue's figures and every signed-in agent's load, as <workspace/> has them.
type QueueFigures struct {
	From, To jid.JID // the service; the supervisor's resource
	Queues   []WorkspaceQueue
	Agents   []routing.AgentInfo // at most Config.WorkspaceAgents, as a workspace's colleagues (onlineAgents)
	// UnlistedAgents is how many agents online were left out.
	UnlistedAgents int
}

type queueWatch struct {
	until     map[string]time.Time // full JID -> subscribed until
	addr      map[string]jid.JID
	last      string    // the figures last pushed, without the oldest waits
	routerVer uint64    // the router's Version when last was built: while it stays, the figures are last
	pushedAt  time.Time // the last push (QueuePushEvery)
}

// watchQueues subscribes a supervisor's resource (from its <workspace/>).
func (e *Engine) watchQueues(from jid.JID) {
	if e.qwatch == nil {
		e.qwatch = &queueWatch{until: map[string]time.Time{}, addr: map[string]jid.JID{}}
	}
	k := from.String()
	if _, ok := e.qwatch.until[k]; !ok && len(e.qwatch.until) >= maxQueueWatchers {
		return
	}
	e.qwatch.until[k] = e.now.Add(QueueWatchTTL)
	e.qwatch.addr[k] = from
	// The asker has the current figures in its answer: the next push is the
	// next change. A new watcher of figures already pushed sees the same.
	as, unlisted := e.onlineAgents("")
	e.qwatch.last = e.queueKey(e.queueFigures(), as, unlisted)
	e.qwatch.routerVer = e.router.Version()
}

// unwatchQueues ends a resource's subscription (it went unavailable).
func (e *Engine) unwatchQueues(from jid.JID) {
	if e.qwatch != nil {
		delete(e.qwatch.until, from.String())
		delete(e.qwatch.addr, from.String())
	}
}

func (e *Engine) queueFigures() []WorkspaceQueue {
	qs := make([]WorkspaceQueue, 0, len(e.cfg.Queues))
	for _, n := range e.cfg.Queues {
		av := e.router.Availability(n)
		wq := WorkspaceQueue{Name: n, Waiting: av.Waiting, Agents: av.Agents, Free: av.Free}
		if t, ok := e.router.Oldest(n); ok {
			wq.Oldest, wq.HasWaiting = e.now.Sub(t), true
		}
		qs = append(qs, wq)
	}
	return qs
}

// queueKey is what a change is measured on: counts, loads and shows.
func (e *Engine) queueKey(qs []WorkspaceQueue, as []routing.AgentInfo, unlisted int) string {
	b := fmt.Appendf(nil, "u %d\n", unlisted)
	for _, q := range qs {
		b = fmt.Appendf(b, "q %s %d %d %d\n", q.Name, q.Waiting, q.Agents, q.Free)
	}
	for _, a := range as {
		b = fmt.Appendf(b, "a %s %d %d %d %d\n", a.JID, a.Show, a.Load, a.Capacity, a.Pending)
	}
	return string(b)
}

// pushQueues runs after each batch: expired subscriptions go, and when the
// figures changed, at most once per QueuePushEvery, every remaining
// subscriber gets them.
func (e *Engine) pushQueues() {
	w := e.qwatch
	if w == nil || len(w.until) == 0 {
		return
	}
	for k, t := range w.until {
		if !e.now.Before(t) {
			delete(w.until, k)
			delete(w.addr, k)
		}
	}
	if len(w.until) == 0 || w.routerVer == e.router.Version() || e.now.Sub(w.pushedAt) < QueuePushEvery {
		return // nothing changed, or too soon: the version still differs after
	}
	w.routerVer = e.router.Version()
	qs := e.queueFigures()
	as, unlisted := e.onlineAgents("")
	key := e.queueKey(qs, as, unlisted)
	if key == w.last {
		return
	}
	w.last, w.pushedAt = key, e.now
	keys := make([]string, 0, len(w.until))
	for k := range w.until {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		e.send(&QueueFigures{From: e.cfg.Domain, To: w.addr[k], Queues: qs, Agents: as, UnlistedAgents: unlisted})
	}
}
