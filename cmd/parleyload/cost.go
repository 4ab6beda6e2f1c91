package main

// What a message costs the processes around it: the CPU time the XMPP
// server, parleyd and Postgres (and parleyload itself) spend during the
// message phase, from /proc/<pid>/stat, and what parleyd writes on its
// component stream (stanzas, bytes, write calls), from its /metrics. Both
// are read only at the edges of the message phase, so that measuring does
// not add to what is measured.

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// costOptions say whose CPU to read and where parleyd's metrics are.
type costOptions struct {
	serverPIDs  []int         // the XMPP server's processes (each with its children)
	parleydPID  int           // 0: not measured
	postgresPID int           // the postmaster: its children (the backends) are summed
	metricsURL  string        // parleyd's /metrics: the component stream's counters
	commitProbe int           // commits timed per round (commitprobe.go); 0: none
	commitGap   time.Duration // idle time before each timed commit
}

func costFlags(fs *flag.FlagSet, c *costOptions) {
	fs.Func("cpu-server-pids", "the XMPP server's pid(s), comma-separated: CPU per message from /proc (children included, e.g. Prosody or ejabberd's beam.smp)", func(s string) (err error) {
		c.serverPIDs, err = parsePIDs(s)
		return err
	})
	fs.IntVar(&c.parleydPID, "cpu-parleyd-pid", 0, "parleyd's pid: its CPU per message from /proc")
	fs.IntVar(&c.postgresPID, "cpu-postgres-pid", 0, "the Postgres postmaster's pid (first line of the data directory's postmaster.pid): the CPU of it and its backends per message")
	fs.IntVar(&c.commitProbe, "commit-probe", 0, "after each round, time this many commits of one transcript entry on --database-url (parleyd's store, one after the other, checking the active parleyd's fence as its commits do): one commit's p50")
	fs.DurationVar(&c.commitGap, "commit-probe-gap", time.Millisecond, "with --commit-probe, the idle time before each timed commit: a quiet message's commit finds its backend idle (about a message's round trip since the last one), and waking it is part of what that commit costs; 0 times them back to back")
	fs.StringVar(&c.metricsURL, "parleyd-metrics", "", "parleyd's metrics URL (http://HOST:PORT/metrics): the stanzas, bytes and write calls it writes per message")
}

func parsePIDs(s string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f == "" {
			continue
		}
		n, err := strconv.Atoi(f)
		if err != nil || n <= 0 {
			return nil, fmt.Errorf("not a pid: %q", f)
		}
		out = append(out, n)
	}
	return out, nil
}

// userHZ is USER_HZ, the unit of /proc/<pid>/stat's times: 100 on every
// Linux architecture parleyload runs on (the kernel converts to it).
const userHZ = 100

// procStat is what parleyload reads of one /proc/<pid>/stat line.
type procStat struct {
	pid, ppid int
	// CPU time in clock ticks: the process's own (utime+stime, all its
	// threads) and that of its children that ended and were waited for
	// (cutime+cstime).
	self, reaped uint64
}

// parseStat parses a /proc/<pid>/stat line. The command (field 2) is in
// parentheses and may hold spaces and parentheses itself: the fields after it
// are counted from the last ')'.
func parseStat(b []byte) (procStat, error) {
	var st procStat
	open := bytes.IndexByte(b, '(')
	end := bytes.LastIndexByte(b, ')')
	if open < 1 || end < open {
		return st, errors.New("stat: no (comm)")
	}
	pid, err := strconv.Atoi(string(bytes.TrimSpace(b[:open])))
	if err != nil {
		return st, fmt.Errorf("stat: pid: %w", err)
	}
	// After ')': state(3) ppid(4) pgrp session tty_nr tpgid flags minflt
	// cminflt majflt cmajflt utime(14) stime(15) cutime(16) cstime(17).
	f := strings.Fields(string(b[end+1:]))
	if len(f) < 15 {
		return st, fmt.Errorf("stat: %d fields after the command", len(f))
	}
	num := func(i int) (uint64, error) { return strconv.ParseUint(f[i-3], 10, 64) }
	ppid, err := num(4)
	if err != nil {
		return st, fmt.Errorf("stat: ppid: %w", err)
	}
	var t [4]uint64
	for i := range t {
		if t[i], err = num(14 + i); err != nil {
			// cutime and cstime are signed in the kernel but never negative.
			return st, fmt.Errorf("stat: field %d: %w", 14+i, err)
		}
	}
	return procStat{pid: pid, ppid: int(ppid), self: t[0] + t[1], reaped: t[2] + t[3]}, nil
}

// readProcs reads the stat line of every process under root (a /proc).
// Processes that end while it reads are left out.
func readProcs(root string) []procStat {
	dirs, _ := filepath.Glob(filepath.Join(root, "[0-9]*", "stat"))
	out := make([]procStat, 0, len(dirs))
	for _, d := range dirs {
		b, err := os.ReadFile(d)
		if err != nil {
			continue
		}
		if st, err := parseStat(b); err == nil {
			out = append(out, st)
		}
	}
	return out
}

