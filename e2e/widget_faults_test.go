package e2e

import (
	"context"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/parley-chat/parley/internal/testbed"
	pxmpp "github.com/parley-chat/parley/xmpp"
)

// The fault tests of issue 11 with the widget in Chromium among the clients,
// for the two faults besides a takeover (widget_takeover_test.go): Postgres
// stopped for 10 s, and Prosody restarted. In both the visitor types in the
// widget all along and an agent (mellium) talks in the same room; each side
// resends what was not reflected, with the same XEP-0359 origin-id, as
// clients do. In the end every message shows "sent" once in the widget, is
// delivered to the other side exactly once and is in the transcript exactly
// once. Figures are logged, not asserted.

// widgetLine is one message line of the widget's log, as the visitor sees it.
type widgetLine struct {
	Mine   bool   `json:"mine"`
	Status string `json:"status"`
	Body   string `json:"body"`
	Note   string `json:"note"` // the line's status text ("Not sent yet, retrying…")
}

// widgetLines reads the widget's message lines.
func (b *browser) widgetLines(page string) []widgetLine {
	b.t.Helper()
	var out []widgetLine
	b.eval(page, `[...document.querySelector(".parley-widget-host").shadowRoot.querySelectorAll("li.message")].map((li) => ({
		mine: li.classList.contains("mine"),
		status: li.dataset.status || "",
		body: li.querySelector(".body")?.textContent || "",
		note: (() => { const f = li.querySelector(".failed"); return f && !f.hidden ? f.textContent : ""; })(),
	}))`, &out)
	return out
}

// widgetStatus is the widget's status line (header).
func (b *browser) widgetStatus(page string) string {
	b.t.Helper()
	var s string
	b.eval(page, `document.querySelector(".parley-widget-host").shadowRoot.querySelector("header .status")?.textContent || ""`, &s)
	return s
}

// agentOutbox is the agent's side of a fault test: numbered messages, each
// with a XEP-0359 origin-id, and resends (same origin-id, new stanza id) of
// what the room did not reflect, as a client does after an error or a
// reconnect. Sends go through trySend: the connection may be gone.
type agentOutbox struct {
	mu   sync.Mutex
	nick string // the agent's nick in the room (its reflections come from it)
	room string
	sent []string
	try  map[string]int
}

func newAgentOutbox(room, nick string) *agentOutbox {
	return &agentOutbox{room: room, nick: nick, try: map[string]int{}}
}

