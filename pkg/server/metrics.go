package server

import (
	"github.com/prometheus/client_golang/prometheus"
)

// metrics are the trigger-side series; the webhook and GitHub client register their own.
type metrics struct {
	handled    *prometheus.CounterVec   // events handled by type and result
	latency    *prometheus.HistogramVec // time from dequeue to runs submitted
	runs       *prometheus.CounterVec   // runs created, by executor
	reports    *prometheus.CounterVec   // reports to GitHub by result
	queueDepth prometheus.GaugeFunc
}

func newMetrics(reg prometheus.Registerer, depth func() float64) *metrics {
	m := &metrics{
		handled: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "rigger_events_handled_total", Help: "Events the trigger handled, by event type and result.",
		}, []string{"event", "result"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "rigger_trigger_duration_seconds", Help: "Time to turn one event into runs.",
			Buckets: prometheus.ExponentialBuckets(0.001, 2, 16),
		}, []string{"event"}),
		runs: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "rigger_runs_created_total", Help: "Runs (PipelineRuns) created.",
		}, []string{"executor"}),
		reports: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "rigger_reports_total", Help: "Run state reports to GitHub, by result.",
		}, []string{"result"}),
		queueDepth: prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "rigger_queue_depth", Help: "Events waiting in the queue.",
		}, depth),
	}
	reg.MustRegister(m.handled, m.latency, m.runs, m.reports, m.queueDepth)
	return m
}
