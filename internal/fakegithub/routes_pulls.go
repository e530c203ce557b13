package fakegithub

import (
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"time"
)

// maxPullFiles is where GitHub stops listing a pull request's files.
const maxPullFiles = 3000

func timeOrNil(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.Format(time.RFC3339)
}

// pullJSON is GitHub's pull request object; baseSHA is the base branch tip.
func (repo *Repo) pullJSON(pr PullRequest, labels []obj, baseSHA string) obj {
	base := repo.s.URL()
	api := fmt.Sprintf("%s/pulls/%d", repo.APIURL(), pr.Number)
	issue := fmt.Sprintf("%s/issues/%d", repo.APIURL(), pr.Number)
	html := fmt.Sprintf("%s/pull/%d", repo.HTMLURL(), pr.Number)
	var mergeSHA any
	if pr.MergeCommitSHA != "" {
		mergeSHA = pr.MergeCommitSHA
	}
	return obj{
		"url": api, "id": int64(pr.Number) + repo.ID*100_000, "node_id": fmt.Sprintf("PR_%s_%d", repo.FullName(), pr.Number),
		"html_url": html, "diff_url": html + ".diff", "patch_url": html + ".patch", "issue_url": issue,
		"number": pr.Number, "state": pr.State, "locked": false, "title": pr.Title, "body": pr.Body,
		"user": userJSON(base, pr.Author), "labels": labels,
		"created_at": timeOrNil(pr.CreatedAt), "updated_at": timeOrNil(pr.UpdatedAt),
		"closed_at": timeOrNil(pr.ClosedAt), "merged_at": timeOrNil(pr.MergedAt),
		"merge_commit_sha": mergeSHA, "draft": pr.Draft, "merged": pr.Merged,
		"assignee": nil, "assignees": []obj{}, "requested_reviewers": []obj{}, "requested_teams": []obj{},
		"milestone": nil, "author_association": repo.s.association(repo, pr.Author),
		"commits_url": api + "/commits", "review_comments_url": api + "/comments",
		"comments_url": issue + "/comments", "statuses_url": repo.APIURL() + "/statuses/" + pr.HeadSHA,
		"head": obj{
			"label": repo.Owner + ":" + pr.HeadBranch, "ref": pr.HeadBranch, "sha": pr.HeadSHA,
			"user": userJSON(base, repo.Owner), "repo": repo.repoJSON(),
		},
		"base": obj{
			"label": repo.Owner + ":" + pr.BaseBranch, "ref": pr.BaseBranch, "sha": baseSHA,
			"user": userJSON(base, repo.Owner), "repo": repo.repoJSON(),
		},
		"_links": obj{
			"self": obj{"href": api}, "html": obj{"href": html}, "issue": obj{"href": issue},
			"comments": obj{"href": issue + "/comments"}, "statuses": obj{"href": repo.APIURL() + "/statuses/" + pr.HeadSHA},
		},
		"auto_merge": nil, "active_lock_reason": nil,
	}
}

// pullSnapshot reads a pull request with its labels and base tip.
func (s *Server) pullSnapshot(repo *Repo, number int) (obj, PullRequest, bool) {
	s.mu.Lock()
	p := s.state[repo].pulls[number]
	if p == nil {
		s.mu.Unlock()
		return nil, PullRequest{}, false
	}
	pr := p.clone()
	labels := s.labelsJSONLocked(repo, pr.Labels)
	s.mu.Unlock()
	baseSHA := pr.MergeCommitSHA
	if pr.State == "open" || baseSHA == "" {
		baseSHA, _ = repo.BranchSHA(pr.BaseBranch)
	}
	return repo.pullJSON(pr, labels, baseSHA), pr, true
}

func (s *Server) getPull(w http.ResponseWriter, r *http.Request) {
	repo, ok := s.withRepo(w, r)
	if !ok {
		return
	}
	n, _ := strconv.Atoi(r.PathValue("number"))
	body, _, ok := s.pullSnapshot(repo, n)
	if !ok {
		writeError(w, http.StatusNotFound, "Not Found")
		return
	}
	writeJSON(w, http.StatusOK, body)
}

func (s *Server) listPulls(w http.ResponseWriter, r *http.Request) {
	repo, ok := s.withRepo(w, r)
	if !ok {
		return
	}
	q := r.URL.Query()
	state := q.Get("state")
	if state == "" {
		state = "open"
	}
	s.mu.Lock()
	var numbers []int
	for n, p := range s.state[repo].pulls {
		if (state == "all" || p.State == state) &&
			(q.Get("base") == "" || q.Get("base") == p.BaseBranch) &&
			(q.Get("head") == "" || q.Get("head") == repo.Owner+":"+p.HeadBranch) {
			numbers = append(numbers, n)
		}
	}
	s.mu.Unlock()
	// GitHub's default order is newest first.
	sort.Sort(sort.Reverse(sort.IntSlice(numbers)))
	if q.Get("direction") == "asc" {
		sort.Ints(numbers)
	}
	start, end := s.paginate(w, r, len(numbers))
	list := make([]obj, 0, end-start)
	for _, n := range numbers[start:end] {
		if body, _, ok := s.pullSnapshot(repo, n); ok {
			list = append(list, body)
		}
	}
	writeJSON(w, http.StatusOK, list)
}

func (s *Server) listPullFiles(w http.ResponseWriter, r *http.Request) {
	repo, ok := s.withRepo(w, r)
	if !ok {
		return
	}
	n, _ := strconv.Atoi(r.PathValue("number"))
	_, pr, ok := s.pullSnapshot(repo, n)
	if !ok {
		writeError(w, http.StatusNotFound, "Not Found")
		return
	}
	// GitHub diffs the head against where it forked from the base.
	from := ""
	if baseSHA, err := repo.BranchSHA(pr.BaseBranch); err == nil {
		from, _ = repo.mergeBase(baseSHA, pr.HeadSHA)
	}
	if pr.Merged {
		if info, err := repo.commitInfo(pr.MergeCommitSHA); err == nil && len(info.Parents) > 0 {
			from, _ = repo.mergeBase(info.Parents[0], pr.HeadSHA)
		}
	}
	changes, err := repo.diff(from, pr.HeadSHA)
	if err != nil {
		writeError(w, http.StatusInternalServerError, "Server Error")
		return
	}
	if len(changes) > maxPullFiles {
		changes = changes[:maxPullFiles]
	}
	start, end := s.paginate(w, r, len(changes))
	files, _, _ := repo.filesJSON(changes[start:end], pr.HeadSHA)
	writeJSON(w, http.StatusOK, files)
}