// trySend writes one raw stanza, reporting a failure instead of ending the test.
func trySend(c *client, s string) error {
	els, err := pxmpp.Parse(s)
	if err != nil || len(els) != 1 {
		return fmt.Errorf("bad test stanza %q: %v", s, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	return c.sess.Send(ctx, els[0].TokenReader())
}

func (o *agentOutbox) stanza(body string) string {
	o.mu.Lock()
	o.try[body]++
	n := o.try[body]
	o.mu.Unlock()
	return fmt.Sprintf(`<message xmlns='jabber:client' type='groupchat' to='%s' id='%s-%d'><body>%s</body><origin-id xmlns='urn:xmpp:sid:0' id='o-%s'/></message>`,
		o.room, body, n, body, body)
}

// send sends a new message body (numbered by the caller).
func (o *agentOutbox) send(c *client, body string) error {
	o.mu.Lock()
	o.sent = append(o.sent, body)
	o.mu.Unlock()
	return trySend(c, o.stanza(body))
}

// bodies is what was sent so far.
func (o *agentOutbox) bodies() []string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return append([]string(nil), o.sent...)
}

// unreflected is what c has not seen come back from the room under the
// agent's nick (live or in the history of a join).
func (o *agentOutbox) unreflected(c *client) []string {
	got := map[string]bool{}
	c.mu.Lock()
	for _, e := range c.log {
		if e.Name.Local == "message" && e.Get("type") == "groupchat" && e.Get("from") == o.room+"/"+o.nick {
			if b := e.Child("", "body"); b != nil {
				got[b.Text] = true
			}
		}
	}
	c.mu.Unlock()
	var out []string
	for _, b := range o.bodies() {
		if !got[b] {
			out = append(out, b)
		}
	}
	return out
}

// resendUntilReflected resends what is not reflected every second until
// everything is, or within has passed; it returns how many resends it made
// and what is still not reflected.
func (o *agentOutbox) resendUntilReflected(c *client, within time.Duration) (int, []string) {
	resends := 0
	deadline := time.Now().Add(within)
	for {
		missing := o.unreflected(c)
		if len(missing) == 0 || time.Now().After(deadline) {
			return resends, missing
		}
		for _, b := range missing {
			if trySend(c, o.stanza(b)) == nil {
				resends++
			}
			time.Sleep(20 * time.Millisecond)
		}
		time.Sleep(time.Second)
	}
}

// deliveredTo counts the bodies c received from the room under nick (live
// and as history).
func deliveredTo(c *client, room, nick string) map[string]int {
	n := map[string]int{}
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, e := range c.log {
		if e.Name.Local == "message" && e.Get("type") == "groupchat" && e.Get("from") == room+"/"+nick {
			if b := e.Child("", "body"); b != nil {
				n[b.Text]++
			}
		}
	}
	return n
}

// waitWidgetAllSent waits until every message the visitor typed (want)
// shows "sent" in the widget, and returns the widget's lines.
func waitWidgetAllSent(t *testing.T, b *browser, page string, want []string, within time.Duration) []widgetLine {
	t.Helper()
	var lines []widgetLine
	for deadline := time.Now().Add(within); ; time.Sleep(250 * time.Millisecond) {
		lines = b.widgetLines(page)
		sent := map[string]bool{}
		for _, l := range lines {
			if l.Mine && l.Status == "sent" {
				sent[l.Body] = true
			}
		}
		missing := 0
		for _, w := range want {
			if !sent[w] {
				missing++
			}
		}
		if missing == 0 {
			return lines
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d widget messages do not show sent after %v: %+v", missing, len(want), within, lines)
		}
	}
}

// checkExactlyOnce asserts the end state of a widget fault test: each of the
// visitor's messages shows once in the widget, as sent, reached the agent
// once and is in the transcript once; each of the agent's shows once in the
// widget and is in the transcript once.
func checkExactlyOnce(t *testing.T, p *parley, sid string, lines []widgetLine, visitorMsgs []string, atAgent map[string]int, agentMsgs []string) {
	t.Helper()
	mine, theirs := map[string]int{}, map[string]int{}
	for _, l := range lines {
		if l.Mine {
			mine[l.Body]++
			if l.Status != "sent" {
				t.Errorf("widget line %q is %q (%q), want sent", l.Body, l.Status, l.Note)
			}
		} else {
			theirs[l.Body]++
		}
	}
	kept := map[string]int{}
	for _, e := range p.transcript(sid) {
		if e.Kind == "message" {
			kept[e.Body]++
		}
	}
	for _, w := range visitorMsgs {
		if mine[w] != 1 || atAgent[w] != 1 || kept[w] != 1 {
			t.Errorf("visitor's %s: shown %d times in the widget, delivered %d times to the agent, in the transcript %d times; want 1, 1, 1",
				w, mine[w], atAgent[w], kept[w])
		}
	}
	for _, m := range agentMsgs {
		if theirs[m] != 1 || kept[m] != 1 {
			t.Errorf("agent's %s: shown %d times in the widget, in the transcript %d times; want 1 and 1", m, theirs[m], kept[m])
		}
	}
}

// faultFigure appends a line to $PARLEY_FAULT_LOG (docs/protocol.md's figures
// come from it), when set.
func faultFigure(format string, args ...any) {
	path := os.Getenv("PARLEY_FAULT_LOG")
	if path == "" {
		return
	}
	f, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return
	}
	defer f.Close()
	fmt.Fprintf(f, "%s %s\n", time.Now().UTC().Format(time.RFC3339), fmt.Sprintf(format, args...))
}

