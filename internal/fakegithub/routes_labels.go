package fakegithub

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

func (s *Server) labelsJSONLocked(repo *Repo, names []string) []obj {
	out := make([]obj, 0, len(names))
	for _, n := range names {
		l := s.ensureLabelLocked(s.state[repo], n)
		out = append(out, obj{
			"id": l.ID, "node_id": fmt.Sprintf("LA_%d", l.ID), "name": l.Name, "color": l.Color,
			"default": false, "description": nil,
			"url": repo.APIURL() + "/labels/" + url.PathEscape(l.Name),
		})
	}
	return out
}

// withPull runs fn on pull request {number} under the lock, answering 404
// when there is none.
func (s *Server) withPull(w http.ResponseWriter, r *http.Request, fn func(*Repo, *PullRequest)) {
	repo, ok := s.withRepo(w, r)
	if !ok {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	pr := s.state[repo].pulls[issueNumber(r)]
	if pr == nil {
		writeError(w, http.StatusNotFound, "Not Found")
		return
	}
	fn(repo, pr)
}

func (s *Server) listLabels(w http.ResponseWriter, r *http.Request) {
	s.withPull(w, r, func(repo *Repo, pr *PullRequest) {
		writeJSON(w, http.StatusOK, s.labelsJSONLocked(repo, pr.Labels))
	})
}

func (s *Server) addLabels(w http.ResponseWriter, r *http.Request) {
	// go-github sends a bare array; GitHub also takes {"labels": [...]}.
	var names []string
	var wrapped struct {
		Labels []string `json:"labels"`
	}
	body, _ := r.Context().Value(ctxBody).([]byte)
	if strings.HasPrefix(strings.TrimSpace(string(body)), "{") {
		if !decodeBody(w, r, &wrapped) {
			return
		}
		names = wrapped.Labels
	} else if !decodeBody(w, r, &names) {
		return
	}
	if len(names) == 0 {
		validationError(w, "Label", "labels", "missing_field")
		return
	}
	s.withPull(w, r, func(repo *Repo, pr *PullRequest) {
		for _, n := range names {
			if !hasLabel(pr.Labels, n) {
				s.ensureLabelLocked(s.state[repo], n)
				pr.Labels = append(pr.Labels, n)
			}
		}
		writeJSON(w, http.StatusOK, s.labelsJSONLocked(repo, pr.Labels))
	})
}

func (s *Server) removeLabel(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	s.withPull(w, r, func(repo *Repo, pr *PullRequest) {
		kept := pr.Labels[:0:0]
		for _, l := range pr.Labels {
			if !strings.EqualFold(l, name) {
				kept = append(kept, l)
			}
		}
		if len(kept) == len(pr.Labels) {
			writeError(w, http.StatusNotFound, "Label does not exist")
			return
		}
		pr.Labels = kept
		writeJSON(w, http.StatusOK, s.labelsJSONLocked(repo, pr.Labels))
	})
}

func (s *Server) removeAllLabels(w http.ResponseWriter, r *http.Request) {
	s.withPull(w, r, func(_ *Repo, pr *PullRequest) {
		pr.Labels = nil
		w.WriteHeader(http.StatusNoContent)
	})
}

func hasLabel(labels []string, name string) bool {
	for _, l := range labels {
		if strings.EqualFold(l, name) {
			return true
		}
	}
	return false
}

// Labels returns the labels on pull request number.
func (s *Server) Labels(repo string, number int) []string {
	r := s.Repo(repo)
	if r == nil {
		return nil
	}
	pr, _ := r.PullRequest(number)
	return pr.Labels
}
