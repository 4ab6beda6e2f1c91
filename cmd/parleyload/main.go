// Command parleyload measures how fast chat messages go through Parley, as a
// ratio against Prosody's own MUC on the same server. It logs in real XMPP
// clients (mellium) to the server's c2s port: one anonymous visitor per room
// on the guest host and a few agents with passwords. In every room the
// visitor sends M messages to the room, each counted when the agent's client
// receives it, and the agent sends M, each counted at the visitor; every
// sender keeps at most --window messages in flight. For each mode it reports
// messages delivered per second and the latency from send to receipt (p50,
// p99), then the ratios of Parley to the baselines.
//
// The modes run one after the other, in this order, in one process against
// one server, with the same clients:
//
//	parley  each visitor requests a chat from the Parley service (--service),
//	        the agent that gets the offer joins the room, both talk, and the
//	        agent closes the session
//	muc     the same clients in rooms of the server's own MUC (--muc): the
//	        baseline
//	echo    every client sends its messages to a trivial XEP-0114 component
//	        run by this process (--echo-domain, --xmpp-addr, --secret), which
//	        sends them back: raw round trips through the server, latency
//	        counted back at the sender
//
// Parley's agents need the chat permission: with --database-url (the
// database parleyd uses, search_path included) parleyload grants it to them.
// parleyd's per-JID rate limit (--rate, --burst) must allow the load, or
// messages come back as policy-violation errors.
//
// Defaults come from the test bed's environment (eval "$(scripts/testbed.sh
// env)"); scripts/bench.sh runs it against a parleyd of its own. The exit
// status is 0 only when every message of every mode was delivered exactly
// once. The figures depend on the machine: compare the ratios, not the
// absolute numbers.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/parley-chat/parley/sessions/pgstore"
	pxmpp "github.com/parley-chat/parley/xmpp"
	"github.com/prometheus/client_golang/prometheus"
)

type options struct {
	c2s, agentHost, guestHost, password string
	agentNames                          []string
	service, muc                        string
	echoDomain, xmppAddr, secret        string
	databaseURL                         string
	cost                                costOptions // cost.go
	jsonFile                            string      // --json-out
	modes                               []string
	rooms, messages                     int
	concurrency, window, maxChats       int
	rounds                              int
	timeLimit, stall                    time.Duration
	jsonOut, verbose                    bool
	scenario                            string     // "" or day (day.go)
	day                                 dayOptions // --scenario day's flags
}

// result is one mode's measurement.
type result struct {
	Mode     string `json:"mode"`
	Rounds   int    `json:"rounds"` // what the figures are medians of
	Rooms    int    `json:"rooms"`
	Messages int    `json:"messages_per_direction"`
	tally
	PerSecond float64 `json:"per_second"`
	// Per delivered message (cost.go): CPU from /proc in µs (the XMPP
	// server, parleyd, Postgres, parleyload itself) and what the component
	// wrote on its stream (parleyd in parley mode, the echo in echo mode).
	ServerCPUus   float64 `json:"server_cpu_us_per_message,omitempty"`
	ParleydCPUus  float64 `json:"parleyd_cpu_us_per_message,omitempty"`
	PostgresCPUus float64 `json:"postgres_cpu_us_per_message,omitempty"`
	LoadCPUus     float64 `json:"parleyload_cpu_us_per_message,omitempty"`
	SentStanzas   float64 `json:"component_stanzas_per_message,omitempty"`
	SentBytes     float64 `json:"component_bytes_per_message,omitempty"`
	SentWrites    float64 `json:"component_writes_per_message,omitempty"`
}

func (r result) ok() bool {
	return r.Failure == "" && r.Sent == int64(max(1, r.Rounds)*2*r.Rooms*r.Messages) && r.Delivered == r.Sent && r.Duplicates == 0
}

