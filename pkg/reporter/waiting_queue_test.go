package reporter

import (
	"context"
	"testing"
	"time"

	"github.com/rigger-ci/rigger/pkg/github"
	"github.com/rigger-ci/rigger/pkg/run"
)

func TestWaitingRunShowsItsPlaceAndASupersededRunSaysBy(t *testing.T) {
	w := newWorld(t, github.ModeApp)
	rep := New(w.client, Options{})
	ctx := context.Background()
	r := newRun(w.sha)
	if _, err := rep.Submitted(ctx, &r); err != nil {
		t.Fatal(err)
	}
	r.Reason = run.ReasonWaiting
	for _, c := range []struct {
		ahead int
		title string
	}{{-1, "Queued"}, {2, "Waiting: 2 ahead"}, {0, "Waiting: next in line"}, {run.MaxAheadShown + 5, "Waiting: 10 or more ahead"}} {
		r.Ahead = c.ahead
		if err := rep.Update(ctx, r); err != nil {
			t.Fatal(err)
		}
		if cr := w.checkRun(t); cr.Status != "queued" || cr.Output.Title != c.title {
			t.Errorf("%d ahead: check run %s %q, want queued %q", c.ahead, cr.Status, cr.Output.Title, c.title)
		}
	}
	// Deep in the queue every place reads the same: moving up costs no call.
	before := w.gh.Count(patchRoute)
	r.Ahead = run.MaxAheadShown + 1
	if err := rep.Update(ctx, r); err != nil {
		t.Fatal(err)
	}
	if n := w.gh.Count(patchRoute) - before; n != 0 {
		t.Errorf("moving up past the shown places sent %d PATCHes", n)
	}

	r.State, r.Reason, r.CancelWhy, r.CompletionTime = run.Cancelled, "Cancelled", "superseded by 0123456789ab", time.Now()
	if err := rep.Update(ctx, r); err != nil {
		t.Fatal(err)
	}
	if cr := w.checkRun(t); cr.Conclusion != "cancelled" || cr.Output.Title != "Cancelled (superseded by 0123456789ab)" {
		t.Errorf("superseded run's check run: %s %q", cr.Conclusion, cr.Output.Title)
	}
}
