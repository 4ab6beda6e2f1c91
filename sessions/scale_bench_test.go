package sessions

import (
	"crypto/sha256"
	"fmt"
	"maps"
	"runtime"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/parley-chat/parley/muc"
	"mellium.im/xmpp/jid"
)

// Scale benchmarks (issue 13): what one visitor's message, one request, one
// timer tick and a restart cost while the engine holds n live sessions. The
// cost must not grow with n: scripts/bench.sh -scale prints the ratios of
// sessions=100000 over sessions=1000.
//
// The engine is rebuilt from a snapshot (the way parleyd starts) holding n
// live sessions shaped like a busy contact center: per agent, three active
// sessions it owns and one queued session waiting for capacity (agents have
// capacity 3, so nothing is offered); every agent is signed in. The visitors
// of the restored sessions have not rejoined yet. The clock moves 10 µs per
// operation, so no timer of the restored sessions (minutes away) falls due
// during a measurement: each figure is the cost of the work itself plus
// whatever the engine spends on the sessions it does not touch. Run the
// request benchmark with a fixed count (-benchtime=2000x): each operation
// adds a session.

var scaleSizes = []int{1000, 10000, 100000}

// cpuTime is the CPU time the process has used (user and system, every
// thread: the garbage collector's work counts). On a busy machine wall time
// also counts the time other processes held the CPU, so each benchmark here
// reports cpu-ns/op besides ns/op; the ratios are taken from cpu-ns/op.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// reportCPU reports the CPU time used since start per operation (and per
// unit when perOp > 1).
func reportCPU(b *testing.B, start time.Duration, unit string, perOp int) {
	used := float64((cpuTime() - start).Nanoseconds())
	b.ReportMetric(used/float64(b.N), "cpu-ns/op")
	if perOp > 1 {
		b.ReportMetric(used/float64(b.N*perOp), "cpu-ns/"+unit)
	}
}

// scaleAgent is the bare JID of the agent of group g.
func scaleAgent(g int) string { return "agent" + strconv.Itoa(g) + "@example.com" }

// scaleSnapshot is n live sessions: session i belongs to group i/4; the first
// three of a group are active, owned by its agent, the fourth is queued.
func scaleSnapshot(n int) *Snapshot {
	snap := &Snapshot{
		History:     make(map[string][]Entry),
		LastSeq:     make(map[string]int64),
		Permissions: make(map[string]map[string]bool),
	}
	for g := 0; g*4 < n; g++ {
		snap.Permissions[scaleAgent(g)] = map[string]bool{PermChat: true}
	}
	for i := 0; i < n; i++ {
		id := fmt.Sprintf("s%07d", i)
		tok := sha256.Sum256([]byte(id))
		rec := Record{
			ID: id, TokenHash: tok[:], Queue: "support",
			VisitorJIDs: []string{"v" + strconv.Itoa(i) + "@guest.example.com/w1"},
			Visitor:     map[string]string{"name": "Visitor " + strconv.Itoa(i)},
			Question:    "Where is my parcel?",
			CreatedAt:   t0.Add(-time.Hour + time.Duration(i)*time.Microsecond),
			UpdatedAt:   t0,
		}
		g := i / 4
		if i%4 < 3 {
			rec.State, rec.Owner, rec.AssignedAt = StateActive, scaleAgent(g), rec.CreatedAt.Add(time.Second)
			snap.Agents = append(snap.Agents, SessionAgent{Session: id, JID: scaleAgent(g), Role: "owner", At: rec.AssignedAt})
			snap.History[id] = []Entry{{Session: id, Seq: 1, At: rec.AssignedAt, AuthorRole: "visitor", Nick: "Visitor", Kind: "message", Body: benchBody}}
			snap.LastSeq[id] = 1
		} else {
			rec.State = StateQueued
		}
		snap.Sessions = append(snap.Sessions, rec)
	}
	return snap
}

// scaleConfig is the configuration of the scale benchmarks: the tests' one
// with no queue limit, agents of capacity 3 and the limits per visitor on
// (they are part of a request's cost).
func scaleConfig() Config {
	cfg := testConfig()
	cfg.Queues = []string{"support"}
	cfg.QueueLimit = 0
	cfg.DefaultCapacity = 3
	cfg.Limits = Limits{OpenSessions: 3, RequestsPerMinute: 5, QueuedSessions: 1}
	return cfg
}

// scaleEngine restores n sessions at t0, signs every agent in and puts the
// visitor and the agent of session s0000000 in its room, which is returned.
func scaleEngine(b *testing.B, n int) (*Engine, jid.JID) {
	return scaleEngineOnline(b, n, n)
}