// report is everything parleyload measured.
type report struct {
	Rooms       int                           `json:"rooms"`
	Messages    int                           `json:"messages_per_direction"`
	Concurrency int                           `json:"concurrency"`
	Window      int                           `json:"window"`
	Modes       []result                      `json:"modes"`  // over all rounds: counts summed, figures medians
	Rounds      [][]result                    `json:"rounds"` // each round's modes
	Ratios      map[string]map[string]float64 `json:"ratios"` // medians of each round's ratios
	OK          bool                          `json:"ok"`

	// Commit is one durable commit's latency (--commit-probe, commitprobe.go): medians of the rounds'.
	Commit       *commitResult  `json:"commit,omitempty"`
	CommitRounds []commitResult `json:"commit_rounds,omitempty"`
}

func env(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

func parseFlags(args []string, stderr io.Writer) (*options, error) {
	fs := flag.NewFlagSet("parleyload", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: parleyload [flags]\n\nMeasures messages per second and latency through Parley and Prosody's own MUC (see go doc ./cmd/parleyload).\n\n")
		fs.PrintDefaults()
	}
	o := &options{}
	var agents, modes string
	fs.StringVar(&o.c2s, "c2s", env("PARLEY_TEST_C2S_ADDR", "127.0.0.1:5222"), "XMPP server's client port, plain TCP (host:port)")
	fs.StringVar(&o.agentHost, "agent-host", env("PARLEY_TEST_AGENT_HOST", "example.test"), "host of the agents' accounts")
	fs.StringVar(&o.guestHost, "guest-host", env("PARLEY_TEST_GUEST_HOST", "guest.example.test"), "anonymous host of the visitors")
	fs.StringVar(&o.password, "password", env("PARLEY_TEST_PASSWORD", "agentpass"), "the agents' password")
	fs.StringVar(&agents, "agents", "agent1,agent2,agent3,agent4", "comma-separated agent accounts (localparts on --agent-host)")
	fs.StringVar(&o.service, "service", env("PARLEY_DOMAIN", "chat.example.test"), "Parley's component domain")
	fs.StringVar(&o.muc, "muc", env("PARLEY_TEST_MUC", "conference.example.test"), "the server's own MUC service (the baseline)")
	fs.StringVar(&o.echoDomain, "echo-domain", env("PARLEY_TEST_ECHO_COMPONENT", "echo.example.test"), "spare component domain for the echo mode")
	fs.StringVar(&o.xmppAddr, "xmpp-addr", env("PARLEY_XMPP_ADDR", ""), "XMPP server's component port (echo mode)")
	fs.StringVar(&o.secret, "secret", env("PARLEY_SECRET", ""), "component secret (echo mode)")
	fs.StringVar(&o.databaseURL, "database-url", "", "parleyd's database: when given, grant the agents the chat permission there")
	costFlags(fs, &o.cost)
	fs.StringVar(&o.jsonFile, "json-out", "", "also write the report as JSON to this file")
	fs.StringVar(&modes, "modes", "parley,muc", "comma-separated modes to run in order: parley, muc, echo")
	// The size of the run.
	for _, f := range []struct {
		p     *int
		name  string
		value int
		usage string
	}{
		{&o.rooms, "rooms", 10, "N: rooms (one visitor each)"},
		{&o.messages, "messages", 20, "M: messages per room in each direction"},
		{&o.concurrency, "concurrency", 10, "rooms set up and talking at once"},
		{&o.window, "window", 4, "messages in flight per sender (per room and direction)"},
		{&o.rounds, "rounds", 1, "run the modes this many times, interleaved, and report medians"},
		{&o.maxChats, "max-chats", 0, "chats per agent announced to Parley (0: enough for all rooms)"},
	} {
		fs.IntVar(f.p, f.name, f.value, f.usage)
	}
	fs.DurationVar(&o.timeLimit, "time-limit", 5*time.Minute, "limit on the whole run")
	fs.DurationVar(&o.stall, "stall", 20*time.Second, "give up on a room, a join or an answer when nothing arrives for this long")
	fs.BoolVar(&o.jsonOut, "json", false, "print the report as JSON instead of a table")
	fs.BoolVar(&o.verbose, "v", false, "log progress to stderr")
	fs.StringVar(&o.scenario, "scenario", "", "day: many mostly idle sessions at a steady pace (see day.go); empty: the rooms above")
	addDayFlags(fs, &o.day)
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected arguments: %s", strings.Join(fs.Args(), " "))
	}
	for _, a := range strings.Split(agents, ",") {
		if a = strings.TrimSpace(a); a != "" {
			o.agentNames = append(o.agentNames, a)
		}
	}
	for _, m := range strings.Split(modes, ",") {
		switch m = strings.TrimSpace(m); m {
		case modeParley, modeMUC, modeEcho:
			o.modes = append(o.modes, m)
		case "":
		default:
			return nil, fmt.Errorf("unknown mode %q (parley, muc, echo)", m)
		}
	}
	switch {
	case o.cost.commitProbe < 0 || o.cost.commitProbe > 0 && o.databaseURL == "":
		return nil, fmt.Errorf("--commit-probe needs --database-url and a count of at least 0")
	case len(o.agentNames) == 0:
		return nil, fmt.Errorf("--agents names no account")
	case len(o.modes) == 0:
		return nil, fmt.Errorf("--modes names no mode")
	case o.rooms < 1 || o.rooms > 10000:
		return nil, fmt.Errorf("--rooms must be 1 to 10000")
	case o.messages < 1 || o.messages > 1000000:
		return nil, fmt.Errorf("--messages must be 1 to 1000000")
	case o.concurrency < 1 || o.window < 1:
		return nil, fmt.Errorf("--concurrency and --window must be at least 1")
	case o.rounds < 1 || o.rounds > 100:
		return nil, fmt.Errorf("--rounds must be 1 to 100")
	case o.timeLimit <= 0 || o.stall <= 0:
		return nil, fmt.Errorf("--time-limit and --stall must be positive")
	case o.scenario != "" && o.scenario != scenarioDay:
		return nil, fmt.Errorf("unknown scenario %q (day)", o.scenario)
	case o.scenario == scenarioDay:
		if err := checkDay(o); err != nil {
			return nil, err
		}
	}
	return o, nil
}

