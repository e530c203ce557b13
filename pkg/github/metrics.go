package github

import (
	"errors"
	"net/http"
	"strconv"
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"
)

// metrics counts what Rigger asks of GitHub: calls are the scarce resource.
type metrics struct {
	calls   *prometheus.CounterVec // every request sent, retries included
	retries *prometheus.CounterVec // retries, by why
	total   atomic.Int64
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	m := &metrics{
		calls: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "rigger_github_api_calls_total",
			Help: "GitHub API requests sent, by endpoint route and status class (2xx..5xx, error).",
		}, []string{"endpoint", "status"}),
		retries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "rigger_github_api_retries_total",
			Help: "GitHub API requests sent again, by endpoint route and reason.",
		}, []string{"endpoint", "reason"}),
	}
	if reg == nil {
		return m, nil
	}
	var err error
	if m.calls, err = register(reg, m.calls); err != nil {
		return nil, err
	}
	if m.retries, err = register(reg, m.retries); err != nil {
		return nil, err
	}
	return m, nil
}

// register registers c, or reuses the collector already there, so that two clients (one
// per test, or a restart of the wiring) can share one registry.
func register(reg prometheus.Registerer, c *prometheus.CounterVec) (*prometheus.CounterVec, error) {
	err := reg.Register(c)
	var are prometheus.AlreadyRegisteredError
	if errors.As(err, &are) {
		if existing, ok := are.ExistingCollector.(*prometheus.CounterVec); ok {
			return existing, nil
		}
	}
	return c, err
}

func statusClass(resp *http.Response, err error) string {
	if err != nil || resp == nil {
		return "error"
	}
	return strconv.Itoa(resp.StatusCode/100) + "xx"
}

// meteredTransport counts each request that leaves Rigger.
type meteredTransport struct {
	next     http.RoundTripper
	basePath string
	m        *metrics
}

func (t *meteredTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := t.next.RoundTrip(req)
	t.m.total.Add(1)
	ep := endpoint(req.Method, routeOf(t.basePath, req.URL.Path))
	t.m.calls.WithLabelValues(ep, statusClass(resp, err)).Inc()
	return resp, err
}
