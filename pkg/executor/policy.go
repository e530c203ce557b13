package executor

import (
	"cmp"
	"slices"
	"time"

	"github.com/rigger-ci/rigger/pkg/apis/rigger/v1alpha1"
	"github.com/rigger-ci/rigger/pkg/run"
)

// Policy is how the runs of one repository share an executor. The trigger resolves it from
// the repository's defaults and the definition's annotations.
type Policy struct {
	// ConcurrencyLimit caps the repository's runs going at once; 0 is no limit. Runs beyond
	// it wait (run.ReasonWaiting) and start oldest first.
	ConcurrencyLimit int
	// MaxKeepRuns, when > 0, is how many finished runs of the definition are kept: older
	// finished ones are deleted once a run finishes. Running and waiting runs never are.
	MaxKeepRuns int
	// CancelInProgress says the run supersedes the older unfinished runs of its definition
	// for the same pull request or pushed branch. The trigger cancels them before it submits;
	// an executor that learns of runs late (a cache) may enforce it again.
	CancelInProgress bool
}

// MaxKeepRunsLimit bounds max-keep-runs (see v1alpha1.MaxKeepRunsLimit).
const MaxKeepRunsLimit = v1alpha1.MaxKeepRunsLimit

// Policies tells an executor the current concurrency limit of a repository (owner/name)
// running in namespace, false when this Rigger is not configured to run it there. An
// executor asks it each time it reconciles a repository's queue, so a limit changed while
// runs wait takes effect without a restart, and leaves alone the queues of repositories it
// does not serve (another Rigger's, sharing the cluster).
type Policies func(namespace, repo string) (limit int, ok bool)

// QueuePlan is what one reconcile of a repository's queue does.
type QueuePlan struct {
	// Start are the waiting runs to start now, oldest first.
	Start []run.Run
	// Waiting are the runs that still wait afterwards, oldest first, with Ahead set.
	Waiting []run.Run
	// Prune are finished runs beyond their definition's MaxKeepRuns, to delete.
	Prune []run.Run
	// Running is how many runs hold a slot before Start.
	Running int
}

// PlanQueue derives a repository's queue from its runs alone: a run holds a slot unless it
// is finished or waiting; waiting runs start oldest first (QueuedAt, then CreationTime, then
// Name) while fewer than limit hold slots (limit 0: all start). Every executor and every
// Rigger replica that sees the same runs plans the same starts, which is what lets the queue
// live in the cluster instead of in one process's memory.
func PlanQueue(runs []run.Run, limit int) QueuePlan {
	var p QueuePlan
	var waiting []run.Run
	for _, r := range runs {
		switch {
		case r.Waiting():
			waiting = append(waiting, r)
		case !r.State.Done():
			p.Running++
		}
	}
	slices.SortFunc(waiting, QueueOrder)
	free := len(waiting)
	if limit > 0 {
		free = max(0, limit-p.Running)
	}
	free = min(free, len(waiting))
	p.Start = waiting[:free]
	p.Waiting = waiting[free:]
	for i := range p.Waiting {
		p.Waiting[i].Ahead = min(i, run.MaxAheadShown)
	}
	p.Prune = PlanPrune(runs)
	return p
}

// QueueOrder orders waiting runs: oldest first, ties broken by name, so the order is total
// and the same wherever it is computed.
func QueueOrder(a, b run.Run) int {
	if c := queuedAt(a).Compare(queuedAt(b)); c != 0 {
		return c
	}
	return cmp.Compare(a.Name, b.Name)
}

func queuedAt(r run.Run) time.Time {
	if !r.QueuedAt.IsZero() {
		return r.QueuedAt
	}
	return r.CreationTime
}

// PlanPrune picks the finished runs beyond the MaxKeepRuns of their definition: per
// definition, the newest finished run's MaxKeepRuns says how many finished runs stay,
// newest (by completion) first. Unfinished runs are never picked.
func PlanPrune(runs []run.Run) []run.Run {
	byDef := map[string][]run.Run{}
	for _, r := range runs {
		if r.State.Done() {
			byDef[r.Definition] = append(byDef[r.Definition], r)
		}
	}
	var out []run.Run
	for _, done := range byDef {
		slices.SortFunc(done, func(a, b run.Run) int {
			if c := finishedAt(b).Compare(finishedAt(a)); c != 0 {
				return c
			}
			return cmp.Compare(b.Name, a.Name)
		})
		keep := done[0].MaxKeepRuns
		if keep <= 0 || len(done) <= keep {
			continue
		}
		out = append(out, done[keep:]...)
	}
	slices.SortFunc(out, func(a, b run.Run) int { return cmp.Compare(a.Name, b.Name) })
	return out
}

func finishedAt(r run.Run) time.Time {
	if !r.CompletionTime.IsZero() {
		return r.CompletionTime
	}
	return queuedAt(r)
}
