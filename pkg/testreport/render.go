package testreport

import (
	"cmp"
	"fmt"
	"io"
	"path"
	"regexp"
	"slices"
	"strings"
)

// MaxAnnotations is how many annotations GitHub takes in one check-run update; more are
// sent in further updates or, as here, left to the summary.
const MaxAnnotations = 50

// Annotation is a check-run annotation: a failed test at its file and line.
type Annotation struct {
	Path    string // relative to the repository root
	Line    int
	Level   string // "failure" for a failed test, "warning" for a flaky one
	Title   string
	Message string
}

// Annotations returns one annotation per file:line a failed test logged (a failed test
// that logged none gets one at its package's directory, line 1, so it still shows), then
// flaky tests' as warnings, at most max. module is the Go module's path and dir its
// directory in the repository ("" at the root), to turn an import path into a file path.
func (r *Report) Annotations(module, dir string, max int) []Annotation {
	var out []Annotation
	add := func(t *Test, level string) {
		rel := strings.TrimPrefix(strings.TrimPrefix(t.Package, module), "/")
		pkgDir := path.Join(dir, rel)
		title := fmt.Sprintf("%s %s", t.Name, map[string]string{"failure": "failed", "warning": "is flaky: failed, then passed on retry"}[level])
		if len(t.Failures) == 0 {
			out = append(out, Annotation{Path: path.Join(pkgDir, "."), Line: 1, Level: level, Title: title,
				Message: strings.Join(t.Output, "\n")})
			return
		}
		for _, f := range t.Failures {
			out = append(out, Annotation{Path: path.Join(pkgDir, f.File), Line: f.Line, Level: level, Title: title, Message: f.Message})
		}
	}
	// A parent test fails because its subtest did and logs nothing of its own: annotate
	// the subtest's lines, not the parent's empty failure twice.
	for _, t := range r.Failed() {
		if len(t.Failures) == 0 && r.hasFailedSubtest(t) {
			continue
		}
		add(t, "failure")
	}
	for _, t := range r.Flaky() {
		add(t, "warning")
	}
	return out[:min(len(out), max)]
}

func (r *Report) hasFailedSubtest(parent *Test) bool {
	for _, t := range r.Failed() {
		if t.Package == parent.Package && strings.HasPrefix(t.Name, parent.Name+"/") {
			return true
		}
	}
	return false
}

// Retry is one go test invocation that reruns a package's failed tests.
type Retry struct {
	Package string
	Run     string // the -run pattern of its failed top-level tests
}

// Retries lists, per package, the top-level tests whose last attempt failed, as -run
// patterns. Packages that broke outside any test are not in it: rerunning them by name
// cannot help, and rerunning them whole would run other shards' tests.
func (r *Report) Retries() []Retry {
	byPkg := map[string][]string{}
	for _, t := range r.Failed() {
		if t.TopLevel() {
			byPkg[t.Package] = append(byPkg[t.Package], t.Name)
		}
	}
	var out []Retry
	for pkg, names := range byPkg {
		out = append(out, Retry{Package: pkg, Run: runPattern(names)})
	}
	slices.SortFunc(out, func(a, b Retry) int { return cmp.Compare(a.Package, b.Package) })
	return out
}

// runPattern selects exactly these top-level tests (as pkg/shard's RunPattern; not imported
// so that the report does not depend on the planner).
func runPattern(names []string) string {
	names = slices.Clone(names)
	slices.Sort(names)
	for i, n := range names {
		names[i] = regexp.QuoteMeta(n)
	}
	return "^(" + strings.Join(names, "|") + ")$"
}

// Text writes the summary for a terminal or a log: counts, failures with file:line, flaky
// tests, the ten slowest tests and each shard's wall time.
func (r *Report) Text(w io.Writer) error {
	var b strings.Builder
	c := r.Counts()
	fmt.Fprintf(&b, "tests: %d run, %d passed, %d failed, %d skipped, %d flaky\n", c.Run, c.Passed, c.Failed, c.Skipped, c.Flaky)
	for _, t := range r.Failed() {
		fmt.Fprintf(&b, "FAIL %s %s (%s)\n", t.Package, t.Name, secs(t.Seconds))
		for _, f := range t.Failures {
			fmt.Fprintf(&b, "    %s:%d: %s\n", f.File, f.Line, indentRest(f.Message, "        "))
		}
	}
	for _, s := range r.Shards {
		for _, p := range s.BrokenPackages {
			fmt.Fprintf(&b, "FAIL %s (no test failed: build failure, panic or timeout; see shard %s)\n", p, s.Name)
		}
	}
	for _, t := range r.Flaky() {
		fmt.Fprintf(&b, "FLAKY %s %s: failed, then passed on retry\n", t.Package, t.Name)
	}
	if slow := r.Slowest(10); len(slow) > 0 {
		fmt.Fprintf(&b, "slowest:\n")
		for _, t := range slow {
			fmt.Fprintf(&b, "  %8s  %s %s\n", secs(t.Seconds), t.Package, t.Name)
		}
	}
	if len(r.Shards) > 0 {
		fmt.Fprintf(&b, "shards:\n")
		for _, s := range r.Shards {
			fmt.Fprintf(&b, "  %8s  %s\n", secs(s.Wall.Seconds()), s.Name)
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// Markdown writes the same summary for a check run's output.
func (r *Report) Markdown(w io.Writer) error {
	var b strings.Builder
	c := r.Counts()
	fmt.Fprintf(&b, "**%d** tests run: %d passed, **%d failed**, %d skipped, %d flaky\n\n", c.Run, c.Passed, c.Failed, c.Skipped, c.Flaky)
	if failed := r.Failed(); len(failed) > 0 {
		b.WriteString("| Failed test | Package | Where |\n|---|---|---|\n")
		for _, t := range failed {
			where := ""
			if len(t.Failures) > 0 {
				where = fmt.Sprintf("`%s:%d`", t.Failures[0].File, t.Failures[0].Line)
			}
			fmt.Fprintf(&b, "| `%s` | `%s` | %s |\n", t.Name, t.Package, where)
		}
		b.WriteString("\n")
	}
	if flaky := r.Flaky(); len(flaky) > 0 {
		b.WriteString("Flaky (failed, then passed on retry):\n\n")
		for _, t := range flaky {
			fmt.Fprintf(&b, "- `%s` in `%s`\n", t.Name, t.Package)
		}
		b.WriteString("\n")
	}
	if slow := r.Slowest(10); len(slow) > 0 {
		b.WriteString("| Slowest tests | Package | Time |\n|---|---|---:|\n")
		for _, t := range slow {
			fmt.Fprintf(&b, "| `%s` | `%s` | %s |\n", t.Name, t.Package, secs(t.Seconds))
		}
		b.WriteString("\n")
	}
	if len(r.Shards) > 0 {
		b.WriteString("| Shard | Wall time |\n|---|---:|\n")
		for _, s := range r.Shards {
			fmt.Fprintf(&b, "| %s | %s |\n", s.Name, secs(s.Wall.Seconds()))
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func secs(s float64) string { return fmt.Sprintf("%.2fs", s) }

func indentRest(s, prefix string) string { return strings.ReplaceAll(s, "\n", "\n"+prefix) }
