package fakegithub

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-github/v62/github"
)

func TestCheckRunLifecycle(t *testing.T) {
	s := newServer(t, Options{})
	_, pr := seedRepo(t, s)
	c := newClient(t, s, "")
	ctx := context.Background()

	created, resp, err := c.Checks.CreateCheckRun(ctx, "acme", "widgets", github.CreateCheckRunOptions{
		Name: "rigger / pull", HeadSHA: pr.HeadSHA, ExternalID: github.String("run-1"),
		DetailsURL: github.String("http://dash/run-1"), Status: github.String("in_progress"),
		Output: &github.CheckRunOutput{Title: github.String("Running"), Summary: github.String("2 tasks")},
	})
	if err != nil || resp.StatusCode != http.StatusCreated {
		t.Fatal(err)
	}
	if created.GetStatus() != "in_progress" || created.GetConclusion() != "" || created.GetHeadSHA() != pr.HeadSHA {
		t.Fatalf("created = %+v", created)
	}
	_, _, err = c.Checks.UpdateCheckRun(ctx, "acme", "widgets", created.GetID(), github.UpdateCheckRunOptions{
		Name: "rigger / pull", Conclusion: github.String("failure"),
		Output: &github.CheckRunOutput{Title: github.String("1 failed"), Summary: github.String("unit failed"),
			Text: github.String("tail of log"), Annotations: []*github.CheckRunAnnotation{{
				Path: github.String(".tekton/pull.yaml"), StartLine: github.Int(3), EndLine: github.Int(3),
				AnnotationLevel: github.String("failure"), Message: github.String("bad")}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	got, _, err := c.Checks.GetCheckRun(ctx, "acme", "widgets", created.GetID())
	if err != nil {
		t.Fatal(err)
	}
	if got.GetStatus() != "completed" || got.GetConclusion() != "failure" || got.CompletedAt == nil ||
		got.GetOutput().GetTitle() != "1 failed" || got.GetOutput().GetAnnotationsCount() != 1 || got.GetExternalID() != "run-1" {
		t.Fatalf("after update = %+v output %+v", got, got.GetOutput())
	}

	runs := s.CheckRuns("acme/widgets")
	if len(runs) != 1 || runs[0].Output.Text != "tail of log" || runs[0].Updates != 1 ||
		runs[0].Output.Annotations[0].Path != ".tekton/pull.yaml" || runs[0].DetailsURL != "http://dash/run-1" {
		t.Fatalf("CheckRuns = %+v", runs)
	}

	// A rerun with the same name hides the first under filter=latest.
	if _, _, err := c.Checks.CreateCheckRun(ctx, "acme", "widgets", github.CreateCheckRunOptions{Name: "rigger / pull", HeadSHA: pr.HeadSHA}); err != nil {
		t.Fatal(err)
	}
	list, _, err := c.Checks.ListCheckRunsForRef(ctx, "acme", "widgets", "feature/x", nil)
	if err != nil {
		t.Fatal(err)
	}
	if list.GetTotal() != 1 || list.CheckRuns[0].GetStatus() != "queued" {
		t.Fatalf("latest = %d runs, first %+v", list.GetTotal(), list.CheckRuns)
	}
	all, _, _ := c.Checks.ListCheckRunsForRef(ctx, "acme", "widgets", pr.HeadSHA, &github.ListCheckRunsOptions{Filter: github.String("all")})
	if all.GetTotal() != 2 {
		t.Fatalf("all = %d", all.GetTotal())
	}
}

func TestCheckRunValidation(t *testing.T) {
	s := newServer(t, Options{})
	_, pr := seedRepo(t, s)
	c := newClient(t, s, "")
	ctx := context.Background()
	cases := map[string]github.CreateCheckRunOptions{
		"completed without conclusion": {Name: "a", HeadSHA: pr.HeadSHA, Status: github.String("completed")},
		"unknown conclusion":           {Name: "a", HeadSHA: pr.HeadSHA, Conclusion: github.String("great")},
		"summary too long": {Name: "a", HeadSHA: pr.HeadSHA, Output: &github.CheckRunOutput{
			Title: github.String("t"), Summary: github.String(strings.Repeat("x", 65536))}},
		"unknown sha": {Name: "a", HeadSHA: strings.Repeat("1", 40)},
		"no name":     {HeadSHA: pr.HeadSHA},
	}
	for name, opt := range cases {
		_, resp, err := c.Checks.CreateCheckRun(ctx, "acme", "widgets", opt)
		var er *github.ErrorResponse
		if !errors.As(err, &er) || resp.StatusCode != http.StatusUnprocessableEntity {
			t.Errorf("%s: err %v", name, err)
		}
	}
	if n := len(s.CheckRuns("acme/widgets")); n != 0 {
		t.Errorf("%d invalid check runs were stored", n)
	}
	if _, resp, err := c.Checks.UpdateCheckRun(ctx, "acme", "widgets", 424242, github.UpdateCheckRunOptions{Name: "a"}); err == nil || resp.StatusCode != 404 {
		t.Errorf("update of unknown run: %v", err)
	}
}

func TestStatuses(t *testing.T) {
	s := newServer(t, Options{})
	_, pr := seedRepo(t, s)
	c := newClient(t, s, "")
	ctx := context.Background()
	for _, st := range []string{"pending", "success"} {
		if _, _, err := c.Repositories.CreateStatus(ctx, "acme", "widgets", pr.HeadSHA, &github.RepoStatus{
			State: github.String(st), Context: github.String("rigger/unit"), Description: github.String(st + " desc")}); err != nil {
			t.Fatal(err)
		}
	}
	if _, _, err := c.Repositories.CreateStatus(ctx, "acme", "widgets", pr.HeadSHA, &github.RepoStatus{
		State: github.String("failure"), Context: github.String("rigger/lint")}); err != nil {
		t.Fatal(err)
	}
	if _, resp, err := c.Repositories.CreateStatus(ctx, "acme", "widgets", pr.HeadSHA, &github.RepoStatus{State: github.String("done")}); err == nil || resp.StatusCode != 422 {
		t.Fatalf("bad state: %v", err)
	}
	list, _, err := c.Repositories.ListStatuses(ctx, "acme", "widgets", "feature/x", nil)
	if err != nil || len(list) != 3 || list[0].GetContext() != "rigger/lint" {
		t.Fatalf("statuses = %v, %v", list, err)
	}
	combined, _, err := c.Repositories.GetCombinedStatus(ctx, "acme", "widgets", pr.HeadSHA, nil)
	if err != nil || combined.GetState() != "failure" || combined.GetTotalCount() != 2 {
		t.Fatalf("combined = %+v, %v", combined, err)
	}
	recorded := s.Statuses("acme/widgets")
	if len(recorded) != 3 || recorded[1].State != "success" || recorded[1].Creator != "rigger-bot" {
		t.Fatalf("Statuses = %+v", recorded)
	}
}
