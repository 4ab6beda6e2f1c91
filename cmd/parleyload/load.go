package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/parley-chat/parley/wire"
	pxmpp "github.com/parley-chat/parley/xmpp"
	"golang.org/x/sync/errgroup"
)

// bodyPrefix starts every load message: "pl TAG ROOM DIR SEQ NANOS", where
// TAG names one mode's run, DIR is v (visitor to room) or a (agent to room)
// and NANOS is when it was sent, after the run's start.
const bodyPrefix = "pl "

// Parley's namespace, for the set-up stanzas written as text.
const nsParley = wire.NS

// Directions of a room's messages.
const (
	fromVisitor = 0
	fromAgent   = 1
)

var dirChar = [2]byte{'v', 'a'}

// loader holds the logged-in clients and the mode being run.
type loader struct {
	o        *options
	agents   []*client
	visitors []*client
	cur      atomic.Pointer[modeRun]
	ids      atomic.Int64
	logf     func(format string, args ...any)
	// echoMeter counts what the echo component writes, echoSent the
	// stanzas it sent (cost.go).
	echoMeter *pxmpp.WireMeter
	echoSent  atomic.Uint64
}

func (l *loader) nextID(prefix string) string {
	return prefix + strconv.FormatInt(l.ids.Add(1), 36)
}

// direction is one sender's stream of messages in one room.
type direction struct {
	slots     chan struct{} // the window: a slot per message in flight
	seen      []atomic.Bool // per seq: delivered
	sent      atomic.Int64
	delivered atomic.Int64
	done      chan struct{} // closed when every message is delivered
}

// modeRun is one mode's measurement.
type modeRun struct {
	mode  string
	tag   string
	l     *loader
	rooms []*room
	start time.Time // origin of the NANOS in bodies

	recorder
	lastRecv atomic.Int64 // nanos after start
}

