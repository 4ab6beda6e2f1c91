package main

// The day scenario (--scenario day): a contact center's day on one machine.
// Many concurrent sessions, mostly idle: --sessions visitors (anonymous, one
// connection each) and --sessions/--per-agent agents (accounts PREFIX1…PREFIXN,
// one connection each, --per-agent chats at once). Every session is set up
// first; then, for --duration, each side of every session sends a message
// every --interval to 2×--interval (uniformly jittered, the first within one
// interval of the start), each counted when the other side receives it. When
// the phase ends the senders stop, the tool waits (--stall) for what is in
// flight, and counts what never arrived as lost.
//
// The modes run one after the other (--modes, default parley then muc;
// --rounds interleaves them), through the same clients with the same pacing:
//
//	parley  the visitors request chats from --service; the agents, signed in
//	        with max-chats=--per-agent, join the rooms they are offered
//	muc     one room of the server's own MUC (--muc) per session, the visitor
//	        and agent i/--per-agent in it
//
// With --parleyd-pid and --prosody-pid it reads /proc: each process's RSS
// (VmRSS) before the mode set up its sessions and at steady state (the
// median of samples over the second half of the message phase), and the CPU
// time (utime+stime) it spent in the message phase, reported per live
// session and per session-minute.
//
// The exit status is 0 only when every message of every mode was delivered
// exactly once.

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	pxmpp "github.com/parley-chat/parley/xmpp"
	"golang.org/x/sync/errgroup"
)

const scenarioDay = "day"

// dayBodyPrefix starts the day's messages: "day TAG IDX DIR SEQ NANOS". It is
// not bodyPrefix, so the clients hand these to the day's handler.
const dayBodyPrefix = "day "

// dayOptions are the day scenario's flags.
type dayOptions struct {
	sessions, perAgent    int
	interval, duration    time.Duration
	dial                  int
	agentPrefix           string
	parleydPID, serverPID int
	sampleEvery           time.Duration
}

// addDayFlags registers the day scenario's flags on fs.
func addDayFlags(fs *flag.FlagSet, d *dayOptions) {
	fs.IntVar(&d.sessions, "sessions", 2000, "day: concurrent sessions (a visitor connection each)")
	fs.IntVar(&d.perAgent, "per-agent", 4, "day: sessions per agent; the agents are PREFIX1…PREFIXN, N = sessions/per-agent (rounded up)")
	fs.DurationVar(&d.interval, "interval", 5*time.Second, "day: each side of a session sends a message every interval to 2×interval (jittered)")
	fs.DurationVar(&d.duration, "duration", 3*time.Minute, "day: length of each mode's message phase")
	fs.IntVar(&d.dial, "dial", 32, "day: logins, chat requests and joins in flight at once")
	fs.StringVar(&d.agentPrefix, "agent-prefix", "agent", "day: the agents' accounts are PREFIX1…PREFIXN on --agent-host")
	fs.IntVar(&d.parleydPID, "parleyd-pid", 0, "day: parleyd's process id, to report its RSS and CPU per live session (from /proc)")
	fs.IntVar(&d.serverPID, "server-pid", 0, "day: the XMPP server's process id, to report its RSS and CPU (from /proc)")
	fs.DurationVar(&d.sampleEvery, "sample-every", 2*time.Second, "day: how often RSS is sampled during the message phase")
}

// checkDay validates the day's options and names its agents.
func checkDay(o *options) error {
	d := &o.day
	switch {
	case d.sessions < 1 || d.sessions > 100000:
		return fmt.Errorf("--sessions must be 1 to 100000")
	case d.perAgent < 1 || d.perAgent > 1000:
		return fmt.Errorf("--per-agent must be 1 to 1000")
	case d.interval <= 0 || d.duration <= 0 || d.sampleEvery <= 0:
		return fmt.Errorf("--interval, --duration and --sample-every must be positive")
	case d.dial < 1:
		return fmt.Errorf("--dial must be at least 1")
	case d.agentPrefix == "":
		return fmt.Errorf("--agent-prefix is empty")
	}
	for _, m := range o.modes {
		if m != modeParley && m != modeMUC {
			return fmt.Errorf("--scenario day runs the modes parley and muc, not %q", m)
		}
	}
	o.agentNames = nil
	for i := 1; i <= dayAgents(d); i++ {
		o.agentNames = append(o.agentNames, d.agentPrefix+strconv.Itoa(i))
	}
	return nil
}

