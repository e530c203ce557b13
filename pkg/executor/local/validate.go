package local

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	prresources "github.com/rigger-ci/rigger/internal/tektonreconciler/pipelinerun/resources"
	v1 "github.com/tektoncd/pipeline/pkg/apis/pipeline/v1"
	"github.com/tektoncd/pipeline/pkg/reconciler/pipeline/dag"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation"
	"knative.dev/pkg/apis"
)

// plan is a PipelineRun that passed defaulting and validation, with its pipeline-level
// variables ($(params.*), $(context.pipelineRun.*), $(workspaces.*.bound)) substituted.
type plan struct {
	pr      *v1.PipelineRun
	spec    *v1.PipelineSpec
	graph   *dag.Graph
	tasks   map[string]*v1.PipelineTask // DAG and finally tasks by name
	finally map[string]bool

	pipelineTimeout, tasksTimeout, finallyTimeout time.Duration // 0: none
}

// prepare defaults and validates pr the way Tekton's webhook and reconciler do, refuses
// what the local executor cannot honour, and builds the task graph. It starts nothing.
// In containers a step may leave its command to the image's entrypoint.
func prepare(ctx context.Context, pr *v1.PipelineRun, inContainers bool) (*plan, error) {
	if pr == nil {
		return nil, errors.New("no PipelineRun given")
	}
	pr = pr.DeepCopy()
	if err := unsupported(pr, inContainers); err != nil {
		return nil, err
	}
	pr.SetDefaults(ctx)
	if err := pr.Validate(ctx); err != nil {
		return nil, fmt.Errorf("invalid PipelineRun: %w", err)
	}
	ps := pr.Spec.PipelineSpec
	if err := prresources.ValidateRequiredParametersProvided(&ps.Params, &pr.Spec.Params); err != nil {
		return nil, err
	}
	if err := prresources.ValidateParamTypesMatching(ps, pr); err != nil {
		return nil, err
	}
	if err := prresources.ValidateObjectParamRequiredKeys(ps.Params, pr.Spec.Params); err != nil {
		return nil, err
	}
	if err := prresources.ValidateParamArrayIndex(ps, pr.Spec.Params); err != nil {
		return nil, err
	}
	if err := validateWorkspaceBindings(ps, pr); err != nil {
		return nil, err
	}

	spec, err := prresources.ApplyParameters(ps, pr)
	if err != nil {
		return nil, err
	}
	pipelineName := pr.Name
	if pr.Labels["tekton.dev/pipeline"] != "" {
		pipelineName = pr.Labels["tekton.dev/pipeline"]
	}
	spec = prresources.ApplyContexts(spec, pipelineName, pr)
	spec = prresources.ApplyWorkspaces(spec, pr)

	graph, err := dag.Build(v1.PipelineTaskList(spec.Tasks), v1.PipelineTaskList(spec.Tasks).Deps())
	if err != nil {
		return nil, fmt.Errorf("invalid pipeline task graph: %w", err)
	}
	p := &plan{pr: pr, spec: spec, graph: graph, tasks: map[string]*v1.PipelineTask{}, finally: map[string]bool{}}
	for i := range spec.Tasks {
		p.tasks[spec.Tasks[i].Name] = &spec.Tasks[i]
	}
	for i := range spec.Finally {
		p.tasks[spec.Finally[i].Name] = &spec.Finally[i]
		p.finally[spec.Finally[i].Name] = true
	}
	for _, pt := range p.tasks {
		if err := requiredTaskParams(pt); err != nil {
			return nil, err
		}
	}
	if t := pr.Spec.Timeouts; t != nil {
		p.pipelineTimeout = durationOf(t.Pipeline)
		p.tasksTimeout = durationOf(t.Tasks)
		p.finallyTimeout = durationOf(t.Finally)
	}
	return p, nil
}

// durationOf is a Tekton timeout as a duration; zero means none.
func durationOf(d *metav1.Duration) time.Duration {
	if d == nil {
		return 0
	}
	return d.Duration
}

// requiredTaskParams checks that a pipeline task gives every task param that has no
// default, as Tekton checks when it creates the TaskRun.
func requiredTaskParams(pt *v1.PipelineTask) error {
	given := map[string]bool{}
	for _, p := range pt.Params {
		given[p.Name] = true
	}
	if pt.Matrix != nil {
		for _, p := range pt.Matrix.Params {
			given[p.Name] = true
		}
		for _, inc := range pt.Matrix.Include {
			for _, p := range inc.Params {
				given[p.Name] = true
			}
		}
	}
	for _, ps := range pt.TaskSpec.Params {
		if ps.Default == nil && !given[ps.Name] {
			return fmt.Errorf("pipeline task %q does not give the task's required param %q", pt.Name, ps.Name)
		}
	}
	return nil
}

// validateWorkspaceBindings checks that every workspace the pipeline needs is bound.
func validateWorkspaceBindings(ps *v1.PipelineSpec, pr *v1.PipelineRun) error {
	bound := map[string]bool{}
	for _, b := range pr.Spec.Workspaces {
		bound[b.Name] = true
	}
	for _, w := range ps.Workspaces {
		if !w.Optional && !bound[w.Name] {
			return fmt.Errorf("pipeline workspace %q is not bound: add it to spec.workspaces", w.Name)
		}
	}
	return nil
}