func newTag() string {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func newRun(l *loader, mode string) *modeRun {
	o := l.o
	run := &modeRun{mode: mode, tag: newTag(), l: l}
	for d := range run.latencies {
		run.latencies[d] = make([]time.Duration, 0, o.rooms*o.messages)
	}
	for i := 0; i < o.rooms; i++ {
		r := &room{idx: i, visitor: l.visitors[i], joined: make(chan struct{})}
		for d := range r.dirs {
			r.dirs[d] = direction{
				slots: make(chan struct{}, o.window),
				seen:  make([]atomic.Bool, o.messages),
				done:  make(chan struct{}),
			}
			if o.messages == 0 {
				close(r.dirs[d].done)
			}
		}
		run.rooms = append(run.rooms, r)
	}
	return run
}

// receive counts a load message that reached client c.
func (l *loader) receive(c *client, body string) {
	run := l.cur.Load()
	if run == nil {
		return
	}
	st, ok := readStamp(body, run.tag)
	if !ok || st.idx >= len(run.rooms) || st.seq >= l.o.messages {
		run.stale.Add(1)
		return
	}
	idx, d, seq, sentAt := st.idx, st.dir, st.seq, st.sentAt
	r := run.rooms[idx]
	// Rooms: counted at the other party (the sender's copy is the room's
	// reflection). Echo: counted back at the sender.
	want := r.sender(1 - d)
	if run.mode == modeEcho {
		want = r.sender(d)
	}
	if c != want {
		run.reflections.Add(1)
		return
	}
	dd := &r.dirs[d]
	if dd.seen[seq].Swap(true) {
		run.duplicates.Add(1)
		return
	}
	now := time.Since(run.start)
	run.delivered(d, now-time.Duration(sentAt))
	for {
		last := run.lastRecv.Load()
		if int64(now) <= last || run.lastRecv.CompareAndSwap(last, int64(now)) {
			break
		}
	}
	select {
	case <-dd.slots:
	default:
	}
	if dd.delivered.Add(1) == int64(l.o.messages) {
		close(dd.done)
	}
}

// stanzaError counts an error message (a bounced load message, say).
func (l *loader) stanzaError(c *client, el *pxmpp.Element) {
	run := l.cur.Load()
	if run == nil {
		return
	}
	run.failed(func() string { return fmt.Sprintf("%s from %s: %s", el.Name.Local, el.Get("from"), describeError(el)) })
}

// send sends room r's messages in direction d, keeping at most window in
// flight, and waits until all are delivered. It gives up when nothing
// moves for the stall time.
func (run *modeRun) send(ctx context.Context, r *room, d int) error {
	o := run.l.o
	c := r.sender(d)
	dd := &r.dirs[d]
	to, typ := r.jid, "groupchat"
	if run.mode == modeEcho {
		to, typ = o.echoDomain, "chat"
	}
	stalled := func() error {
		return fmt.Errorf("room %d (%s) %c: stalled, %d of %d delivered, none for %v",
			r.idx, r.jid, dirChar[d], dd.delivered.Load(), o.messages, o.stall)
	}
	timer := time.NewTimer(o.stall)
	defer timer.Stop()
	var b strings.Builder
	for seq := 0; seq < o.messages; seq++ {
		timer.Reset(o.stall)
		select {
		case dd.slots <- struct{}{}:
		case <-ctx.Done():
			return ctx.Err()
		case <-timer.C:
			return stalled()
		}
		b.Reset()
		fmt.Fprintf(&b, "%s%s %d %c %d %d", bodyPrefix, run.tag, r.idx, dirChar[d], seq, int64(time.Since(run.start)))
		dd.sent.Add(1)
		if err := c.sendBody(ctx, to, typ, b.String()); err != nil {
			return err
		}
	}
	for {
		got := dd.delivered.Load()
		if err := waitClosed(ctx, dd.done, o.stall); !errors.Is(err, errStall) {
			return err
		}
		if dd.delivered.Load() == got {
			return stalled()
		}
	}
}

// errStall is waitClosed's answer when the time passed first.
var errStall = errors.New("stalled")

// waitClosed waits until ch is closed (nil), ctx ends (its error) or d
// passes (errStall).
func waitClosed(ctx context.Context, ch <-chan struct{}, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ch:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return errStall
	}
}