func dayAgents(d *dayOptions) int { return (d.sessions + d.perAgent - 1) / d.perAgent }

// procFigures are one process's costs in one mode.
type procFigures struct {
	PID                int     `json:"pid"`
	BaseRSSKB          int64   `json:"base_rss_kb"`   // before the mode set up its sessions
	SteadyRSSKB        int64   `json:"steady_rss_kb"` // median over the second half of the message phase
	RSSKBPerSession    float64 `json:"rss_kb_per_session"`
	CPUSeconds         float64 `json:"cpu_seconds"` // in the message phase
	CPUMsPerSessionMin float64 `json:"cpu_ms_per_session_minute"`
}

// dayResult is one mode's measurement (or the medians of its rounds).
type dayResult struct {
	Mode     string `json:"mode"`
	Rounds   int    `json:"rounds"`
	Sessions int    `json:"sessions"`
	Agents   int    `json:"agents"`
	tally
	Lost    int64        `json:"lost"`
	Parleyd *procFigures `json:"parleyd,omitempty"`
	Server  *procFigures `json:"server,omitempty"`
	Client  *procFigures `json:"client,omitempty"` // parleyload itself: all the visitors and agents
}

func (r dayResult) ok() bool {
	return r.Failure == "" && r.Sent > 0 && r.Delivered == r.Sent && r.Lost == 0 && r.Duplicates == 0 && r.Errors == 0
}

// dayReport is everything the day scenario measured.
type dayReport struct {
	Scenario    string                        `json:"scenario"`
	Sessions    int                           `json:"sessions"`
	PerAgent    int                           `json:"per_agent"`
	Agents      int                           `json:"agents"`
	Interval    string                        `json:"interval"`
	Duration    string                        `json:"duration"`
	LoginSecond float64                       `json:"login_seconds"`
	Modes       []dayResult                   `json:"modes"`  // counts summed over rounds, figures medians
	Rounds      [][]dayResult                 `json:"rounds"` // each round's modes
	Ratios      map[string]map[string]float64 `json:"ratios"` // medians of each round's parley/muc ratios
	OK          bool                          `json:"ok"`
}

// dayMain runs the day scenario and returns the exit status.
func dayMain(ctx context.Context, o *options, stdout, stderr io.Writer) int {
	// The whole run takes what its phases take: --time-limit is raised to that.
	need := time.Duration(o.rounds*len(o.modes))*(o.day.duration+3*o.stall) + 10*time.Minute
	ctx, cancel := context.WithTimeout(ctx, max(o.timeLimit, need))
	defer cancel()
	rep, err := runDay(ctx, o, stderr)
	if err != nil {
		fmt.Fprintln(stderr, "parleyload:", err)
		return 1
	}
	if o.jsonOut {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		_ = enc.Encode(rep)
	} else {
		printDayReport(stdout, rep)
	}
	if !rep.OK {
		return 1
	}
	return 0
}

// dayLoader holds the day's clients and the mode being run.
type dayLoader struct {
	*loader
	cur atomic.Pointer[dayRun]
}

// dayDirection is one side's messages in one session.
type dayDirection struct {
	sent      atomic.Int64
	delivered atomic.Int64
	mu        sync.Mutex
	seen      []bool // by seq
}

// dayRun is one mode's measurement.
type dayRun struct {
	mode     string
	tag      string
	dl       *dayLoader
	sessions []*daySession
	start    time.Time

	recorder
}

