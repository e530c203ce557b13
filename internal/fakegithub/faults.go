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
	// match, when set, picks the calls the fault is for; others are served.
	match func(Call) bool
	// afterServing: the call is carried out, and then its answer is the fault.
	afterServing bool
}

// AfterServing makes the fault the answer to a call GitHub did carry out: a backend that
// created the check run or the comment, and an edge that then answered 502 because it
// timed out waiting. A client that sends the write again makes a second one.
func (f Fault) AfterServing() Fault { f.afterServing = true; return f }

// If makes the fault fire only on calls for which match says yes (it sees the call's
// method, path and decoded body), e.g. the update that completes a check run; the
// calls it passes over are served.
func (f Fault) If(match func(Call) bool) Fault { f.match = match; return f }

func (f Fault) fits(c Call) bool { return f.match == nil || f.match(c) }

// window is a fault given to every call of a route until a time: an outage, not a blip.
type window struct {
	route string
	until time.Time
	f     Fault
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

// FailUntil makes every call to route (or AnyRoute) get f until the given time, as
// GitHub answers while it is away or while a rate limit lasts; calls after it are served.
// Windows do not count among PendingFaults.
func (s *Server) FailUntil(route string, until time.Time, f Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.windows = append(s.windows, window{route: route, until: until, f: f})
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

// takeFault is the fault call (to route) gets, if any: the first queued one that fits
// it, else an open window's.
func (s *Server) takeFault(route string, call Call) (Fault, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, key := range []string{route, AnyRoute} {
		q := s.faults[key]
		for i, f := range q {
			if f.fits(call) {
				s.faults[key] = append(q[:i:i], q[i+1:]...)
				return f, true
			}
		}
	}
	now := time.Now()
	open := s.windows[:0]
	var hit *Fault
	for _, w := range s.windows {
		if !now.Before(w.until) {
			continue
		}
		open = append(open, w)
		if hit == nil && (w.route == route || w.route == AnyRoute) && w.f.fits(call) {
			f := w.f
			hit = &f
		}
	}
	clear(s.windows[len(open):])
	s.windows = open
	if hit != nil {
		return *hit, true
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
	s.windows = nil
}
