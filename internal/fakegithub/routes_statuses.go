package fakegithub

import (
	"fmt"
	"net/http"
	"time"
)

// Status is a commit status as a test asserts on it.
type Status struct {
	ID          int64
	SHA         string
	State       string // error, failure, pending, success
	TargetURL   string
	Description string
	Context     string
	Creator     string
	CreatedAt   time.Time
}

var statusStates = map[string]bool{"error": true, "failure": true, "pending": true, "success": true}

func (s *Server) createStatus(w http.ResponseWriter, r *http.Request) {
	repo, ok := s.withRepo(w, r)
	if !ok {
		return
	}
	var in struct {
		State       string `json:"state"`
		TargetURL   string `json:"target_url"`
		Description string `json:"description"`
		Context     string `json:"context"`
	}
	if !decodeBody(w, r, &in) {
		return
	}
	sha, err := repo.resolveCommit(r.PathValue("sha"))
	if err != nil || sha != r.PathValue("sha") {
		writeErrorDoc(w, http.StatusUnprocessableEntity, "No commit found for SHA: "+r.PathValue("sha"), docsURL)
		return
	}
	if !statusStates[in.State] {
		validationError(w, "Status", "state", "custom")
		return
	}
	if len(in.Description) > 140 {
		validationError(w, "Status", "description", "custom")
		return
	}
	if in.Context == "" {
		in.Context = "default"
	}
	st := &Status{SHA: sha, State: in.State, TargetURL: in.TargetURL, Description: in.Description,
		Context: in.Context, Creator: loginOf(r), CreatedAt: time.Now().UTC().Truncate(time.Second)}
	s.mu.Lock()
	st.ID = s.newID()
	s.state[repo].statuses = append(s.state[repo].statuses, st)
	s.mu.Unlock()
	writeJSON(w, http.StatusCreated, s.statusJSON(repo, st))
}

func (s *Server) statusJSON(repo *Repo, st *Status) obj {
	strOrNil := func(v string) any {
		if v == "" {
			return nil
		}
		return v
	}
	return obj{
		"url": repo.APIURL() + "/statuses/" + st.SHA, "avatar_url": nil, "id": st.ID,
		"node_id": fmt.Sprintf("SC_%d", st.ID), "state": st.State, "description": strOrNil(st.Description),
		"target_url": strOrNil(st.TargetURL), "context": st.Context,
		"created_at": st.CreatedAt.Format(time.RFC3339), "updated_at": st.CreatedAt.Format(time.RFC3339),
		"creator": userJSON(s.URL(), st.Creator),
	}
}

// statusesFor lists the statuses of sha, newest first.
func (s *Server) statusesFor(repo *Repo, sha string) []*Status {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []*Status
	all := s.state[repo].statuses
	for i := len(all) - 1; i >= 0; i-- {
		if all[i].SHA == sha {
			c := *all[i]
			out = append(out, &c)
		}
	}
	return out
}

func (s *Server) listStatuses(w http.ResponseWriter, r *http.Request, repo *Repo, ref string) {
	sha, err := repo.resolveCommit(ref)
	if err != nil {
		writeError(w, http.StatusNotFound, "Not Found")
		return
	}
	all := s.statusesFor(repo, sha)
	start, end := s.paginate(w, r, len(all))
	list := make([]obj, 0, end-start)
	for _, st := range all[start:end] {
		list = append(list, s.statusJSON(repo, st))
	}
	writeJSON(w, http.StatusOK, list)
}

// combinedStatus is GitHub's roll-up: the latest status per context, and
// failure if any failed, pending if any is pending, else success.
func (s *Server) combinedStatus(w http.ResponseWriter, r *http.Request, repo *Repo, ref string) {
	sha, err := repo.resolveCommit(ref)
	if err != nil {
		writeError(w, http.StatusNotFound, "Not Found")
		return
	}
	seen := map[string]bool{}
	var latest []obj
	state := "success"
	all := s.statusesFor(repo, sha)
	if len(all) == 0 {
		state = "pending"
	}
	for _, st := range all {
		if seen[st.Context] {
			continue
		}
		seen[st.Context] = true
		latest = append(latest, s.statusJSON(repo, st))
		switch {
		case st.State == "error" || st.State == "failure":
			state = "failure"
		case st.State == "pending" && state != "failure":
			state = "pending"
		}
	}
	if latest == nil {
		latest = []obj{}
	}
	writeJSON(w, http.StatusOK, obj{
		"state": state, "sha": sha, "total_count": len(latest), "statuses": latest,
		"repository": repo.repoJSON(), "commit_url": repo.APIURL() + "/commits/" + sha,
		"url": repo.APIURL() + "/commits/" + sha + "/status",
	})
}

// Statuses returns repo's commit statuses in creation order.
func (s *Server) Statuses(repo string) []Status {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.repos[lower(repo)]
	if r == nil {
		return nil
	}
	out := make([]Status, 0, len(s.state[r].statuses))
	for _, st := range s.state[r].statuses {
		out = append(out, *st)
	}
	return out
}
