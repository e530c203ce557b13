// Package webhook receives GitHub webhook deliveries: it checks their signature and size,
// decodes them into events and queues them for the trigger, answering GitHub at once.
package webhook

import (
	"errors"
	"fmt"
	"golang.org/x/sync/semaphore"
	"io"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/rigger-ci/rigger/pkg/event"
	"github.com/rigger-ci/rigger/pkg/queue"
	"go.uber.org/zap"
)

const (
	// Path is where the server mounts the handler.
	Path = "/hook"
	// DefaultMaxBodyBytes is GitHub's own cap on a webhook payload (25 MiB).
	DefaultMaxBodyBytes = 25 << 20
	// DefaultRetryAfter is what a 503 asks the sender to wait when the queue is full.
	DefaultRetryAfter = 30 * time.Second
)

// Enqueuer takes a decoded event for later handling. It must not block; it returns
// queue.ErrFull when it cannot take more.
type Enqueuer interface {
	Enqueue(ev *event.Event) error
}

// Config configures a Handler. Secrets and Enqueuer are required.
type Config struct {
	// Secrets are the webhook secrets a delivery may be signed with; more than one lets a
	// secret be rotated without losing deliveries.
	Secrets      []string
	Enqueuer     Enqueuer
	Logger       *zap.Logger   // nil: no logging
	Metrics      *Metrics      // nil: no metrics
	RetryAfter   time.Duration // 0: DefaultRetryAfter
	MaxBodyBytes int64         // 0: DefaultMaxBodyBytes
	// MaxUnverifiedBytes bounds the bytes of bodies being read before their signature is
	// checked, across every request at once (0: DefaultMaxUnverifiedBytes). Anyone on the
	// internet can open connections to /hook; this keeps them from holding Rigger's memory.
	MaxUnverifiedBytes int64
}

// DefaultMaxUnverifiedBytes lets ten bodies of GitHub's largest size, or thousands of
// ordinary deliveries (a few KiB each), be read at once.
const DefaultMaxUnverifiedBytes = 10 * DefaultMaxBodyBytes

// Handler is the http.Handler for POST /hook.
type Handler struct {
	secrets    [][]byte
	enqueuer   Enqueuer
	log        *zap.Logger
	metrics    *Metrics
	retryAfter string
	maxBody    int64
	unverified *semaphore.Weighted
}

// New checks cfg and builds a Handler. It refuses to run without a secret: unsigned deliveries
// would let anyone start builds.
func New(cfg Config) (*Handler, error) {
	if len(cfg.Secrets) == 0 {
		return nil, errors.New("webhook: a webhook secret is required")
	}
	h := &Handler{
		enqueuer: cfg.Enqueuer,
		log:      cfg.Logger,
		metrics:  cfg.Metrics,
		maxBody:  cfg.MaxBodyBytes,
	}
	for i, s := range cfg.Secrets {
		if s == "" {
			return nil, fmt.Errorf("webhook: secret %d is empty", i)
		}
		h.secrets = append(h.secrets, []byte(s))
	}
	if h.enqueuer == nil {
		return nil, errors.New("webhook: an Enqueuer is required")
	}
	if h.log == nil {
		h.log = zap.NewNop()
	}
	if h.maxBody <= 0 {
		h.maxBody = DefaultMaxBodyBytes
	}
	budget := cfg.MaxUnverifiedBytes
	if budget <= 0 {
		budget = DefaultMaxUnverifiedBytes
	}
	h.unverified = semaphore.NewWeighted(max(budget, h.maxBody))
	retry := cfg.RetryAfter
	if retry <= 0 {
		retry = DefaultRetryAfter
	}
	h.retryAfter = strconv.Itoa(int(math.Ceil(retry.Seconds())))
	return h, nil
}

