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
func (r *Report) Markdown(w io.Writer) error { return r.Summary("", "").Markdown(w) }

// Markdown writes the summary for a check run's output. Every name in it comes from the
// code under test, so each is a code span that cannot end early, break a table or carry
// HTML (see code).
func (s Summary) Markdown(w io.Writer) error {
	var b strings.Builder
	c := s.Counts
	fmt.Fprintf(&b, "**%d** tests run: %d passed, **%d failed**, %d skipped, %d flaky\n\n", c.Run, c.Passed, c.Failed, c.Skipped, c.Flaky)
	if len(s.Failed) > 0 {
		b.WriteString("| Failed test | Package | Where |\n|---|---|---|\n")
		for _, t := range s.Failed {
			where := ""
			if t.File != "" {
				where = code(fmt.Sprintf("%s:%d", t.File, t.Line))
			}
			fmt.Fprintf(&b, "| %s | %s | %s |\n", code(t.Name), code(t.Package), where)
		}
		if s.MoreFailed > 0 {
			fmt.Fprintf(&b, "\nand %d more failed tests.\n", s.MoreFailed)
		}
		b.WriteString("\n")
	}
	if len(s.BrokenPackages) > 0 {
		b.WriteString("Failed outside any test (build failure, panic or timeout):\n\n")
		for _, p := range s.BrokenPackages {
			fmt.Fprintf(&b, "- %s\n", code(p))
		}
		b.WriteString("\n")
	}
	if len(s.Flaky) > 0 {
		b.WriteString("Flaky (failed, then passed on retry):\n\n")
		for _, t := range s.Flaky {
			fmt.Fprintf(&b, "- %s in %s\n", code(t.Name), code(t.Package))
		}
		if s.MoreFlaky > 0 {
			fmt.Fprintf(&b, "- and %d more\n", s.MoreFlaky)
		}
		b.WriteString("\n")
	}
	if len(s.Slowest) > 0 {
		b.WriteString("| Slowest tests | Package | Time |\n|---|---|---:|\n")
		for _, t := range s.Slowest {
			fmt.Fprintf(&b, "| %s | %s | %s |\n", code(t.Name), code(t.Package), secs(t.Seconds))
		}
		b.WriteString("\n")
	}
	if len(s.Shards) > 0 {
		b.WriteString("| Shard | Wall time |\n|---|---:|\n")
		for _, sh := range s.Shards {
			fmt.Fprintf(&b, "| %s | %s |\n", code(sh.Name), secs(sh.Seconds))
		}
	}
	if s.MoreAnnotations > 0 {
		fmt.Fprintf(&b, "\n%d more failures are not annotated: GitHub takes %d annotations per update.\n", s.MoreAnnotations, MaxAnnotations)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// code makes s an inline code span safe in a table cell: one line, its pipes escaped
// (GitHub splits cells before it reads code spans), fenced by more backticks than any run
// in it. Inside a code span nothing is HTML or a link.
func code(s string) string {
	s = strings.NewReplacer("\r", " ", "\n", " ", "|", `\|`).Replace(s)
	longest, cur := 0, 0
	for _, c := range s {
		if c == '`' {
			cur++
			longest = max(longest, cur)
		} else {
			cur = 0
		}
	}
	fence := strings.Repeat("`", longest+1)
	if strings.HasPrefix(s, "`") || strings.HasSuffix(s, "`") {
		s = " " + s + " "
	}
	return fence + s + fence
}

func secs(s float64) string { return fmt.Sprintf("%.2fs", s) }

func indentRest(s, prefix string) string { return strings.ReplaceAll(s, "\n", "\n"+prefix) }