// unsupported refuses, with the field's path, what a host-process executor cannot do.
func unsupported(pr *v1.PipelineRun, inContainers bool) error {
	var errs *apis.FieldError
	no := func(what, path string) {
		errs = errs.Also(&apis.FieldError{Message: what + " is not supported by the local executor", Paths: []string{path}})
	}
	s := &pr.Spec
	if s.PipelineRef != nil {
		no("pipelineRef (inline the pipeline as pipelineSpec)", "spec.pipelineRef")
	}
	if len(s.TaskRunSpecs) > 0 {
		no("taskRunSpecs", "spec.taskRunSpecs")
	}
	if s.TaskRunTemplate.PodTemplate != nil {
		no("a pod template", "spec.taskRunTemplate.podTemplate")
	}
	for i, w := range s.Workspaces {
		path := fmt.Sprintf("spec.workspaces[%d]", i)
		switch {
		case w.ConfigMap != nil:
			no("a configMap workspace", path+".configMap")
		case w.Secret != nil:
			no("a secret workspace", path+".secret")
		case w.Projected != nil:
			no("a projected workspace", path+".projected")
		case w.CSI != nil:
			no("a csi workspace", path+".csi")
		case w.PersistentVolumeClaim != nil:
			// The claim name becomes a directory name under the data directory.
			if msgs := validation.IsDNS1123Subdomain(w.PersistentVolumeClaim.ClaimName); len(msgs) > 0 {
				errs = errs.Also(&apis.FieldError{Message: "invalid claimName: " + strings.Join(msgs, "; "), Paths: []string{path + ".persistentVolumeClaim.claimName"}})
			}
		}
	}
	if s.PipelineSpec != nil {
		for i := range s.PipelineSpec.Tasks {
			errs = errs.Also(unsupportedInTask(&s.PipelineSpec.Tasks[i], fmt.Sprintf("spec.pipelineSpec.tasks[%d]", i), inContainers))
		}
		for i := range s.PipelineSpec.Finally {
			errs = errs.Also(unsupportedInTask(&s.PipelineSpec.Finally[i], fmt.Sprintf("spec.pipelineSpec.finally[%d]", i), inContainers))
		}
	}
	if errs == nil {
		return nil
	}
	return fmt.Errorf("unsupported PipelineRun: %w", errs)
}

func unsupportedInTask(pt *v1.PipelineTask, path string, inContainers bool) (errs *apis.FieldError) {
	no := func(what, field string) {
		errs = errs.Also(&apis.FieldError{Message: what + " is not supported by the local executor", Paths: []string{path + "." + field}})
	}
	if pt.TaskRef != nil {
		switch {
		case pt.TaskRef.Resolver != "":
			no(fmt.Sprintf("resolver %q", pt.TaskRef.Resolver), "taskRef.resolver")
		case pt.TaskRef.APIVersion != "" || (pt.TaskRef.Kind != "" && pt.TaskRef.Kind != v1.NamespacedTaskKind):
			no("a custom task or cluster task", "taskRef")
		default:
			no(fmt.Sprintf("an unresolved taskRef %q (inline it as taskSpec)", pt.TaskRef.Name), "taskRef")
		}
	}
	if pt.PipelineRef != nil || pt.PipelineSpec != nil {
		no("a pipeline in a pipeline", "pipelineSpec")
	}
	ts := pt.TaskSpec
	if ts == nil {
		return errs
	}
	if ts.APIVersion != "" || ts.Kind != "" || len(ts.Spec.Raw) > 0 {
		no("an embedded custom task", "taskSpec.spec")
	}
	if len(ts.Sidecars) > 0 {
		no("sidecars", "taskSpec.sidecars")
	}
	if len(ts.Volumes) > 0 {
		no("volumes", "taskSpec.volumes")
	}
	if st := ts.StepTemplate; st != nil {
		if len(st.VolumeMounts) > 0 {
			no("volumeMounts", "taskSpec.stepTemplate.volumeMounts")
		}
		if len(st.VolumeDevices) > 0 {
			no("volumeDevices", "taskSpec.stepTemplate.volumeDevices")
		}
		if len(st.EnvFrom) > 0 {
			no("envFrom", "taskSpec.stepTemplate.envFrom")
		}
		errs = errs.Also(unsupportedEnv(st.Env, path+".taskSpec.stepTemplate"))
	}
	for i, st := range ts.Steps {
		sp := fmt.Sprintf("taskSpec.steps[%d]", i)
		switch {
		case st.Ref != nil:
			no("a step action (ref)", sp+".ref")
		case len(st.Results) > 0:
			no("step results", sp+".results")
		case len(st.When) > 0:
			no("step when expressions", sp+".when")
		case len(st.VolumeMounts) > 0:
			no("volumeMounts", sp+".volumeMounts")
		case len(st.VolumeDevices) > 0:
			no("volumeDevices", sp+".volumeDevices")
		case len(st.EnvFrom) > 0:
			no("envFrom", sp+".envFrom")
		case st.StdoutConfig != nil || st.StderrConfig != nil:
			no("stdoutConfig/stderrConfig", sp+".stdoutConfig")
		case !inContainers && st.Script == "" && len(st.Command) == 0 && (ts.StepTemplate == nil || len(ts.StepTemplate.Command) == 0):
			no("a step without script or command (an image's entrypoint; run it with container isolation)", sp+".command")
		}
		for j, w := range st.Workspaces {
			if w.MountPath != "" {
				no("a step workspace mountPath", fmt.Sprintf("%s.workspaces[%d].mountPath", sp, j))
			}
		}
		errs = errs.Also(unsupportedEnv(st.Env, path+"."+sp))
	}
	return errs
}

func unsupportedEnv(env []corev1.EnvVar, path string) (errs *apis.FieldError) {
	for i, e := range env {
		if e.ValueFrom != nil {
			errs = errs.Also(&apis.FieldError{
				Message: fmt.Sprintf("env %q from a secret, config map or field is not supported by the local executor", e.Name),
				Paths:   []string{fmt.Sprintf("%s.env[%d].valueFrom", path, i)},
			})
		}
	}
	return errs
}
