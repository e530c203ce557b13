package server

import (
	"context"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"
)

// readiness answers /readyz: ready only when GitHub credentials and the cluster work. Answers
// are cached briefly, so a probing load balancer does not spend GitHub's rate limit.
type readiness struct {
	checks map[string]func(context.Context) error

	mu      sync.Mutex
	at      time.Time
	failing []string
}

const readinessTTL = 10 * time.Second

func (rd *readiness) serve(w http.ResponseWriter, r *http.Request) {
	failing := rd.check(r.Context())
	if len(failing) > 0 {
		http.Error(w, "not ready: "+strings.Join(failing, "; "), http.StatusServiceUnavailable)
		return
	}
	_, _ = w.Write([]byte("ok\n"))
}

func (rd *readiness) check(ctx context.Context) []string {
	rd.mu.Lock()
	defer rd.mu.Unlock()
	if !rd.at.IsZero() && time.Since(rd.at) < readinessTTL {
		return rd.failing
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	var failing []string
	for name, check := range rd.checks {
		if err := check(ctx); err != nil {
			failing = append(failing, fmt.Sprintf("%s: %v", name, err))
		}
	}
	sort.Strings(failing)
	rd.at, rd.failing = time.Now(), failing
	return failing
}
