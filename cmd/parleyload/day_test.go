package main

import (
	"fmt"
	"io"
	"os"
	"strings"
	"testing"
	"time"
)

func TestDayFlags(t *testing.T) {
	o, err := parseFlags([]string{"--scenario", "day", "--sessions", "10", "--per-agent", "4", "--agent-prefix", "ag"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(o.agentNames, ","); got != "ag1,ag2,ag3" {
		t.Errorf("10 sessions, 4 per agent: agents %s, want ag1,ag2,ag3", got)
	}
	if o.day.interval != 5*time.Second || o.day.duration != 3*time.Minute || strings.Join(o.modes, ",") != "parley,muc" {
		t.Errorf("defaults %+v", o.day)
	}
	for _, bad := range [][]string{
		{"--scenario", "night"}, {"--scenario", "day", "--modes", "parley,echo"}, {"--scenario", "day", "--sessions", "0"},
		{"--scenario", "day", "--per-agent", "0"}, {"--scenario", "day", "--interval", "0s"}, {"--scenario", "day", "--dial", "0"},
	} {
		if _, err := parseFlags(bad, io.Discard); err == nil {
			t.Errorf("%v accepted", bad)
		}
	}
	// Without the scenario the rooms' flags are as before.
	o, err = parseFlags([]string{"--agents", "a1"}, io.Discard)
	if err != nil || strings.Join(o.agentNames, ",") != "a1" || o.scenario != "" {
		t.Errorf("no scenario: %+v, %v", o, err)
	}
}

func TestDayGapIsJittered(t *testing.T) {
	seen := map[time.Duration]bool{}
	for i := 0; i < 1000; i++ {
		g := dayGap(5 * time.Second)
		if g < 5*time.Second || g >= 10*time.Second {
			t.Fatalf("gap %v outside [5s, 10s)", g)
		}
		seen[g.Truncate(time.Second)] = true
	}
	if len(seen) != 5 {
		t.Errorf("1000 gaps fell in %d of the 5 seconds between 5s and 10s", len(seen))
	}
}

// receive counts a message once, at the other side of its session only.
func TestDayReceive(t *testing.T) {
	visitor, agent := &client{}, &client{}
	run := &dayRun{tag: "t1", start: time.Now()}
	s := &daySession{idx: 0, visitor: visitor}
	s.agent.Store(agent)
	run.sessions = []*daySession{s}
	s.dirs[fromVisitor].sent.Add(2)
	body := func(dir byte, seq int) string { return fmt.Sprintf("day t1 0 %c %d %d", dir, seq, 0) }

	run.receive(agent, body('v', 0))
	run.receive(visitor, body('v', 0))   // the visitor's own reflection
	run.receive(agent, body('v', 0))     // again: a duplicate
	run.receive(agent, body('v', 40))    // beyond the seen slice: grows it
	run.receive(agent, "day t0 0 v 1 0") // another run's tag
	run.receive(agent, "day t1 7 v 1 0") // no such session
	if got := s.dirs[fromVisitor].delivered.Load(); got != 2 {
		t.Errorf("delivered %d, want 2", got)
	}
	if run.duplicates.Load() != 1 || run.reflections.Load() != 1 || run.stale.Load() != 2 {
		t.Errorf("duplicates %d, reflections %d, stale %d; want 1, 1, 2", run.duplicates.Load(), run.reflections.Load(), run.stale.Load())
	}
	var res dayResult
	run.fill(&res)
	if res.Sent != 2 || res.Delivered != 2 || res.Lost != 0 || res.Duplicates != 1 || res.ok() {
		t.Errorf("fill %+v (a duplicate must make the mode not ok)", res)
	}
	if len(run.latencies[fromVisitor]) != 2 || res.P99ms <= 0 {
		t.Errorf("latencies %v, p99 %v", run.latencies[fromVisitor], res.P99ms)
	}
}

func TestDayRatios(t *testing.T) {
	r := func(mode string, p99 float64, cpu float64) dayResult {
		return dayResult{Mode: mode, tally: tally{Sent: 10, Delivered: 10, P50ms: p99 / 2, P99ms: p99}, Server: &procFigures{CPUSeconds: cpu}}
	}
	got := dayRatios([]dayResult{r("parley", 12, 3), r("muc", 10, 2)})["parley/muc"]
	if got["p99"] != 1.2 || got["p50"] != 1.2 || got["server_cpu"] != 1.5 {
		t.Errorf("ratios %v", got)
	}
	lost := r("muc", 10, 2)
	lost.Delivered, lost.Lost = 9, 1
	if got := dayRatios([]dayResult{r("parley", 12, 3), lost}); got != nil {
		t.Errorf("a ratio against a mode that lost a message: %v", got)
	}
	agg := aggregateDay("muc", []dayResult{r("muc", 10, 2), r("muc", 30, 1), lost})
	if agg.Sent != 30 || agg.Lost != 1 || agg.ok() || agg.P99ms != 10 || agg.Server.CPUSeconds != 2 {
		t.Errorf("aggregate %+v", agg)
	}
}

func TestProcParsers(t *testing.T) {
	kb, err := parseVmRSS([]byte("Name:\tparleyd\nVmPeak:\t  9000 kB\nVmRSS:\t   24088 kB\nRssAnon:\t 1 kB\n"))
	if err != nil || kb != 24088 {
		t.Errorf("VmRSS %d, %v", kb, err)
	}
	if _, err := parseVmRSS([]byte("Name:\tx\n")); err == nil {
		t.Error("a status without VmRSS parsed")
	}
	// This process: some RSS, some CPU.
	w := newProcWatch(os.Getpid())
	if w.err != nil || w.base <= 0 {
		t.Errorf("own RSS %d, %v", w.base, w.err)
	}
}
