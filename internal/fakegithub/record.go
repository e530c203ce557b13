package fakegithub

import (
	"net/url"
	"time"
)

// Call is one API request the fake answered.
type Call struct {
	Method string
	Path   string
	Query  url.Values
	// Route is the endpoint's template, "GET /repos/{owner}/{repo}/git/trees/{sha}";
	// empty for paths the fake does not serve.
	Route  string
	Status int
	Time   time.Time
	Login  string // who the call authenticated as
	Body   any    // the decoded JSON body of writes
	Fault  bool   // answered by an injected fault
}

func (s *Server) record(c Call) {
	s.mu.Lock()
	s.calls = append(s.calls, c)
	s.mu.Unlock()
}

// Calls returns every API call since the start or the last Reset, oldest first.
func (s *Server) Calls() []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Call(nil), s.calls...)
}

// CallsTo returns the calls to one route template.
func (s *Server) CallsTo(route string) []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Call
	for _, c := range s.calls {
		if c.Route == route {
			out = append(out, c)
		}
	}
	return out
}

// Count is the number of calls to route.
func (s *Server) Count(route string) int { return len(s.CallsTo(route)) }

// CountsByRoute is how many calls each route got.
func (s *Server) CountsByRoute() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	counts := map[string]int{}
	for _, c := range s.calls {
		counts[c.Route]++
	}
	return counts
}

// Reset forgets the recorded calls and any faults not yet used; the
// repositories and their check runs, statuses and comments stay.
func (s *Server) Reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls = nil
	s.faults = map[string][]Fault{}
	s.windows = nil
}
