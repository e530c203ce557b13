package run

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/rigger-ci/rigger/pkg/definition"
	"github.com/rigger-ci/rigger/pkg/event"
	"github.com/rigger-ci/rigger/pkg/executor"
	"github.com/rigger-ci/rigger/pkg/executor/tekton"
	"github.com/rigger-ci/rigger/pkg/matcher"
	runmodel "github.com/rigger-ci/rigger/pkg/run"
	v1 "github.com/tektoncd/pipeline/pkg/apis/pipeline/v1"
)

// planned is one definition ready to submit.
type planned struct {
	def *definition.Definition
	req *executor.Request
}

// runPlan is what `rigger run` decided to run, and why the rest does not.
type runPlan struct {
	decisions []matcher.Decision // by annotations; nil with explicit files
	runs      []*planned
}

// plan loads the definitions, selects those to run (the explicit files' or the matching
// ones), sets the params and checks them. Every problem it finds is a validation error
// (exit 2): nothing has started yet.
func plan(ctx context.Context, errOut io.Writer, c *Checkout, ev *event.Event, explicit, names []string, params []Param, changedGiven bool) (*runPlan, error) {
	files, set, err := Load(ctx, c, c.Vars(ev))
	if err != nil {
		return nil, usage("%v", err)
	}
	p := &runPlan{}
	var selected []*definition.Definition
	switch {
	case len(explicit) > 0:
		if selected, err = selectFiles(errOut, files, set, explicit); err != nil {
			return nil, err
		}
	case len(names) > 0:
		if selected, err = selectNames(set, names); err != nil {
			return nil, err
		}
	default:
		if len(set.Errors) > 0 {
			return nil, invalid(errOut, set.Errors, "run the files you want by name to ignore the others")
		}
		changed := func(ctx context.Context) ([]string, error) {
			if changedGiven {
				return ev.ChangedFiles, nil
			}
			files, err := c.ChangedFiles(ctx, TargetBranch(ev))
			if err != nil {
				fmt.Fprintf(errOut, "warning: cannot list changed files (%v); definitions with path annotations do not match\n", err)
				return nil, nil
			}
			return files, nil
		}
		if selected, p.decisions, err = matcher.Select(ctx, set.Definitions, ev, matcher.Options{}, changed); err != nil {
			return nil, usage("%v", err)
		}
	}

	var errs definition.Errors
	for _, def := range selected {
		pr := def.PipelineRun.DeepCopy()
		if err := applyParams(pr, params); err != nil {
			return nil, usage("%v", err)
		}
		if err := checkParams(ctx, def, pr); err != nil {
			errs = append(errs, err.(*definition.Error))
			continue
		}
		p.runs = append(p.runs, &planned{def: def, req: request(c, ev, def.Name, pr)})
	}
	if len(errs) > 0 {
		return nil, invalid(errOut, errs, "")
	}
	return p, nil
}

// selectNames picks the definitions a /test comment names, whatever their annotations say.
func selectNames(set *definition.Set, names []string) ([]*definition.Definition, error) {
	var selected []*definition.Definition
	for _, n := range names {
		i := slices.IndexFunc(set.Definitions, func(d *definition.Definition) bool { return d.Name == n })
		if i < 0 {
			have := make([]string, 0, len(set.Definitions))
			for _, d := range set.Definitions {
				have = append(have, d.Name)
			}
			return nil, usage("--comment: there is no definition named %q (there are: %s)", n, strings.Join(have, ", "))
		}
		selected = append(selected, set.Definitions[i])
	}
	return selected, nil
}

