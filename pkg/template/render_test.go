package template

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
)

func TestRender(t *testing.T) {
	vars := map[string]string{
		"revision": "abc123",
		"repo_url": "https://github.com/o/r",
		"empty":    "",
	}
	tests := []struct {
		name, in, want string
	}{
		{"no variable", "kind: PipelineRun\n", "kind: PipelineRun\n"},
		{"spaces", "value: {{ revision }}", "value: abc123"},
		{"no spaces", "value: {{revision}}", "value: abc123"},
		{"uneven spaces and tabs", "{{\trevision   }}", "abc123"},
		{"two on a line", "{{repo_url}}/commit/{{ revision }}", "https://github.com/o/r/commit/abc123"},
		{"at start and end", "{{revision}}", "abc123"},
		{"empty value", "a{{ empty }}b", "ab"},
		{"unknown kept", "x: {{ foo }} y: {{revision}}", "x: {{ foo }} y: abc123"},
		{"tekton params kept", "$(params.revision) {{ revision }}", "$(params.revision) abc123"},
		{"dotted name kept", "{{ body.pull_request.title }}", "{{ body.pull_request.title }}"},
		{"two words kept", "{{ revision x }}", "{{ revision x }}"},
		{"unclosed", "{{ revision ", "{{ revision "},
		{"unclosed then closed", "{{ {{ revision }}", "{{ abc123"},
		{"triple brace", "{{{ revision }}}", "{abc123}"},
		{"empty braces", "{{}} {{ }}", "{{}} {{ }}"},
		{"line break inside", "{{ revision\n}}", "{{ revision\n}}"},
		{"single braces", "{ revision }", "{ revision }"},
		{"trailing open", "abc {{", "abc {{"},
		{"utf8 around", "é{{revision}}ü", "éabc123ü"},
		{"case sensitive", "{{ Revision }}", "{{ Revision }}"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := string(Render([]byte(tt.in), vars))
			if got != tt.want {
				t.Errorf("Render(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestRenderLeavesSourceUntouched(t *testing.T) {
	src := []byte("a {{ revision }} b")
	orig := append([]byte(nil), src...)
	out := Render(src, map[string]string{"revision": "0123456789"})
	if !bytes.Equal(src, orig) {
		t.Fatalf("source changed to %q", src)
	}
	if string(out) != "a 0123456789 b" {
		t.Fatalf("got %q", out)
	}
}

func TestRenderNoVars(t *testing.T) {
	in := "a {{ revision }}"
	if got := string(Render([]byte(in), nil)); got != in {
		t.Fatalf("got %q", got)
	}
}

// benchmarkFile is a realistic .tekton PipelineRun of some 3 KiB with a handful of variables
// and many Tekton $(...) references.
func benchmarkFile() []byte {
	var b strings.Builder
	b.WriteString(`apiVersion: tekton.dev/v1
kind: PipelineRun
metadata:
  name: build-{{ pull_request_number }}
  annotations:
    pipelinesascode.tekton.dev/on-event: "[pull_request, push]"
    pipelinesascode.tekton.dev/on-target-branch: "[main]"
spec:
  params:
    - name: repo_url
      value: "{{ repo_url }}"
    - name: revision
      value: "{{revision}}"
  pipelineSpec:
    tasks:
`)
	for i := range 20 {
		fmt.Fprintf(&b, `      - name: step-%d
        params:
          - name: url
            value: $(params.repo_url)
        taskSpec:
          steps:
            - name: run
              image: golang:1.26
              script: |
                git checkout $(params.revision) && go test ./... # {{ source_branch }}
`, i)
	}
	return []byte(b.String())
}

func BenchmarkRender(b *testing.B) {
	src := benchmarkFile()
	vars := map[string]string{
		"revision": "4f2c8a1e9b7d6c5a4f3e2d1c0b9a8f7e6d5c4b3a", "repo_url": "https://github.com/o/r",
		"pull_request_number": "42", "source_branch": "feature/x",
	}
	b.SetBytes(int64(len(src)))
	b.ReportAllocs()
	for b.Loop() {
		Render(src, vars)
	}
}

// BenchmarkReplacerBaseline renders the same file with strings.Replacer over all spellings it
// would need (with and without spaces), as a yardstick for Render's speed.
func BenchmarkReplacerBaseline(b *testing.B) {
	src := string(benchmarkFile())
	r := strings.NewReplacer(
		"{{ revision }}", "4f2c8a1e9b7d6c5a4f3e2d1c0b9a8f7e6d5c4b3a", "{{revision}}", "4f2c8a1e9b7d6c5a4f3e2d1c0b9a8f7e6d5c4b3a",
		"{{ repo_url }}", "https://github.com/o/r", "{{repo_url}}", "https://github.com/o/r",
		"{{ pull_request_number }}", "42", "{{pull_request_number}}", "42",
		"{{ source_branch }}", "feature/x", "{{source_branch}}", "feature/x",
	)
	b.SetBytes(int64(len(src)))
	b.ReportAllocs()
	for b.Loop() {
		r.Replace(src)
	}
}
