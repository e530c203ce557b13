package fakegithub

import (
	"fmt"
	"net/http"
	"strconv"
	"time"
)

// maxCheckOutput is GitHub's limit on a check run's output summary and text.
const maxCheckOutput = 65535

// CheckRun is a check run as a test asserts on it.
type CheckRun struct {
	ID          int64
	Name        string
	HeadSHA     string
	Status      string // queued, in_progress, completed, ...
	Conclusion  string
	ExternalID  string
	DetailsURL  string
	StartedAt   time.Time
	CompletedAt time.Time
	Output      CheckRunOutput
	Actions     []CheckRunAction
	App         string // slug of the app (or login) that created it
	Updates     int    // how many times it was PATCHed
}

// CheckRunOutput is a check run's output block.
type CheckRunOutput struct {
	Title       string
	Summary     string
	Text        string
	Annotations []Annotation
}

// Annotation is one line-level finding of a check run.
type Annotation struct {
	Path            string `json:"path"`
	StartLine       int    `json:"start_line"`
	EndLine         int    `json:"end_line"`
	AnnotationLevel string `json:"annotation_level"`
	Message         string `json:"message"`
	Title           string `json:"title,omitempty"`
}

// CheckRunAction is a button on a check run.
type CheckRunAction struct {
	Label       string `json:"label"`
	Description string `json:"description"`
	Identifier  string `json:"identifier"`
}

// checkRunInput is the body of create and update; pointers tell "absent"
// from "empty".
type checkRunInput struct {
	Name        *string           `json:"name"`
	HeadSHA     *string           `json:"head_sha"`
	DetailsURL  *string           `json:"details_url"`
	ExternalID  *string           `json:"external_id"`
	Status      *string           `json:"status"`
	Conclusion  *string           `json:"conclusion"`
	StartedAt   *time.Time        `json:"started_at"`
	CompletedAt *time.Time        `json:"completed_at"`
	Actions     *[]CheckRunAction `json:"actions"`
	Output      *struct {
		Title       *string      `json:"title"`
		Summary     *string      `json:"summary"`
		Text        *string      `json:"text"`
		Annotations []Annotation `json:"annotations"`
	} `json:"output"`
}

var (
	checkStatuses    = map[string]bool{"queued": true, "in_progress": true, "completed": true, "waiting": true, "requested": true, "pending": true}
	checkConclusions = map[string]bool{"action_required": true, "cancelled": true, "failure": true, "neutral": true,
		"success": true, "skipped": true, "stale": true, "timed_out": true}
)

// apply validates in against GitHub's rules and applies it to cr; it
// returns the offending field and code, or "".
func (in *checkRunInput) apply(cr *CheckRun) (field, code string) {
	set := func(dst *string, src *string) {
		if src != nil {
			*dst = *src
		}
	}
	set(&cr.Name, in.Name)
	set(&cr.DetailsURL, in.DetailsURL)
	set(&cr.ExternalID, in.ExternalID)
	if in.Status != nil {
		if !checkStatuses[*in.Status] {
			return "status", "invalid"
		}
		cr.Status = *in.Status
	}
	if in.Conclusion != nil && *in.Conclusion != "" {
		if !checkConclusions[*in.Conclusion] {
			return "conclusion", "invalid"
		}
		// GitHub completes a run that is given a conclusion.
		cr.Conclusion, cr.Status = *in.Conclusion, "completed"
	}
	if cr.Status == "completed" && cr.Conclusion == "" {
		return "conclusion", "missing_field"
	}
	if in.StartedAt != nil {
		cr.StartedAt = in.StartedAt.UTC()
	}
	if in.CompletedAt != nil {
		cr.CompletedAt = in.CompletedAt.UTC()
	}
	if cr.Status == "completed" && cr.CompletedAt.IsZero() {
		cr.CompletedAt = time.Now().UTC().Truncate(time.Second)
	}
	if in.Actions != nil {
		if len(*in.Actions) > 3 {
			return "actions", "invalid"
		}
		cr.Actions = append([]CheckRunAction(nil), (*in.Actions)...)
	}
	if o := in.Output; o != nil {
		if o.Summary == nil && cr.Output.Summary == "" {
			return "summary", "missing_field"
		}
		set(&cr.Output.Title, o.Title)
		set(&cr.Output.Summary, o.Summary)
		set(&cr.Output.Text, o.Text)
		if len(o.Annotations) > 50 {
			return "annotations", "invalid"
		}
		cr.Output.Annotations = append(cr.Output.Annotations, o.Annotations...)
		if len(cr.Output.Summary) > maxCheckOutput {
			return "summary", "too_long"
		}
		if len(cr.Output.Text) > maxCheckOutput {
			return "text", "too_long"
		}
	}
	if cr.Name == "" {
		return "name", "missing_field"
	}
	return "", ""
}

func (s *Server) createCheckRun(w http.ResponseWriter, r *http.Request) {
	repo, ok := s.withRepo(w, r)
	if !ok {
		return
	}
	var in checkRunInput
	if !decodeBody(w, r, &in) {
		return
	}
	if in.HeadSHA == nil || *in.HeadSHA == "" {
		validationError(w, "CheckRun", "head_sha", "missing_field")
		return
	}
	sha, err := repo.resolveCommit(*in.HeadSHA)
	if err != nil || sha != *in.HeadSHA {
		writeErrorDoc(w, http.StatusUnprocessableEntity, "No commit found for SHA: "+*in.HeadSHA, docsURL)
		return
	}
	cr := &CheckRun{HeadSHA: sha, Status: "queued", App: loginOf(r)}
	if field, code := in.apply(cr); field != "" {
		validationError(w, "CheckRun", field, code)
		return
	}
	if cr.StartedAt.IsZero() {
		cr.StartedAt = time.Now().UTC().Truncate(time.Second)
	}
	s.mu.Lock()
	cr.ID = s.newID()
	s.state[repo].checkRuns = append(s.state[repo].checkRuns, cr)
	body := s.checkRunJSON(repo, cr)
	s.mu.Unlock()
	writeJSON(w, http.StatusCreated, body)
}

