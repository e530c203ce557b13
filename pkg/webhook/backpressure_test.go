package webhook

import (
	"context"
	"errors"
	"io"
	"net/http"
	"os"
	"strings"
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

// Bodies read before their signature is checked share a budget: a sender holding
// connections open with slow bodies cannot hold Rigger's memory, and what does not fit is
// answered 503 at once, not queued behind it.
func TestUnverifiedBodiesShareABudget(t *testing.T) {
	h := newHarness(t, harnessOptions{config: func(c *Config) { c.MaxBodyBytes, c.MaxUnverifiedBytes = 1000, 1000 }})
	// A body of unknown length claims the largest a body may be: the whole budget.
	pr, pw := io.Pipe()
	slow := make(chan int, 1)
	go func() {
		req, _ := http.NewRequest(http.MethodPost, h.srv.URL, pr)
		req.Header.Set("X-GitHub-Event", "ping")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			slow <- 0
			return
		}
		resp.Body.Close()
		slow <- resp.StatusCode
	}()
	if _, err := pw.Write([]byte("{")); err != nil { // the slow sender has started its body
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		req, _ := http.NewRequest(http.MethodPost, h.srv.URL, strings.NewReader(`{"zen":"x"}`))
		req.Header.Set("X-GitHub-Event", "ping")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode == http.StatusServiceUnavailable {
			if resp.Header.Get("Retry-After") == "" {
				t.Error("503 without Retry-After")
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("a second body was read while the first held the whole budget: %d", resp.StatusCode)
		}
		time.Sleep(10 * time.Millisecond)
	}
	pw.Close()
	if code := <-slow; code != http.StatusUnauthorized {
		t.Errorf("the slow, unsigned body got %d, want 401", code)
	}
	// The budget is back: a signed delivery goes through.
	if a := h.send(t, delivery{eventType: "ping", body: []byte(`{"zen":"x","hook_id":1}`)}); a.code != http.StatusOK {
		t.Errorf("after the slow body: %+v", a)
	}
}
