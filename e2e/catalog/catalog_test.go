// Package catalog checks pipelines/ against a real Tekton: its admission webhook (defaulting
// and validation as the cluster runs them, feature flags included) must accept every Task
// and Pipeline. The unit tests validate the same files with Tekton's code in-process; this
// proves the deployed webhook agrees. It starts no pod, so it holds on KWOK nodes too.
package catalog

import (
	"context"
	"io/fs"
	"strings"
	"testing"

	"github.com/rigger-ci/rigger/e2e/framework"
	"github.com/rigger-ci/rigger/pipelines"
	pipelinev1 "github.com/tektoncd/pipeline/pkg/apis/pipeline/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"
)

func TestCatalogIsAcceptedByTekton(t *testing.T) {
	c := framework.Connect(t)
	ns := c.Namespace(t)
	ctx := context.Background()
	var tasks, pipes []string
	err := fs.WalkDir(pipelines.FS, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := fs.ReadFile(pipelines.FS, p)
		if err != nil {
			return err
		}
		switch {
		case strings.HasPrefix(p, "tasks/"):
			var task pipelinev1.Task
			if err := yaml.UnmarshalStrict(data, &task); err != nil {
				t.Errorf("%s: %v", p, err)
				return nil
			}
			if _, err := c.Tekton.TektonV1().Tasks(ns).Create(ctx, &task, metav1.CreateOptions{}); err != nil {
				t.Errorf("%s: Tekton refused the Task: %v", p, err)
			}
			tasks = append(tasks, task.Name)
		case strings.HasPrefix(p, "pipelines/"):
			var pipe pipelinev1.Pipeline
			if err := yaml.UnmarshalStrict(data, &pipe); err != nil {
				t.Errorf("%s: %v", p, err)
				return nil
			}
			if _, err := c.Tekton.TektonV1().Pipelines(ns).Create(ctx, &pipe, metav1.CreateOptions{}); err != nil {
				t.Errorf("%s: Tekton refused the Pipeline: %v", p, err)
			}
			pipes = append(pipes, pipe.Name)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(tasks) < 5 || len(pipes) < 1 {
		t.Fatalf("created tasks %v and pipelines %v: the catalog is incomplete", tasks, pipes)
	}
}
