package definition

import (
	"context"
	"strings"

	"github.com/tektoncd/pipeline/pkg/apis/config"
	"knative.dev/pkg/apis"
)

// validationContext is what Tekton's admission webhook hands to SetDefaults and Validate for
// a create: the Tekton configuration (defaults and feature flags) and the create marker.
func validationContext(cfg *config.Config) context.Context {
	ctx := context.Background()
	if cfg == nil {
		cfg = config.FromContextOrDefaults(ctx)
	}
	return apis.WithinCreate(config.ToContext(ctx, cfg))
}

// validate runs Tekton's defaulting and validation on a copy of the definition's PipelineRun,
// as the cluster would on create. The definition keeps the PipelineRun as written, so that the
// cluster's own defaults still apply when it is created there. Warnings become notes.
func (d *Definition) validate(ctx context.Context) []*Error {
	pr := d.PipelineRun.DeepCopy()
	if pr.Name == "" && pr.GenerateName != "" {
		// The API server names the object before admission; do the same so that a
		// generateName alone is not reported as a missing name.
		pr.Name = pr.GenerateName + "x7k2p"
	}
	pr.SetDefaults(ctx)
	fe := pr.Validate(ctx)
	if fe == nil {
		return nil
	}
	for _, w := range fe.Filter(apis.WarningLevel).WrappedErrors() {
		file, line := d.locate(firstPath(w.Paths))
		d.Notes = append(d.Notes, (&Error{File: file, Line: line, Msg: "warning: " + fieldMessage(w)}).Error())
	}
	var errs []*Error
	for _, e := range fe.Filter(apis.ErrorLevel).WrappedErrors() {
		file, line := d.locate(firstPath(e.Paths))
		errs = append(errs, &Error{File: file, Line: line, Msg: fieldMessage(e)})
	}
	return errs
}

func firstPath(paths []string) string {
	if len(paths) == 0 {
		return ""
	}
	return paths[0]
}

func fieldMessage(e *apis.FieldError) string {
	msg := e.Message
	if len(e.Paths) > 0 {
		msg += ": " + strings.Join(e.Paths, ", ")
	}
	if e.Details != "" {
		msg += " (" + e.Details + ")"
	}
	return msg
}