func (s *Server) findCheckRunLocked(repo *Repo, id string) *CheckRun {
	n, _ := strconv.ParseInt(id, 10, 64)
	for _, cr := range s.state[repo].checkRuns {
		if cr.ID == n {
			return cr
		}
	}
	return nil
}

func (s *Server) updateCheckRun(w http.ResponseWriter, r *http.Request) {
	repo, ok := s.withRepo(w, r)
	if !ok {
		return
	}
	var in checkRunInput
	if !decodeBody(w, r, &in) {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	cr := s.findCheckRunLocked(repo, r.PathValue("id"))
	if cr == nil {
		writeError(w, http.StatusNotFound, "Not Found")
		return
	}
	updated := *cr
	updated.Output.Annotations = append([]Annotation(nil), cr.Output.Annotations...)
	if field, code := in.apply(&updated); field != "" {
		validationError(w, "CheckRun", field, code)
		return
	}
	updated.Updates++
	*cr = updated
	writeJSON(w, http.StatusOK, s.checkRunJSON(repo, cr))
}

func (s *Server) getCheckRun(w http.ResponseWriter, r *http.Request) {
	repo, ok := s.withRepo(w, r)
	if !ok {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	cr := s.findCheckRunLocked(repo, r.PathValue("id"))
	if cr == nil {
		writeError(w, http.StatusNotFound, "Not Found")
		return
	}
	writeJSON(w, http.StatusOK, s.checkRunJSON(repo, cr))
}

func (s *Server) listCheckRunsForRef(w http.ResponseWriter, r *http.Request, repo *Repo, ref string) {
	sha, err := repo.resolveCommit(ref)
	if err != nil {
		writeErrorDoc(w, http.StatusUnprocessableEntity, "No commit found for SHA: "+ref, docsURL)
		return
	}
	q := r.URL.Query()
	s.mu.Lock()
	var matched []*CheckRun
	seen := map[string]bool{}
	runs := s.state[repo].checkRuns
	// Newest first; filter=latest (the default) keeps the newest per name.
	for i := len(runs) - 1; i >= 0; i-- {
		cr := runs[i]
		if cr.HeadSHA != sha || (q.Get("check_name") != "" && q.Get("check_name") != cr.Name) ||
			(q.Get("status") != "" && q.Get("status") != cr.Status) {
			continue
		}
		if q.Get("filter") != "all" && seen[cr.Name] {
			continue
		}
		seen[cr.Name] = true
		matched = append(matched, cr)
	}
	start, end := s.paginate(w, r, len(matched))
	list := make([]obj, 0, end-start)
	for _, cr := range matched[start:end] {
		list = append(list, s.checkRunJSON(repo, cr))
	}
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, obj{"total_count": len(matched), "check_runs": list})
}

func (s *Server) checkRunJSON(repo *Repo, cr *CheckRun) obj {
	api := fmt.Sprintf("%s/check-runs/%d", repo.APIURL(), cr.ID)
	var conclusion, completed any
	if cr.Conclusion != "" {
		conclusion = cr.Conclusion
	}
	completed = timeOrNil(cr.CompletedAt)
	strOrNil := func(v string) any {
		if v == "" {
			return nil
		}
		return v
	}
	actions := cr.Actions
	if actions == nil {
		actions = []CheckRunAction{}
	}
	appID := int64(0)
	if s.opts.App != nil {
		appID = s.opts.App.ID
	}
	return obj{
		"id": cr.ID, "node_id": fmt.Sprintf("CR_%d", cr.ID), "head_sha": cr.HeadSHA,
		"external_id": cr.ExternalID, "url": api, "html_url": fmt.Sprintf("%s/runs/%d", repo.HTMLURL(), cr.ID),
		"details_url": strOrNil(cr.DetailsURL), "status": cr.Status, "conclusion": conclusion,
		"started_at": timeOrNil(cr.StartedAt), "completed_at": completed, "name": cr.Name,
		"output": obj{
			"title": strOrNil(cr.Output.Title), "summary": strOrNil(cr.Output.Summary), "text": strOrNil(cr.Output.Text),
			"annotations_count": len(cr.Output.Annotations), "annotations_url": api + "/annotations",
		},
		"check_suite":   obj{"id": cr.ID + 1_000_000},
		"app":           obj{"id": appID, "slug": cr.App, "name": cr.App, "owner": userJSON(s.URL(), repo.Owner)},
		"pull_requests": []obj{},
		"actions":       actions,
	}
}

// CheckRuns returns repo's check runs in creation order.
func (s *Server) CheckRuns(repo string) []CheckRun {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.repos[lower(repo)]
	if r == nil {
		return nil
	}
	out := make([]CheckRun, 0, len(s.state[r].checkRuns))
	for _, cr := range s.state[r].checkRuns {
		c := *cr
		c.Output.Annotations = append([]Annotation(nil), cr.Output.Annotations...)
		c.Actions = append([]CheckRunAction(nil), cr.Actions...)
		out = append(out, c)
	}
	return out
}
