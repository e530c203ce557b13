package fakegithub

import (
	"fmt"
	"strings"
)

// repoState is the GitHub-side state of one repository, guarded by Server.mu.
type repoState struct {
	lastNumber  int // issues and pull requests share one sequence
	pulls       map[int]*PullRequest
	checkRuns   []*CheckRun
	statuses    []*Status
	comments    []*Comment
	labels      map[string]*Label // by lower-case name
	permissions map[string]string // login -> admin, maintain, write, triage, read
}

func newRepoState() *repoState {
	return &repoState{pulls: map[int]*PullRequest{}, labels: map[string]*Label{}, permissions: map[string]string{}}
}

// Label is a repository label.
type Label struct {
	ID    int64
	Name  string
	Color string
}

func (s *Server) ensureLabelLocked(st *repoState, name string) *Label {
	key := strings.ToLower(name)
	if l := st.labels[key]; l != nil {
		return l
	}
	l := &Label{ID: s.newID(), Name: name, Color: "ededed"}
	st.labels[key] = l
	return l
}

func lower(s string) string { return strings.ToLower(s) }

func errNoRepo(name string) error { return fmt.Errorf("fakegithub: no repository %s", name) }