const composerBox = `role=textbox[name="Message"]`

// typeLine types text in the widget's composer and presses Enter, as a
// visitor does. The widget hides the conversation for the moment it joins
// the room again after a reconnect; an Enter that falls into that moment
// sends nothing and leaves the text in the box, where the visitor sees it
// when the conversation is back and presses Enter again: so does this, and
// it reports whether it had to.
func (b *browser) typeLine(page, text string) (again bool) {
	b.t.Helper()
	b.fill(page, composerBox, text)
	b.press(page, "Enter")
	for deadline := time.Now().Add(30 * time.Second); b.composer(page) == text; time.Sleep(100 * time.Millisecond) {
		if time.Now().After(deadline) {
			b.t.Fatalf("%q is still in the composer 30 s after Enter", text)
		}
		b.phase(page, "chat")
		b.fill(page, composerBox, text) // the box again has the focus
		b.press(page, "Enter")
		again = true
	}
	return again
}

// Postgres stops for 10 s while the visitor types in the widget (a message
// every ~250 ms) and the agent talks (one every 300 ms): while the store is
// away the widget shows the visitor's unconfirmed lines as "Not sent yet,
// retrying…" (asserted, and screenshotted), never "failed" and never silence;
// when the store is back both sides' resends go through, and everything is
// delivered and kept exactly once.
func TestWidgetPostgresOutageNothingLost(t *testing.T) {
	requireBrowser(t)
	pg := startPrivatePostgres(t)
	env := testbed.Get(t)
	env.DatabaseURL = pg.url
	p := startParleyOn(t, env, testbed.Component(t, env), "--widget-websocket", env.WSURL, "--widget-anonymous-host", env.GuestHost)
	b, a, sid, room := annWithAlice(t, p, nil)

	// The agent: a message every 300 ms until told to stop.
	ag := newAgentOutbox(room, "Alice")
	stopAgent := make(chan struct{})
	agentDone := make(chan struct{})
	go func() {
		defer close(agentDone)
		for i := 0; ; i++ {
			select {
			case <-stopAgent:
				return
			case <-time.After(300 * time.Millisecond):
			}
			_ = ag.send(a, fmt.Sprintf("a%02d", i))
		}
	}()
	// The fault: 1.5 s into the traffic Postgres stops, for 10 s.
	var down, up time.Time
	var fmu sync.Mutex
	faultDone := make(chan struct{})
	go func() {
		defer close(faultDone)
		time.Sleep(1500 * time.Millisecond)
		pg.stop()
		fmu.Lock()
		down = time.Now()
		fmu.Unlock()
		time.Sleep(10 * time.Second)
		pg.start()
		fmu.Lock()
		up = time.Now()
		fmu.Unlock()
	}()
	since := func() (time.Duration, bool) {
		fmu.Lock()
		defer fmu.Unlock()
		if down.IsZero() || !up.IsZero() {
			return 0, false
		}
		return time.Since(down), true
	}

	var typed []string
	var during []widgetLine
	var duringStatus string
	start := time.Now()
	for i := 0; ; i++ {
		fmu.Lock()
		back := !up.IsZero() && time.Since(up) > 2*time.Second
		fmu.Unlock()
		if back || time.Since(start) > 40*time.Second {
			break
		}
		w := fmt.Sprintf("w%02d", i)
		b.typeLine("shop", w)
		typed = append(typed, w)
		// Seven seconds into the outage: what does the visitor see?
		if d, ok := since(); ok && d > 7*time.Second && during == nil {
			during = b.widgetLines("shop")
			duringStatus = b.widgetStatus("shop")
			b.shot("shop", "pg-outage-01-retrying")
		}
		time.Sleep(250 * time.Millisecond)
	}
	<-faultDone
	close(stopAgent)
	<-agentDone
	fmu.Lock()
	t.Logf("Postgres was down %v; the visitor typed %d messages, the agent sent %d", up.Sub(down).Round(time.Millisecond), len(typed), len(ag.bodies()))
	fmu.Unlock()

	// While the store was away: unconfirmed lines say "retrying", none failed.
	if during == nil {
		t.Fatal("no look at the widget during the outage")
	}
	retrying := 0
	for _, l := range during {
		if l.Mine && l.Status == "failed" {
			t.Errorf("during the outage %q shows failed (%q): the visitor must see a retry, not a failure", l.Body, l.Note)
		}
		if l.Mine && l.Status == "retrying" {
			retrying++
			if !strings.Contains(l.Note, "retrying") {
				t.Errorf("during the outage %q is retrying but says %q", l.Body, l.Note)
			}
		}
	}
	if retrying == 0 {
		t.Errorf("7 s into the store's outage no widget line says retrying (silence): %+v", during)
	}
	t.Logf("7 s into the outage: %d of the visitor's lines showed %q; status line %q", retrying, "Not sent yet, retrying…", duringStatus)

	// Both sides' resends: the widget's on its own, the agent's here.
	lines := waitWidgetAllSent(t, b, "shop", typed, 60*time.Second)
	resends, missing := ag.resendUntilReflected(a, 30*time.Second)
	if len(missing) > 0 {
		t.Fatalf("the agent's %v never reflected", missing)
	}
	took := time.Since(up)
	b.shot("shop", "pg-outage-02-all-sent")
	time.Sleep(500 * time.Millisecond) // the last deliveries land
	lines = b.widgetLines("shop")
	checkExactlyOnce(t, p, sid, lines, typed, deliveredTo(a, room, "Ann"), ag.bodies())
	t.Logf("every message reflected %v after Postgres was back; the agent resent %d", took.Round(time.Millisecond), resends)
	faultFigure("TestWidgetPostgresOutageNothingLost down %v typed %d agent %d retrying-at-7s %d all-sent-after-back %v agent-resends %d",
		up.Sub(down).Round(time.Millisecond), len(typed), len(ag.bodies()), retrying, took.Round(time.Millisecond), resends)
}

