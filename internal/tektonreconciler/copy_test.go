package tektonreconciler

import (
	"bytes"
	"go/ast"
	"go/parser"
	"go/printer"
	"go/token"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// The copies are Tekton's code: every function and method in them is the same, token for
// token, as in the Tekton version go.mod names, except for the references the package doc
// lists as replaced. A Tekton upgrade that changes one of them fails here, naming it, so the
// copy is refreshed rather than left to drift.
func TestCopiesMatchUpstream(t *testing.T) {
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "github.com/tektoncd/pipeline").Output()
	if err != nil {
		t.Fatalf("locating Tekton's module: %v", err)
	}
	tekton := strings.TrimSpace(string(out))
	if tekton == "" {
		t.Fatal("Tekton's module is not in the module cache (go mod download github.com/tektoncd/pipeline)")
	}
	// How the copies spell what upstream imports from elsewhere.
	undo := strings.NewReplacer(
		"podStepName(", "pod.StepName(",
		"stepArtifactPathPattern", "artifactref.StepArtifactPathPattern",
		"taskArtifactPathPattern", "artifactref.TaskArtifactPathPattern",
		"trresources.MissingKeysObjectParamNames", "taskrun.MissingKeysObjectParamNames",
	)
	for _, c := range []struct {
		copy     string
		upstream []string
		undo     *strings.Replacer
	}{
		{"pipelinerun/resources/apply.go", []string{"pkg/reconciler/pipelinerun/resources/apply.go"}, undo},
		{"pipelinerun/resources/validate_params.go", []string{"pkg/reconciler/pipelinerun/resources/validate_params.go"}, undo},
		{"pipelinerun/resources/resultrefresolution.go", []string{"pkg/reconciler/pipelinerun/resources/resultrefresolution.go"}, undo},
		{"taskrun/resources/apply.go", []string{"pkg/reconciler/taskrun/resources/apply.go"},
			strings.NewReplacer("podStepName(", "pod.StepName(", "stepArtifactPathPattern", "artifactref.StepArtifactPathPattern",
				"taskArtifactPathPattern", "artifactref.TaskArtifactPathPattern", "ParseStepExpression(", "resultref.ParseStepExpression(")},
		{"taskrun/resources/validate_params.go", []string{"pkg/reconciler/taskrun/resources/validate_params.go"}, undo},
		{"taskrun/resources/resultref.go", []string{"pkg/internal/resultref/resultref.go"}, undo},
		{"taskrun/resources/tekton_internal.go", []string{"pkg/reconciler/taskrun/validate_taskrun.go", "pkg/pod/entrypoint.go"}, undo},
	} {
		mine := funcs(t, c.copy)
		theirs := map[string]string{}
		for _, u := range c.upstream {
			for k, v := range funcs(t, filepath.Join(tekton, u)) {
				theirs[k] = v
			}
		}
		for name, body := range mine {
			if name == "podStepName" {
				continue // pod.StepName's two lines, with its two helpers' bodies inlined
			}
			up, ok := theirs[name]
			if !ok {
				t.Errorf("%s: %s is not in Tekton's %v", c.copy, name, c.upstream)
				continue
			}
			if c.undo.Replace(body) != up {
				t.Errorf("%s: %s differs from Tekton's: copy %v again (see doc.go)", c.copy, name, c.upstream)
			}
		}
	}
}

// funcs maps each function and method (receiver type.name) in a file to its printed source.
func funcs(t *testing.T, path string) map[string]string {
	t.Helper()
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, path, nil, 0) // no comments: only code is compared
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, d := range f.Decls {
		fd, ok := d.(*ast.FuncDecl)
		if !ok {
			continue
		}
		name := fd.Name.Name
		if fd.Recv != nil {
			var b bytes.Buffer
			_ = printer.Fprint(&b, fset, fd.Recv.List[0].Type)
			name = b.String() + "." + name
		}
		var b bytes.Buffer
		if err := printer.Fprint(&b, fset, fd); err != nil {
			t.Fatal(err)
		}
		out[name] = b.String()
	}
	return out
}
