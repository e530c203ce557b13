package fakegithub

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/google/go-github/v62/github"
)

func TestConcurrentUse(t *testing.T) {
	s := newServer(t, Options{})
	repo, pr := seedRepo(t, s)
	c := newClient(t, s, "")
	ctx := context.Background()
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for i := 0; i < 8; i++ {
		wg.Add(3)
		go func() {
			defer wg.Done()
			run, _, err := c.Checks.CreateCheckRun(ctx, "acme", "widgets", github.CreateCheckRunOptions{Name: fmt.Sprint("p", i), HeadSHA: pr.HeadSHA})
			if err == nil {
				_, _, err = c.Checks.UpdateCheckRun(ctx, "acme", "widgets", run.GetID(), github.UpdateCheckRunOptions{Name: run.GetName(), Conclusion: github.String("success")})
			}
			errs <- err
		}()
		go func() {
			defer wg.Done()
			_, err := repo.Commit("main", fmt.Sprint("c", i), map[string]string{fmt.Sprintf("f%d", i): "x"})
			errs <- err
		}()
		go func() {
			defer wg.Done()
			_, _, err := c.PullRequests.ListFiles(ctx, "acme", "widgets", pr.Number, nil)
			_ = s.Calls()
			_ = s.CheckRuns("acme/widgets")
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	if n := len(s.CheckRuns("acme/widgets")); n != 8 {
		t.Errorf("%d check runs", n)
	}
	// Every concurrent commit landed: none lost to a race on the branch.
	if n := gitOut(t, repo.Dir(), "", "rev-list", "--count", "main"); n != "9" {
		t.Errorf("main has %s commits, want 9", n)
	}
}
