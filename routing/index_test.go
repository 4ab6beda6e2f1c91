package routing

import (
	"math/rand/v2"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// dispatchScan is Dispatch as it was before the indexes (index.go): every
// queued session and every agent looked at on each call. It is the reference
// the indexed Dispatch must agree with.
func (r *Router) dispatchScan(now time.Time) Result {
	var res Result
	for _, e := range r.order {
		if e.offer != nil && !e.offer.Deadline.After(now) {
			res.Expired = append(res.Expired, *e.offer)
			r.endOffer(e, now)
		}
		for agent, until := range e.cooldown {
			if !until.After(now) {
				delete(e.cooldown, agent)
			}
		}
		if len(e.cooldown) == 0 {
			e.cooldown = nil
		}
	}
	var cands []*agent
	for _, a := range r.agents {
		if (a.show == ShowAvailable || a.show == ShowChat) &&
			len(a.sessions)+len(a.offers) < a.capacityOr(r.cfg.DefaultCapacity) {
			cands = append(cands, a)
		}
	}
	slices.SortFunc(cands, func(x, y *agent) int {
		if c := x.idleSince.Compare(y.idleSince); c != 0 {
			return c
		}
		return strings.Compare(x.jid, y.jid)
	})
	free := len(cands)
	for _, e := range r.order {
		if free == 0 {
			break
		}
		if e.offer != nil || e.held {
			continue
		}
		var pick, again *agent
		for _, a := range cands {
			if len(a.sessions)+len(a.offers) >= a.capacityOr(r.cfg.DefaultCapacity) || !a.serves(e.queue) {
				continue
			}
			if until, ok := e.cooldown[a.jid]; ok && until.After(now) {
				continue
			}
			if e.tried[a.jid] {
				if again == nil {
					again = a
				}
				continue
			}
			pick = a
			break
		}
		if pick == nil && again != nil {
			pick = again
			e.tried = nil
		}
		if pick == nil {
			continue
		}
		a := pick
		o := &Offer{Session: e.session, Agent: a.jid, Deadline: now.Add(r.cfg.OfferTimeout)}
		e.offer = o
		if e.tried == nil {
			e.tried = make(map[string]bool)
		}
		e.tried[a.jid] = true
		if a.offers == nil {
			a.offers = make(map[string]*entry)
		}
		a.offers[e.session] = e
		res.Offers = append(res.Offers, *o)
		if len(a.sessions)+len(a.offers) >= a.capacityOr(r.cfg.DefaultCapacity) {
			free--
		}
	}
	for _, q := range r.queueNames {
		n := 0
		for _, e := range r.queues[q] {
			if e.held {
				continue
			}
			n++
			if e.reported != n {
				e.reported = n
				res.Positions = append(res.Positions, Position{Session: e.session, Queue: q, Position: n})
			}
		}
	}
	return res
}

// TestIndexedDispatchMatchesScan runs the same random operations on two
// routers, one dispatching with the indexes and one with the full scan, and
// compares every result, every Enqueue position and the online count.
func TestIndexedDispatchMatchesScan(t *testing.T) {
	for seed := uint64(1); seed <= 30; seed++ {
		t.Run("seed="+strconv.FormatUint(seed, 10), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(seed, 99))
			fast, ref := newRouter(), newRouter()
			agents := []string{"a@x", "b@x", "c@x", "d@x"}
			queues := []string{"q1", "q2"}
			shows := []Show{ShowAvailable, ShowChat, ShowAway, ShowDND}
			now := t0
			n := 0
			var sessions []string
			pick := func(l []string) string { return l[rng.IntN(len(l))] }
			offers, dispatched := 0, 0
			for step := 0; step < 600; step++ {
				a := pick(agents)
				both := func(f func(r *Router)) { f(fast); f(ref) }
				switch rng.IntN(14) {
				case 0:
					show, capacity, res := shows[rng.IntN(len(shows))], rng.IntN(4), "r"+strconv.Itoa(rng.IntN(2))
					both(func(r *Router) { r.SetPresence(a, res, show, capacity, now) })
				case 1:
					res := "r" + strconv.Itoa(rng.IntN(2))
					o1, c1 := fast.SetUnavailable(a, res, now)
					o2, c2 := ref.SetUnavailable(a, res, now)
					if o1 != o2 || !reflect.DeepEqual(c1, c2) {
						t.Fatalf("step %d: SetUnavailable %v %v, scan %v %v", step, o1, c1, o2, c2)
					}
				case 2, 3:
					n++
					s := "s" + strconv.Itoa(n)
					if rng.IntN(4) == 0 && len(sessions) > 0 {
						s = pick(sessions) // already queued or gone: queued again
					}
					q, arrived := pick(queues), now.Add(-time.Duration(rng.IntN(60))*time.Second)
					p1, err1 := fast.Enqueue(s, q, arrived)
					p2, err2 := ref.Enqueue(s, q, arrived)
					if p1 != p2 || (err1 == nil) != (err2 == nil) {
						t.Fatalf("step %d: Enqueue(%s) = %d, %v; scan %d, %v", step, s, p1, err1, p2, err2)
					}
					if e := fast.sessions[s]; e != nil && p1 != fast.scanPosition(e) {
						t.Fatalf("step %d: Enqueue(%s) = %d, scanPosition %d", step, s, p1, fast.scanPosition(e))
					}
					sessions = append(sessions, s)
				case 4:
					if len(sessions) > 0 {
						s := pick(sessions)
						both(func(r *Router) { r.Remove(s) })
					}
				case 5:
					if len(sessions) > 0 {
						s := pick(sessions)
						e1, e2 := fast.Accept(s, a, now), ref.Accept(s, a, now)
						if (e1 == nil) != (e2 == nil) {
							t.Fatalf("step %d: Accept %v, scan %v", step, e1, e2)
						}
					}
				case 6:
					if len(sessions) > 0 {
						s := pick(sessions)
						both(func(r *Router) { r.Decline(s, a, now) })
					}
				case 7:
					if len(sessions) > 0 {
						s := pick(sessions)
						both(func(r *Router) { r.Hold(s) })
					}
				case 8:
					if len(sessions) > 0 {
						s := pick(sessions)
						both(func(r *Router) { r.Unhold(s) })
					}
				case 9:
					if len(sessions) > 0 {
						s := pick(sessions)
						if rng.IntN(2) == 0 {
							both(func(r *Router) { r.Occupy(a, s) })
						} else {
							both(func(r *Router) { r.Release(a, s) })
						}
					}
				case 10:
					var qs []string
					if rng.IntN(2) == 0 {
						qs = []string{pick(queues)}
					}
					both(func(r *Router) { r.SetQueues(a, qs) })
				case 11:
					if rng.IntN(5) == 0 {
						both(func(r *Router) { r.Forget(a) })
					}
				default:
					now = now.Add(time.Duration(rng.IntN(20)) * time.Second)
				}
				// Dispatch after every change, as the engine does.
				got, want := fast.Dispatch(now), ref.dispatchScan(now)
				if !reflect.DeepEqual(got, want) {
					t.Fatalf("step %d at %v:\nindexed %+v\nscan    %+v", step, now.Sub(t0), got, want)
				}
				dispatched++
				offers += len(got.Offers)
				for _, q := range queues {
					n := 0
					for _, e := range fast.queues[q] {
						if !e.held {
							n++
						}
					}
					if fast.ix.unheld[q] != n {
						t.Fatalf("step %d: queue %s counted %d entries not held, has %d", step, q, fast.ix.unheld[q], n)
					}
				}
				if c1, c2 := fast.OnlineCount(), len(onlineScan(ref)); c1 != c2 {
					t.Fatalf("step %d: OnlineCount %d, scan %d", step, c1, c2)
				}
				var online []string
				for _, a := range fast.OnlineAgents() {
					if a.Show == ShowOffline {
						t.Fatalf("step %d: OnlineAgents lists %s, which is offline", step, a.JID)
					}
					online = append(online, a.JID)
				}
				scan := onlineScan(ref)
				if slices.Sort(scan); !slices.Equal(online, scan) {
					t.Fatalf("step %d: OnlineAgents %v, scan %v", step, online, scan)
				}
			}
			if offers == 0 || dispatched == 0 {
				t.Fatalf("no offer in the story: it tests nothing")
			}
		})
	}
}

func onlineScan(r *Router) []string {
	var out []string
	for _, a := range r.agents {
		if len(a.resources) > 0 {
			out = append(out, a.jid)
		}
	}
	return out
}
