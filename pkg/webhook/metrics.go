package webhook

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/rigger-ci/rigger/pkg/event"
)

// Results of one delivery, the values of the "result" label.
const (
	ResultAccepted         = "accepted"      // decoded and queued (or a ping answered)
	ResultIgnored          = "ignored"       // an event type Rigger does not handle
	ResultBadSignature     = "bad_signature" // missing or wrong X-Hub-Signature-256
	ResultTooLarge         = "too_large"     // body over the size limit
	ResultMalformed        = "malformed"     // not a decodable webhook
	ResultQueueFull        = "queue_full"    // queue at capacity: 503, GitHub may redeliver
	ResultUnavailable      = "unavailable"   // queue shutting down or failing
	ResultMethodNotAllowed = "method_not_allowed"
)

// Metrics counts deliveries and times the handler.
type Metrics struct {
	events  *prometheus.CounterVec
	latency *prometheus.HistogramVec
}

// NewMetrics creates the webhook metrics and registers them on reg.
func NewMetrics(reg prometheus.Registerer) (*Metrics, error) {
	m := &Metrics{
		events: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "rigger_webhook_events_total",
			Help: "Webhook deliveries received, by GitHub event type and result.",
		}, []string{"event", "result"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "rigger_webhook_handle_duration_seconds",
			Help:    "Time to answer a webhook delivery, by result.",
			Buckets: prometheus.ExponentialBuckets(0.0005, 4, 8), // 0.5ms .. ~8s
		}, []string{"result"}),
	}
	for _, c := range []prometheus.Collector{m.events, m.latency} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// eventLabel bounds the "event" label to the types Rigger knows: the header is set by whoever
// sends the request, signed or not, and must not grow the number of series.
func eventLabel(eventType string) string {
	if event.Kind(eventType).Supported() {
		return eventType
	}
	return "other"
}

func (m *Metrics) observe(eventType, result string, seconds float64) {
	if m == nil {
		return
	}
	m.events.WithLabelValues(eventLabel(eventType), result).Inc()
	m.latency.WithLabelValues(result).Observe(seconds)
}
