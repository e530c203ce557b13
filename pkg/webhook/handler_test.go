package webhook

import (
	"net/http"
	"net/url"
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/rigger-ci/rigger/pkg/event"
)

// eventCount reads rigger_webhook_events_total for one label pair.
func (h *harness) eventCount(eventType, result string) float64 {
	return testutil.ToFloat64(h.metrics.events.WithLabelValues(eventType, result))
}

// latencyCount is the number of observations of the latency histogram for result.
func (h *harness) latencyCount(t *testing.T, result string) uint64 {
	t.Helper()
	families, err := h.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() != "rigger_webhook_handle_duration_seconds" {
			continue
		}
		for _, m := range f.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "result" && l.GetValue() == result {
					return m.GetHistogram().GetSampleCount()
				}
			}
		}
	}
	return 0
}

func TestHandledFixturesAreQueued(t *testing.T) {
	h := newHarness(t, harnessOptions{})
	want := map[string]*event.Event{}
	perType := map[string]int{}
	for _, eventType := range []string{"pull_request", "push", "issue_comment", "check_run", "check_suite"} {
		for name, body := range readFixtures(t, eventType) {
			a := h.send(t, delivery{eventType: eventType, id: name, body: body})
			if a.code != http.StatusAccepted || a.reply != (reply{Status: "accepted", Delivery: name}) {
				t.Errorf("%s: %d %s, want 202 accepted with the delivery id", name, a.code, a.raw)
			}
			ev, err := event.Parse(eventType, name, body)
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			want[name] = ev
			perType[eventType]++
		}
	}
	handled := h.drain(t)
	if len(handled) != len(want) {
		t.Fatalf("queued %d events, want %d", len(handled), len(want))
	}
	for _, ev := range handled {
		// The headers are the request's, which Parse does not see; CEL reads them.
		if got := ev.Headers.Get("X-GitHub-Delivery"); got != ev.DeliveryID {
			t.Errorf("%s: queued event's X-GitHub-Delivery header = %q", ev.DeliveryID, got)
		}
		if w := want[ev.DeliveryID]; w != nil {
			w.Headers = ev.Headers
		}
		if !reflect.DeepEqual(ev, want[ev.DeliveryID]) {
			t.Errorf("%s: queued %+v\nwant %+v", ev.DeliveryID, ev, want[ev.DeliveryID])
		}
	}
	for eventType, n := range perType {
		if got := h.eventCount(eventType, ResultAccepted); got != float64(n) {
			t.Errorf("events_total{%s,accepted} = %v, want %d", eventType, got, n)
		}
	}
	if got := h.latencyCount(t, ResultAccepted); got != uint64(len(want)) {
		t.Errorf("latency observations = %d, want %d", got, len(want))
	}
}

func TestPingAnswers200AndQueuesNothing(t *testing.T) {
	h := newHarness(t, harnessOptions{})
	pings := readFixtures(t, "ping")
	for name, body := range pings {
		a := h.send(t, delivery{eventType: "ping", id: name, body: body})
		if a.code != http.StatusOK || a.reply != (reply{Status: "pong", Delivery: name}) {
			t.Errorf("%s: %d %s, want 200 pong", name, a.code, a.raw)
		}
	}
	if got := h.drain(t); len(got) != 0 {
		t.Errorf("ping queued %d events", len(got))
	}
	if got := h.eventCount("ping", ResultAccepted); got != float64(len(pings)) {
		t.Errorf("events_total{ping,accepted} = %v, want %d", got, len(pings))
	}
}

