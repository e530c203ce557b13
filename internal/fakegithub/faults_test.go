package fakegithub

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/google/go-github/v62/github"
)

const treeRoute = "GET /repos/{owner}/{repo}/git/trees/{sha}"

func TestFaultsThenRecovery(t *testing.T) {
	s := newServer(t, Options{})
	seedRepo(t, s)
	c := newClient(t, s, "")
	ctx := context.Background()
	s.FailNext(treeRoute, 1, ServerError())
	s.FailNext(treeRoute, 1, BadGateway())
	for _, want := range []int{500, 502, 200} {
		_, resp, err := c.Git.GetTree(ctx, "acme", "widgets", "main", true)
		if resp.StatusCode != want {
			t.Fatalf("status %d, want %d (%v)", resp.StatusCode, want, err)
		}
	}
	// Other routes are untouched by a route's faults.
	s.FailNext(treeRoute, 1, ServerError())
	if _, _, err := c.PullRequests.Get(ctx, "acme", "widgets", 1); err != nil {
		t.Fatal(err)
	}
	if s.PendingFaults() != 1 {
		t.Fatalf("pending = %d", s.PendingFaults())
	}
	calls := s.CallsTo(treeRoute)
	if len(calls) != 3 || !calls[0].Fault || calls[0].Status != 500 || calls[2].Fault {
		t.Fatalf("calls = %+v", calls)
	}
}

func TestPrimaryRateLimit(t *testing.T) {
	s := newServer(t, Options{})
	seedRepo(t, s)
	c := newClient(t, s, "")
	reset := time.Now().Add(42 * time.Minute).Truncate(time.Second)
	s.FailNext(AnyRoute, 1, PrimaryRateLimit(reset))
	_, _, err := c.Git.GetTree(context.Background(), "acme", "widgets", "main", true)
	var rl *github.RateLimitError
	if !errors.As(err, &rl) {
		t.Fatalf("err = %T %v, want a RateLimitError", err, err)
	}
	if !rl.Rate.Reset.Time.Equal(reset) || rl.Rate.Remaining != 0 {
		t.Fatalf("rate = %+v, want reset %v", rl.Rate, reset)
	}
}

func TestRateLimitBudgetIsEnforced(t *testing.T) {
	s := newServer(t, Options{RateLimit: 3})
	seedRepo(t, s)
	c := newClient(t, s, "")
	ctx := context.Background()
	for i := 0; i < 3; i++ {
		_, resp, err := c.Git.GetTree(ctx, "acme", "widgets", "main", false)
		if err != nil {
			t.Fatal(err)
		}
		if got := resp.Header.Get("X-RateLimit-Remaining"); got != strconv.Itoa(2-i) {
			t.Fatalf("call %d: remaining %s", i, got)
		}
		if resp.Header.Get("X-GitHub-Request-Id") == "" || resp.Header.Get("X-RateLimit-Reset") == "" {
			t.Fatal("missing GitHub headers")
		}
	}
	// A fresh client, so go-github's own rate memory does not answer for us.
	_, _, err := newClient(t, s, "").Git.GetTree(ctx, "acme", "widgets", "main", false)
	var rl *github.RateLimitError
	if !errors.As(err, &rl) {
		t.Fatalf("fourth call: %T %v", err, err)
	}
}

func TestSecondaryRateLimit(t *testing.T) {
	s := newServer(t, Options{})
	seedRepo(t, s)
	ctx := context.Background()
	s.FailNext(treeRoute, 1, SecondaryRateLimit(http.StatusForbidden, 7*time.Second))
	_, _, err := newClient(t, s, "").Git.GetTree(ctx, "acme", "widgets", "main", true)
	var abuse *github.AbuseRateLimitError
	if !errors.As(err, &abuse) || abuse.GetRetryAfter() != 7*time.Second {
		t.Fatalf("err = %T %v", err, err)
	}
	s.FailNext(treeRoute, 1, SecondaryRateLimit(http.StatusTooManyRequests, 3*time.Second))
	_, resp, err := newClient(t, s, "").Git.GetTree(ctx, "acme", "widgets", "main", true)
	if err == nil || resp.StatusCode != 429 || resp.Header.Get("Retry-After") != "3" {
		t.Fatalf("429: %v %v", resp, err)
	}
}