// scaleEngineOnline is scaleEngine with only the agents of the first online
// sessions signed in (the others stay offline within their grace).
func scaleEngineOnline(b *testing.B, n, online int) (*Engine, jid.JID) {
	b.Helper()
	e := NewEngine(scaleConfig())
	e.Restore(t0, scaleSnapshot(n))
	var in []Input
	for g := 0; g*4 < min(n, online); g++ {
		in = append(in, &Presence{From: jid.MustParse(scaleAgent(g) + "/desk"), To: jid.MustParse(service)})
	}
	now := t0.Add(time.Millisecond)
	out := e.Process(now, in)
	if len(out.Panics) > 0 {
		b.Fatalf("engine panicked: %v", out.Panics)
	}
	sid := "s0000000"
	out = e.Process(now, []Input{
		&Presence{From: jid.MustParse("v0@guest.example.com/w1"), To: occupantJID(sid, "Visitor"), MUC: true, History: muc.NoHistoryLimit},
		&Presence{From: jid.MustParse(scaleAgent(0) + "/desk"), To: occupantJID(sid, "Agent"), MUC: true, History: muc.NoHistoryLimit},
	})
	if len(out.Panics) > 0 {
		b.Fatalf("engine panicked: %v", out.Panics)
	}
	s := e.byID[sid]
	if s == nil || s.rec.State != StateActive || len(s.room.Occupants()) != 2 {
		b.Fatalf("session %s not active with two occupants", sid)
	}
	if len(e.byID) != n {
		b.Fatalf("%d live sessions, want %d", len(e.byID), n)
	}
	runtime.GC() // the setup's garbage is not the measurement's
	return e, roomJID(sid)
}

// BenchmarkScaleMessage is one visitor message (one per Process call) to an
// active room while the engine holds n live sessions.
func BenchmarkScaleMessage(b *testing.B) {
	for _, n := range scaleSizes {
		b.Run("sessions="+strconv.Itoa(n), func(b *testing.B) {
			e, room := scaleEngine(b, n)
			benchMessages(b, e, room, t0.Add(time.Millisecond))
		})
	}
}

// BenchmarkScaleRequest is one chat request from a new visitor (one per
// Process call): admission (limits per visitor), a new session and room, its
// token, its place in the queue (every agent is busy: no offer).
func BenchmarkScaleRequest(b *testing.B) {
	for _, n := range scaleSizes {
		b.Run("sessions="+strconv.Itoa(n), func(b *testing.B) {
			e, _ := scaleEngine(b, n)
			now := t0.Add(time.Millisecond)
			svc := jid.MustParse(service)
			i := 0
			b.ReportAllocs()
			start := cpuTime()
			for b.Loop() {
				now = now.Add(10 * time.Microsecond)
				i++
				from := jid.MustParse("new" + strconv.Itoa(i) + "@guest.example.com/w1")
				out := e.Process(now, []Input{&IQ{From: from, To: svc, ID: "r1", Type: "set",
					Cmd: &RequestCmd{Queue: "support", Body: "Where is my parcel?", Visitor: map[string]string{"name": "New"}}}})
				if r := reply(out, "r1"); r == nil || r.Type != "result" {
					b.Fatalf("request answered %+v", r)
				}
			}
			reportCPU(b, start, "", 1)
		})
	}
}

// BenchmarkScaleTick is one timer tick while the engine holds n live
// sessions, none of them due.
func BenchmarkScaleTick(b *testing.B) {
	for _, n := range scaleSizes {
		b.Run("sessions="+strconv.Itoa(n), func(b *testing.B) {
			e, _ := scaleEngine(b, n)
			now := t0.Add(time.Millisecond)
			b.ReportAllocs()
			start := cpuTime()
			for b.Loop() {
				now = now.Add(10 * time.Microsecond)
				out := e.Process(now, []Input{Tick{}})
				if len(out.Panics) > 0 || len(out.Out) != 0 {
					b.Fatalf("tick sent %d stanzas, panics %v", len(out.Out), out.Panics)
				}
			}
			reportCPU(b, start, "", 1)
		})
	}
}

