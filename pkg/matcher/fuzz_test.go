package matcher

import (
	"context"
	"strings"
	"testing"
)

// FuzzCEL compiles and evaluates arbitrary on-cel-expressions against a real pull request
// delivery, with changed files: whatever a pull request writes, matching must not panic,
// must give a reason, and must only match with an expression that compiles. Expressions are
// bounded to 2 KiB so that each run stays short (longer ones only exercise the size limit,
// which a test covers); the cost limit and the timeout bound each evaluation.
func FuzzCEL(f *testing.F) {
	for _, seed := range []string{
		`event == "pull_request" && target_branch == "master"`,
		`body.pull_request.user.login == "Codertocat" && headers['x-github-event'] == "pull_request"`,
		`files.all.exists(f, f.matches("^docs/")) || "**/*.go".pathChanged()`,
		`"[".pathChanged()`,
		`body.pull_request.labels.map(l, l.name).exists(n, n == "bug")`,
		`[1,2,3].all(a, [1,2,3].all(b, a * b > 0))`,
		`size(body) / 0 == 1`,
		`body.action`,
		`event ==`,
		`has(body.pull_request.head.repo.fork) ? body.pull_request.head.repo.fork == false : false`,
		`int(body.pull_request.number) == 2 && double(body.number) > 1.5`,
		`"x".pathChanged(files.all)`,
		`dyn(1) == 1u`,
	} {
		f.Add(seed)
	}
	ev := delivery(f, "pull_request", "opened.payload.json", nil)
	changed := func(context.Context) ([]string, error) { return []string{"docs/a.md", "cmd/main.go"}, nil }
	f.Fuzz(func(t *testing.T, expr string) {
		if len(expr) > 2<<10 {
			t.Skip()
		}
		got, err := Match(context.Background(), onCEL(expr), ev, Options{}, changed)
		if err != nil {
			t.Fatalf("Match(%q) error %v: only a changed files fetch may fail", expr, err)
		}
		if got.Reason == "" {
			t.Fatalf("Match(%q) = %+v, without a reason", expr, got)
		}
		if got.Matched && CompileCEL(expr) != nil {
			t.Fatalf("Match(%q) matched an expression that does not compile", expr)
		}
		if !got.Matched && !strings.Contains(got.Reason, "on-cel-expression") {
			t.Fatalf("Match(%q) reason %q does not name the annotation", expr, got.Reason)
		}
	})
}