// selectFiles picks the definitions of the given files. Errors in those files stop the run;
// errors in other files are only warnings, as those files were not asked for.
func selectFiles(errOut io.Writer, files *definition.Files, set *definition.Set, explicit []string) ([]*definition.Definition, error) {
	for _, want := range explicit {
		if !slices.ContainsFunc(files.Files, func(f definition.File) bool { return f.Path == want }) {
			return nil, usage("%s: no such definition file", want)
		}
	}
	var mine, others definition.Errors
	for _, e := range set.Errors {
		if slices.Contains(explicit, e.File) {
			mine = append(mine, e)
		} else {
			others = append(others, e)
		}
	}
	var selected []*definition.Definition
	for _, d := range set.Definitions {
		if slices.Contains(explicit, d.File) {
			selected = append(selected, d)
		}
	}
	if len(mine) > 0 || (len(selected) == 0 && len(others) > 0) {
		return nil, invalid(errOut, append(mine, others...), "")
	}
	for _, e := range others {
		fmt.Fprintf(errOut, "warning: %v\n", e)
	}
	if len(selected) == 0 {
		return nil, usage("%v hold no PipelineRun", explicit)
	}
	return selected, nil
}

// invalid prints definition errors, one file:line: message a line, and makes the exit 2.
func invalid(errOut io.Writer, errs definition.Errors, hint string) error {
	for _, e := range errs {
		fmt.Fprintln(errOut, e.Error())
	}
	msg := fmt.Sprintf("%d error(s) in .tekton definitions; nothing was started", len(errs))
	if hint != "" {
		msg += " (" + hint + ")"
	}
	return usage("%s", msg)
}

// request is what the executor is asked to run: the PipelineRun named and labelled as
// Rigger names and labels the runs it creates.
func request(c *Checkout, ev *event.Event, name string, pr *v1.PipelineRun) *executor.Request {
	r := runmodel.Run{
		Identity:   runmodel.Identity{Repo: c.FullName(), SHA: ev.SHA, Definition: name, Trigger: Trigger},
		Namespace:  Namespace,
		Event:      string(ev.Kind),
		RepoURL:    ev.Repo.HTMLURL,
		Sender:     ev.Sender,
		DeliveryID: ev.DeliveryID,
		State:      runmodel.Queued,
	}
	req := &executor.Request{Run: r, PipelineRun: pr, Namespace: Namespace}
	nameRequest(req, 0)
	return req
}

// nameRequest gives the request the name of its identity at this attempt.
func nameRequest(req *executor.Request, attempt int) {
	r := &req.Run
	r.Attempt = attempt
	r.Name = r.Identity.Name()
	pr := req.PipelineRun
	pr.APIVersion, pr.Kind = "tekton.dev/v1", "PipelineRun"
	pr.Name, pr.GenerateName, pr.Namespace = r.Name, "", req.Namespace
	pr.Labels = merge(pr.Labels, map[string]string{
		tekton.LabelRepository: tekton.RepositoryLabel(r.Repo),
		tekton.LabelSHA:        tekton.LabelValue(r.SHA),
		tekton.LabelEvent:      tekton.LabelValue(r.Event),
		tekton.LabelPipeline:   tekton.LabelValue(r.Definition),
	})
	pr.Annotations = merge(pr.Annotations, map[string]string{
		tekton.AnnotationRepo:       r.Repo,
		tekton.AnnotationRepoURL:    r.RepoURL,
		tekton.AnnotationSender:     r.Sender,
		tekton.AnnotationTrigger:    r.Trigger,
		tekton.AnnotationAttempt:    strconv.Itoa(r.Attempt),
		tekton.AnnotationDefinition: r.Definition,
		tekton.AnnotationSHA:        r.SHA,
	})
}

func merge(dst, src map[string]string) map[string]string {
	out := make(map[string]string, len(dst)+len(src))
	for k, v := range dst {
		out[k] = v
	}
	for k, v := range src {
		out[k] = v
	}
	return out
}

// printNothing says that nothing runs, and why each definition does not.
func (p *runPlan) printNothing(out io.Writer, ev *event.Event) {
	fmt.Fprintf(out, "Nothing to run for a %s to %s.\n", ev.Kind, TargetBranch(ev))
	if len(p.decisions) == 0 {
		fmt.Fprintf(out, "No PipelineRun in %s/.\n", definition.Dir)
		return
	}
	for _, d := range p.decisions {
		fmt.Fprintf(out, "  %s (%s:%d): %s\n", d.Definition.Name, d.Definition.File, d.Definition.Line, d.Reason)
	}
}
