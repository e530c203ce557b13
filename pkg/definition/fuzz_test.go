package definition

import "testing"

// FuzzParse feeds arbitrary file contents through decoding, inlining and validation: a file
// from a repository must never panic Rigger, only give errors.
func FuzzParse(f *testing.F) {
	for _, seed := range []string{
		"apiVersion: tekton.dev/v1\nkind: PipelineRun\nmetadata: {name: a}\nspec: {pipelineRef: {name: p}}\n---\n" +
			"apiVersion: tekton.dev/v1beta1\nkind: Pipeline\nmetadata: {name: p}\nspec: {tasks: [{name: t, taskRef: {name: t}}]}\n---\n" +
			"apiVersion: tekton.dev/v1\nkind: Task\nmetadata: {name: t}\nspec: {steps: [{image: a}]}\n",
		"apiVersion: tekton.dev/v1\nkind: PipelineRun\nspec: {pipelineSpec: {tasks: 3}}\n",
		"a: &x [*x]\n",
		"- [\n",
		"apiVersion: tekton.dev/v1beta1\nkind: PipelineRun\nmetadata: {generateName: x-}\nspec: {pipelineRef: {name: r, bundle: b}}\n",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, content []byte) {
		set, err := Parse(&Files{Files: []File{{Path: ".tekton/f.yaml", Content: content}}}, nil)
		if set == nil {
			t.Fatalf("no set (err %v)", err)
		}
		if (err == nil) != (len(set.Errors) == 0) {
			t.Fatalf("error %v but Errors %v", err, set.Errors)
		}
	})
}
