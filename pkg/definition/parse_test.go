package definition

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func loadDir(t *testing.T, dir string, vars map[string]string) (*Set, error) {
	t.Helper()
	files, err := NewLoader(0).Load(context.Background(), NewDirSource(dir), "o", "r", "")
	if err != nil {
		t.Fatalf("Load(%s): %v", dir, err)
	}
	set, perr := Parse(files, vars)
	if set == nil {
		t.Fatalf("Parse returned no set (err %v)", perr)
	}
	return set, perr
}

func byName(set *Set) map[string]*Definition {
	m := map[string]*Definition{}
	for _, d := range set.Definitions {
		m[d.Name] = d
	}
	return m
}

// markedLine returns the 1-based line of file holding "# want-error".
func markedLine(t *testing.T, file string) int {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	for i, l := range strings.Split(string(b), "\n") {
		if strings.Contains(l, "# want-error") {
			return i + 1
		}
	}
	t.Fatalf("%s has no want-error marker", file)
	return 0
}

func TestParseV1InlinesInRepoRefs(t *testing.T) {
	vars := map[string]string{"repo_name": "hello", "revision": "0123abc", "source_branch": "feature"}
	set, err := loadDir(t, "testdata/v1", vars)
	if err != nil {
		t.Fatalf("unexpected errors: %v", err)
	}
	defs := byName(set)
	if len(defs) != 2 {
		t.Fatalf("got definitions %v, want hello-pr and push-main", keys(defs))
	}

	pr := defs["hello-pr"]
	if pr == nil {
		t.Fatalf("generateName with template not rendered/trimmed: %v", keys(defs))
	}
	if pr.File != ".tekton/pull-request.yaml" || pr.Line != 10 {
		t.Errorf("hello-pr at %s:%d, want .tekton/pull-request.yaml:10", pr.File, pr.Line)
	}
	if got := pr.PipelineRun.Spec.Params[0].Value.StringVal; got != "0123abc" {
		t.Errorf("revision param = %q", got)
	}
	if got := pr.PipelineRun.Spec.Params[1].Value.StringVal; got != "{{ not_a_variable }}" {
		t.Errorf("unknown variable param = %q, want it untouched", got)
	}
	tasks := pr.PipelineRun.Spec.PipelineSpec.Tasks
	if tasks[0].TaskRef != nil || tasks[0].TaskSpec == nil || tasks[0].TaskSpec.Steps[0].Image != "golang:1.26" {
		t.Errorf("taskRef unit-test not inlined: %+v", tasks[0])
	}
	// The inlined Task was v1beta1: its step resources are converted to computeResources.
	if cpu := tasks[0].TaskSpec.Steps[0].ComputeResources.Requests.Cpu().String(); cpu != "1" {
		t.Errorf("converted step cpu request = %q, want 1", cpu)
	}
	if got := tasks[1].TaskSpec.Steps[0].Script; got != "echo feature $(params.untouched)" {
		t.Errorf("script = %q", got)
	}
	if pr.Annotations["pipelinesascode.tekton.dev/on-event"] != "[pull_request]" {
		t.Errorf("annotations = %v", pr.Annotations)
	}

	push := defs["push-main"]
	spec := push.PipelineRun.Spec
	if spec.PipelineRef != nil || spec.PipelineSpec == nil {
		t.Fatalf("pipelineRef build not inlined: %+v", spec)
	}
	ts := spec.PipelineSpec.Tasks
	if ts[0].TaskRef == nil || ts[0].TaskRef.Resolver != "hub" || ts[0].TaskSpec != nil {
		t.Errorf("resolver taskRef should be left for Tekton: %+v", ts[0])
	}
	if ts[1].TaskRef != nil || ts[1].TaskSpec == nil {
		t.Errorf("taskRef unit-test in the referenced pipeline not inlined: %+v", ts[1])
	}
	if ts[2].TaskRef == nil || ts[2].TaskRef.Name != "publish-in-cluster" {
		t.Errorf("taskRef to a Task not in .tekton/ should be left: %+v", ts[2])
	}
	if f := spec.PipelineSpec.Finally[0]; f.TaskRef != nil || f.TaskSpec == nil {
		t.Errorf("finally taskRef not inlined: %+v", f)
	}
	if push.Annotations["rigger.dev/on-event"] != "push" || push.Annotations["pipelinesascode.tekton.dev/max-keep-runs"] != "5" {
		t.Errorf("annotations not merged from run and pipeline: %v", push.Annotations)
	}
	// The definition is not defaulted: the cluster's defaults apply when it is created.
	if spec.Timeouts != nil {
		t.Errorf("definition was defaulted: timeouts %v", spec.Timeouts)
	}

	if set.Pipelines["build"] == nil || set.Tasks["unit-test"] == nil {
		t.Errorf("catalog: pipelines %v tasks %v", set.Pipelines, set.Tasks)
	}
	if len(set.Notes) == 0 || !strings.Contains(set.Notes[0], "ConfigMap") {
		t.Errorf("no note for the ignored ConfigMap: %v", set.Notes)
	}
}