// Prosody restarts (SIGTERM, 4 s down, started again on the same ports)
// while the visitor types in the widget: the widget says the connection is
// lost and keeps what it could not send as "sending"/"retrying" (asserted and
// screenshotted), reconnects by itself, rejoins and resends; the agent's
// client (whose connection died too) signs in again and resends what was not
// reflected. parleyd's return after Prosody's is logged, not asserted.
func TestWidgetProsodyRestartNothingLost(t *testing.T) {
	requireBrowser(t)
	pp := startPrivateProsody(t)
	p := startParleyOn(t, pp.env, "chat.example.test", "--widget-websocket", pp.env.WSURL, "--widget-anonymous-host", pp.env.GuestHost)
	b, a, sid, room := annWithAlice(t, p, nil)

	// The agent: a message every 300 ms on its first connection until
	// Prosody is back (those typed while it is away fail to go, and count
	// as sent: the agent typed them).
	ag := newAgentOutbox(room, "Alice")
	stopAgent := make(chan struct{})
	agentDone := make(chan int)
	go func() {
		for i := 0; ; i++ {
			select {
			case <-stopAgent:
				agentDone <- i
				return
			case <-time.After(300 * time.Millisecond):
			}
			_ = ag.send(a, fmt.Sprintf("a%02d", i))
		}
	}()

	var back time.Time
	var bmu sync.Mutex
	backAt := func() time.Time { bmu.Lock(); defer bmu.Unlock(); return back }
	restarted := make(chan struct{})
	killAt := time.Now().Add(1500 * time.Millisecond)
	var typed []string
	var during []widgetLine
	var duringStatus string
	restarting := false
	var lostAt time.Time // when the widget first said the connection was lost
	retyped := 0         // Enter pressed again: the widget was joining the room
	for i := 0; ; i++ {
		if !restarting && time.Now().After(killAt) {
			restarting = true
			go func() {
				at := pp.restart(4 * time.Second)
				bmu.Lock()
				back = at
				bmu.Unlock()
				close(restarted)
			}()
		}
		if restarting && during == nil && backAt().IsZero() {
			// Prosody is away (4 s): what does the visitor see, 2 s after
			// the widget noticed?
			if st := b.widgetStatus("shop"); strings.Contains(st, "Connection lost") {
				if lostAt.IsZero() {
					lostAt = time.Now()
				} else if time.Since(lostAt) > 2*time.Second {
					during = b.widgetLines("shop")
					duringStatus = st
					b.shot("shop", "prosody-restart-01-connection-lost")
				}
			}
		}
		if at := backAt(); restarting && !at.IsZero() && time.Since(at) > 3*time.Second {
			break
		}
		w := fmt.Sprintf("w%02d", i)
		if b.typeLine("shop", w) {
			retyped++
		}
		typed = append(typed, w)
		time.Sleep(250 * time.Millisecond)
	}
	<-restarted
	close(stopAgent)
	na := <-agentDone
	for deadline := time.Now().Add(20 * time.Second); !p.ready(); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("parleyd not ready within 20s of Prosody's return:\n%s", p.output())
		}
	}
	connected := lastLogTime(t, p.output(), "component connected").Sub(back)

	if during == nil {
		t.Fatalf("the widget never said the connection was lost for 2 s while Prosody was away (first said at %v)", lostAt)
	}
	unconfirmed := 0
	for _, l := range during {
		if l.Mine && l.Status == "failed" {
			t.Errorf("while Prosody was away %q shows failed (%q)", l.Body, l.Note)
		}
		if l.Mine && (l.Status == "sending" || l.Status == "retrying") {
			unconfirmed++
		}
	}
	if unconfirmed == 0 {
		t.Errorf("while Prosody was away no widget line shows sending or retrying: %+v", during)
	}
	if !strings.Contains(duringStatus, "Connection lost") {
		t.Errorf("while Prosody was away the widget's status line says %q, want the connection lost", duringStatus)
	}
	t.Logf("while Prosody was away: %d of the visitor's lines unconfirmed (sending/retrying); status line %q", unconfirmed, duringStatus)

	// The agent signs in again, rejoins (the history tells it what was
	// kept), sends a few more and resends what was not reflected.
	a2 := p.agent("agent1")
	signIn(p, a2, "")
	join(a2, room, "Alice")
	for i := na; i < na+5; i++ {
		if err := ag.send(a2, fmt.Sprintf("a%02d", i)); err != nil {
			t.Fatal(err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	lines := waitWidgetAllSent(t, b, "shop", typed, 60*time.Second)
	allSent := time.Since(back)
	resends, missing := ag.resendUntilReflected(a2, 30*time.Second)
	if len(missing) > 0 {
		t.Fatalf("the agent's %v never reflected", missing)
	}
	b.shot("shop", "prosody-restart-02-all-sent")
	time.Sleep(500 * time.Millisecond)
	lines = b.widgetLines("shop")
	// Delivered to the agent: its new connection got each of the visitor's
	// messages once, in the join's history or live.
	checkExactlyOnce(t, p, sid, lines, typed, deliveredTo(a2, room, "Ann"), ag.bodies())
	t.Logf("Prosody listened again at %s; parleyd's component connected %v later; every widget message sent %v after Prosody was back; the agent resent %d; the visitor pressed Enter again %d times (the widget was joining)",
		back.UTC().Format("15:04:05.000"), connected.Round(time.Millisecond), allSent.Round(time.Millisecond), resends, retyped)
	faultFigure("TestWidgetProsodyRestartNothingLost typed %d component-connected-after-prosody %v widget-all-sent-after-prosody %v agent-resends %d",
		len(typed), connected.Round(time.Millisecond), allSent.Round(time.Millisecond), resends)
}
