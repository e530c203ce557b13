package definition

import (
	"reflect"
	"strings"
	"testing"

	"github.com/rigger-ci/rigger/pkg/template"
)

const memoDefinition = `apiVersion: tekton.dev/v1
kind: PipelineRun
metadata:
  name: "ci-{{ source_branch }}"
  annotations:
    pipelinesascode.tekton.dev/on-event: "[pull_request]"
spec:
  params:
  - {name: revision, value: "{{ revision }}"}
  - {name: secret, value: "{{ git_auth_secret }}"}
  pipelineRef:
    name: build
---
apiVersion: tekton.dev/v1
kind: Pipeline
metadata:
  name: build
spec:
  params: [{name: revision}, {name: secret}]
  tasks:
  - name: unit
    taskSpec:
      steps:
      - image: busybox
        script: echo $(params.revision)
`

func memoVars(revision, branch string) map[string]string {
	return map[string]string{"revision": revision, "source_branch": branch,
		"git_auth_secret": template.GitAuthSecretPlaceholder}
}

func TestValidationMemoSkipsOnlyWhatOnlyTheRevisionChanged(t *testing.T) {
	files := &Files{Files: []File{{Path: ".tekton/ci.yaml", Content: []byte(memoDefinition)}}}
	p := Parser{Memo: NewValidationMemo(8)}
	first, err := p.Parse(files, memoVars("4f2c8a1e9b7d6c5a4f3e2d1c0b9a8f7e6d5c4b3a", "feature"))
	if err != nil || p.Memo.Hits() != 0 {
		t.Fatalf("first parse: %v, %d hits", err, p.Memo.Hits())
	}
	// A new commit on the same branch: the memo answers, and the result is the same but for
	// the new values.
	rev := "0b9a8f7e6d5c4b3a4f2c8a1e9b7d6c5a4f3e2d1c"
	second, err := p.Parse(files, memoVars(rev, "feature"))
	if err != nil || p.Memo.Hits() != 1 {
		t.Fatalf("second parse: %v, %d hits; want the memo to answer", err, p.Memo.Hits())
	}
	d1, d2 := first.Definitions[0], second.Definitions[0]
	if !reflect.DeepEqual(d1.Notes, d2.Notes) || d1.Name != d2.Name || d1.Line != d2.Line {
		t.Errorf("memoised definition differs: %+v vs %+v", d1, d2)
	}
	if got := d2.PipelineRun.Spec.Params[0].Value.StringVal; got != rev {
		t.Errorf("revision param = %q, want the new commit's", got)
	}
	if d2.PipelineRun.Spec.PipelineSpec == nil {
		t.Errorf("the in-repo pipeline was not inlined on a memoised parse")
	}

	// Another branch renders another name: validated again, and its error is found.
	set, err := p.Parse(files, memoVars(rev, "Feature_Branch"))
	if err == nil || len(set.Definitions) != 0 || p.Memo.Hits() != 1 {
		t.Fatalf("invalid name: err %v, %d definitions, %d hits; want a validation error", err, len(set.Definitions), p.Memo.Hits())
	}
	if e := set.Errors[0]; e.File != ".tekton/ci.yaml" || e.Line != 4 || !strings.Contains(e.Msg, "metadata.name") {
		t.Errorf("error = %v, want metadata.name at .tekton/ci.yaml:4", e)
	}
}

func TestZeroHex(t *testing.T) {
	for in, want := range map[string]string{
		"4f2c8a1e9b7d6c5a4f3e2d1c0b9a8f7e6d5c4b3a": strings.Repeat("0", 40),
		"rigger-git-3fa9c0d1e2b4":                  "rigger-git-000000000000",
		"cafe":                                     "cafe",
		"add-feature":                              "add-feature",
		"":                                         "",
	} {
		if got := zeroHex(in); got != want {
			t.Errorf("zeroHex(%q) = %q, want %q", in, got, want)
		}
	}
}