func TestParseV1beta1(t *testing.T) {
	set, err := loadDir(t, "testdata/v1beta1", nil)
	if err != nil {
		t.Fatalf("unexpected errors: %v", err)
	}
	defs := byName(set)
	old := defs["old-style"]
	if old == nil {
		t.Fatalf("definitions %v", keys(defs))
	}
	pr := old.PipelineRun
	if pr.APIVersion != "tekton.dev/v1" || pr.Kind != "PipelineRun" {
		t.Errorf("type meta %v", pr.TypeMeta)
	}
	if pr.Spec.Timeouts == nil || pr.Spec.Timeouts.Pipeline.Duration.String() != "30m0s" {
		t.Errorf("timeout not converted to timeouts.pipeline: %+v", pr.Spec.Timeouts)
	}
	if pr.Spec.TaskRunTemplate.ServiceAccountName != "builder" {
		t.Errorf("serviceAccountName not converted: %+v", pr.Spec.TaskRunTemplate)
	}
	if mem := pr.Spec.PipelineSpec.Tasks[0].TaskSpec.Steps[0].ComputeResources.Limits.Memory().String(); mem != "1Gi" {
		t.Errorf("step resources not converted: %q", mem)
	}
	b := defs["bundled"]
	if b == nil || b.PipelineRun.Spec.PipelineRef == nil || b.PipelineRun.Spec.PipelineRef.Resolver != "bundles" {
		t.Errorf("bundle ref should become a bundles resolver ref left for Tekton: %+v", b)
	}
}

func TestParseBrokenFilesKeepTheGoodOnes(t *testing.T) {
	set, err := loadDir(t, "testdata/broken", nil)
	var errs Errors
	if !errors.As(err, &errs) {
		t.Fatalf("error %v (%T), want Errors", err, err)
	}
	if got := keys(byName(set)); len(got) != 1 || got[0] != "good" {
		t.Errorf("definitions %v, want only good", got)
	}
	want := map[string]string{ // file -> a word the message must hold
		"a-bad-yaml.yaml":          "invalid YAML",
		"c-invalid.yaml":           "Not_A_DNS_Label",
		"d-uses-bad-pipeline.yaml": "does-not-exist",
		"e-wrong-type.yaml":        "tasks",
	}
	for file, word := range want {
		wantLine := markedLine(t, filepath.Join("testdata/broken/.tekton", file))
		var found *Error
		for _, e := range errs {
			if e.File == ".tekton/"+file {
				found = e
			}
		}
		if found == nil {
			t.Errorf("no error for %s in:\n%v", file, err)
			continue
		}
		if found.Line != wantLine || !strings.Contains(found.Msg, word) {
			t.Errorf("error %q, want line %d mentioning %q", found.Error(), wantLine, word)
		}
		if !strings.HasPrefix(found.Error(), found.File+":") {
			t.Errorf("Error() = %q, want file:line: msg", found.Error())
		}
	}
	if len(errs) != len(want) {
		t.Errorf("got %d errors, want %d:\n%v", len(errs), len(want), err)
	}
}

func keys(m map[string]*Definition) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	return ks
}