// tickNs is one clock tick in nanoseconds.
const tickNs = 1e9 / userHZ

// cpuNs is the CPU time of process p in nanoseconds: the sum of its
// threads' run time in root/<pid>/task/*/schedstat (nanoseconds, where
// stat's utime and stime count 10 ms ticks), or its stat ticks when there is
// no schedstat to read.
func cpuNs(root string, p procStat) uint64 {
	files, _ := filepath.Glob(filepath.Join(root, strconv.Itoa(p.pid), "task", "*", "schedstat"))
	var sum uint64
	n := 0
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		fs := strings.Fields(string(b))
		if len(fs) == 0 {
			continue
		}
		v, err := strconv.ParseUint(fs[0], 10, 64)
		if err != nil {
			continue
		}
		sum += v
		n++
	}
	if n == 0 {
		return p.self * tickNs
	}
	return sum
}

// treeCPU is the CPU time in nanoseconds of pid and its children: its own,
// its ended children's (stat's cutime and cstime, in ticks), and each live
// child's own (Postgres's backends, beam.smp's helpers). The second result is
// false when pid is not among procs.
func treeCPU(root string, procs []procStat, pid int) (uint64, bool) {
	var sum uint64
	found := false
	for _, p := range procs {
		switch {
		case p.pid == pid:
			sum += cpuNs(root, p) + p.reaped*tickNs
			found = true
		case p.ppid == pid:
			sum += cpuNs(root, p)
		}
	}
	return sum, found
}

// costSample is one reading at a phase edge.
type costSample struct {
	at                        time.Time
	server, parleyd, postgres uint64 // nanoseconds
	self                      uint64 // parleyload's own, ticks in ns
	haveServer, haveParleyd   bool
	havePostgres, haveSelf    bool
	wire                      map[string]float64 // parleyd's component counters
	echo                      [3]uint64          // the echo component's stanzas, bytes, writes
}

// What parleyd exports of its component stream: the stanzas it handed to the
// server (gateway, by kind: summed) and what xmpp.WireMeter counted.
const (
	metricStanzas = "parley_stanzas_out_total"
	metricBytes   = "parley_component_sent_bytes_total"
	metricWrites  = "parley_component_writes_total"
)

func (l *loader) costWanted() bool {
	c := l.o.cost
	return len(c.serverPIDs) > 0 || c.parleydPID > 0 || c.postgresPID > 0 || c.metricsURL != "" || l.echoMeter != nil
}

// sampleCost reads /proc and parleyd's metrics once.
func (l *loader) sampleCost(ctx context.Context, mode string) costSample {
	c := l.o.cost
	s := costSample{at: time.Now()}
	var procs []procStat
	if len(c.serverPIDs) > 0 || c.parleydPID > 0 || c.postgresPID > 0 {
		procs = readProcs("/proc")
	}
	if len(c.serverPIDs) > 0 {
		s.haveServer = true
		for _, pid := range c.serverPIDs {
			t, ok := treeCPU("/proc", procs, pid)
			s.server += t
			s.haveServer = s.haveServer && ok
		}
	}
	if c.parleydPID > 0 {
		s.parleyd, s.haveParleyd = treeCPU("/proc", procs, c.parleydPID)
	}
	if c.postgresPID > 0 {
		s.postgres, s.havePostgres = treeCPU("/proc", procs, c.postgresPID)
	}
	if b, err := os.ReadFile("/proc/self/stat"); err == nil {
		if st, err := parseStat(b); err == nil {
			s.self, s.haveSelf = st.self*tickNs, true
		}
	}
	if c.metricsURL != "" && mode == modeParley {
		w, err := scrape(ctx, c.metricsURL)
		if err != nil {
			l.logf("metrics: %v", err)
		} else {
			s.wire = w
		}
	}
	if l.echoMeter != nil {
		s.echo = [3]uint64{l.echoSent.Load(), l.echoMeter.Bytes(), l.echoMeter.Writes()}
	}
	return s
}

// fillCost sets res's cost figures from the samples at the start and the end
// of its message phase, per delivered message.
func fillCost(res *result, a, b costSample) {
	n := float64(res.Delivered)
	if n == 0 {
		return
	}
	us := func(t0, t1 uint64) float64 {
		return float64(t1-t0) / 1e3 / n
	}
	if a.haveServer && b.haveServer && b.server >= a.server {
		res.ServerCPUus = us(a.server, b.server)
	}
	if a.haveParleyd && b.haveParleyd && b.parleyd >= a.parleyd {
		res.ParleydCPUus = us(a.parleyd, b.parleyd)
	}
	if a.havePostgres && b.havePostgres && b.postgres >= a.postgres {
		res.PostgresCPUus = us(a.postgres, b.postgres)
	}
	if a.haveSelf && b.haveSelf {
		res.LoadCPUus = us(a.self, b.self)
	}
	if a.wire != nil && b.wire != nil {
		res.SentStanzas = (b.wire[metricStanzas] - a.wire[metricStanzas]) / n
		res.SentBytes = (b.wire[metricBytes] - a.wire[metricBytes]) / n
		res.SentWrites = (b.wire[metricWrites] - a.wire[metricWrites]) / n
	}
	if res.Mode == modeEcho && b.echo[0] > a.echo[0] {
		res.SentStanzas = float64(b.echo[0]-a.echo[0]) / n
		res.SentBytes = float64(b.echo[1]-a.echo[1]) / n
		res.SentWrites = float64(b.echo[2]-a.echo[2]) / n
	}
}

