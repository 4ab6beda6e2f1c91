package e2e

import (
	"strconv"
	"testing"
)

// dayReport is the part of parleyload --scenario day's --json report the
// smoke test reads.
type dayReport struct {
	OK    bool `json:"ok"`
	Modes []struct {
		Mode       string `json:"mode"`
		Sessions   int    `json:"sessions"`
		Agents     int    `json:"agents"`
		Sent       int    `json:"sent"`
		Delivered  int    `json:"delivered"`
		Lost       int    `json:"lost"`
		Duplicates int    `json:"duplicates"`
		Errors     int    `json:"errors"`
		FirstError string `json:"first_error"`
		Failure    string `json:"failure"`
		Parleyd    *struct {
			SteadyRSSKB int64 `json:"steady_rss_kb"`
		} `json:"parleyd"`
	} `json:"modes"`
}

// The load tool's day scenario, tiny: 8 sessions, 2 per agent (agent1…agent4),
// each side sending every 1 to 2 s for 10 s, through Parley and the server's
// own MUC; every message is delivered exactly once, and parleyd's RSS is
// read from /proc (its figures are scripts/bench.sh -day's business).
func TestDayScenarioDeliversEverything(t *testing.T) {
	p := startParley(t, "--rate", "1000", "--burst", "1000", "--capacity", "2")
	muc := loadToolMUC(t, p)
	p.mu.Lock()
	pid := p.cmd.Process.Pid
	p.mu.Unlock()
	const sessions, perAgent = 8, 2
	var rep dayReport
	stderr, runErr := runLoadTool(t, p, muc, &rep, "--scenario", "day",
		"--sessions", strconv.Itoa(sessions), "--per-agent", strconv.Itoa(perAgent),
		"--interval", "1s", "--duration", "10s", "--dial", "4", "--parleyd-pid", strconv.Itoa(pid),
		"--stall", "15s", "--time-limit", "2m")
	want := map[string]bool{"parley": true, "muc": true}
	for _, m := range rep.Modes {
		if !want[m.Mode] {
			t.Errorf("unexpected mode %q", m.Mode)
			continue
		}
		delete(want, m.Mode)
		if m.Failure != "" {
			t.Errorf("%s: %s", m.Mode, m.Failure)
		}
		if m.Sessions != sessions || m.Agents != sessions/perAgent {
			t.Errorf("%s: %d sessions with %d agents, want %d with %d", m.Mode, m.Sessions, m.Agents, sessions, sessions/perAgent)
		}
		// Each side of each session sends at least once in 10 s (every 1 to 2 s).
		if m.Sent < 2*sessions*4 || m.Delivered != m.Sent || m.Lost != 0 || m.Duplicates != 0 || m.Errors != 0 {
			t.Errorf("%s: sent %d, delivered %d, lost %d, duplicates %d, errors %d (%s); want at least %d sent, all delivered once",
				m.Mode, m.Sent, m.Delivered, m.Lost, m.Duplicates, m.Errors, m.FirstError, 2*sessions*4)
		}
		if m.Parleyd == nil || m.Parleyd.SteadyRSSKB <= 0 {
			t.Errorf("%s: no RSS of parleyd (pid %d) in the report", m.Mode, pid)
		}
	}
	for m := range want {
		t.Errorf("mode %s did not run", m)
	}
	if !rep.OK || runErr != nil {
		t.Errorf("parleyload reports ok=%v, exit %v", rep.OK, runErr)
	}
	if t.Failed() {
		t.Logf("parleyload stderr:\n%s", stderr)
	}
}
