package webhook

import (
	"context"
	"errors"
	"net/http"
	"os"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/rigger-ci/rigger/pkg/event"
	"github.com/rigger-ci/rigger/pkg/queue"
)

func TestFullQueueAnswers503WithRetryAfter(t *testing.T) {
	started := make(chan string, 3)
	release := make(chan struct{})
	h := newHarness(t, harnessOptions{
		capacity: 1, started: started, release: release,
		config: func(c *Config) { c.RetryAfter = 6500 * time.Millisecond },
	})
	body, err := os.ReadFile(fixtures + "/push/with-new-branch.payload.json")
	if err != nil {
		t.Fatal(err)
	}
	if a := h.send(t, delivery{eventType: "push", id: "first", body: body}); a.code != http.StatusAccepted {
		t.Fatalf("first: %d %s", a.code, a.raw)
	}
	select { // the worker holds "first"; the queue's one waiting slot is free
	case <-started:
	case <-time.After(5 * time.Second):
		t.Fatal("first event never handled")
	}
	if a := h.send(t, delivery{eventType: "push", id: "second", body: body}); a.code != http.StatusAccepted {
		t.Fatalf("second: %d %s", a.code, a.raw)
	}
	a := h.send(t, delivery{eventType: "push", id: "third", body: body})
	if a.code != http.StatusServiceUnavailable || a.header.Get("Retry-After") != "7" ||
		a.reply != (reply{Error: "queue full, retry later", Delivery: "third"}) {
		t.Errorf("third: %d Retry-After=%q %s, want 503 Retry-After 7", a.code, a.header.Get("Retry-After"), a.raw)
	}
	close(release)
	got := h.drain(t)
	if len(got) != 2 || got[0].DeliveryID != "first" || got[1].DeliveryID != "second" {
		t.Errorf("handled %v, want first and second", got)
	}
	if n := h.eventCount("push", ResultQueueFull); n != 1 {
		t.Errorf("events_total{push,queue_full} = %v, want 1", n)
	}
}

func TestClosedQueueAnswers503(t *testing.T) {
	h := newHarness(t, harnessOptions{})
	h.drain(t) // shut the queue down first
	body, err := os.ReadFile(fixtures + "/push/with-new-branch.payload.json")
	if err != nil {
		t.Fatal(err)
	}
	a := h.send(t, delivery{eventType: "push", id: "late", body: body})
	if a.code != http.StatusServiceUnavailable || a.header.Get("Retry-After") != "30" {
		t.Errorf("%d Retry-After=%q %s, want 503 with the default Retry-After", a.code, a.header.Get("Retry-After"), a.raw)
	}
}

func TestNewRefusesMissingSecretOrEnqueuer(t *testing.T) {
	q := queue.New(1, 1, func(context.Context, *event.Event) {})
	defer q.Shutdown(context.Background())
	cases := map[string]Config{
		"no secret":    {Enqueuer: q},
		"empty secret": {Secrets: []string{""}, Enqueuer: q},
		"one empty":    {Secrets: []string{"s", ""}, Enqueuer: q},
		"no enqueuer":  {Secrets: []string{"s"}},
	}
	for name, cfg := range cases {
		if h, err := New(cfg); err == nil || h != nil {
			t.Errorf("%s: New = %v, %v; want an error", name, h, err)
		}
	}
	if _, err := New(Config{Secrets: []string{"s"}, Enqueuer: q}); err != nil {
		t.Errorf("valid config: %v", err)
	}
}

func TestMetricsRegisterOnce(t *testing.T) {
	reg := prometheus.NewRegistry()
	if _, err := NewMetrics(reg); err != nil {
		t.Fatal(err)
	}
	var already prometheus.AlreadyRegisteredError
	if _, err := NewMetrics(reg); !errors.As(err, &already) {
		t.Errorf("second registration: %v, want AlreadyRegisteredError", err)
	}
}
