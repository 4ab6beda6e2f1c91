package main

import (
	"flag"
	"io"
	"math"
	"strings"
	"testing"
)

func TestParseStat(t *testing.T) {
	// The command may hold spaces and parentheses: fields count from the last ')'.
	st, err := parseStat([]byte("4242 (postgres: x (y) ) S 17 4242 4242 0 -1 4194560 1 2 3 4 123 45 6 7 20 0 1 0 99 1 1\n"))
	if err != nil {
		t.Fatal(err)
	}
	if st.pid != 4242 || st.ppid != 17 || st.self != 168 || st.reaped != 13 {
		t.Errorf("parsed %+v, want pid 4242 ppid 17 self 168 reaped 13", st)
	}
	for _, bad := range []string{"", "12 no comm", "12 (x) S 1 2 3", "x (y) S 1 1 1 0 -1 0 0 0 0 0 1 1 1 1 20", "1 (y) S 1 1 1 0 -1 0 0 0 0 0 a 1 1 1 20"} {
		if _, err := parseStat([]byte(bad)); err == nil {
			t.Errorf("parseStat(%q) accepted", bad)
		}
	}
}

func TestTreeTicksFromFixture(t *testing.T) {
	procs := readProcs("testdata/proc")
	if len(procs) != 5 {
		t.Fatalf("read %d processes from the fixture, want 5", len(procs))
	}
	const tick = 10_000_000 // ns
	// The postmaster: its own from its threads' schedstat (2 000 000 001 ns,
	// not its 150+50 stat ticks), its ended children's 700+300 ticks, its
	// live backends': 101 without schedstat (40+10 ticks), 102 with
	// (123 456 ns); not the unrelated process 200.
	if got, ok := treeCPU("testdata/proc", procs, 100); !ok || got != 2_000_000_001+1000*tick+50*tick+123_456 {
		t.Errorf("postmaster tree = %d, %v", got, ok)
	}
	// A server with one child of an odd name, two threads.
	if got, ok := treeCPU("testdata/proc", procs, 200); !ok || got != 7_000_000_000+5_000+10*tick+33*tick {
		t.Errorf("server tree = %d, %v", got, ok)
	}
	if _, ok := treeCPU("testdata/proc", procs, 999); ok {
		t.Error("a pid not there was found")
	}
}

func TestFillCostPerDeliveredMessage(t *testing.T) {
	const tick = 10_000_000 // ns
	a := costSample{server: 100 * tick, parleyd: 50 * tick, postgres: 10 * tick, self: 5 * tick, haveServer: true, haveParleyd: true, havePostgres: true, haveSelf: true,
		wire: map[string]float64{metricStanzas: 10, metricBytes: 1000, metricWrites: 5}}
	b := costSample{server: 150 * tick, parleyd: 60 * tick, postgres: 12 * tick, self: 9 * tick, haveServer: true, haveParleyd: true, havePostgres: true, haveSelf: true,
		wire: map[string]float64{metricStanzas: 2010, metricBytes: 401000, metricWrites: 1005}}
	res := result{Mode: modeParley, tally: tally{Delivered: 1000}}
	fillCost(&res, a, b)
	// 50 ticks of 10 ms over 1000 messages: 500 µs each.
	near := func(got, want float64) bool { return math.Abs(got-want) < 1e-9 }
	if !near(res.ServerCPUus, 500) || !near(res.ParleydCPUus, 100) || !near(res.PostgresCPUus, 20) || !near(res.LoadCPUus, 40) {
		t.Errorf("CPU %+v", res)
	}
	if !near(res.SentStanzas, 2) || !near(res.SentBytes, 400) || !near(res.SentWrites, 1) {
		t.Errorf("wire %+v", res)
	}
	// A process missing at one edge gives no figure rather than a wrong one.
	b.haveServer = false
	res = result{Mode: modeParley, tally: tally{Delivered: 1000}}
	fillCost(&res, a, b)
	if res.ServerCPUus != 0 {
		t.Errorf("server CPU %v with the server gone", res.ServerCPUus)
	}
	// The echo's own meter.
	res = result{Mode: modeEcho, tally: tally{Delivered: 10}}
	fillCost(&res, costSample{echo: [3]uint64{1, 100, 1}}, costSample{echo: [3]uint64{11, 2100, 6}})
	if !near(res.SentStanzas, 1) || !near(res.SentBytes, 200) || !near(res.SentWrites, 0.5) {
		t.Errorf("echo wire %+v", res)
	}
}

func TestParseMetrics(t *testing.T) {
	text := `# HELP parley_component_sent_bytes_total Bytes.
# TYPE parley_component_sent_bytes_total counter
parley_component_sent_bytes_total 1.234e+06
parley_stanzas_out_total{conn="a"} 10
parley_stanzas_out_total{conn="b",x="}"} 5 1700000000
parley_stanzas_out_total_other 99
parley_stanzas_in_total{kind="message"} 7
`
	m, err := parseMetrics(strings.NewReader(text), metricStanzas, metricBytes, metricWrites)
	if err != nil {
		t.Fatal(err)
	}
	if m[metricBytes] != 1234000 || m[metricStanzas] != 15 || len(m) != 2 {
		t.Errorf("parsed %v", m)
	}
	if _, err := parseMetrics(strings.NewReader("parley_component_writes_total{x=\"1\" 3\n"), metricWrites); err == nil {
		t.Error("a broken line was accepted")
	}
}

func TestCostFlags(t *testing.T) {
	o, err := parseFlags([]string{"--cpu-server-pids", "12, 13", "--cpu-parleyd-pid", "14", "--cpu-postgres-pid", "15", "--parleyd-metrics", "http://x/metrics"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if len(o.cost.serverPIDs) != 2 || o.cost.serverPIDs[1] != 13 || o.cost.parleydPID != 14 || o.cost.postgresPID != 15 || o.cost.metricsURL != "http://x/metrics" {
		t.Errorf("parsed %+v", o.cost)
	}
	fs := flag.NewFlagSet("x", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	var c costOptions
	costFlags(fs, &c)
	if err := fs.Parse([]string{"--cpu-server-pids", "12,x"}); err == nil {
		t.Error("a bad pid was accepted")
	}
}

func TestMedianCostAndRatio(t *testing.T) {
	out := result{}
	aggregateCost(&out, []result{{ServerCPUus: 300}, {ServerCPUus: 0}, {ServerCPUus: 100}, {ServerCPUus: 200}})
	if out.ServerCPUus != 200 {
		t.Errorf("median of the rounds that measured = %v, want 200", out.ServerCPUus)
	}
	m := map[string]float64{}
	costRatios(m, result{ServerCPUus: 320}, result{ServerCPUus: 200})
	if !(math.Abs(m["server_cpu"]-1.6) < 1e-9) {
		t.Errorf("ratio %v", m)
	}
	m = map[string]float64{}
	costRatios(m, result{ServerCPUus: 320}, result{})
	if _, ok := m["server_cpu"]; ok {
		t.Error("a ratio over nothing")
	}
}
