package reporter

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/rigger-ci/rigger/internal/fakegithub"
	"github.com/rigger-ci/rigger/pkg/executor"
	"github.com/rigger-ci/rigger/pkg/github"
	"github.com/rigger-ci/rigger/pkg/run"
)

func TestCheckRunUpdateSurvivesBadGateways(t *testing.T) {
	w := newWorld(t, github.ModeApp)
	rep := New(w.client, Options{})
	ctx := context.Background()
	r := newRun(w.sha)
	if _, err := rep.Submitted(ctx, &r); err != nil {
		t.Fatal(err)
	}
	w.gh.FailNext(patchRoute, 2, fakegithub.BadGateway())
	r.State = run.Running
	if err := rep.Update(ctx, r); err != nil {
		t.Fatal(err)
	}
	if n := w.gh.Count(patchRoute); n != 3 {
		t.Errorf("PATCH sent %d times, want 3 (two 502s, then success)", n)
	}
	if cr := w.checkRun(t); cr.Status != "in_progress" {
		t.Errorf("status = %s, want in_progress", cr.Status)
	}
}

func TestStatusWaitsOutSecondaryRateLimit(t *testing.T) {
	w := newWorld(t, github.ModeToken)
	rep := New(w.client, Options{})
	w.gh.FailNext(statusRoute, 1, fakegithub.SecondaryRateLimit(http.StatusForbidden, time.Second))
	r := newRun(w.sha)
	start := time.Now()
	if _, err := rep.Submitted(context.Background(), &r); err != nil {
		t.Fatal(err)
	}
	if waited := time.Since(start); waited < time.Second {
		t.Errorf("status sent again after %v, before Retry-After's 1s", waited)
	}
	if sts := w.gh.Statuses(repoName); len(sts) != 1 || sts[0].State != "pending" {
		t.Errorf("statuses = %+v", sts)
	}
}

func TestOutageIsReturnedAndRetriedLater(t *testing.T) {
	w := newWorld(t, github.ModeApp)
	rep := New(w.client, Options{})
	ctx := context.Background()
	r := newRun(w.sha)
	if _, err := rep.Submitted(ctx, &r); err != nil {
		t.Fatal(err)
	}
	w.gh.FailNext(patchRoute, 100, fakegithub.ServerError())
	r.State = run.Succeeded
	for i := range r.Tasks {
		r.Tasks[i].State = run.Succeeded
	}
	err := rep.Update(ctx, r)
	if err == nil || !strings.Contains(err.Error(), "500") {
		t.Fatalf("want GitHub's 500 returned, got %v", err)
	}
	if n := w.gh.Count(patchRoute); n != fastRetry.MaxAttempts {
		t.Errorf("PATCH sent %d times, want %d", n, fastRetry.MaxAttempts)
	}
	// GitHub is back: the caller's retry must send the update, not skip it as sent.
	w.gh.Reset()
	if err := rep.Update(ctx, r); err != nil {
		t.Fatal(err)
	}
	if cr := w.checkRun(t); cr.Conclusion != "success" {
		t.Errorf("after the outage the check run is %s/%s", cr.Status, cr.Conclusion)
	}
}

func TestErroredDefinition(t *testing.T) {
	w := newWorld(t, github.ModeApp)
	rep := New(w.client, Options{})
	ctx := context.Background()
	msg := "spec.tasks[0].taskRef: unknown task \"biuld\""
	for range 2 {
		if err := rep.Errored(ctx, repoName, w.sha, "pull-request", ".tekton/pull-request.yaml", 12, msg); err != nil {
			t.Fatal(err)
		}
	}
	cr := w.checkRun(t) // reported once
	if cr.Name != "Rigger / pull-request" || cr.Status != "completed" || cr.Conclusion != "failure" {
		t.Errorf("check run = %+v", cr)
	}
	if cr.Output.Title != "Invalid definition: .tekton/pull-request.yaml:12" || !strings.Contains(cr.Output.Summary, msg) {
		t.Errorf("output = %+v", cr.Output)
	}
	a := cr.Output.Annotations
	if len(a) != 1 || a[0].Path != ".tekton/pull-request.yaml" || a[0].StartLine != 12 || a[0].AnnotationLevel != "failure" || a[0].Message != msg {
		t.Errorf("annotations = %+v", a)
	}
}

func TestErroredDefinitionInTokenMode(t *testing.T) {
	w := newWorld(t, github.ModeToken)
	rep := New(w.client, Options{})
	err := rep.Errored(context.Background(), repoName, w.sha, "push", ".tekton/push.yaml", 3, "yaml: line 3: mapping values are not allowed here")
	if err != nil {
		t.Fatal(err)
	}
	sts := w.gh.Statuses(repoName)
	if len(sts) != 1 || sts[0].State != "error" || sts[0].Context != "Rigger / push" ||
		sts[0].Description != ".tekton/push.yaml:3: yaml: line 3: mapping values are not allowed here" {
		t.Errorf("statuses = %+v", sts)
	}
}

// The reporter's narrow interfaces are what Rigger's parts implement.
var (
	_ GitHub    = (*github.Client)(nil)
	_ LogSource = executor.Executor(nil)
)

// GitHub made the check run and then lost its answer (its edge's 502 after the backend
// acted): the reporter finds that check run by the run's external ID and reports into it,
// rather than create a second and leave the first queued for good.
func TestCreateWhoseAnswerWasLostLeavesOneCheckRun(t *testing.T) {
	w := newWorld(t, github.ModeApp)
	rep := New(w.client, Options{})
	ctx := context.Background()
	const createRoute = "POST /repos/{owner}/{repo}/check-runs"
	w.gh.FailNext(createRoute, 1, fakegithub.BadGateway().AfterServing())
	r := newRun(w.sha)
	if _, err := rep.Submitted(ctx, &r); err != nil {
		t.Fatal(err)
	}
	if n := w.gh.Count(createRoute); n != 1 {
		t.Errorf("create sent %d times, want once: GitHub may have acted on it", n)
	}
	r.State = run.Succeeded
	if err := rep.Update(ctx, r); err != nil {
		t.Fatal(err)
	}
	crs := w.gh.CheckRuns(repoName)
	if len(crs) != 1 {
		t.Fatalf("%d check runs, want the one GitHub made: %+v", len(crs), crs)
	}
	if crs[0].ID != r.CheckRunID || crs[0].Status != "completed" || crs[0].Conclusion != "success" {
		t.Errorf("check run %d is %s/%s, want %d completed/success", crs[0].ID, crs[0].Status, crs[0].Conclusion, r.CheckRunID)
	}
}

// A create that GitHub refused outright (no check run made, only the answer is a 502 from
// a backend that did nothing) is found nowhere, so the error is returned and the report is
// made again later: one check run in the end.
func TestCreateThatFailedIsMadeLater(t *testing.T) {
	w := newWorld(t, github.ModeApp)
	rep := New(w.client, Options{})
	ctx := context.Background()
	w.gh.FailNext("POST /repos/{owner}/{repo}/check-runs", 1, fakegithub.BadGateway())
	r := newRun(w.sha)
	if _, err := rep.Submitted(ctx, &r); err == nil {
		t.Fatal("the create failed and nothing was found, yet no error")
	}
	if _, err := rep.Submitted(ctx, &r); err != nil {
		t.Fatal(err)
	}
	if crs := w.gh.CheckRuns(repoName); len(crs) != 1 || crs[0].ID != r.CheckRunID {
		t.Errorf("check runs %+v, want one, %d", crs, r.CheckRunID)
	}
}
