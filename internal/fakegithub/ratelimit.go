package fakegithub

import (
	"net/http"
	"strconv"
	"time"
)

// rateWindow is the core rate limit: a budget per hour, reset on the hour
// after the first call, as GitHub counts it.
type rateWindow struct {
	limit int
	used  int
	reset time.Time
}

func (rw *rateWindow) roll(now time.Time) {
	if now.After(rw.reset) {
		rw.used = 0
		rw.reset = now.Add(time.Hour)
	}
}

// consumeRate spends one call of the budget and sets GitHub's headers; when
// the budget is spent it answers 403 like GitHub and returns false.
func (s *Server) consumeRate(w http.ResponseWriter) bool {
	s.mu.Lock()
	s.rate.roll(time.Now())
	exhausted := s.rate.used >= s.rate.limit
	if !exhausted {
		s.rate.used++
	}
	reset := s.rate.reset
	s.mu.Unlock()
	if exhausted {
		s.writeFault(w, PrimaryRateLimit(reset))
		return false
	}
	s.setRateHeaders(w)
	return true
}

func (s *Server) setRateHeaders(w http.ResponseWriter) {
	s.mu.Lock()
	rw := s.rate
	s.mu.Unlock()
	h := w.Header()
	h.Set("X-RateLimit-Limit", strconv.Itoa(rw.limit))
	h.Set("X-RateLimit-Remaining", strconv.Itoa(rw.limit-rw.used))
	h.Set("X-RateLimit-Used", strconv.Itoa(rw.used))
	h.Set("X-RateLimit-Reset", strconv.FormatInt(rw.reset.Unix(), 10))
	h.Set("X-RateLimit-Resource", "core")
}

func (s *Server) rateJSON() obj {
	s.mu.Lock()
	s.rate.roll(time.Now())
	rw := s.rate
	s.mu.Unlock()
	core := obj{"limit": rw.limit, "remaining": rw.limit - rw.used, "used": rw.used, "reset": rw.reset.Unix(), "resource": "core"}
	other := func(name string, limit int) obj {
		return obj{"limit": limit, "remaining": limit, "used": 0, "reset": time.Now().Add(time.Minute).Unix(), "resource": name}
	}
	return obj{
		"resources": obj{
			"core":                 core,
			"search":               other("search", 30),
			"graphql":              other("graphql", 5000),
			"integration_manifest": other("integration_manifest", 5000),
			"code_scanning_upload": other("code_scanning_upload", 1000),
		},
		"rate": core,
	}
}

func (s *Server) getRateLimit(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, s.rateJSON())
}
