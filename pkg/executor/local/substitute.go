package local

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	prresources "github.com/rigger-ci/rigger/internal/tektonreconciler/pipelinerun/resources"
	trresources "github.com/rigger-ci/rigger/internal/tektonreconciler/taskrun/resources"
	v1 "github.com/tektoncd/pipeline/pkg/apis/pipeline/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// taskResults are the results of one finished pipeline task, by result name.
type taskResults map[string]v1.ResultValue

// resolveResults substitutes $(tasks.X.results.Y) in pt from the results of finished tasks,
// with Tekton's ApplyTaskResults. It returns the name of a referenced task whose result is
// missing, if any, instead of substituting.
func resolveResults(pt *v1.PipelineTask, results map[string]taskResults) (*v1.PipelineTask, string) {
	var refs prresources.ResolvedResultRefs
	for _, ref := range v1.PipelineTaskResultRefs(pt) {
		val, ok := results[ref.PipelineTask][ref.Result]
		if !ok {
			return pt, ref.PipelineTask
		}
		refs = append(refs, &prresources.ResolvedResultRef{Value: val, ResultReference: *ref, FromTaskRun: ref.PipelineTask})
	}
	rpt := &prresources.ResolvedPipelineTask{PipelineTask: pt}
	if len(refs) > 0 {
		prresources.ApplyTaskResults(prresources.PipelineRunState{rpt}, refs)
	}
	return rpt.PipelineTask, ""
}

// applyTaskStatus substitutes $(tasks.X.status) and $(tasks.status) in a finally task.
func applyTaskStatus(pt *v1.PipelineTask, replacements map[string]string) *v1.PipelineTask {
	rpt := &prresources.ResolvedPipelineTask{PipelineTask: pt}
	prresources.ApplyPipelineTaskStateContext(prresources.PipelineRunState{rpt}, replacements)
	return rpt.PipelineTask
}

// taskRunInput is what makes a pipeline task into one concrete task run on this host.
type taskRunInput struct {
	pt         *v1.PipelineTask
	params     v1.Params // the pipeline task's params, plus a matrix combination's
	name       string    // the task run's name
	namespace  string
	retry      int
	workspaces map[string]string // pipeline workspace name -> host directory
	resultsDir string
}

// renderTask produces the task spec that runs: step template merged, then params,
// context, workspace paths and result paths substituted by Tekton's functions, with host
// directories where a pod would have its mount paths.
func renderTask(ctx context.Context, in taskRunInput) (*v1.TaskSpec, error) {
	spec := in.pt.TaskSpec.TaskSpec.DeepCopy()
	steps, err := v1.MergeStepsWithStepTemplate(spec.StepTemplate, spec.Steps)
	if err != nil {
		return nil, fmt.Errorf("task %s: step template: %w", in.pt.Name, err)
	}
	spec.Steps, spec.StepTemplate = steps, nil

	tr := &v1.TaskRun{
		ObjectMeta: metav1.ObjectMeta{Name: in.name, Namespace: in.namespace},
		Spec:       v1.TaskRunSpec{Params: in.params},
		Status:     v1.TaskRunStatus{TaskRunStatusFields: v1.TaskRunStatusFields{RetriesStatus: make([]v1.TaskRunStatus, in.retry)}},
	}
	spec = trresources.ApplyParameters(spec, tr, spec.Params...)
	spec = trresources.ApplyContexts(spec, in.pt.Name, tr)

	var decls []v1.WorkspaceDeclaration
	var bindings []v1.WorkspaceBinding
	for _, d := range spec.Workspaces {
		bound := false
		for _, b := range in.pt.Workspaces {
			if b.Name != d.Name {
				continue
			}
			pipelineWS := b.Workspace
			if pipelineWS == "" {
				pipelineWS = b.Name
			}
			dir, ok := in.workspaces[pipelineWS]
			if !ok {
				break // an optional pipeline workspace left unbound
			}
			dir = filepath.Join(dir, b.SubPath)
			if err := os.MkdirAll(dir, 0o755); err != nil {
				return nil, err
			}
			d.MountPath, bound = dir, true
			bindings = append(bindings, v1.WorkspaceBinding{Name: d.Name, SubPath: b.SubPath})
			break
		}
		if !bound && !d.Optional {
			return nil, fmt.Errorf("task %s: workspace %q is not bound by the pipeline task", in.pt.Name, d.Name)
		}
		decls = append(decls, d)
	}
	spec = trresources.ApplyWorkspaces(ctx, spec, decls, bindings, nil)
	spec = trresources.ApplyReplacements(spec, resultPathReplacements(spec.Results, in.resultsDir), nil, nil)
	return spec, nil
}

// resultPathReplacements maps the spellings of $(results.R.path) to files in dir.
func resultPathReplacements(results []v1.TaskResult, dir string) map[string]string {
	r := map[string]string{}
	for _, res := range results {
		path := filepath.Join(dir, res.Name)
		r[fmt.Sprintf("results.%s.path", res.Name)] = path
		r[fmt.Sprintf("results[%q].path", res.Name)] = path
		r[fmt.Sprintf("results['%s'].path", res.Name)] = path
	}
	return r
}

// readResults reads the result files the steps wrote. Array and object results are JSON,
// as in Tekton; a declared result that was not written is absent.
func readResults(results []v1.TaskResult, dir string) (taskResults, error) {
	out := taskResults{}
	for _, res := range results {
		data, err := os.ReadFile(filepath.Join(dir, res.Name))
		if os.IsNotExist(err) {
			continue
		}
		if err != nil {
			return nil, err
		}
		switch res.Type {
		case v1.ResultsTypeArray, v1.ResultsTypeObject:
			var v v1.ResultValue
			if err := json.Unmarshal(data, &v); err != nil {
				return nil, fmt.Errorf("result %q of type %s is not valid JSON: %w", res.Name, res.Type, err)
			}
			out[res.Name] = v
		default:
			out[res.Name] = *v1.NewStructuredValues(string(data))
		}
	}
	return out, nil
}
