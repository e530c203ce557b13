package fakegithub

import (
	"fmt"
	"net/http"
	"strconv"
	"time"
)

// Comment is an issue or pull request comment as a test asserts on it.
type Comment struct {
	ID        int64
	Number    int
	Body      string
	User      string
	CreatedAt time.Time
	UpdatedAt time.Time
	Reactions []string // reaction contents, in order
	Edits     int
}

var reactionContents = map[string]bool{"+1": true, "-1": true, "laugh": true, "confused": true,
	"heart": true, "hooray": true, "rocket": true, "eyes": true}

// issueExists reports whether number is an issue or pull request of repo;
// the fake only has pull requests.
func (s *Server) issueExistsLocked(repo *Repo, number int) bool {
	return s.state[repo].pulls[number] != nil
}

func (s *Server) commentJSON(repo *Repo, c *Comment) obj {
	api := fmt.Sprintf("%s/issues/comments/%d", repo.APIURL(), c.ID)
	reactions := obj{"url": api + "/reactions", "total_count": len(c.Reactions)}
	for k := range reactionContents {
		reactions[k] = 0
	}
	for _, r := range c.Reactions {
		reactions[r] = reactions[r].(int) + 1
	}
	return obj{
		"id": c.ID, "node_id": fmt.Sprintf("IC_%d", c.ID), "url": api,
		"html_url":  fmt.Sprintf("%s/pull/%d#issuecomment-%d", repo.HTMLURL(), c.Number, c.ID),
		"issue_url": fmt.Sprintf("%s/issues/%d", repo.APIURL(), c.Number),
		"body":      c.Body, "user": userJSON(s.URL(), c.User),
		"created_at": c.CreatedAt.Format(time.RFC3339), "updated_at": c.UpdatedAt.Format(time.RFC3339),
		"author_association": s.association(repo, c.User), "reactions": reactions,
		"performed_via_github_app": nil,
	}
}

// AddComment makes login comment body on pull request number, as a person
// would on github.com; the webhook for it is SendIssueComment's job.
func (s *Server) AddComment(repo string, number int, login, body string) (Comment, error) {
	r := s.Repo(repo)
	if r == nil {
		return Comment{}, fmt.Errorf("fakegithub: no repository %s", repo)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.issueExistsLocked(r, number) {
		return Comment{}, fmt.Errorf("fakegithub: %s has no pull request %d", repo, number)
	}
	return *s.addCommentLocked(r, number, login, body), nil
}

func (s *Server) addCommentLocked(repo *Repo, number int, login, body string) *Comment {
	now := time.Now().UTC().Truncate(time.Second)
	c := &Comment{ID: s.newID(), Number: number, Body: body, User: login, CreatedAt: now, UpdatedAt: now}
	s.state[repo].comments = append(s.state[repo].comments, c)
	return c
}

func (s *Server) findCommentLocked(repo *Repo, id string) *Comment {
	n, _ := strconv.ParseInt(id, 10, 64)
	for _, c := range s.state[repo].comments {
		if c.ID == n {
			return c
		}
	}
	return nil
}

func issueNumber(r *http.Request) int {
	n, _ := strconv.Atoi(r.PathValue("number"))
	return n
}

func (s *Server) listComments(w http.ResponseWriter, r *http.Request) {
	repo, ok := s.withRepo(w, r)
	if !ok {
		return
	}
	n := issueNumber(r)
	s.mu.Lock()
	if !s.issueExistsLocked(repo, n) {
		s.mu.Unlock()
		writeError(w, http.StatusNotFound, "Not Found")
		return
	}
	s.mu.Unlock()
	mine := s.Comments(repo.FullName(), n)
	start, end := s.paginate(w, r, len(mine))
	list := make([]obj, 0, end-start)
	for i := range mine[start:end] {
		list = append(list, s.commentJSON(repo, &mine[start+i]))
	}
	writeJSON(w, http.StatusOK, list)
}

func (s *Server) createComment(w http.ResponseWriter, r *http.Request) {
	repo, ok := s.withRepo(w, r)
	if !ok {
		return
	}
	var in struct {
		Body *string `json:"body"`
	}
	if !decodeBody(w, r, &in) {
		return
	}
	if in.Body == nil || *in.Body == "" {
		validationError(w, "IssueComment", "body", "missing_field")
		return
	}
	if len(*in.Body) > maxCheckOutput {
		validationError(w, "IssueComment", "body", "custom")
		return
	}
	s.mu.Lock()
	if !s.issueExistsLocked(repo, issueNumber(r)) {
		s.mu.Unlock()
		writeError(w, http.StatusNotFound, "Not Found")
		return
	}
	c := *s.addCommentLocked(repo, issueNumber(r), loginOf(r), *in.Body)
	s.mu.Unlock()
	writeJSON(w, http.StatusCreated, s.commentJSON(repo, &c))
}

func (s *Server) editComment(w http.ResponseWriter, r *http.Request) {
	repo, ok := s.withRepo(w, r)
	if !ok {
		return
	}
	var in struct {
		Body *string `json:"body"`
	}
	if !decodeBody(w, r, &in) {
		return
	}
	if in.Body == nil || *in.Body == "" {
		validationError(w, "IssueComment", "body", "missing_field")
		return
	}
	s.mu.Lock()
	c := s.findCommentLocked(repo, r.PathValue("id"))
	if c == nil {
		s.mu.Unlock()
		writeError(w, http.StatusNotFound, "Not Found")
		return
	}
	c.Body, c.UpdatedAt = *in.Body, time.Now().UTC().Truncate(time.Second)
	c.Edits++
	cp := *c
	cp.Reactions = append([]string(nil), c.Reactions...)
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, s.commentJSON(repo, &cp))
}

func (s *Server) createReaction(w http.ResponseWriter, r *http.Request) {
	repo, ok := s.withRepo(w, r)
	if !ok {
		return
	}
	var in struct {
		Content string `json:"content"`
	}
	if !decodeBody(w, r, &in) {
		return
	}
	if !reactionContents[in.Content] {
		validationError(w, "Reaction", "content", "invalid")
		return
	}
	s.mu.Lock()
	c := s.findCommentLocked(repo, r.PathValue("id"))
	if c == nil {
		s.mu.Unlock()
		writeError(w, http.StatusNotFound, "Not Found")
		return
	}
	c.Reactions = append(c.Reactions, in.Content)
	id := s.newID()
	s.mu.Unlock()
	writeJSON(w, http.StatusCreated, obj{
		"id": id, "node_id": fmt.Sprintf("REA_%d", id), "user": userJSON(s.URL(), loginOf(r)),
		"content": in.Content, "created_at": time.Now().UTC().Format(time.RFC3339),
	})
}

// Comments returns the comments on number in repo, oldest first.
func (s *Server) Comments(repo string, number int) []Comment {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.repos[lower(repo)]
	if r == nil {
		return nil
	}
	var out []Comment
	for _, c := range s.state[r].comments {
		if c.Number == number {
			cp := *c
			cp.Reactions = append([]string(nil), c.Reactions...)
			out = append(out, cp)
		}
	}
	return out
}