// scrape reads the component counters from a Prometheus text exposition.
func scrape(ctx context.Context, url string) (map[string]float64, error) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%s: %s", url, resp.Status)
	}
	m, err := parseMetrics(resp.Body, metricStanzas, metricBytes, metricWrites)
	if err != nil {
		return nil, err
	}
	if len(m) == 0 {
		return nil, fmt.Errorf("%s has no %s (a parleyd without the component meter?)", url, metricStanzas)
	}
	return m, nil
}

// parseMetrics sums, per wanted name, the samples of a Prometheus text
// exposition (every label set of the name).
func parseMetrics(r io.Reader, names ...string) (map[string]float64, error) {
	want := map[string]bool{}
	for _, n := range names {
		want[n] = true
	}
	out := map[string]float64{}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || line[0] == '#' {
			continue
		}
		name, rest := line, ""
		if i := strings.IndexAny(line, "{ "); i >= 0 {
			name, rest = line[:i], line[i:]
		}
		if !want[name] {
			continue
		}
		if strings.HasPrefix(rest, "{") {
			j := strings.LastIndexByte(rest, '}')
			if j < 0 {
				return nil, fmt.Errorf("metrics: bad line %q", line)
			}
			rest = rest[j+1:]
		}
		f := strings.Fields(rest)
		if len(f) == 0 {
			return nil, fmt.Errorf("metrics: no value in %q", line)
		}
		v, err := strconv.ParseFloat(f[0], 64)
		if err != nil {
			return nil, fmt.Errorf("metrics: %q: %w", line, err)
		}
		out[name] += v
	}
	return out, sc.Err()
}

// aggregateCost sets out's cost figures to the medians of the rounds'.
func aggregateCost(out *result, per []result) {
	pick := func(f func(*result) *float64) {
		var vs []float64
		for i := range per {
			if v := *f(&per[i]); v > 0 {
				vs = append(vs, v)
			}
		}
		*f(out) = median(vs)
	}
	pick(func(r *result) *float64 { return &r.ServerCPUus })
	pick(func(r *result) *float64 { return &r.ParleydCPUus })
	pick(func(r *result) *float64 { return &r.PostgresCPUus })
	pick(func(r *result) *float64 { return &r.LoadCPUus })
	pick(func(r *result) *float64 { return &r.SentStanzas })
	pick(func(r *result) *float64 { return &r.SentBytes })
	pick(func(r *result) *float64 { return &r.SentWrites })
}

// costRatios adds the server's CPU per message, parley's over the baseline's.
func costRatios(m map[string]float64, p, b result) {
	if p.ServerCPUus > 0 && b.ServerCPUus > 0 {
		m["server_cpu"] = p.ServerCPUus / b.ServerCPUus
	}
}

func printCost(w io.Writer, rep *report) {
	some := false
	for _, r := range rep.Modes {
		some = some || r.ServerCPUus > 0 || r.ParleydCPUus > 0 || r.PostgresCPUus > 0 || r.SentBytes > 0
	}
	if some {
		fmt.Fprintln(w, "per delivered message (CPU from /proc, in µs; what the component wrote: parleyd in parley, the echo in echo):")
		fmt.Fprintf(w, "%-7s %9s %9s %9s %10s %9s %9s %9s\n", "mode", "server", "parleyd", "postgres", "parleyload", "stanzas", "bytes", "writes")
		for _, r := range rep.Modes {
			fmt.Fprintf(w, "%-7s %9.1f %9.1f %9.1f %10.1f %9.2f %9.1f %9.2f\n",
				r.Mode, r.ServerCPUus, r.ParleydCPUus, r.PostgresCPUus, r.LoadCPUus, r.SentStanzas, r.SentBytes, r.SentWrites)
		}
	}
	if rep.Commit != nil {
		fmt.Fprintf(w, "commit (one transcript entry, pgstore.Commit): p50 %.3f ms, p99 %.3f ms, %d per round\n", rep.Commit.P50ms, rep.Commit.P99ms, rep.Commit.Commits)
	}
	for _, base := range []string{modeMUC, modeEcho} {
		if x, ok := rep.Ratios["parley/"+base]["server_cpu"]; ok {
			fmt.Fprintf(w, "parley/%s: server CPU per message %.2f\n", base, x)
		}
	}
}
