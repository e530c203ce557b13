package reporter

import (
	"context"
	"fmt"
	"time"

	gogh "github.com/google/go-github/v62/github"
	"github.com/rigger-ci/rigger/pkg/github"
)

// WaitingCheck is the name of the check run (or status context) that holds an outside
// contributor's pull request until a member approves its head commit.
const WaitingCheck = "Rigger / ok-to-test"

// Waiting reports that nothing runs for sha until a trusted person approves it: a neutral
// check run (App mode) or a pending status (token mode). The same commit is reported once.
func (rep *Reporter) Waiting(ctx context.Context, repoFull, sha, author, why string) error {
	owner, repo, err := splitRepo(repoFull)
	if err != nil {
		return err
	}
	key := "waiting:" + repoFull + "@" + sha
	unlock := rep.lock(key)
	defer unlock()
	if rep.lastSent(key) != "" {
		return nil
	}
	title := "Waiting for a member's /ok-to-test"
	summary := fmt.Sprintf("@%s %s, so nothing runs for this pull request until a member of the project "+
		"has read the change and approved this commit by commenting `/ok-to-test %s`. "+
		"Each new push needs a new approval.", author, why, sha)
	if rep.gh.Mode() == github.ModeApp {
		_, err = rep.gh.CreateCheckRun(ctx, owner, repo, gogh.CreateCheckRunOptions{
			Name: WaitingCheck, HeadSHA: sha, Status: gogh.String("completed"), Conclusion: gogh.String("neutral"),
			CompletedAt: &gogh.Timestamp{Time: time.Now()},
			Output:      &gogh.CheckRunOutput{Title: gogh.String(title), Summary: gogh.String(truncate(summary, maxOutputLen))},
		})
	} else {
		err = rep.gh.CreateStatus(ctx, owner, repo, sha, gogh.RepoStatus{
			State: gogh.String("pending"), Context: gogh.String(WaitingCheck), Description: gogh.String(title)})
	}
	if err != nil {
		return fmt.Errorf("reporter: reporting that %s waits for approval: %w", short(sha), err)
	}
	rep.markSent(key, "sent")
	return nil
}

// Approved turns the waiting check run checkRunID (0 when unknown: nothing to turn, in App
// mode) or the pending status of sha into a success that says who approved it.
func (rep *Reporter) Approved(ctx context.Context, repoFull, sha, by string, checkRunID int64) error {
	owner, repo, err := splitRepo(repoFull)
	if err != nil {
		return err
	}
	title := "Approved by @" + by
	if rep.gh.Mode() == github.ModeApp {
		if checkRunID == 0 {
			return nil
		}
		err = rep.gh.UpdateCheckRun(ctx, owner, repo, checkRunID, gogh.UpdateCheckRunOptions{
			Name: WaitingCheck, Status: gogh.String("completed"), Conclusion: gogh.String("success"),
			CompletedAt: &gogh.Timestamp{Time: time.Now()},
			Output: &gogh.CheckRunOutput{Title: gogh.String(title),
				Summary: gogh.String(fmt.Sprintf("@%s approved commit %s for testing with /ok-to-test.", by, sha))},
		})
	} else {
		err = rep.gh.CreateStatus(ctx, owner, repo, sha, gogh.RepoStatus{
			State: gogh.String("success"), Context: gogh.String(WaitingCheck), Description: gogh.String(title)})
	}
	if err != nil {
		return fmt.Errorf("reporter: reporting the approval of %s: %w", short(sha), err)
	}
	return nil
}

func short(sha string) string {
	if len(sha) > 12 {
		return sha[:12]
	}
	return sha
}