func TestRecordingAndNotFound(t *testing.T) {
	s := newServer(t, Options{})
	_, pr := seedRepo(t, s)
	c := newClient(t, s, "")
	ctx := context.Background()
	if _, _, err := c.Checks.CreateCheckRun(ctx, "acme", "widgets", github.CreateCheckRunOptions{Name: "n", HeadSHA: pr.HeadSHA}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := c.Checks.ListCheckRunsForRef(ctx, "acme", "widgets", "feature/x", nil); err != nil {
		t.Fatal(err)
	}
	req, _ := c.NewRequest("GET", "repos/acme/widgets/no-such-thing", nil)
	resp, err := c.Do(ctx, req, nil)
	var er *github.ErrorResponse
	if !errors.As(err, &er) || resp.StatusCode != 404 || er.Message != "Not Found" || er.DocumentationURL == "" {
		t.Fatalf("unknown route: %v", err)
	}
	if _, _, err := c.Git.GetTree(ctx, "acme", "nope", "main", true); err == nil {
		t.Fatal("unknown repo served")
	}

	posts := s.CallsTo("POST /repos/{owner}/{repo}/check-runs")
	if len(posts) != 1 || posts[0].Body.(map[string]any)["head_sha"] != pr.HeadSHA || posts[0].Status != 201 {
		t.Fatalf("posts = %+v", posts)
	}
	if n := s.Count(RouteListCheckRuns); n != 1 {
		t.Fatalf("list check runs counted %d", n)
	}
	counts := s.CountsByRoute()
	if counts[""] != 1 || counts[treeRoute] != 1 {
		t.Fatalf("counts = %v", counts)
	}
	s.Reset()
	if len(s.Calls()) != 0 || len(s.CheckRuns("acme/widgets")) != 1 {
		t.Fatal("Reset must clear calls and keep state")
	}
}

// A fault with If fires on the calls it names only; FailUntil answers every call until its
// time, then the route is served again.
func TestFaultIfAndFailUntil(t *testing.T) {
	s := newServer(t, Options{})
	seedRepo(t, s)
	c := newClient(t, s, "")
	ctx := context.Background()
	s.FailNext(AnyRoute, 1, BadGateway().If(func(c Call) bool { return c.Route == treeRoute }))
	if _, _, err := c.PullRequests.Get(ctx, "acme", "widgets", 1); err != nil {
		t.Fatalf("a call the fault does not name failed: %v", err)
	}
	if _, resp, _ := c.Git.GetTree(ctx, "acme", "widgets", "main", true); resp.StatusCode != http.StatusBadGateway {
		t.Fatalf("the named call got %d, want 502", resp.StatusCode)
	}
	if s.PendingFaults() != 0 {
		t.Fatalf("pending = %d after the fault fired", s.PendingFaults())
	}
	reset := time.Now().Add(400 * time.Millisecond)
	s.FailUntil(treeRoute, reset, PrimaryRateLimit(reset))
	// Plain requests: go-github would answer a second call itself once it saw the limit.
	get := func() *http.Response {
		resp, err := http.Get(s.APIURL() + "repos/acme/widgets/git/trees/main")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	for range 2 {
		resp := get()
		if resp.StatusCode != http.StatusForbidden || resp.Header.Get("X-RateLimit-Reset") != strconv.FormatInt(reset.Unix(), 10) {
			t.Fatalf("within the window: %d, reset %q", resp.StatusCode, resp.Header.Get("X-RateLimit-Reset"))
		}
	}
	time.Sleep(time.Until(reset))
	if resp := get(); resp.StatusCode != http.StatusOK {
		t.Fatalf("after the window: %d", resp.StatusCode)
	}
}

// CreateBranches makes each branch one commit ahead of its start, with its own files.
func TestCreateBranches(t *testing.T) {
	s := newServer(t, Options{})
	repo, _ := seedRepo(t, s)
	heads, err := repo.CreateBranches("main", map[string]map[string]string{
		"b-1": {"one.txt": "1\n"}, "b-2": {"dir/two words.txt": "2\n"},
	})
	if err != nil {
		t.Fatal(err)
	}
	for branch, file := range map[string]string{"b-1": "one.txt", "b-2": "dir/two words.txt"} {
		if sha, err := repo.BranchSHA(branch); err != nil || sha != heads[branch] {
			t.Fatalf("%s at %s (%v), want %s", branch, sha, err, heads[branch])
		}
		if _, err := repo.ReadFile(branch, file); err != nil {
			t.Fatalf("%s: %v", branch, err)
		}
		if _, err := repo.ReadFile(branch, "README.md"); err != nil {
			t.Fatalf("%s lost main's files: %v", branch, err)
		}
	}
}
