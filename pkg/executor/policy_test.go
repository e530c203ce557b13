package executor

import (
	"slices"
	"testing"
	"time"

	"github.com/rigger-ci/rigger/pkg/run"
)

func names(runs []run.Run) []string {
	var out []string
	for _, r := range runs {
		out = append(out, r.Name)
	}
	return out
}

func waiting(name string, at time.Time) run.Run {
	return run.Run{Name: name, State: run.Queued, Reason: run.ReasonWaiting, QueuedAt: at}
}

func TestPlanQueueStartsOldestFirstUpToTheLimit(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	runs := []run.Run{
		{Name: "running", State: run.Running},
		{Name: "created-not-started", State: run.Queued}, // holds a slot: it was started
		{Name: "done", State: run.Succeeded},
		waiting("c", t0.Add(2*time.Nanosecond)),
		waiting("b-same-time", t0.Add(time.Nanosecond)),
		waiting("a-same-time", t0.Add(time.Nanosecond)),
		// No queued-at (a run from before it was recorded): its creation time orders it.
		{Name: "oldest", State: run.Queued, Reason: run.ReasonWaiting, CreationTime: t0},
	}
	p := PlanQueue(runs, 3)
	if p.Running != 2 {
		t.Errorf("running = %d, want 2", p.Running)
	}
	if got := names(p.Start); !slices.Equal(got, []string{"oldest"}) {
		t.Errorf("start %v, want [oldest]", got)
	}
	if got := names(p.Waiting); !slices.Equal(got, []string{"a-same-time", "b-same-time", "c"}) {
		t.Errorf("waiting %v", got)
	}
	for i, r := range p.Waiting {
		if r.Ahead != i {
			t.Errorf("%s has %d ahead, want %d", r.Name, r.Ahead, i)
		}
	}
	// The same runs in another order plan the same: the order is total.
	slices.Reverse(runs)
	if q := PlanQueue(runs, 3); !slices.Equal(names(q.Start), names(p.Start)) || !slices.Equal(names(q.Waiting), names(p.Waiting)) {
		t.Errorf("another listing order planned %v/%v", names(q.Start), names(q.Waiting))
	}
	if q := PlanQueue(runs, 0); len(q.Start) != 4 || len(q.Waiting) != 0 {
		t.Errorf("no limit: start %v, waiting %v; want all started", names(q.Start), names(q.Waiting))
	}
	if q := PlanQueue(runs, 1); len(q.Start) != 0 {
		t.Errorf("limit 1 with 2 holding slots started %v", names(q.Start))
	}
}

func TestPlanQueueCapsThePlaceShown(t *testing.T) {
	var runs []run.Run
	t0 := time.Now()
	for i := range 30 {
		runs = append(runs, waiting(string(rune('A'+i)), t0.Add(time.Duration(i))))
	}
	p := PlanQueue(append(runs, run.Run{Name: "x", State: run.Running}), 1)
	if last := p.Waiting[len(p.Waiting)-1]; last.Ahead != run.MaxAheadShown {
		t.Errorf("the last of 30 shows %d ahead, want the cap %d", last.Ahead, run.MaxAheadShown)
	}
}

func TestPlanPruneKeepsTheNewestFinishedAndNeverAnUnfinishedRun(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	done := func(name, def string, minute int) run.Run {
		return run.Run{Name: name, Identity: run.Identity{Definition: def}, State: run.Succeeded,
			CompletionTime: t0.Add(time.Duration(minute) * time.Minute), MaxKeepRuns: 2}
	}
	runs := []run.Run{
		done("b1", "build", 1), done("b2", "build", 2), done("b3", "build", 3), done("b4", "build", 4),
		{Name: "b5-running", Identity: run.Identity{Definition: "build"}, State: run.Running, MaxKeepRuns: 2},
		{Name: "b6-waiting", Identity: run.Identity{Definition: "build"}, State: run.Queued, Reason: run.ReasonWaiting, MaxKeepRuns: 2},
		done("l1", "lint", 1), done("l2", "lint", 2), done("l3", "lint", 3),
	}
	runs[len(runs)-1].MaxKeepRuns = 0 // lint's newest says keep all
	if got := names(PlanPrune(runs)); !slices.Equal(got, []string{"b1", "b2"}) {
		t.Errorf("pruned %v, want [b1 b2]", got)
	}
}