func main() {
	o, err := parseFlags(os.Args[1:], os.Stderr)
	if err == flag.ErrHelp {
		os.Exit(0)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "parleyload:", err)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if o.scenario == scenarioDay {
		os.Exit(runDayScenario(ctx, o))
	}
	ctx, cancel := context.WithTimeout(ctx, o.timeLimit)
	defer cancel()
	rep, err := run(ctx, o, os.Stderr)
	if err != nil {
		fmt.Fprintln(os.Stderr, "parleyload:", err)
		os.Exit(1)
	}
	if o.jsonFile != "" {
		b, err := json.MarshalIndent(rep, "", "  ")
		if err == nil {
			err = os.WriteFile(o.jsonFile, append(b, '\n'), 0o644)
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "parleyload: --json-out:", err)
			os.Exit(1)
		}
	}
	if o.jsonOut {
		enc := json.NewEncoder(os.Stdout)
		enc.SetIndent("", "  ")
		_ = enc.Encode(rep)
	} else {
		printReport(os.Stdout, rep)
	}
	if !rep.OK {
		os.Exit(1)
	}
}

// newLoader is a loader for o that logs to stderr when o.verbose.
func newLoader(o *options, stderr io.Writer) *loader {
	var logMu sync.Mutex
	return &loader{o: o, logf: func(format string, args ...any) {
		if o.verbose {
			logMu.Lock()
			fmt.Fprintf(stderr, "parleyload: "+format+"\n", args...)
			logMu.Unlock()
		}
	}}
}

