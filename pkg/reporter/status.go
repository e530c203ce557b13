package reporter

import (
	"context"
	"fmt"

	gogh "github.com/google/go-github/v62/github"
	"github.com/rigger-ci/rigger/pkg/run"
	"go.uber.org/zap"
)

// GitHub refuses longer status descriptions.
const maxDescriptionLen = 140

// statusState maps a run to a commit status state. Statuses know no "cancelled" or
// "skipped": a cancelled run is an error (it proved nothing), a skipped one a success
// (nothing needed proving).
func statusState(r run.Run) string {
	switch r.State {
	case run.Succeeded, run.Skipped:
		return "success"
	case run.Failed:
		return "failure"
	case run.Cancelled:
		return "error"
	}
	return "pending"
}

func (rep *Reporter) reportStatus(ctx context.Context, owner, repo string, r *run.Run) error {
	name := CheckName(r.Definition)
	f := render(*r)
	state := statusState(*r)
	key := "status:" + r.Repo + "@" + r.SHA + "/" + name
	head := state + "\x00" + f.title + "\x00" + r.Name
	if rep.lastSent(key) == head {
		return nil
	}
	masker, err := rep.masker(ctx, r)
	if err != nil {
		rep.log.Warn("cannot read the run's secrets to mask them", zap.String("run", r.Name), zap.Error(err))
	}
	tests, hasTests := rep.testSummary(ctx, r)
	st := gogh.RepoStatus{
		State:       gogh.String(state),
		Context:     gogh.String(name),
		Description: gogh.String(truncate(masker.Mask(statusDescription(f, tests, hasTests)), maxDescriptionLen)),
		TargetURL:   optional(rep.detailsURL(*r)),
	}
	if err := rep.gh.CreateStatus(ctx, owner, repo, r.SHA, st); err != nil {
		return fmt.Errorf("reporter: status for %s: %w", r.Name, err)
	}
	rep.markSent(key, head)
	return nil
}
