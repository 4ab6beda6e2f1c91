package main

import (
	"time"

	"github.com/parley-chat/parley/internal/metric"
	"github.com/parley-chat/parley/sessions"
	"github.com/prometheus/client_golang/prometheus"
)

// metrics are the domain's counters and gauges; the store and the gateway
// register their own.
type metrics struct {
	requests, offers, resumes, prompts, reconnects *prometheus.CounterVec
	suspends, ended                                *prometheus.CounterVec
	sessions, queue                                *prometheus.GaugeVec
	agents, up                                     prometheus.Gauge
	batch                                          prometheus.Histogram

	firstOffer, answer *prometheus.HistogramVec
	abandoned, missed  *prometheus.CounterVec
	resent, unacked    prometheus.Counter
}

func newMetrics(reg prometheus.Registerer) *metrics {
	cv := func(name, help string, labels ...string) *prometheus.CounterVec {
		return prometheus.NewCounterVec(prometheus.CounterOpts(metric.Opts(name, help)), labels)
	}
	m := &metrics{
		requests:   cv("chat_requests_total", "Chat requests by outcome (created, prompt, probe, reconnect, missed, bad_request, queue_full).", "outcome"),
		offers:     cv("offers_total", "Offers to agents by outcome (sent, accepted, declined, expired, cancelled, withdrawn).", "outcome"),
		suspends:   cv("suspends_total", "Sessions suspended, by who and cause.", "by", "cause"),
		resumes:    cv("resumes_total", "Sessions resumed, by how (explicit, message, canned, link, comment, conference, reconnect).", "how"),
		prompts:    cv("reconnect_prompts_total", "Reconnect prompts, by scenario (in_progress, most_recent, explicit_suspend).", "scenario"),
		reconnects: cv("reconnects_total", "Reconnects by route (owner, fallback, replaced, not_authorized).", "route"),
		ended:      cv("sessions_ended_total", "Sessions that ended, by final state and who ended them.", "state", "by"),
		sessions:   prometheus.NewGaugeVec(prometheus.GaugeOpts(metric.Opts("sessions", "Live sessions by state.")), []string{"state"}),
		queue:      prometheus.NewGaugeVec(prometheus.GaugeOpts(metric.Opts("queue_length", "Sessions waiting, by queue.")), []string{"queue"}),
		agents:     prometheus.NewGauge(prometheus.GaugeOpts(metric.Opts("agents_online", "Agents with an available resource."))),
		up:         prometheus.NewGauge(prometheus.GaugeOpts(metric.Opts("component_up", "1 while the component connection to the XMPP server is up."))),
		batch: prometheus.NewHistogram(prometheus.HistogramOpts{Namespace: metric.Namespace, Name: "batch_duration_seconds",
			Help: "Time to decide, commit and hand over one batch of inputs.", Buckets: prometheus.ExponentialBuckets(0.0001, 2, 16)}),
	}
	waitBuckets := []float64{1, 5, 10, 30, 60, 120, 300, 600, 1200, 3600}
	m.firstOffer = prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: metric.Namespace, Name: "time_to_first_offer_seconds",
		Help: "Time from a chat request to its first offer to an agent, by queue.", Buckets: waitBuckets}, []string{"queue"})
	m.answer = prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: metric.Namespace, Name: "time_to_answer_seconds",
		Help: "Time from a chat request to an agent taking it (assignment), by queue.", Buckets: waitBuckets}, []string{"queue"})
	m.abandoned = cv("abandoned_total", "Queued sessions abandoned (the visitor left and did not come back in time), by queue.", "queue")
	m.missed = cv("missed_total", "Messages left when no agent could chat (missed sessions), by queue.", "queue")
	m.resent = prometheus.NewCounter(prometheus.CounterOpts(metric.Opts("component_resent_total",
		"Stanzas written again on a new component connection because the server had not acknowledged them on the last one.")))
	m.unacked = prometheus.NewCounter(prometheus.CounterOpts(metric.Opts("component_unacked_dropped_total",
		"Stanzas let go unacknowledged: more than 100,000 waited (the server does not answer the pings), or one was written on 3 connections that each ended before the server acknowledged it.")))
	reg.MustRegister(m.firstOffer, m.answer, m.abandoned, m.missed, m.resent, m.unacked)
	reg.MustRegister(m.requests, m.offers, m.suspends, m.resumes, m.prompts, m.reconnects, m.ended,
		m.sessions, m.queue, m.agents, m.up, m.batch)
	return m
}

// resend is xmpp.Config.OnResend.
func (m *metrics) resend(resent, dropped int) {
	m.resent.Add(float64(resent))
	m.unacked.Add(float64(dropped))
}

func (m *metrics) Request(o string)                  { m.requests.WithLabelValues(o).Inc() }
func (m *metrics) Offer(o string)                    { m.offers.WithLabelValues(o).Inc() }
func (m *metrics) Suspend(by, cause string)          { m.suspends.WithLabelValues(by, cause).Inc() }
func (m *metrics) Resume(how string)                 { m.resumes.WithLabelValues(how).Inc() }
func (m *metrics) Prompt(s string)                   { m.prompts.WithLabelValues(s).Inc() }
func (m *metrics) Reconnect(r string)                { m.reconnects.WithLabelValues(r).Inc() }
func (m *metrics) Ended(s sessions.State, by string) { m.ended.WithLabelValues(string(s), by).Inc() }

func (m *metrics) stats(st sessions.Stats) {
	for s, n := range st.ByState {
		m.sessions.WithLabelValues(string(s)).Set(float64(n))
	}
	for q, n := range st.Queues {
		m.queue.WithLabelValues(q).Set(float64(n))
	}
	m.agents.Set(float64(st.Agents))
}

func (m *metrics) FirstOffer(q string, d time.Duration) {
	m.firstOffer.WithLabelValues(q).Observe(d.Seconds())
}
func (m *metrics) Answered(q string, d time.Duration) {
	m.answer.WithLabelValues(q).Observe(d.Seconds())
}
func (m *metrics) Abandoned(q string) { m.abandoned.WithLabelValues(q).Inc() }
func (m *metrics) Missed(q string)    { m.missed.WithLabelValues(q).Inc() }