// run logs the clients in, runs every mode and computes the ratios.
func run(ctx context.Context, o *options, stderr io.Writer) (*report, error) {
	l := newLoader(o, stderr)
	l.echoMeter = pxmpp.NewWireMeter(nil) // cost.go: what the echo writes
	if o.databaseURL != "" {
		if err := grant(ctx, o); err != nil {
			return nil, err
		}
	}
	t0 := time.Now()
	defer func() {
		var wg sync.WaitGroup
		for _, c := range append(append([]*client(nil), l.agents...), l.visitors...) {
			if c != nil {
				wg.Add(1)
				go func() { defer wg.Done(); c.close() }()
			}
		}
		wg.Wait()
	}()
	for _, name := range o.agentNames {
		c, err := login(ctx, l, o.c2s, name, o.agentHost, o.password)
		if err != nil {
			return nil, err
		}
		l.agents = append(l.agents, c)
	}
	l.visitors = make([]*client, o.rooms)
	sem := make(chan struct{}, o.concurrency)
	var mu sync.Mutex
	var loginErr error
	var wg sync.WaitGroup
	for i := range l.visitors {
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			c, err := login(ctx, l, o.c2s, "", o.guestHost, "")
			mu.Lock()
			defer mu.Unlock()
			if err != nil && loginErr == nil {
				loginErr = err
			}
			l.visitors[i] = c
		}()
	}
	wg.Wait()
	if loginErr != nil {
		return nil, loginErr
	}
	l.logf("%d agents and %d visitors logged in in %.2fs", len(l.agents), len(l.visitors), time.Since(t0).Seconds())

	rep := &report{Rooms: o.rooms, Messages: o.messages, Concurrency: o.concurrency, Window: o.window, OK: true}
	for round := 1; round <= o.rounds; round++ {
		var rs []result
		for _, m := range o.modes {
			if ctx.Err() != nil {
				rs = append(rs, result{Mode: m, Rounds: 1, Rooms: o.rooms, Messages: o.messages, tally: tally{Failure: "not run: " + ctx.Err().Error()}})
				continue
			}
			res := l.runMode(ctx, m)
			l.logf("round %d, %s: %d of %d delivered, %.0f/s, p50 %.2fms, p99 %.2fms (from visitors %.2f/%.2f, from agents %.2f/%.2f) %s",
				round, m, res.Delivered, res.Sent, res.PerSecond, res.P50ms, res.P99ms,
				res.VisitorP50ms, res.VisitorP99ms, res.AgentP50ms, res.AgentP99ms, res.Failure)
			rs = append(rs, res)
		}
		rep.Rounds = append(rep.Rounds, rs)
		if o.cost.commitProbe > 0 && ctx.Err() == nil {
			c, err := commitProbe(ctx, o.databaseURL, o.cost.commitProbe, o.cost.commitGap)
			if err != nil {
				return nil, err
			}
			l.logf("round %d, commit probe: p50 %.3fms, p99 %.3fms over %d commits, %v apart", round, c.P50ms, c.P99ms, c.Commits, c.Gap)
			rep.CommitRounds = append(rep.CommitRounds, *c)
		}
	}
	rep.Commit = medianCommit(rep.CommitRounds)
	var ok bool
	rep.Modes, ok, rep.Ratios = mergeRounds(o.modes, rep.Rounds, aggregate, ratios)
	rep.OK = rep.OK && ok
	return rep, nil
}

// aggregate sums the counts of one mode's rounds and takes the medians of
// their figures.
func aggregate(mode string, per []result) result {
	if len(per) == 1 {
		return per[0]
	}
	out := result{Mode: mode, Rounds: len(per), Rooms: per[0].Rooms, Messages: per[0].Messages}
	each, rate := make([]tally, len(per)), make([]float64, len(per))
	for i, r := range per {
		each[i], rate[i] = r.tally, r.PerSecond
	}
	out.tally, out.PerSecond = mergeTallies(each), median(rate)
	aggregateCost(&out, per)
	return out
}

