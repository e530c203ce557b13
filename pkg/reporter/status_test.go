package reporter

import (
	"context"
	"strings"
	"testing"

	"github.com/rigger-ci/rigger/pkg/github"
	"github.com/rigger-ci/rigger/pkg/run"
)

const statusRoute = "POST /repos/{owner}/{repo}/statuses/{sha}"

func TestStatusesInTokenMode(t *testing.T) {
	w := newWorld(t, github.ModeToken)
	rep := New(w.client, Options{Secrets: secrets{"tok-abcdef"}})
	ctx := context.Background()
	r := newRun(w.sha)

	id, err := rep.Submitted(ctx, &r)
	if err != nil || id != 0 {
		t.Fatalf("submitted: id %d, %v", id, err)
	}
	r.State = run.Running
	if err := rep.Update(ctx, r); err != nil {
		t.Fatal(err)
	}
	r.Tasks[0].State = run.Running
	r.Tasks[0].Message = "still going" // not visible in a status: no new status
	if err := rep.Update(ctx, r); err != nil {
		t.Fatal(err)
	}
	r.State, r.Tasks[0].State, r.Tasks[1].State, r.Tasks[2].State = run.Failed, run.Succeeded, run.Failed, run.Succeeded
	r.Tasks[1].Name = "test-" + strings.Repeat("very-long-name-", 12) + "tok-abcdef"
	if err := rep.Update(ctx, r); err != nil {
		t.Fatal(err)
	}

	sts := w.gh.Statuses(repoName)
	var states []string
	for _, st := range sts {
		states = append(states, st.State)
		if st.Context != "Rigger / pull-request" || st.SHA != w.sha {
			t.Errorf("status %+v: want context Rigger / pull-request on %s", st, w.sha)
		}
		if len(st.Description) > 140 {
			t.Errorf("description of %d chars: %q", len(st.Description), st.Description)
		}
	}
	// Queued and running are both pending, but their descriptions differ, so both are
	// sent; the second running update changes nothing a status shows.
	want := []string{"pending", "pending", "failure"}
	if strings.Join(states, ",") != strings.Join(want, ",") {
		t.Errorf("states = %v, want %v", states, want)
	}
	last := sts[len(sts)-1]
	if !strings.HasPrefix(last.Description, "2/3 tasks succeeded, test-very-long-name-") || strings.Contains(last.Description, "tok-abcdef") {
		t.Errorf("failure description = %q", last.Description)
	}
	if n := w.gh.Count("POST /repos/{owner}/{repo}/check-runs"); n != 0 {
		t.Errorf("token mode created %d check runs", n)
	}
}

func TestStatusStates(t *testing.T) {
	for state, want := range map[run.State]string{
		run.Queued: "pending", run.Running: "pending", run.Succeeded: "success",
		run.Failed: "failure", run.Cancelled: "error", run.Skipped: "success",
	} {
		if got := statusState(run.Run{State: state}); got != want {
			t.Errorf("statusState(%s) = %s, want %s", state, got, want)
		}
	}
}
