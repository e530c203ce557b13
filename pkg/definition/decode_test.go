package definition

import (
	"strings"
	"testing"

	"github.com/rigger-ci/rigger/pkg/template"
)

// Each case marks the line the error must name with "<-".
func TestYAMLErrorLines(t *testing.T) {
	tests := []struct{ name, src, word string }{
		{"mapping value in scalar", "apiVersion: tekton.dev/v1\nkind: Task\nmetadata: name: x <-\n", "mapping values"},
		{"unclosed flow sequence", "apiVersion: tekton.dev/v1\nkind: Task\nspec:\n  steps: [a, b <-\n  x: 1\n", "','"},
		{"bad indentation", "a: 1\nb:\n  - x\n - y <-\n", "expected key"},
		{"tab indentation", "a: 1\nb:\n\t- x <-\n", "character"},
		{"error in second document", "a: 1\n---\nb: 1\nc: [ <-\n", ""},
		{"duplicate key", "apiVersion: tekton.dev/v1\nkind: Task\nmetadata:\n  name: a\nmetadata: <-\n  name: b\n", "already defined"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want := 0
			for i, l := range strings.Split(tt.src, "\n") {
				if strings.HasSuffix(l, "<-") {
					want = i + 1
				}
			}
			src := strings.ReplaceAll(tt.src, " <-", "")
			_, errs, _ := decodeFile("f.yaml", template.Mask([]byte(src), nil))
			if len(errs) != 1 {
				t.Fatalf("errors %v, want one", errs)
			}
			if errs[0].Line != want || !strings.Contains(errs[0].Msg, tt.word) {
				t.Errorf("got %q, want line %d mentioning %q", errs[0].Error(), want, tt.word)
			}
		})
	}
}

func TestDecodeSkipsAndNotes(t *testing.T) {
	src := "---\n# only a comment\n---\nhello\n---\napiVersion: v1\nkind: Secret\n---\napiVersion: tekton.dev/v1alpha1\nkind: Task\n---\n" +
		"apiVersion: tekton.dev/v1\nkind: Task\nmetadata:\n  name: t\nspec:\n  steps: [{name: s, image: alpine}]\n"
	docs, errs, notes := decodeFile("f.yaml", template.Mask([]byte(src), nil))
	if len(errs) != 0 {
		t.Fatalf("errors %v", errs)
	}
	if len(docs) != 1 || docs[0].task == nil || docs[0].task.Name != "t" || docs[0].line() != 12 {
		t.Fatalf("docs %+v, want the one v1 Task at line 12", docs)
	}
	if len(notes) != 3 {
		t.Errorf("notes %q, want three (scalar, Secret, v1alpha1 Task)", notes)
	}
}

func TestLineOf(t *testing.T) {
	src := `apiVersion: tekton.dev/v1
kind: PipelineRun
spec:
  params:
    - name: a.b
      value: x
  pipelineSpec:
    tasks:
      - name: one
      - name: two
        taskSpec:
          steps:
            - image: alpine
`
	docs, _, _ := decodeFile("f.yaml", template.Mask([]byte(src), nil))
	root := docs[0].root
	for path, want := range map[string]int{
		"":                                      1,
		"spec":                                  3,
		"spec.params[a.b]":                      5,
		"spec.params[a.b].value":                6,
		"spec.pipelineSpec.tasks[1]":            10,
		"spec.pipelineSpec.tasks[two].taskSpec": 11,
		"spec.pipelineSpec.tasks[1].taskSpec.steps[0].image": 13,
		"spec.pipelineSpec.tasks[1].timeout":                 10, // missing: nearest ancestor
		"spec.pipelineSpec.tasks[7].name":                    8,
		"spec.timeouts.pipeline":                             3,
	} {
		if got := lineOf(root, path); got != want {
			t.Errorf("lineOf(%q) = %d, want %d", path, got, want)
		}
	}
}
