package main

import (
	"time"

	"github.com/parley-chat/parley/internal/metric"
	"github.com/parley-chat/parley/sessions"
	"github.com/parley-chat/parley/xmpp"
	"github.com/prometheus/client_golang/prometheus"
)

// stageMetrics is parley_stage_seconds{stage}: how long each stage of a
// message's way through parleyd takes (docs/benchmarks.md, "The quiet path,
// stage by stage"). Each stage's observer is resolved once, so an
// observation costs one map read and the histogram's own update.
type stageMetrics struct {
	vec *prometheus.HistogramVec
	obs map[string]prometheus.Observer // read-only after newStageMetrics
}

func newStageMetrics(reg prometheus.Registerer) *stageMetrics {
	vec := prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: metric.Namespace, Name: "stage_seconds",
		Help: "Time spent in each stage of parleyd's path from a stanza read to its answers written " +
			"(decode, handle, queue, engine, pipe, commit, deliver, outq, write).",
		Buckets: prometheus.ExponentialBuckets(2e-6, 1.6, 24)}, []string{"stage"})
	reg.MustRegister(vec)
	m := &stageMetrics{vec: vec, obs: map[string]prometheus.Observer{}}
	for _, s := range []string{xmpp.StageDecode, xmpp.StageHandle, sessions.StageQueue, sessions.StageEngine,
		sessions.StagePipe, sessions.StageCommit, sessions.StageDeliver, xmpp.StageOutq, xmpp.StageWrite} {
		m.obs[s] = vec.WithLabelValues(s)
	}
	return m
}

func (m *stageMetrics) observe(stage string, d time.Duration) {
	o, ok := m.obs[stage]
	if !ok {
		o = m.vec.WithLabelValues(stage)
	}
	o.Observe(d.Seconds())
}