// medianRatios is the median, key by key, of the rounds' ratios (a ratio
// missing from a round, because a mode of it failed, is left out there).
func medianRatios(each []map[string]map[string]float64) map[string]map[string]float64 {
	vals := map[string]map[string][]float64{}
	for _, r := range each {
		for pair, m := range r {
			if vals[pair] == nil {
				vals[pair] = map[string][]float64{}
			}
			for k, v := range m {
				vals[pair][k] = append(vals[pair][k], v)
			}
		}
	}
	if len(vals) == 0 {
		return nil
	}
	out := map[string]map[string]float64{}
	for pair, m := range vals {
		out[pair] = map[string]float64{}
		for k, vs := range m {
			out[pair][k] = median(vs)
		}
	}
	return out
}

// ratios compares parley with each baseline that ran: throughput (higher is
// better) and latency (lower is better) as parley's figure over the baseline's.
func ratios(rs []result) map[string]map[string]float64 {
	by := map[string]result{}
	for _, r := range rs {
		by[r.Mode] = r
	}
	p, ok := by[modeParley]
	if !ok || !p.ok() {
		return nil
	}
	out := map[string]map[string]float64{}
	for _, base := range []string{modeMUC, modeEcho} {
		b, ok := by[base]
		if !ok || !b.ok() {
			continue
		}
		out["parley/"+base] = map[string]float64{
			"throughput": ratio(p.PerSecond, b.PerSecond),
			"p50":        ratio(p.P50ms, b.P50ms),
			"p99":        ratio(p.P99ms, b.P99ms),
		}
		costRatios(out["parley/"+base], p, b)
	}
	return out
}

func printReport(w io.Writer, rep *report) {
	fmt.Fprintf(w, "parleyload: %d rooms x %d messages each way, %d rooms at once, window %d",
		rep.Rooms, rep.Messages, rep.Concurrency, rep.Window)
	if n := len(rep.Rounds); n > 1 {
		fmt.Fprintf(w, "; medians of %d rounds", n)
	}
	fmt.Fprintln(w)
	fmt.Fprintf(w, "%-7s %9s %9s %6s %8s %10s %9s %9s %9s\n", "mode", "sent", "delivered", "errors", "setup", "msgs/s", "p50 ms", "p99 ms", "max ms")
	for _, r := range rep.Modes {
		fmt.Fprintf(w, "%-7s %9d %9d %6d %7.2fs %10.0f %9.2f %9.2f %9.2f\n",
			r.Mode, r.Sent, r.Delivered, r.Errors, r.SetupSeconds, r.PerSecond, r.P50ms, r.P99ms, r.MaxMs)
		printNotes(w, r.Mode, r.tally)
	}
	for _, base := range []string{modeMUC, modeEcho} {
		if x, ok := rep.Ratios["parley/"+base]; ok {
			fmt.Fprintf(w, "parley/%s: throughput %.2f, latency p50 %.2f, p99 %.2f\n", base, x["throughput"], x["p50"], x["p99"])
		}
	}
	printCost(w, rep)
	if !rep.OK {
		fmt.Fprintln(w, "NOT OK: some messages were not delivered exactly once")
	}
}

// grant gives every agent the chat permission in parleyd's database.
func grant(ctx context.Context, o *options) error {
	pool, err := pgxpool.New(ctx, o.databaseURL)
	if err != nil {
		return fmt.Errorf("--database-url: %w", err)
	}
	defer pool.Close()
	store, err := pgstore.New(pool, prometheus.NewRegistry())
	if err != nil {
		return err
	}
	for _, a := range o.agentNames {
		if err := store.Grant(ctx, a+"@"+o.agentHost, "chat"); err != nil {
			return fmt.Errorf("grant chat to %s@%s: %w", a, o.agentHost, err)
		}
	}
	return nil
}