// runDay logs the clients in, runs the modes round by round, and computes the
// ratios.
func runDay(ctx context.Context, o *options, stderr io.Writer) (*dayReport, error) {
	l := newLoader(o, stderr)
	dl := &dayLoader{loader: l}
	d := &o.day
	if o.databaseURL != "" {
		if err := grant(ctx, o); err != nil {
			return nil, err
		}
		l.logf("granted chat to %d agents", len(o.agentNames))
	}
	defer dl.closeAll()

	t0 := time.Now()
	l.agents = make([]*client, len(o.agentNames))
	l.visitors = make([]*client, d.sessions)
	err := dayPool(ctx, d.dial, len(l.agents)+len(l.visitors), func(ctx context.Context, i int) error {
		user, host, password := "", o.guestHost, ""
		if i < len(l.agents) {
			user, host, password = o.agentNames[i], o.agentHost, o.password
		}
		var c *client
		var err error
		for attempt := 0; attempt < 3; attempt++ {
			if c, err = login(ctx, l, o.c2s, user, host, password); err == nil || ctx.Err() != nil {
				break
			}
			time.Sleep(time.Duration(attempt+1) * 500 * time.Millisecond)
		}
		if err != nil {
			return err
		}
		c.setHandler(dl.handle)
		if i < len(l.agents) {
			l.agents[i] = c
		} else {
			l.visitors[i-len(l.agents)] = c
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("login: %w", err)
	}
	rep := &dayReport{Scenario: scenarioDay, Sessions: d.sessions, PerAgent: d.perAgent, Agents: len(l.agents),
		Interval: d.interval.String(), Duration: d.duration.String(), LoginSecond: time.Since(t0).Seconds(), OK: true}
	l.logf("%d agents and %d visitors logged in in %.1fs", len(l.agents), len(l.visitors), rep.LoginSecond)

	for round := 1; round <= o.rounds; round++ {
		var rs []dayResult
		for _, m := range o.modes {
			if ctx.Err() != nil {
				rs = append(rs, dayResult{Mode: m, Rounds: 1, Sessions: d.sessions, Agents: len(l.agents), tally: tally{Failure: "not run: " + ctx.Err().Error()}})
				continue
			}
			res := dl.runMode(ctx, m)
			l.logf("round %d, %s: %d of %d delivered, %d lost, %d duplicates, p50 %.2fms, p99 %.2fms, max %.2fms %s",
				round, m, res.Delivered, res.Sent, res.Lost, res.Duplicates, res.P50ms, res.P99ms, res.MaxMs, res.Failure)
			rs = append(rs, res)
		}
		rep.Rounds = append(rep.Rounds, rs)
	}
	var ok bool
	rep.Modes, ok, rep.Ratios = mergeRounds(o.modes, rep.Rounds, aggregateDay, dayRatios)
	rep.OK = rep.OK && ok
	return rep, nil
}

// dayPool runs f(0…n-1), at most size at once, and returns the first error
// (after which no new f starts).
func dayPool(ctx context.Context, size, n int, f func(context.Context, int) error) error {
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(size)
	for i := 0; i < n && gctx.Err() == nil; i++ {
		g.Go(func() error { return f(gctx, i) })
	}
	if err := g.Wait(); err != nil {
		return err
	}
	return ctx.Err()
}

func (dl *dayLoader) closeAll() {
	var cs []*client
	for _, c := range append(append([]*client(nil), dl.agents...), dl.visitors...) {
		if c != nil {
			cs = append(cs, c)
		}
	}
	_ = dayPool(context.Background(), 256, len(cs), func(_ context.Context, i int) error { cs[i].close(); return nil })
}

// handle is every day client's stanza handler (on its read goroutine).
func (dl *dayLoader) handle(c *client, el *pxmpp.Element) {
	run := dl.cur.Load()
	if run == nil || el.Name.Local != "message" {
		return
	}
	if el.Get("type") == "error" {
		run.failed(func() string {
			return fmt.Sprintf("message from %s to %s: %s", el.Get("from"), c.JID, describeError(el))
		})
		return
	}
	if b := el.Child("", "body"); b != nil && strings.HasPrefix(b.Text, dayBodyPrefix) {
		run.receive(c, b.Text)
		return
	}
	if run.mode == modeParley && el.Child(nsParley, "offer") != nil {
		run.offer(c, el)
	}
}

// receive counts a day message that reached client c.
func (run *dayRun) receive(c *client, body string) {
	st, ok := readStamp(body, run.tag)
	if !ok || st.idx >= len(run.sessions) || st.seq > 1<<20 {
		run.stale.Add(1)
		return
	}
	idx, d, seq, sentAt := st.idx, st.dir, st.seq, st.sentAt
	s := run.sessions[idx]
	if c != s.sender(1-d) {
		run.reflections.Add(1) // the sender's own copy from the room
		return
	}
	dd := &s.dirs[d]
	dd.mu.Lock()
	if seq >= len(dd.seen) {
		dd.seen = append(dd.seen, make([]bool, seq+1-len(dd.seen)+8)...)
	}
	dup := dd.seen[seq]
	dd.seen[seq] = true
	dd.mu.Unlock()
	if dup {
		run.duplicates.Add(1)
		return
	}
	run.delivered(d, time.Since(run.start)-time.Duration(sentAt))
	dd.delivered.Add(1)
}

// offer joins the room of an offer for one of this run's sessions (on a
// goroutine: it runs on the agent's read loop) and declines any other.
func (run *dayRun) offer(a *client, el *pxmpp.Element) {
	takeOffer(a, el, run.visitorName(-1), run.sessions, run.dl.o.stall, &run.foreign, run.dl.logf)
}

// visitorName names session idx's visitor so that an offer tells its
// session; idx < 0 gives the common prefix.
func (run *dayRun) visitorName(idx int) string {
	p := "day-" + run.tag + "-"
	if idx < 0 {
		return p
	}
	return p + strconv.Itoa(idx)
}

// runMode sets one mode's sessions up, runs the message phase, measures and
// tears the sessions down.
func (dl *dayLoader) runMode(ctx context.Context, mode string) dayResult {
	o, d := dl.o, &dl.o.day
	run := &dayRun{mode: mode, tag: newTag(), dl: dl}
	for i := 0; i < d.sessions; i++ {
		run.sessions = append(run.sessions, &daySession{idx: i, visitor: dl.visitors[i], joined: make(chan struct{})})
	}
	res := dayResult{Mode: mode, Rounds: 1, Sessions: d.sessions, Agents: len(dl.agents)}
	dl.cur.Store(run)
	defer dl.cur.Store(nil)
	fail := func(what string, err error) dayResult {
		res.Failure = what + ": " + err.Error()
		run.fill(&res)
		return res
	}

	parleyd, server, self := newProcWatch(d.parleydPID), newProcWatch(d.serverPID), newProcWatch(os.Getpid())
	t0 := time.Now()
	var setup, teardown func(context.Context, int) error
	switch mode {
	case modeParley:
		if err := dayPool(ctx, d.dial, len(dl.agents), run.signIn); err != nil {
			return fail("sign-in", err)
		}
		defer func() {
			sctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			_ = dayPool(sctx, d.dial, len(dl.agents), func(ctx context.Context, i int) error {
				return dl.agents[i].sendXML(context.Background(), `<presence xmlns='jabber:client' type='unavailable' to='%s'/>`, xmlEscape(o.service))
			})
		}()
		setup, teardown = run.parleySetup, run.parleyClose
	case modeMUC:
		setup, teardown = run.mucSetup, run.mucLeave
	}
	defer func() {
		tctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		if err := dayPool(tctx, d.dial, len(run.sessions), teardown); err != nil {
			dl.logf("%s: teardown: %v", mode, err)
		}
	}()
	if err := dayPool(ctx, d.dial, len(run.sessions), setup); err != nil {
		return fail("setup", err)
	}
	res.SetupSeconds = time.Since(t0).Seconds()
	dl.logf("%s: %d sessions set up in %.1fs; messages every %v to %v each way for %v",
		mode, d.sessions, res.SetupSeconds, d.interval, 2*d.interval, d.duration)

	run.start = time.Now()
	end := run.start.Add(d.duration)
	parleyd.startPhase(run.start, end, d.sampleEvery)
	server.startPhase(run.start, end, d.sampleEvery)
	self.startPhase(run.start, end, d.sampleEvery)
	err := run.talk(ctx, end)
	parleyd.endPhase()
	server.endPhase()
	self.endPhase()
	if err == nil {
		err = run.drain(ctx)
	}
	res.Seconds = time.Since(run.start).Seconds()
	res.Parleyd, res.Server = parleyd.figures(d.sessions, d.duration), server.figures(d.sessions, d.duration)
	res.Client = self.figures(d.sessions, d.duration)
	run.fill(&res)
	if err != nil {
		return fail("messages", err)
	}
	return res
}

// signIn signs agent i in to the service with room for --per-agent chats,
// retrying while a fresh grant travels to parleyd.
func (run *dayRun) signIn(ctx context.Context, i int) error {
	o := run.dl.o
	a := run.dl.agents[i]
	deadline := time.Now().Add(10 * time.Second)
	for {
		w := a.expect(func(e *pxmpp.Element) bool {
			return e.Name.Local == "presence" && e.Get("from") == o.service && (e.Get("type") == "" || e.Get("type") == "error")
		})
		if err := a.sendXML(context.Background(), `<presence xmlns='jabber:client' to='%s'><agent xmlns='%s' max-chats='%d'/></presence>`,
			xmlEscape(o.service), nsParley, o.day.perAgent); err != nil {
			return err
		}
		el, err := a.await(ctx, w, o.stall, "presence from "+o.service)
		if err != nil {
			return err
		}
		if el.Get("type") == "" {
			return nil
		}
		if er := el.Child("", "error"); er == nil || er.Child("urn:ietf:params:xml:ns:xmpp-stanzas", "forbidden") == nil || time.Now().After(deadline) {
			return fmt.Errorf("%s cannot sign in to %s (%s): is parleyd running, and has the agent the chat permission (--database-url)?",
				a.JID.Bare(), o.service, describeError(el))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// parleySetup: the visitor requests a chat and joins its room; the agent
// that gets the offer joins it too.
func (run *dayRun) parleySetup(ctx context.Context, i int) error {
	o := run.dl.o
	s := run.sessions[i]
	res, err := s.visitor.iq(ctx, o.stall, "set", o.service, fmt.Sprintf(
		`<request xmlns='%s'><visitor name='%s'/><body>day</body></request>`, nsParley, run.visitorName(i)))
	if err != nil {
		return err
	}
	el := res.Child(nsParley, "session")
	if el == nil || el.Get("room") == "" {
		return fmt.Errorf("session %d: request answered without a session: %s", i, res)
	}
	s.jid = el.Get("room")
	if err := s.visitor.joinRoom(ctx, o.stall, s.jid, "Visitor"); err != nil {
		return err
	}
	err = waitClosed(ctx, s.joined, o.stall)
	if errors.Is(err, errStall) {
		return fmt.Errorf("session %d (%s): no agent joined within %v", i, s.jid, o.stall)
	}
	return err
}

// parleyClose: the agent closes the session (the room is destroyed).
func (run *dayRun) parleyClose(ctx context.Context, i int) error {
	return run.sessions[i].parleyClose(ctx, run.dl.o.stall)
}

// mucSetup: the visitor creates a room of the server's MUC by joining it;
// agent i/per-agent joins it.
func (run *dayRun) mucSetup(ctx context.Context, i int) error {
	o := run.dl.o
	s := run.sessions[i]
	a := run.dl.agents[i/o.day.perAgent]
	s.jid = fmt.Sprintf("day-%s-%d@%s", run.tag, i, o.muc)
	return s.mucEnter(ctx, o.stall, a)
}

// mucLeave: both leave; the server destroys the empty room. Not bounded by
// ctx: the leaving is what ends the phase cleanly.
func (run *dayRun) mucLeave(_ context.Context, i int) error {
	return run.sessions[i].mucLeave(context.Background())
}

// dayGap is the wait before a side's next message: interval to 2×interval.
func dayGap(interval time.Duration) time.Duration {
	return interval + rand.N(interval)
}

// talk runs every session's two senders until end and returns the first
// send error.
func (run *dayRun) talk(ctx context.Context, end time.Time) error {
	interval := run.dl.o.day.interval
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var wg sync.WaitGroup
	for _, s := range run.sessions {
		for d := range s.dirs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				next := time.Now().Add(rand.N(interval))
				t := time.NewTimer(time.Until(next))
				defer t.Stop()
				var b strings.Builder
				for seq := 0; next.Before(end); seq++ {
					select {
					case <-t.C:
					case <-ctx.Done():
						return
					}
					b.Reset()
					fmt.Fprintf(&b, "%s%s %d %c %d %d", dayBodyPrefix, run.tag, s.idx, dirChar[d], seq, int64(time.Since(run.start)))
					s.dirs[d].sent.Add(1)
					err := s.sender(d).SendBody(context.Background(), s.jid, "groupchat", b.String())
					if err != nil {
						cancel(fmt.Errorf("session %d %c: send: %w", s.idx, dirChar[d], err))
						return
					}
					next = next.Add(dayGap(interval))
					t.Reset(time.Until(next))
				}
			}()
		}
	}
	wg.Wait()
	if err := context.Cause(ctx); err != nil && !errors.Is(err, context.Canceled) {
		return err
	}
	return nil
}

// counts sums the sessions' sent and delivered messages.
func (run *dayRun) counts() (sent, delivered int64) {
	for _, s := range run.sessions {
		for d := range s.dirs {
			sent += s.dirs[d].sent.Load()
			delivered += s.dirs[d].delivered.Load()
		}
	}
	return sent, delivered
}

// drain waits for the messages in flight, until none arrives for --stall.
func (run *dayRun) drain(ctx context.Context) error {
	stall := run.dl.o.stall
	last, since := int64(-1), time.Now()
	for {
		sent, got := run.counts()
		if got >= sent {
			return nil
		}
		if got != last {
			last, since = got, time.Now()
		} else if time.Since(since) > stall {
			return nil // what is missing is counted as lost
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// fill sets res's counts and latency figures.
func (run *dayRun) fill(res *dayResult) {
	res.Sent, res.Delivered = run.counts()
	res.Lost = res.Sent - res.Delivered
	run.recorder.fill(&res.tally)
}

// dayRatios compares parley with muc in one round, when both delivered
// everything exactly once.
func dayRatios(rs []dayResult) map[string]map[string]float64 {
	by := map[string]dayResult{}
	for _, r := range rs {
		by[r.Mode] = r
	}
	p, okP := by[modeParley]
	m, okM := by[modeMUC]
	if !okP || !okM || !p.ok() || !m.ok() {
		return nil
	}
	out := map[string]float64{"p50": ratio(p.P50ms, m.P50ms), "p99": ratio(p.P99ms, m.P99ms)}
	if p.Server != nil && m.Server != nil {
		out["server_cpu"] = ratio(p.Server.CPUSeconds, m.Server.CPUSeconds)
	}
	return map[string]map[string]float64{"parley/muc": out}
}

// aggregateDay sums the counts of one mode's rounds and takes the medians
// of their figures.
func aggregateDay(mode string, per []dayResult) dayResult {
	if len(per) == 1 {
		return per[0]
	}
	out := dayResult{Mode: mode, Rounds: len(per), Sessions: per[0].Sessions, Agents: per[0].Agents}
	each := make([]tally, len(per))
	var pd, sv, cl []*procFigures
	for i, r := range per {
		each[i] = r.tally
		out.Lost += r.Lost
		pd, sv, cl = append(pd, r.Parleyd), append(sv, r.Server), append(cl, r.Client)
	}
	out.tally = mergeTallies(each)
	out.Parleyd, out.Server, out.Client = medianProc(pd), medianProc(sv), medianProc(cl)
	return out
}

func printDayReport(w io.Writer, rep *dayReport) {
	fmt.Fprintf(w, "parleyload day: %d sessions, %d per agent (%d agents), a message each way every %s to 2x, %s per mode; logins %.1fs",
		rep.Sessions, rep.PerAgent, rep.Agents, rep.Interval, rep.Duration, rep.LoginSecond)
	if n := len(rep.Rounds); n > 1 {
		fmt.Fprintf(w, "; medians of %d rounds", n)
	}
	fmt.Fprintln(w)
	fmt.Fprintf(w, "%-7s %9s %9s %6s %5s %6s %8s %9s %9s %9s\n", "mode", "sent", "delivered", "lost", "dup", "errors", "setup", "p50 ms", "p99 ms", "max ms")
	for _, r := range rep.Modes {
		fmt.Fprintf(w, "%-7s %9d %9d %6d %5d %6d %7.1fs %9.2f %9.2f %9.2f\n",
			r.Mode, r.Sent, r.Delivered, r.Lost, r.Duplicates, r.Errors, r.SetupSeconds, r.P50ms, r.P99ms, r.MaxMs)
		for _, p := range []struct {
			name string
			f    *procFigures
		}{{"parleyd", r.Parleyd}, {"server", r.Server}, {"client", r.Client}} {
			if p.f != nil {
				fmt.Fprintf(w, "  %s %s: RSS %d KB before, %d KB steady: %.1f KB per live session; CPU %.2fs in the phase: %.2f ms per session-minute\n",
					r.Mode, p.name, p.f.BaseRSSKB, p.f.SteadyRSSKB, p.f.RSSKBPerSession, p.f.CPUSeconds, p.f.CPUMsPerSessionMin)
			}
		}
		printNotes(w, r.Mode, r.tally)
	}
	if x, ok := rep.Ratios["parley/muc"]; ok {
		fmt.Fprintf(w, "parley/muc: latency p50 %.2f, p99 %.2f", x["p50"], x["p99"])
		if v, ok := x["server_cpu"]; ok {
			fmt.Fprintf(w, ", server CPU %.2f", v)
		}
		fmt.Fprintln(w)
	}
	if !rep.OK {
		fmt.Fprintln(w, "NOT OK: some messages were not delivered exactly once")
	}
}

// For the hook in main: dayMain with the process's streams.
func runDayScenario(ctx context.Context, o *options) int {
	return dayMain(ctx, o, os.Stdout, os.Stderr)
}
