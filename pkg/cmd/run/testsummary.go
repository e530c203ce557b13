package run

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/rigger-ci/rigger/pkg/executor/local"
	"github.com/rigger-ci/rigger/pkg/testreport"
)

// reportsGlob is where the catalog's go-test-shard task leaves each shard's go test -json
// (pipelines/tasks/go-test-shard.yaml): reports/shard-<index>.json in a workspace.
const reportsGlob = "reports/shard-*.json"

// printTestSummaries prints, after the task table, the merged test summary of every run that
// left shard reports in one of its workspaces, as the check run would show it: without
// --logs the report task's own output is not on the terminal, and it is what a person
// wants to see first.
func printTestSummaries(out io.Writer, ex *local.Executor, runs []finished) {
	for _, f := range runs {
		// Every workspace of the run: "*" is a glob over their names.
		paths, _ := filepath.Glob(filepath.Join(ex.WorkspaceDir(f.Run, "*"), filepath.FromSlash(reportsGlob)))
		byWorkspace := map[string][]string{}
		var order []string
		for _, p := range paths {
			ws := filepath.Base(filepath.Dir(filepath.Dir(p)))
			if byWorkspace[ws] == nil {
				order = append(order, ws)
			}
			byWorkspace[ws] = append(byWorkspace[ws], p)
		}
		for _, ws := range order {
			r := testreport.New()
			for _, p := range byWorkspace[ws] {
				fh, err := os.Open(p)
				if err != nil {
					continue
				}
				_, _ = r.Add(strings.TrimSuffix(filepath.Base(p), filepath.Ext(p)), fh)
				fh.Close()
			}
			fmt.Fprintf(out, "\n%s: go tests of %d shard(s), from workspace %s:\n", f.Pipeline, len(byWorkspace[ws]), ws)
			_ = r.Text(out)
		}
	}
}