func TestUnhandledEventTypesAreIgnoredWith202(t *testing.T) {
	h := newHarness(t, harnessOptions{})
	sent := 0
	for _, eventType := range []string{"installation", "installation_repositories", "merge_group", "pull_request_review"} {
		for name, body := range readFixtures(t, eventType) {
			a := h.send(t, delivery{eventType: eventType, id: name, body: body})
			if a.code != http.StatusAccepted || a.reply != (reply{Status: "ignored", Delivery: name}) {
				t.Errorf("%s: %d %s, want 202 ignored", name, a.code, a.raw)
			}
			sent++
		}
	}
	if got := h.drain(t); len(got) != 0 {
		t.Errorf("unhandled types queued %d events", len(got))
	}
	logged := h.logs.FilterMessage("webhook event type not handled").All()
	if len(logged) != sent || logged[0].Level.String() != "debug" || logged[0].ContextMap()["event"] == "" {
		t.Errorf("got %d debug lines (%+v), want %d naming the event", len(logged), logged, sent)
	}
	if got := h.eventCount("other", ResultIgnored); got != float64(sent) {
		t.Errorf("events_total{other,ignored} = %v, want %d", got, sent)
	}
}

func TestSignatureIsRequiredAndChecked(t *testing.T) {
	body, err := os.ReadFile(fixtures + "/push/with-new-branch.payload.json")
	if err != nil {
		t.Fatal(err)
	}
	good := Sign([]byte(testSecret), body)
	cases := map[string]struct{ sig, wantErr string }{
		"missing":          {"-", "missing X-Hub-Signature-256"},
		"other secret":     {Sign([]byte("not the secret"), body), "signature does not match"},
		"no sha256 prefix": {strings.TrimPrefix(good, "sha256="), "signature does not match"},
		"sha1 prefix":      {"sha1=" + strings.TrimPrefix(good, "sha256="), "signature does not match"},
		"truncated":        {good[:len(good)-2], "signature does not match"},
		"not hex":          {"sha256=" + strings.Repeat("zz", 32), "signature does not match"},
		"other body":       {Sign([]byte(testSecret), append([]byte(" "), body...)), "signature does not match"},
	}
	h := newHarness(t, harnessOptions{})
	for name, c := range cases {
		a := h.send(t, delivery{eventType: "push", id: name, body: body, signature: c.sig})
		if a.code != http.StatusUnauthorized || a.reply.Error != c.wantErr {
			t.Errorf("%s: %d %s, want 401 %q", name, a.code, a.raw, c.wantErr)
		}
	}
	if got := h.drain(t); len(got) != 0 {
		t.Errorf("unsigned deliveries queued %d events", len(got))
	}
	if got := h.eventCount("push", ResultBadSignature); got != float64(len(cases)) {
		t.Errorf("events_total{push,bad_signature} = %v, want %d", got, len(cases))
	}
}

func TestSecretRotationAcceptsEachConfiguredSecret(t *testing.T) {
	h := newHarness(t, harnessOptions{config: func(c *Config) { c.Secrets = []string{"old-secret", "new-secret"} }})
	body, err := os.ReadFile(fixtures + "/push/with-new-branch.payload.json")
	if err != nil {
		t.Fatal(err)
	}
	for _, secret := range []string{"old-secret", "new-secret", testSecret} {
		a := h.send(t, delivery{eventType: "push", id: secret, body: body, signature: Sign([]byte(secret), body)})
		want := http.StatusAccepted
		if secret == testSecret { // not configured here
			want = http.StatusUnauthorized
		}
		if a.code != want {
			t.Errorf("signed with %s: %d %s, want %d", secret, a.code, a.raw, want)
		}
	}
	if got := h.drain(t); len(got) != 2 {
		t.Errorf("queued %d events, want 2", len(got))
	}
}

func TestBodySizeLimit(t *testing.T) {
	body, err := os.ReadFile(fixtures + "/pull_request/opened.payload.json")
	if err != nil {
		t.Fatal(err)
	}
	limit := int64(len(body))
	h := newHarness(t, harnessOptions{config: func(c *Config) { c.MaxBodyBytes = limit }})
	if a := h.send(t, delivery{eventType: "pull_request", id: "at-limit", body: body}); a.code != http.StatusAccepted {
		t.Errorf("body at the limit: %d %s, want 202", a.code, a.raw)
	}
	over := append(body, ' ')
	a := h.send(t, delivery{eventType: "pull_request", id: "over", body: over})
	if a.code != http.StatusRequestEntityTooLarge || a.reply.Error != "body too large" {
		t.Errorf("body one byte over: %d %s, want 413", a.code, a.raw)
	}
	if got := h.drain(t); len(got) != 1 || got[0].DeliveryID != "at-limit" {
		t.Errorf("queued %v, want only at-limit", got)
	}
	if got := h.eventCount("pull_request", ResultTooLarge); got != 1 {
		t.Errorf("events_total{pull_request,too_large} = %v, want 1", got)
	}
}

