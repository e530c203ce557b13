package pipelines_test

import (
	"bytes"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/rigger-ci/rigger/pipelines"
	"github.com/rigger-ci/rigger/pkg/definition"
)

// runs are PipelineRuns that use every catalog Task and Pipeline by name, as a repository's
// .tekton/ would: Tekton's defaulting and validation only judge a Task or Pipeline as part of
// a run, with the references inlined the way Rigger inlines them.
const runs = `apiVersion: tekton.dev/v1
kind: PipelineRun
metadata:
  name: sharded
spec:
  pipelineRef: {name: go-test-sharded}
  params:
    - {name: repo-url, value: "https://github.com/octo/hello"}
    - {name: revision, value: "main"}
  workspaces:
    - name: source
      volumeClaimTemplate:
        spec:
          accessModes: [ReadWriteOnce]
          resources: {requests: {storage: 1Gi}}
    - name: timings
      persistentVolumeClaim: {claimName: rigger-timings}
---
apiVersion: tekton.dev/v1
kind: PipelineRun
metadata:
  name: build-and-lint
spec:
  workspaces:
    - name: source
      emptyDir: {}
  pipelineSpec:
    workspaces:
      - name: source
    tasks:
      - name: fetch
        taskRef: {name: git-clone}
        params:
          - {name: repo-url, value: "https://github.com/octo/hello"}
        workspaces:
          - {name: source, workspace: source}
      - name: lint
        runAfter: [fetch]
        taskRef: {name: go-lint}
        workspaces:
          - {name: source, workspace: source}
      - name: build
        runAfter: [fetch]
        taskRef: {name: go-build}
        workspaces:
          - {name: source, workspace: source}
`

func catalogFiles(t *testing.T) []definition.File {
	t.Helper()
	var files []definition.File
	err := fs.WalkDir(pipelines.FS, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		content, err := fs.ReadFile(pipelines.FS, p)
		files = append(files, definition.File{Path: definition.Dir + "/" + path.Base(p), Content: content})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

func TestCatalogValidates(t *testing.T) {
	files := catalogFiles(t)
	if len(files) < 6 {
		t.Fatalf("%d catalog files, want git-clone, go-build, go-lint, go-test-shard, go-test-report and go-test-sharded", len(files))
	}
	all := append(slices.Clone(files), definition.File{Path: definition.Dir + "/runs.yaml", Content: []byte(runs)})
	slices.SortFunc(all, func(a, b definition.File) int { return strings.Compare(a.Path, b.Path) })
	set, err := definition.Parse(&definition.Files{Owner: "octo", Repo: "hello", Files: all}, nil)
	if err != nil {
		t.Fatalf("the catalog does not validate:\n%v", err)
	}
	for _, name := range []string{"git-clone", "go-build", "go-lint", "go-test-shard", "go-test-report"} {
		if set.Tasks[name] == nil {
			t.Errorf("no Task %s in the catalog", name)
		}
	}
	if set.Pipelines["go-test-sharded"] == nil {
		t.Error("no Pipeline go-test-sharded in the catalog")
	}
	if len(set.Definitions) != 2 {
		t.Fatalf("%d runs validated, want 2", len(set.Definitions))
	}
	// Inlined, the sharded run fans its test task out over the shard indices.
	for _, d := range set.Definitions {
		if d.Name != "sharded" {
			continue
		}
		ps := d.PipelineRun.Spec.PipelineSpec
		if ps == nil || len(ps.Tasks) != 3 || ps.Tasks[2].Matrix == nil || ps.Tasks[2].TaskSpec == nil || len(ps.Finally) != 1 {
			t.Errorf("go-test-sharded was not inlined with its matrix and final report: %+v", ps)
		}
		return
	}
	t.Error("the sharded run is not among the definitions")
}

// TestCopiesMatchTheCatalog: repositories use the catalog by copying it into .tekton/ (Rigger
// inlines references to files there; it does not follow symlinks, which git stores as text).
// The copies in this repository must not drift from the catalog.
func TestCopiesMatchTheCatalog(t *testing.T) {
	for _, dir := range []string{filepath.Join("..", "examples", "sharded", ".tekton"), filepath.Join("..", ".tekton")} {
		for _, f := range catalogFiles(t) {
			copyPath := filepath.Join(dir, path.Base(f.Path))
			got, err := os.ReadFile(copyPath)
			if os.IsNotExist(err) {
				continue // a repository copies only what it uses
			}
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, f.Content) {
				t.Errorf("%s differs from the catalog's %s: copy it again", copyPath, path.Base(f.Path))
			}
		}
	}
}
