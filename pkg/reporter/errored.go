package reporter

import (
	"context"
	"fmt"
	"time"

	gogh "github.com/google/go-github/v62/github"
	"github.com/rigger-ci/rigger/pkg/github"
)

// Errored reports a definition that could not be loaded or validated: a failed check run
// whose annotation points at file:line (App mode), or an error status (token mode). name
// is the definition's name, or its file's when the name could not be read. The same
// error for the same commit is reported once.
func (rep *Reporter) Errored(ctx context.Context, repoFull, sha, name, file string, line int, msg string) error {
	owner, repo, err := splitRepo(repoFull)
	if err != nil {
		return err
	}
	check := CheckName(name)
	where := file
	if line > 0 {
		where = fmt.Sprintf("%s:%d", file, line)
	}
	key := "errored:" + repoFull + "@" + sha + "/" + check
	head := where + "\x00" + msg
	unlock := rep.lock(key)
	defer unlock()
	if rep.lastSent(key) == head {
		return nil
	}
	if rep.gh.Mode() == github.ModeApp {
		_, err = rep.gh.CreateCheckRun(ctx, owner, repo, erroredCheckRun(check, sha, file, where, line, msg))
	} else {
		err = rep.gh.CreateStatus(ctx, owner, repo, sha, gogh.RepoStatus{
			State:       gogh.String("error"),
			Context:     gogh.String(check),
			Description: gogh.String(truncate(where+": "+msg, maxDescriptionLen)),
		})
	}
	if err != nil {
		return fmt.Errorf("reporter: reporting the error in %s: %w", where, err)
	}
	rep.markSent(key, head)
	return nil
}

func erroredCheckRun(check, sha, file, where string, line int, msg string) gogh.CreateCheckRunOptions {
	summary := fmt.Sprintf("Rigger could not use `%s`:\n\n%s\n%s\n%s\n", mdEscape(where), codeFence(msg), msg, codeFence(msg))
	out := &gogh.CheckRunOutput{
		Title:   gogh.String("Invalid definition: " + where),
		Summary: gogh.String(truncate(summary, maxOutputLen)),
	}
	if file != "" {
		line = max(line, 1)
		out.Annotations = []*gogh.CheckRunAnnotation{{
			Path:            gogh.String(file),
			StartLine:       gogh.Int(line),
			EndLine:         gogh.Int(line),
			AnnotationLevel: gogh.String("failure"),
			Title:           gogh.String("Invalid definition"),
			Message:         gogh.String(truncate(msg, maxOutputLen)),
		}}
	}
	return gogh.CreateCheckRunOptions{
		Name:        check,
		HeadSHA:     sha,
		Status:      gogh.String("completed"),
		Conclusion:  gogh.String("failure"),
		CompletedAt: &gogh.Timestamp{Time: time.Now()},
		Output:      out,
	}
}
