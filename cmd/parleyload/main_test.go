package main

import (
	"io"
	"strings"
	"testing"
	"time"
)

func TestPercentile(t *testing.T) {
	var ds []time.Duration
	for i := 100; i >= 1; i-- {
		ds = append(ds, time.Duration(i)*time.Millisecond)
	}
	for _, c := range []struct {
		q    float64
		want time.Duration
	}{{0.5, 50 * time.Millisecond}, {0.99, 99 * time.Millisecond}, {1, 100 * time.Millisecond}, {0.001, time.Millisecond}} {
		if got := percentile(ds, c.q); got != c.want {
			t.Errorf("percentile(%v) = %v, want %v", c.q, got, c.want)
		}
	}
	if got := percentile(nil, 0.5); got != 0 {
		t.Errorf("percentile of nothing = %v", got)
	}
}

func TestParseFlags(t *testing.T) {
	o, err := parseFlags([]string{"--modes", "muc, echo,parley", "--agents", "a1,,a2 ", "--rooms", "3"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(o.modes, ",") != "muc,echo,parley" || strings.Join(o.agentNames, ",") != "a1,a2" || o.rooms != 3 {
		t.Errorf("parsed %+v", o)
	}
	for _, bad := range [][]string{
		{"--modes", "parley,chat"}, {"--modes", ""}, {"--agents", ","}, {"--rooms", "0"},
		{"--messages", "0"}, {"--window", "0"}, {"--time-limit", "0s"}, {"extra"},
	} {
		if _, err := parseFlags(bad, io.Discard); err == nil {
			t.Errorf("%v accepted", bad)
		}
	}
}

func TestRatiosOnlyOfCompleteModes(t *testing.T) {
	full := func(mode string, perSecond, p50 float64) result {
		return result{Mode: mode, Rooms: 1, Messages: 2, tally: tally{Sent: 4, Delivered: 4, P50ms: p50, P99ms: p50}, PerSecond: perSecond}
	}
	got := ratios([]result{full("parley", 50, 4), full("muc", 100, 1), full("echo", 200, 2)})
	if got["parley/muc"]["throughput"] != 0.5 || got["parley/muc"]["p50"] != 4 || got["parley/echo"]["throughput"] != 0.25 {
		t.Errorf("ratios %v", got)
	}
	short := full("muc", 100, 1)
	short.Delivered = 3
	if got := ratios([]result{full("parley", 50, 4), short}); got["parley/muc"] != nil {
		t.Errorf("a ratio against a mode that lost messages: %v", got)
	}
	if got := ratios([]result{full("muc", 100, 1)}); got != nil {
		t.Errorf("ratios without parley: %v", got)
	}
}

func TestRoundsAggregate(t *testing.T) {
	r := func(rate, p50 float64) result {
		return result{Mode: "muc", Rounds: 1, Rooms: 1, Messages: 2, tally: tally{Sent: 4, Delivered: 4, P50ms: p50, MaxMs: p50}, PerSecond: rate}
	}
	agg := aggregate("muc", []result{r(100, 3), r(300, 1), r(200, 2)})
	if !agg.ok() || agg.Sent != 12 || agg.PerSecond != 200 || agg.P50ms != 2 || agg.MaxMs != 3 || agg.Rounds != 3 {
		t.Errorf("aggregate %+v", agg)
	}
	lost := r(100, 1)
	lost.Delivered = 3
	if aggregate("muc", []result{r(100, 1), lost}).ok() {
		t.Error("rounds that lost a message aggregate as ok")
	}
	got := medianRatios([]map[string]map[string]float64{
		{"parley/muc": {"throughput": 0.5}}, {"parley/muc": {"throughput": 0.7}}, nil,
	})
	if got["parley/muc"]["throughput"] != 0.6 {
		t.Errorf("median ratios %v", got)
	}
	if median([]float64{3, 1, 2}) != 2 || median(nil) != 0 {
		t.Error("median")
	}
}