// ServeHTTP answers one delivery. Every path ends in exactly one call to finish, which writes the
// answer and records the result.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	eventType := r.Header.Get("X-GitHub-Event")
	delivery := r.Header.Get("X-GitHub-Delivery")
	finish := func(code int, result string, body reply) {
		writeJSON(w, code, body)
		h.metrics.observe(eventType, result, time.Since(start).Seconds())
	}
	log := h.log.With(zap.String("event", eventType), zap.String("delivery", delivery))

	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		finish(http.StatusMethodNotAllowed, ResultMethodNotAllowed, reply{Error: "only POST is allowed"})
		return
	}
	// A body is read before it can be verified: it takes its size from the budget of such
	// reads (the most it may be, when the client does not say), and none waits for room.
	claim := h.maxBody
	if r.ContentLength >= 0 && r.ContentLength < claim {
		claim = r.ContentLength + 1 // one more, so that a longer body than announced is seen
	}
	if !h.unverified.TryAcquire(claim) {
		log.Warn("too many unverified webhook bodies at once; asking the sender to retry", zap.String("remote", r.RemoteAddr))
		w.Header().Set("Retry-After", h.retryAfter)
		finish(http.StatusServiceUnavailable, ResultUnavailable, reply{Error: "busy, retry later"})
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, min(h.maxBody, claim)))
	h.unverified.Release(claim)
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			log.Warn("webhook body too large", zap.Int64("limit", h.maxBody))
			finish(http.StatusRequestEntityTooLarge, ResultTooLarge, reply{Error: "body too large"})
			return
		}
		finish(http.StatusBadRequest, ResultMalformed, reply{Error: "cannot read body"})
		return
	}
	if err := verifySignature(r.Header.Get(SignatureHeader), body, h.secrets); err != nil {
		log.Info("webhook signature rejected", zap.Error(err), zap.String("remote", r.RemoteAddr))
		finish(http.StatusUnauthorized, ResultBadSignature, reply{Error: err.Error()})
		return
	}
	if eventType == "" {
		finish(http.StatusBadRequest, ResultMalformed, reply{Error: "missing X-GitHub-Event"})
		return
	}
	payload, err := jsonPayload(r.Header.Get("Content-Type"), body)
	if err != nil {
		finish(http.StatusBadRequest, ResultMalformed, reply{Error: err.Error()})
		return
	}
	ev, err := event.Parse(eventType, delivery, payload)
	switch {
	case errors.Is(err, event.ErrUnsupportedEvent):
		log.Debug("webhook event type not handled")
		finish(http.StatusAccepted, ResultIgnored, reply{Status: "ignored", Delivery: delivery})
		return
	case err != nil:
		log.Warn("webhook payload malformed", zap.Error(err))
		finish(http.StatusBadRequest, ResultMalformed, reply{Error: err.Error()})
		return
	case ev.Kind == event.KindPing:
		log.Info("webhook ping", zap.String("repository", ev.Repo.FullName()))
		finish(http.StatusOK, ResultAccepted, reply{Status: "pong", Delivery: delivery})
		return
	}
	// For CEL's headers: the request's own map, no copy; nothing writes to it after this.
	ev.Headers = r.Header
	h.enqueue(w, ev, log, finish)
}

func (h *Handler) enqueue(w http.ResponseWriter, ev *event.Event, log *zap.Logger, finish func(int, string, reply)) {
	err := h.enqueuer.Enqueue(ev)
	switch {
	case err == nil:
		log.Debug("webhook event queued", zap.String("repository", ev.Repo.FullName()), zap.String("action", ev.Action))
		finish(http.StatusAccepted, ResultAccepted, reply{Status: "accepted", Delivery: ev.DeliveryID})
	case errors.Is(err, queue.ErrFull):
		log.Warn("webhook queue full; asking GitHub to retry", zap.String("repository", ev.Repo.FullName()))
		w.Header().Set("Retry-After", h.retryAfter)
		finish(http.StatusServiceUnavailable, ResultQueueFull, reply{Error: "queue full, retry later", Delivery: ev.DeliveryID})
	default:
		log.Error("webhook event not queued", zap.Error(err))
		w.Header().Set("Retry-After", h.retryAfter)
		finish(http.StatusServiceUnavailable, ResultUnavailable, reply{Error: "cannot queue event", Delivery: ev.DeliveryID})
	}
}

// jsonPayload returns the JSON document of a delivery. A hook configured with the form content
// type sends it as the "payload" field; the signature covers the form body as sent.
func jsonPayload(contentType string, body []byte) ([]byte, error) {
	if !strings.HasPrefix(contentType, "application/x-www-form-urlencoded") {
		return body, nil
	}
	form, err := url.ParseQuery(string(body))
	if err != nil {
		return nil, errors.New("cannot parse form body")
	}
	return []byte(form.Get("payload")), nil
}
