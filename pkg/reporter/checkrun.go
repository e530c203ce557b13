package reporter

import (
	gogh "github.com/google/go-github/v62/github"
	"github.com/rigger-ci/rigger/pkg/run"
)

func output(f feedback) *gogh.CheckRunOutput {
	o := &gogh.CheckRunOutput{Title: gogh.String(f.title), Summary: gogh.String(f.summary)}
	if f.text != "" {
		o.Text = gogh.String(f.text)
	}
	// GitHub appends annotations on every update that carries them: only the completed
	// update does, which the reporter sends once.
	if f.status == "completed" {
		o.Annotations = f.annotations
	}
	return o
}

func optional(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func timestamp(f feedback, completed bool) *gogh.Timestamp {
	t := f.started
	if completed {
		t = f.completed
	}
	if t.IsZero() {
		return nil
	}
	return &gogh.Timestamp{Time: t}
}

func createOptions(name string, r *run.Run, f feedback, details string) gogh.CreateCheckRunOptions {
	return gogh.CreateCheckRunOptions{
		Name:        name,
		HeadSHA:     r.SHA,
		DetailsURL:  optional(details),
		ExternalID:  optional(r.Name),
		Status:      gogh.String(f.status),
		Conclusion:  optional(f.conclusion),
		StartedAt:   timestamp(f, false),
		CompletedAt: timestamp(f, true),
		Output:      output(f),
	}
}

func updateOptions(name string, r *run.Run, f feedback, details string) gogh.UpdateCheckRunOptions {
	return gogh.UpdateCheckRunOptions{
		Name:        name,
		DetailsURL:  optional(details),
		ExternalID:  optional(r.Name),
		Status:      gogh.String(f.status),
		Conclusion:  optional(f.conclusion),
		CompletedAt: timestamp(f, true),
		Output:      output(f),
	}
}
