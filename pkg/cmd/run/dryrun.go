package run

import (
	"encoding/json"
	"fmt"
	"io"

	v1 "github.com/tektoncd/pipeline/pkg/apis/pipeline/v1"
	"sigs.k8s.io/yaml"
)

// printPipelineRuns prints the PipelineRuns a run would submit: YAML documents separated by
// "---", or JSON (one object, or a v1 List of several, as kubectl prints them).
func printPipelineRuns(out io.Writer, format string, runs []*planned) error {
	prs := make([]*v1.PipelineRun, len(runs))
	for i, p := range runs {
		prs[i] = p.req.PipelineRun
	}
	switch format {
	case "json":
		var doc any = prs[0]
		if len(prs) > 1 {
			doc = map[string]any{"apiVersion": "v1", "kind": "List", "items": prs}
		}
		b, err := json.MarshalIndent(doc, "", "  ")
		if err != nil {
			return err
		}
		_, err = fmt.Fprintf(out, "%s\n", b)
		return err
	default:
		for i, pr := range prs {
			b, err := yaml.Marshal(pr)
			if err != nil {
				return err
			}
			if i > 0 {
				fmt.Fprintln(out, "---")
			}
			if _, err := out.Write(b); err != nil {
				return err
			}
		}
		return nil
	}
}
