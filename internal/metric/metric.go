// Package metric is what Parley's Prometheus metrics share: the parley_
// namespace, in one place for the composition root and the gateway.
package metric

import "github.com/prometheus/client_golang/prometheus"

// Namespace prefixes every metric name: parley_….
const Namespace = "parley"

// Opts are the options of the metric parley_name (convert them to
// prometheus.CounterOpts or GaugeOpts).
func Opts(name, help string) prometheus.Opts {
	return prometheus.Opts{Namespace: Namespace, Name: name, Help: help}
}
