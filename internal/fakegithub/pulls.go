package fakegithub

import (
	"fmt"
	"time"
)

// PullRequestSpec is what a test gives to open a pull request.
type PullRequestSpec struct {
	Title  string
	Body   string
	Head   string // branch in the same repository; must exist
	Base   string // the default branch when empty
	Author string // "octocat" when empty
	Draft  bool
	Labels []string
}

// PullRequest is a pull request as the fake holds it.
type PullRequest struct {
	Number         int
	Title          string
	Body           string
	HeadBranch     string
	HeadSHA        string
	PreviousSHA    string // head before the last push, for synchronize's "before"
	BaseBranch     string
	Author         string
	Draft          bool
	Labels         []string
	State          string // open or closed
	Merged         bool
	MergeCommitSHA string
	CreatedAt      time.Time
	UpdatedAt      time.Time
	ClosedAt       time.Time
	MergedAt       time.Time
}

func (p *PullRequest) clone() PullRequest {
	c := *p
	c.Labels = append([]string(nil), p.Labels...)
	return c
}

// OpenPullRequest opens a pull request from spec.Head into spec.Base and
// publishes refs/pull/N/head as GitHub does.
func (r *Repo) OpenPullRequest(spec PullRequestSpec) (PullRequest, error) {
	if spec.Base == "" {
		spec.Base = r.DefaultBranch
	}
	if spec.Author == "" {
		spec.Author = "octocat"
	}
	if spec.Title == "" {
		spec.Title = "Update " + spec.Head
	}
	head, err := r.BranchSHA(spec.Head)
	if err != nil {
		return PullRequest{}, fmt.Errorf("fakegithub: head branch %q: %w", spec.Head, err)
	}
	if _, err := r.BranchSHA(spec.Base); err != nil {
		return PullRequest{}, fmt.Errorf("fakegithub: base branch %q: %w", spec.Base, err)
	}
	now := time.Now().UTC().Truncate(time.Second)
	r.s.mu.Lock()
	st := r.s.state[r]
	st.lastNumber++
	pr := &PullRequest{
		Number: st.lastNumber, Title: spec.Title, Body: spec.Body, HeadBranch: spec.Head, HeadSHA: head,
		BaseBranch: spec.Base, Author: spec.Author, Draft: spec.Draft, State: "open",
		CreatedAt: now, UpdatedAt: now,
	}
	for _, l := range spec.Labels {
		r.s.ensureLabelLocked(st, l)
		pr.Labels = append(pr.Labels, l)
	}
	st.pulls[pr.Number] = pr
	out := pr.clone()
	r.s.mu.Unlock()
	return out, r.setRef(fmt.Sprintf("refs/pull/%d/head", pr.Number), head)
}

// PullRequest returns pull request number, if it exists.
func (r *Repo) PullRequest(number int) (PullRequest, bool) {
	r.s.mu.Lock()
	defer r.s.mu.Unlock()
	pr := r.s.state[r].pulls[number]
	if pr == nil {
		return PullRequest{}, false
	}
	return pr.clone(), true
}

// PushToPullRequest commits files on the pull request's head branch, moves
// its head and returns the new SHA.
func (r *Repo) PushToPullRequest(number int, message string, files map[string]string, deletions ...string) (string, error) {
	pr, ok := r.PullRequest(number)
	if !ok {
		return "", fmt.Errorf("fakegithub: %s has no pull request %d", r.FullName(), number)
	}
	sha, err := r.Commit(pr.HeadBranch, message, files, deletions...)
	if err != nil {
		return "", err
	}
	return sha, r.SyncPullRequest(number)
}

// SyncPullRequest moves the pull request's head to its branch's tip, for
// tests that commit on the branch directly.
func (r *Repo) SyncPullRequest(number int) error {
	r.s.mu.Lock()
	pr := r.s.state[r].pulls[number]
	r.s.mu.Unlock()
	if pr == nil {
		return fmt.Errorf("fakegithub: %s has no pull request %d", r.FullName(), number)
	}
	sha, err := r.BranchSHA(pr.HeadBranch)
	if err != nil {
		return err
	}
	r.s.mu.Lock()
	if pr.HeadSHA != sha {
		pr.PreviousSHA, pr.HeadSHA = pr.HeadSHA, sha
		pr.UpdatedAt = time.Now().UTC().Truncate(time.Second)
	}
	r.s.mu.Unlock()
	return r.setRef(fmt.Sprintf("refs/pull/%d/head", number), sha)
}

// UpdatePullRequest changes a pull request's fields, e.g. to mark it ready
// for review before sending ready_for_review.
func (r *Repo) UpdatePullRequest(number int, change func(*PullRequest)) error {
	r.s.mu.Lock()
	defer r.s.mu.Unlock()
	pr := r.s.state[r].pulls[number]
	if pr == nil {
		return fmt.Errorf("fakegithub: %s has no pull request %d", r.FullName(), number)
	}
	change(pr)
	for _, l := range pr.Labels {
		r.s.ensureLabelLocked(r.s.state[r], l)
	}
	pr.UpdatedAt = time.Now().UTC().Truncate(time.Second)
	return nil
}

// ClosePullRequest closes without merging.
func (r *Repo) ClosePullRequest(number int) error {
	return r.UpdatePullRequest(number, func(pr *PullRequest) {
		pr.State, pr.ClosedAt = "closed", time.Now().UTC().Truncate(time.Second)
	})
}

// MergePullRequest makes a real merge commit of the head into the base
// branch, closes the pull request and returns the merge commit's SHA.
func (r *Repo) MergePullRequest(number int) (string, error) {
	pr, ok := r.PullRequest(number)
	if !ok || pr.State != "open" {
		return "", fmt.Errorf("fakegithub: %s has no open pull request %d", r.FullName(), number)
	}
	msg := fmt.Sprintf("Merge pull request #%d from %s/%s\n\n%s", number, r.Owner, pr.HeadBranch, pr.Title)
	sha, err := r.mergeBranches(pr.BaseBranch, pr.HeadSHA, msg)
	if err != nil {
		return "", err
	}
	return sha, r.UpdatePullRequest(number, func(p *PullRequest) {
		now := time.Now().UTC().Truncate(time.Second)
		p.State, p.Merged, p.MergeCommitSHA, p.ClosedAt, p.MergedAt = "closed", true, sha, now, now
	})
}