// BenchmarkScaleRestore is a start: a new engine rebuilt from a snapshot of n
// live sessions (the snapshot is read before the measurement). ns/session is
// the figure that must stay flat.
func BenchmarkScaleRestore(b *testing.B) {
	for _, n := range scaleSizes {
		b.Run("sessions="+strconv.Itoa(n), func(b *testing.B) {
			snap := scaleSnapshot(n)
			cfg := scaleConfig()
			runtime.GC()
			b.ReportAllocs()
			start := cpuTime()
			for b.Loop() {
				e := NewEngine(cfg)
				e.Restore(t0, snap)
				if len(e.byID) != n {
					b.Fatalf("%d sessions restored, want %d", len(e.byID), n)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/session")
			reportCPU(b, start, "session", n)
		})
	}
}

// BenchmarkScaleSupervisorPage is a supervisor's disco#items of the service
// (the first page, ServicePageMax rooms) while the engine holds n live
// sessions, all of which a supervisor sees.
func BenchmarkScaleSupervisorPage(b *testing.B) {
	benchServiceItems(b, "sue@example.com", PermSupervise, func(n int) int { return min(n, ServicePageMax) })
}

// BenchmarkScaleVisitorItems is a visitor's disco#items of the service (an
// empty list: it may know of no session) while the engine holds n live
// sessions: anyone may ask, so its cost must not grow with them.
func BenchmarkScaleVisitorItems(b *testing.B) {
	benchServiceItems(b, "stranger@guest.example.com", "", func(int) int { return 0 })
}

// BenchmarkScaleAgentItems is an agent's disco#items of the service (the
// three sessions it owns) while the engine holds n live sessions: any chat
// holder may ask, so its cost must not grow with the sessions of others.
func BenchmarkScaleAgentItems(b *testing.B) {
	benchServiceItems(b, scaleAgent(0), "", func(int) int { return 3 })
}

// BenchmarkScaleWorkspace is an agent's <workspace/> (its three sessions)
// while the engine holds n live sessions. Forty agents are signed in at
// every size: the workspace also lists the colleagues online, which grow
// with the agents, not with the sessions.
func BenchmarkScaleWorkspace(b *testing.B) {
	for _, n := range scaleSizes {
		b.Run("sessions="+strconv.Itoa(n), func(b *testing.B) {
			e, _ := scaleEngineOnline(b, n, 160)
			now := t0.Add(time.Millisecond)
			from := jid.MustParse(scaleAgent(0) + "/desk")
			b.ReportAllocs()
			start := cpuTime()
			for b.Loop() {
				out := e.Process(now, []Input{&IQ{From: from, To: jid.MustParse(service), ID: "w1", Type: "get", Cmd: &WorkspaceCmd{}}})
				var ws *Workspace
				for _, o := range out.Out {
					if w, ok := o.(*Workspace); ok {
						ws = w
					}
				}
				if ws == nil || len(ws.Sessions) != 3 || len(ws.Agents) != 39 {
					b.Fatalf("workspace %+v, want 3 sessions and 39 colleagues", ws)
				}
			}
			reportCPU(b, start, "", 1)
		})
	}
}

// benchServiceItems times disco#items of the service from bare, given perm
// on top of the restored permissions ("" none), at each of scaleSizes; want
// is how many rooms the answer lists with n sessions.
func benchServiceItems(b *testing.B, bare, perm string, want func(n int) int) {
	for _, n := range scaleSizes {
		b.Run("sessions="+strconv.Itoa(n), func(b *testing.B) {
			e, _ := scaleEngine(b, n)
			now := t0.Add(time.Millisecond)
			if perm != "" {
				perms := maps.Clone(e.perms)
				perms[bare] = map[string]bool{perm: true}
				e.Process(now, []Input{&Reload{Permissions: perms}})
			}
			from := jid.MustParse(bare + "/desk")
			b.ReportAllocs()
			start := cpuTime()
			for b.Loop() {
				out := e.Process(now, []Input{&IQ{From: from, To: jid.MustParse(service), ID: "d1", Type: "get", Cmd: &DiscoItemsCmd{}}})
				items, ok := reply(out, "d1").Payload.(*DiscoItems)
				if !ok || len(items.Items) != want(n) {
					b.Fatalf("answer %+v, want %d rooms", reply(out, "d1"), want(n))
				}
			}
			reportCPU(b, start, "", 1)
		})
	}
}

// BenchmarkWatchedMessage is one visitor message while a supervisor watches
// the queue figures (its console subscribed with <workspace/>) and agents
// are signed in: the figures are pushed only when they change, and a
// message changes none of them, so what it costs must not grow with the
// agents online.
func BenchmarkWatchedMessage(b *testing.B) {
	for _, agents := range []int{10, 100, 1000} {
		b.Run("agents="+strconv.Itoa(agents), func(b *testing.B) {
			e, room := scaleEngineOnline(b, 4*agents, 4*agents)
			now := t0.Add(time.Millisecond)
			perms := maps.Clone(e.perms)
			perms["sue@example.com"] = map[string]bool{PermSupervise: true}
			e.Process(now, []Input{&Reload{Permissions: perms}})
			out := e.Process(now, []Input{&IQ{From: jid.MustParse("sue@example.com/desk"), To: jid.MustParse(service), ID: "w1", Type: "get", Cmd: &WorkspaceCmd{}}})
			if e.qwatch == nil || len(e.qwatch.until) != 1 || len(out.Out) == 0 {
				b.Fatalf("the supervisor is not watching the queues")
			}
			benchMessages(b, e, room, now) // two stanzas each: no push, nothing changed
		})
	}
}

// benchMessages times one visitor message per Process call to room (the
// scale engine's active session, its visitor and agent in it) from now on,
// the clock moving 10 µs per message: each must give the two copies and one
// transcript entry.
func benchMessages(b *testing.B, e *Engine, room jid.JID, now time.Time) {
	b.Helper()
	from := jid.MustParse("v0@guest.example.com/w1")
	b.ReportAllocs()
	start := cpuTime()
	for b.Loop() {
		now = now.Add(10 * time.Microsecond)
		out := e.Process(now, []Input{&Message{From: from, To: room, ID: "m1", Type: "groupchat", Body: benchBody}})
		if len(out.Out) != 2 || len(out.Batch.Transcript) != 1 {
			b.Fatalf("%d stanzas and %d transcript entries, want 2 and 1", len(out.Out), len(out.Batch.Transcript))
		}
	}
	reportCPU(b, start, "", 1)
}