// talk runs the message phase: up to concurrency rooms at once, both
// directions of a room at the same time.
func (run *modeRun) talk(ctx context.Context) []error {
	return run.forEach(ctx, func(ctx context.Context, r *room) error {
		var mu sync.Mutex
		var errs []error
		var wg sync.WaitGroup
		for d := range r.dirs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if err := run.send(ctx, r, d); err != nil {
					mu.Lock()
					errs = append(errs, err)
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		return errors.Join(errs...)
	})
}

// forEach runs f for every room, concurrency at a time, and returns the first
// errors (at most 5).
func (run *modeRun) forEach(ctx context.Context, f func(context.Context, *room) error) []error {
	var mu sync.Mutex
	var errs []error
	add := func(err error) {
		mu.Lock()
		errs = append(errs, err)
		mu.Unlock()
	}
	var g errgroup.Group
	g.SetLimit(run.l.o.concurrency)
	for _, r := range run.rooms {
		if ctx.Err() != nil {
			add(ctx.Err())
			break
		}
		g.Go(func() error {
			if err := f(ctx, r); err != nil {
				add(err)
			}
			return nil
		})
	}
	_ = g.Wait()
	if len(errs) > 5 {
		errs = errs[:5]
	}
	return errs
}

// Modes.
const (
	modeParley = "parley"
	modeMUC    = "muc"
	modeEcho   = "echo"
)

// runMode sets up the rooms of one mode, measures the message phase and
// tears the rooms down.
func (l *loader) runMode(ctx context.Context, mode string) result {
	o := l.o
	run := newRun(l, mode)
	res := result{Mode: mode, Rounds: 1, Rooms: o.rooms, Messages: o.messages}
	l.cur.Store(run)
	defer l.cur.Store(nil)

	var setup, teardown func(context.Context, *room) error
	var before, after func(context.Context) error
	switch mode {
	case modeParley:
		before, after = run.parleySignIn, run.parleySignOut
		setup, teardown = run.parleySetup, run.parleyClose
	case modeMUC:
		setup, teardown = run.mucSetup, run.mucLeave
	case modeEcho:
		var stop func()
		before = func(ctx context.Context) error {
			var err error
			stop, err = startEcho(ctx, o.xmppAddr, o.echoDomain, o.secret, l.echoMeter, &l.echoSent, l.logf)
			return err
		}
		after = func(context.Context) error {
			if stop != nil {
				stop()
			}
			return nil
		}
		setup = func(_ context.Context, r *room) error {
			r.agent.Store(l.agents[r.idx%len(l.agents)])
			return nil
		}
	default:
		res.Failure = "unknown mode " + mode
		return res
	}
	fail := func(what string, errs ...error) result {
		var b strings.Builder
		b.WriteString(what)
		for i, e := range errs {
			if i == 0 {
				b.WriteString(": ")
			} else {
				b.WriteString("; ")
			}
			b.WriteString(e.Error())
		}
		res.Failure = b.String()
		run.fill(&res)
		return res
	}

	t0 := time.Now()
	if before != nil {
		if err := before(ctx); err != nil {
			return fail("start", err)
		}
	}
	if after != nil {
		defer func() {
			actx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			if err := after(actx); err != nil {
				l.logf("%s: %v", mode, err)
			}
		}()
	}
	if teardown != nil {
		// Every room that got as far as it did, whatever happens next.
		defer func() {
			tctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			if errs := run.forEach(tctx, teardown); len(errs) > 0 {
				l.logf("%s: teardown: %v", mode, errors.Join(errs...))
			}
		}()
	}
	if errs := run.forEach(ctx, setup); len(errs) > 0 {
		return fail("setup", errs...)
	}
	res.SetupSeconds = time.Since(t0).Seconds()
	l.logf("%s: %d rooms set up in %.2fs; sending %d messages each way per room", mode, o.rooms, res.SetupSeconds, o.messages)

	var c0 costSample
	if l.costWanted() {
		c0 = l.sampleCost(ctx, mode)
	}
	run.start = time.Now()
	errs := run.talk(ctx)
	res.Seconds = time.Duration(run.lastRecv.Load()).Seconds()
	run.fill(&res)
	if l.costWanted() {
		fillCost(&res, c0, l.sampleCost(ctx, mode))
	}
	if len(errs) > 0 {
		return fail("messages", errs...)
	}
	return res
}

// fill sets the counts and latency figures of res (again, when called again).
func (run *modeRun) fill(res *result) {
	res.Sent, res.Delivered = 0, 0
	for _, r := range run.rooms {
		for d := range r.dirs {
			res.Sent += r.dirs[d].sent.Load()
			res.Delivered += r.dirs[d].delivered.Load()
		}
	}
	run.recorder.fill(&res.tally)
	if res.Seconds > 0 {
		res.PerSecond = float64(res.Delivered) / res.Seconds
	}
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// --- parley ---

// parleySignIn signs every agent in to the service with room for all the
// rooms, retrying while a fresh grant travels to parleyd.
func (run *modeRun) parleySignIn(ctx context.Context) error {
	l, o := run.l, run.l.o
	maxChats := o.maxChats
	if maxChats <= 0 {
		maxChats = min(1000, (o.rooms+len(l.agents)-1)/len(l.agents)+1)
	}
	for _, a := range l.agents {
		a.setHandler(run.parleyOffer)
		deadline := time.Now().Add(10 * time.Second)
		for attempt := 0; ; attempt++ {
			w := a.expect(func(e *pxmpp.Element) bool {
				return e.Name.Local == "presence" && e.Get("from") == o.service && (e.Get("type") == "" || e.Get("type") == "error")
			})
			if err := a.sendXML(ctx, `<presence xmlns='jabber:client' to='%s'><agent xmlns='%s' max-chats='%d'/></presence>`,
				xmlEscape(o.service), nsParley, maxChats); err != nil {
				return err
			}
			el, err := a.await(ctx, w, o.stall, "presence from "+o.service)
			if err != nil {
				return err
			}
			if el.Get("type") == "" {
				break
			}
			if er := el.Child("", "error"); er == nil || er.Child("urn:ietf:params:xml:ns:xmpp-stanzas", "forbidden") == nil {
				return fmt.Errorf("%s cannot sign in to %s (%s): is parleyd running for %s?", a.JID.Bare(), o.service, describeError(el), o.service)
			}
			// Forbidden: a grant may still be on its way to parleyd.
			if time.Now().After(deadline) || attempt >= 100 {
				return fmt.Errorf("%s may not sign in to %s (%s): grant it chat (parleyd grant %s chat, or --database-url)",
					a.JID.Bare(), o.service, describeError(el), a.JID.Bare())
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	return nil
}

func (run *modeRun) parleySignOut(ctx context.Context) error {
	for _, a := range run.l.agents {
		a.setHandler(nil)
		if err := a.sendXML(ctx, `<presence xmlns='jabber:client' type='unavailable' to='%s'/>`, xmlEscape(run.l.o.service)); err != nil {
			return err
		}
	}
	return nil
}

// visitorName names a room's visitor so that an offer tells its room.
func (run *modeRun) visitorName(idx int) string { return fmt.Sprintf("parleyload-%s-%d", run.tag, idx) }

// parleyOffer joins the room of an offer for one of this run's sessions (on
// a goroutine: it runs on the agent's read loop) and declines any other.
func (run *modeRun) parleyOffer(a *client, el *pxmpp.Element) {
	if el.Name.Local != "message" || el.Child(nsParley, "offer") == nil {
		return
	}
	takeOffer(a, el, "parleyload-"+run.tag+"-", run.rooms, run.l.o.stall, &run.foreign, run.l.logf)
}

// parleySetup: the visitor requests a chat and joins its room; the agent
// that gets the offer joins it too.
func (run *modeRun) parleySetup(ctx context.Context, r *room) error {
	o := run.l.o
	v := r.visitor
	res, err := v.iq(ctx, o.stall, "set", o.service, fmt.Sprintf(
		`<request xmlns='%s'><visitor name='%s'/><body>load test</body></request>`, nsParley, run.visitorName(r.idx)))
	if err != nil {
		return err
	}
	s := res.Child(nsParley, "session")
	if s == nil || s.Get("room") == "" {
		return fmt.Errorf("room %d: request answered without a session: %s", r.idx, res)
	}
	r.jid, r.sid = s.Get("room"), s.Get("id")
	if err := v.joinRoom(ctx, o.stall, r.jid, "Visitor"); err != nil {
		return err
	}
	err = waitClosed(ctx, r.joined, o.stall)
	if errors.Is(err, errStall) {
		return fmt.Errorf("room %d (%s): no agent joined within %v", r.idx, r.jid, o.stall)
	}
	return err
}

// parleyClose: the agent closes the session (the room is destroyed).
func (run *modeRun) parleyClose(ctx context.Context, r *room) error {
	return r.parleyClose(ctx, run.l.o.stall)
}

// --- muc ---

// mucSetup: the visitor creates a room of Prosody's MUC by joining it, an
// agent joins it.
func (run *modeRun) mucSetup(ctx context.Context, r *room) error {
	o := run.l.o
	a := run.l.agents[r.idx%len(run.l.agents)]
	r.jid = fmt.Sprintf("pl-%s-%d@%s", run.tag, r.idx, o.muc)
	return r.mucEnter(ctx, o.stall, a)
}

// mucLeave: both leave; Prosody destroys the empty room.
func (run *modeRun) mucLeave(ctx context.Context, r *room) error { return r.mucLeave(ctx) }
