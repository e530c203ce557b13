package webhook

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/rigger-ci/rigger/pkg/event"
	"github.com/rigger-ci/rigger/pkg/queue"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"
)

const (
	fixtures   = "../../testdata/github-webhooks"
	testSecret = "It's a Secret to Everybody"
)

// harness runs the handler on a loopback server in front of a real queue whose handler
// records what it was given.
type harness struct {
	srv     *httptest.Server
	q       *queue.Queue[*event.Event]
	reg     *prometheus.Registry
	metrics *Metrics
	logs    *observer.ObservedLogs

	mu      sync.Mutex
	handled []*event.Event
}

type harnessOptions struct {
	capacity int
	started  chan<- string   // receives each delivery id as its handling starts
	release  <-chan struct{} // when set, handling blocks until it is closed
	config   func(*Config)
}

func newHarness(t *testing.T, o harnessOptions) *harness {
	t.Helper()
	h := &harness{reg: prometheus.NewRegistry()}
	if o.capacity == 0 {
		o.capacity = 1000
	}
	h.q = queue.New(o.capacity, 1, func(_ context.Context, ev *event.Event) {
		if o.started != nil {
			o.started <- ev.DeliveryID
		}
		if o.release != nil {
			<-o.release
		}
		h.mu.Lock()
		h.handled = append(h.handled, ev)
		h.mu.Unlock()
	})
	var err error
	if h.metrics, err = NewMetrics(h.reg); err != nil {
		t.Fatal(err)
	}
	core, logs := observer.New(zapcore.DebugLevel)
	h.logs = logs
	cfg := Config{Secrets: []string{testSecret}, Enqueuer: h.q, Logger: zap.New(core), Metrics: h.metrics}
	if o.config != nil {
		o.config(&cfg)
	}
	handler, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	h.srv = httptest.NewServer(handler)
	t.Cleanup(h.srv.Close)
	return h
}

// drain shuts the queue down and returns every event it handled.
func (h *harness) drain(t *testing.T) []*event.Event {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := h.q.Shutdown(ctx); err != nil {
		t.Fatalf("queue shutdown: %v", err)
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.handled
}

type delivery struct {
	method      string
	eventType   string
	id          string
	body        []byte
	signature   string // "" means sign with testSecret; "-" means send none
	contentType string
}

type answer struct {
	code   int
	header http.Header
	reply  reply
	raw    string
}

func (h *harness) send(t *testing.T, d delivery) answer {
	t.Helper()
	if d.method == "" {
		d.method = http.MethodPost
	}
	req, err := http.NewRequest(d.method, h.srv.URL+Path, bytes.NewReader(d.body))
	if err != nil {
		t.Fatal(err)
	}
	if d.eventType != "" {
		req.Header.Set("X-GitHub-Event", d.eventType)
	}
	req.Header.Set("X-GitHub-Delivery", d.id)
	req.Header.Set("Content-Type", "application/json")
	if d.contentType != "" {
		req.Header.Set("Content-Type", d.contentType)
	}
	switch d.signature {
	case "":
		req.Header.Set(SignatureHeader, Sign([]byte(testSecret), d.body))
	case "-":
	default:
		req.Header.Set(SignatureHeader, d.signature)
	}
	resp, err := h.srv.Client().Do(req)
	if err != nil {
		t.Fatalf("POST: %v", err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	a := answer{code: resp.StatusCode, header: resp.Header, raw: string(raw)}
	if resp.Header.Get("Content-Type") != "application/json" {
		t.Errorf("Content-Type = %q, want application/json", resp.Header.Get("Content-Type"))
	}
	if err := json.Unmarshal(raw, &a.reply); err != nil {
		t.Errorf("answer is not JSON: %q", raw)
	}
	return a
}

// readFixtures returns the payload files of one event folder, failing on an empty folder.
func readFixtures(t *testing.T, eventType string) map[string][]byte {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(fixtures, eventType, "*.json"))
	if len(files) == 0 {
		t.Fatalf("no fixtures for %s", eventType)
	}
	out := map[string][]byte{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		out[eventType+"/"+filepath.Base(f)] = b
	}
	return out
}