func TestDefaultBodyLimitIs25MiB(t *testing.T) {
	if testing.Short() {
		t.Skip("sends 25 MiB")
	}
	h := newHarness(t, harnessOptions{})
	huge := make([]byte, 25<<20+1)
	a := h.send(t, delivery{eventType: "push", id: "huge", body: huge, signature: "-"})
	if a.code != http.StatusRequestEntityTooLarge {
		t.Errorf("25 MiB + 1 byte: %d %s, want 413", a.code, a.raw)
	}
}

func TestOnlyPostIsAllowed(t *testing.T) {
	h := newHarness(t, harnessOptions{})
	for _, method := range []string{http.MethodGet, http.MethodPut, http.MethodDelete} {
		a := h.send(t, delivery{method: method, eventType: "push", id: method})
		if a.code != http.StatusMethodNotAllowed || a.header.Get("Allow") != http.MethodPost || a.reply.Error == "" {
			t.Errorf("%s: %d Allow=%q %s, want 405 Allow: POST", method, a.code, a.header.Get("Allow"), a.raw)
		}
	}
	if got := h.eventCount("push", ResultMethodNotAllowed); got != 3 {
		t.Errorf("events_total{push,method_not_allowed} = %v, want 3", got)
	}
}

func TestMalformedDeliveriesGet400(t *testing.T) {
	h := newHarness(t, harnessOptions{})
	cases := []struct {
		name, eventType, body, wantErr string
	}{
		{"not json", "pull_request", `{"action": "opened", `, "malformed pull_request payload: cannot decode JSON"},
		{"wrong types", "push", `{"ref": 7}`, "malformed push payload: cannot decode JSON"},
		{"no repository", "issue_comment", `{"action":"created"}`, "malformed issue_comment payload: missing repository owner or name"},
		{"no event header", "", `{}`, "missing X-GitHub-Event"},
	}
	for _, c := range cases {
		a := h.send(t, delivery{eventType: c.eventType, id: c.name, body: []byte(c.body)})
		if a.code != http.StatusBadRequest || !strings.HasPrefix(a.reply.Error, c.wantErr) {
			t.Errorf("%s: %d %s, want 400 %q", c.name, a.code, a.raw, c.wantErr)
		}
	}
	if got := h.drain(t); len(got) != 0 {
		t.Errorf("malformed deliveries queued %d events", len(got))
	}
	if got := h.eventCount("pull_request", ResultMalformed) + h.eventCount("push", ResultMalformed) +
		h.eventCount("issue_comment", ResultMalformed) + h.eventCount("other", ResultMalformed); got != 4 {
		t.Errorf("malformed deliveries counted %v, want 4", got)
	}
}

func TestFormEncodedDeliveryIsDecoded(t *testing.T) {
	h := newHarness(t, harnessOptions{})
	payload, err := os.ReadFile(fixtures + "/pull_request/synchronize.payload.json")
	if err != nil {
		t.Fatal(err)
	}
	form := []byte(url.Values{"payload": {string(payload)}}.Encode())
	a := h.send(t, delivery{eventType: "pull_request", id: "form", body: form, contentType: "application/x-www-form-urlencoded"})
	if a.code != http.StatusAccepted {
		t.Fatalf("%d %s, want 202", a.code, a.raw)
	}
	want, _ := event.Parse("pull_request", "form", payload)
	got := h.drain(t)
	if len(got) == 1 {
		want.Headers = got[0].Headers // the request's, checked in TestHandledFixturesAreQueued
	}
	if len(got) != 1 || !reflect.DeepEqual(got[0], want) {
		t.Errorf("queued %+v, want %+v", got, want)
	}
}
