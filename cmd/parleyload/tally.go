package main

import "fmt"

// tally is what every scenario counts and times of one mode's messages: in
// one round, or merged over rounds (counts summed, figures medians). The
// modes' result and the day scenario's dayResult embed it, so their JSON
// keeps its flat field names.
type tally struct {
	Sent         int64   `json:"sent"`
	Delivered    int64   `json:"delivered"`
	Duplicates   int64   `json:"duplicates"`
	Errors       int64   `json:"errors"`
	Foreign      int64   `json:"foreign_offers,omitempty"`
	FirstError   string  `json:"first_error,omitempty"`
	Failure      string  `json:"failure,omitempty"`
	SetupSeconds float64 `json:"setup_seconds"`
	Seconds      float64 `json:"seconds"` // the message phase
	P50ms        float64 `json:"p50_ms"`
	P99ms        float64 `json:"p99_ms"`
	MaxMs        float64 `json:"max_ms"`
	// By direction: visitor to room (received by the agent) and agent to
	// room (received by the visitor); in echo mode both are round trips.
	VisitorP50ms float64 `json:"visitor_p50_ms"`
	VisitorP99ms float64 `json:"visitor_p99_ms"`
	AgentP50ms   float64 `json:"agent_p50_ms"`
	AgentP99ms   float64 `json:"agent_p99_ms"`
}

// mergeTallies is the rounds' tallies as one: the counts summed, the first
// error and failure kept with their round, the maximum of the maxima and the
// medians of the other figures.
func mergeTallies(each []tally) tally {
	var out tally
	var setup, secs, p50, p99, vp50, vp99, ap50, ap99 []float64
	for i, r := range each {
		out.Sent += r.Sent
		out.Delivered += r.Delivered
		out.Duplicates += r.Duplicates
		out.Errors += r.Errors
		out.Foreign += r.Foreign
		if out.FirstError == "" && r.FirstError != "" {
			out.FirstError = fmt.Sprintf("round %d: %s", i+1, r.FirstError)
		}
		if out.Failure == "" && r.Failure != "" {
			out.Failure = fmt.Sprintf("round %d: %s", i+1, r.Failure)
		}
		out.MaxMs = max(out.MaxMs, r.MaxMs)
		setup, secs = append(setup, r.SetupSeconds), append(secs, r.Seconds)
		p50, p99 = append(p50, r.P50ms), append(p99, r.P99ms)
		vp50, vp99 = append(vp50, r.VisitorP50ms), append(vp99, r.VisitorP99ms)
		ap50, ap99 = append(ap50, r.AgentP50ms), append(ap99, r.AgentP99ms)
	}
	out.SetupSeconds, out.Seconds = median(setup), median(secs)
	out.P50ms, out.P99ms = median(p50), median(p99)
	out.VisitorP50ms, out.VisitorP99ms = median(vp50), median(vp99)
	out.AgentP50ms, out.AgentP99ms = median(ap50), median(ap99)
	return out
}

// mergeRounds is each mode's results over the rounds (rounds[r][i] is mode
// i's in round r) merged into one by merge, and whether every merged one is
// ok; ratioMedians is the medians, key by key, of each round's ratios.
func mergeRounds[R interface{ ok() bool }](modes []string, rounds [][]R, merge func(string, []R) R,
	ratios func([]R) map[string]map[string]float64) (merged []R, ok bool, ratioMedians map[string]map[string]float64) {
	ok = true
	for i, m := range modes {
		per := make([]R, 0, len(rounds))
		for _, rs := range rounds {
			per = append(per, rs[i])
		}
		agg := merge(m, per)
		merged = append(merged, agg)
		ok = ok && agg.ok()
	}
	each := make([]map[string]map[string]float64, 0, len(rounds))
	for _, rs := range rounds {
		each = append(each, ratios(rs))
	}
	return merged, ok, medianRatios(each)
}
