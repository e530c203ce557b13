package lint_test

import (
	"regexp"
	"strings"
	"testing"
)

const matchingRun = `apiVersion: tekton.dev/v1
kind: PipelineRun
metadata:
  name: %s
  annotations:
%s
spec:
  pipelineSpec:
    tasks:
      - name: t
        taskSpec: {steps: [{image: busybox, script: "true"}]}
`

func run(name string, annotations ...string) string {
	return strings.Replace(strings.Replace(matchingRun, "%s", name, 1), "%s", strings.Join(annotations, "\n"), 1)
}

func TestLintCompilesMatchingExpressions(t *testing.T) {
	dir := write(t, map[string]string{
		// Line 6 is on-event, line 7 the broken expression's key; the second document starts at
		// line 16, its annotation on line 21.
		".tekton/cel.yaml": run("broken-cel",
			`    pipelinesascode.tekton.dev/on-event: "[pull_request]"`,
			`    pipelinesascode.tekton.dev/on-cel-expression: |`,
			`      event == "pull_request" &&`,
			`        target_branch ==`) +
			"---\n" + run("not-bool", `    rigger.dev/on-cel-expression: 'target_branch'`),
		".tekton/comment.yaml": run("broken-comment", `    pipelinesascode.tekton.dev/on-comment: "^/merge-(pr"`),
		".tekton/fine.yaml": run("fine",
			`    pipelinesascode.tekton.dev/on-cel-expression: event == "push" && "docs/**".pathChanged()`,
			`    pipelinesascode.tekton.dev/on-comment: "^/deploy( .*)?$"`),
	})
	out, code, err := runLint(t, "-C", dir)
	if code != 1 {
		t.Fatalf("exit %d (%v), want 1\n%s", code, err, out)
	}
	for _, want := range []string{
		`(?m)^\.tekton/cel\.yaml:7: pipelinesascode\.tekton\.dev/on-cel-expression: ERROR: <input>:\d+:\d+: Syntax error`,
		`(?m)^\.tekton/cel\.yaml:6: warning: pipelinesascode\.tekton\.dev/on-event is ignored: pipelinesascode\.tekton\.dev/on-cel-expression decides alone$`,
		`(?m)^\.tekton/cel\.yaml:21: rigger\.dev/on-cel-expression: expression evaluates to string, not bool$`,
		`(?m)^\.tekton/comment\.yaml:6: pipelinesascode\.tekton\.dev/on-comment: error parsing regexp: missing closing \)`,
	} {
		if !regexp.MustCompile(want).MatchString(out) {
			t.Errorf("no line matching %s\n%s", want, out)
		}
	}
	if strings.Contains(out, "fine.yaml") {
		t.Errorf("valid expressions reported\n%s", out)
	}
	if n := strings.Count(out, "\n.tekton/") + 1; n != 4 {
		t.Errorf("%d lines of problems, want 4\n%s", n, out)
	}
}
