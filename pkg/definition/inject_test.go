package definition

import (
	"testing"

	"github.com/rigger-ci/rigger/pkg/template"
)

// A value from the event lands in the string it stands in, whatever it holds: it can add no
// field, change no other field, and is not rendered again.
func TestTemplateValuesCannotChangeTheDefinitionsStructure(t *testing.T) {
	const src = `apiVersion: tekton.dev/v1
kind: PipelineRun
metadata:
  name: ci
  annotations:
    note: {{ source_branch }} # a comment {{ source_branch }}
spec:
  params:
  - name: plain
    value: {{ source_branch }}
  - name: quoted
    value: "{{ source_branch }}"
  - name: single
    value: '{{ source_branch }}'
  - name: mixed
    value: before-{{ source_branch }}-after
  - name: flow
    value: [{{ source_branch }}, {{ revision }}]
  - name: number
    value: {{ pull_request_number }}
  pipelineSpec:
    params: [{name: plain}, {name: quoted}, {name: single}, {name: mixed}, {name: flow, type: array}, {name: number}]
    tasks:
    - name: t
      taskSpec:
        steps:
        - image: busybox
          script: |
            echo "{{ source_branch }}"
            echo done
`
	hostile := []string{
		`feature`,
		`a: b`,
		`x" , "y`,
		`it's`,
		`# not a comment`,
		`{{ revision }}`,
		"line\nspec:\n  taskRunTemplate:\n    serviceAccountName: admin",
		"}}]\n- name: injected\n  value: x",
		`true`,
		`&anchor *alias !!int 12`,
	}
	for _, v := range hostile {
		t.Run(v, func(t *testing.T) {
			vars := map[string]string{"source_branch": v, "revision": "0123abc", "pull_request_number": "42"}
			set, err := Parse(&Files{Files: []File{{Path: ".tekton/ci.yaml", Content: []byte(src)}}}, vars)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if len(set.Definitions) != 1 {
				t.Fatalf("%d definitions, want 1", len(set.Definitions))
			}
			pr := set.Definitions[0].PipelineRun
			if n := len(pr.Spec.Params); n != 6 {
				t.Fatalf("%d params, want the 6 written: %+v", n, pr.Spec.Params)
			}
			for _, p := range pr.Spec.Params[:4] {
				want := v
				if p.Name == "mixed" {
					want = "before-" + v + "-after"
				}
				if p.Value.StringVal != want {
					t.Errorf("param %s = %q, want %q", p.Name, p.Value.StringVal, want)
				}
			}
			if got := pr.Spec.Params[4].Value.ArrayVal; len(got) != 2 || got[0] != v || got[1] != "0123abc" {
				t.Errorf("array param = %q, want [%q 0123abc]", got, v)
			}
			if got := pr.Spec.Params[5].Value.StringVal; got != "42" {
				t.Errorf("number param = %q, want the string 42", got)
			}
			if got := pr.Annotations["note"]; got != v {
				t.Errorf("annotation = %q, want %q", got, v)
			}
			if len(pr.Annotations) != 1 {
				t.Errorf("annotations = %v, want only note", pr.Annotations)
			}
			if pr.Spec.TaskRunTemplate.ServiceAccountName != "" {
				t.Errorf("service account set to %q by a template value", pr.Spec.TaskRunTemplate.ServiceAccountName)
			}
			if want := "echo \"" + v + "\"\necho done\n"; pr.Spec.PipelineSpec.Tasks[0].TaskSpec.Steps[0].Script != want {
				t.Errorf("script = %q, want %q", pr.Spec.PipelineSpec.Tasks[0].TaskSpec.Steps[0].Script, want)
			}
		})
	}
}

func TestMaskLeavesUnknownVariablesAndTektonReferences(t *testing.T) {
	m := template.Mask([]byte("a: {{ unknown }} $(params.x) {{revision}}"), map[string]string{"revision": "r"})
	if got, ok := m.Fill(string(m.Text)); !ok || got != "a: {{ unknown }} $(params.x) r" {
		t.Errorf("Fill(Mask) = %q, %v", got, ok)
	}
}
