package definition

import (
	"fmt"
	"testing"
)

const benchDefinition = `apiVersion: tekton.dev/v1
kind: PipelineRun
metadata:
  name: pull-request
  annotations:
    pipelinesascode.tekton.dev/on-event: "[pull_request]"
    pipelinesascode.tekton.dev/on-target-branch: "[main]"
spec:
  params:
  - {name: revision, value: "{{ revision }}"}
  - {name: repo-url, value: "{{ repo_url }}"}
  pipelineSpec:
    params: [{name: revision}, {name: repo-url}]
    tasks:
    - name: unit
      params: [{name: revision, value: $(params.revision)}]
      taskSpec:
        params: [{name: revision}]
        steps:
        - name: test
          image: kwok.local/busybox
          script: echo testing $(params.revision)
`

func BenchmarkParse(b *testing.B) {
	files := &Files{Files: []File{{Path: ".tekton/pull-request.yaml", SHA: "x", Content: []byte(benchDefinition)}}}
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		vars := map[string]string{"revision": fmt.Sprintf("%040d", i), "repo_url": "https://github.com/octo/hello"}
		if _, err := Parse(files, vars); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParseMemo(b *testing.B) {
	files := &Files{Files: []File{{Path: ".tekton/pull-request.yaml", SHA: "x", Content: []byte(benchDefinition)}}}
	p := Parser{Memo: NewValidationMemo(16)}
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		vars := map[string]string{"revision": fmt.Sprintf("%040x", i), "repo_url": "https://github.com/octo/hello"}
		if _, err := p.Parse(files, vars); err != nil {
			b.Fatal(err)
		}
	}
}
