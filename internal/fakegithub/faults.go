package fakegithub

import (
	"fmt"
	"net/http"
	"strconv"
	"time"
)

// AnyRoute makes FailNext apply to whichever route is called next.
const AnyRoute = "*"

type faultKind int

const (
	faultStatus faultKind = iota
	faultPrimaryRate
	faultSecondaryRate
)

// Fault is an error response the fake gives instead of serving a call.
type Fault struct {
	kind       faultKind
	status     int
	reset      time.Time
	retryAfter time.Duration
}

// ServerError is GitHub's 500.
func ServerError() Fault { return Fault{kind: faultStatus, status: http.StatusInternalServerError} }

// BadGateway is the 502 GitHub's edge gives when a backend times out.
func BadGateway() Fault { return Fault{kind: faultStatus, status: http.StatusBadGateway} }

// Unprocessable is the 422 GitHub gives a write it will not take (a field it rejects).
func Unprocessable() Fault { return Fault{kind: faultStatus, status: http.StatusUnprocessableEntity} }

// PrimaryRateLimit is 403 with X-RateLimit-Remaining: 0 and the given reset.
func PrimaryRateLimit(reset time.Time) Fault {
	return Fault{kind: faultPrimaryRate, status: http.StatusForbidden, reset: reset}
}

// SecondaryRateLimit is GitHub's abuse limit: status 403 or 429 with
// Retry-After in whole seconds.
func SecondaryRateLimit(status int, retryAfter time.Duration) Fault {
	return Fault{kind: faultSecondaryRate, status: status, retryAfter: retryAfter}
}

// FailNext makes the next n calls to route (a template as in Call.Route, or
// AnyRoute) get f instead of being served.
func (s *Server) FailNext(route string, n int, f Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := 0; i < n; i++ {
		s.faults[route] = append(s.faults[route], f)
	}
}

// PendingFaults is how many injected faults have not fired yet.
func (s *Server) PendingFaults() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, q := range s.faults {
		n += len(q)
	}
	return n
}

func (s *Server) takeFault(route string) (Fault, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, key := range []string{route, AnyRoute} {
		if q := s.faults[key]; len(q) > 0 {
			s.faults[key] = q[1:]
			return q[0], true
		}
	}
	return Fault{}, false
}

func (s *Server) writeFault(w http.ResponseWriter, f Fault) {
	switch f.kind {
	case faultPrimaryRate:
		h := w.Header()
		h.Set("X-RateLimit-Limit", strconv.Itoa(s.opts.RateLimit))
		h.Set("X-RateLimit-Remaining", "0")
		h.Set("X-RateLimit-Used", strconv.Itoa(s.opts.RateLimit))
		h.Set("X-RateLimit-Reset", strconv.FormatInt(f.reset.Unix(), 10))
		h.Set("X-RateLimit-Resource", "core")
		writeErrorDoc(w, f.status, primaryRateMessage(s.installationID()),
			"https://docs.github.com/rest/overview/resources-in-the-rest-api#rate-limiting")
	case faultSecondaryRate:
		s.setRateHeaders(w)
		w.Header().Set("Retry-After", strconv.Itoa(int(f.retryAfter.Round(time.Second)/time.Second)))
		writeErrorDoc(w, f.status,
			"You have exceeded a secondary rate limit. Please wait a few minutes before you try again.",
			"https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits")
	default:
		s.setRateHeaders(w)
		msg := "Server Error"
		if f.status == http.StatusUnprocessableEntity {
			msg = "Validation Failed"
		}
		if f.status == http.StatusBadGateway {
			msg = "Bad Gateway"
		}
		writeError(w, f.status, msg)
	}
}

func primaryRateMessage(installationID int64) string {
	return fmt.Sprintf("API rate limit exceeded for installation ID %d.", installationID)
}

// ClearFaults drops the faults that have not fired: GitHub is back.
func (s *Server) ClearFaults() {
	s.mu.Lock()
	defer s.mu.Unlock()
	clear(s.faults)
}
