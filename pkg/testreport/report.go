// Package testreport merges the `go test -json` reports of a sharded test run and says what a
// person (or a check run) needs: how many tests ran, failed and were skipped, which were
// flaky (failed, then passed on their retry), the slowest, each shard's wall time, and where
// each failure is in the source.
//
// The reporter renders a check run from it with Report.Markdown and Report.Annotations; the
// go-test-sharded pipeline's final task prints Report.Text, as `rigger run` shows it.
package testreport

import (
	"cmp"
	"io"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/rigger-ci/rigger/pkg/testjson"
)

// Outcome of a test or package.
const (
	Passed  = "pass"
	Failed  = "fail"
	Skipped = "skip"
)

// Test is one test (top-level or subtest) across all its attempts.
type Test struct {
	Package, Name string
	// Outcomes are its attempts' outcomes in the order they ran: a retry appends.
	Outcomes []string
	Seconds  float64 // of its last attempt
	Shard    string
	// Failures are the file:line messages of its last failed attempt.
	Failures []Failure
	// Output is the tail of its last failed attempt's output, for a failure with no file:line.
	Output []string
}

// Outcome is the last attempt's: a test that passed on retry passed.
func (t *Test) Outcome() string { return t.Outcomes[len(t.Outcomes)-1] }

// Flaky tells whether the test failed and then passed on a retry.
func (t *Test) Flaky() bool { return slices.Contains(t.Outcomes, Failed) && t.Outcome() == Passed }

// TopLevel tells whether the test is not a subtest.
func (t *Test) TopLevel() bool { return !strings.Contains(t.Name, "/") }

// Failure is one `file:line: message` a failed test logged (t.Error, t.Fatal, ...).
type Failure struct {
	File    string // as go test prints it: the file's base name, in the package's directory
	Line    int
	Message string
}

// Shard is one report's share of the run.
type Shard struct {
	Name string
	// Wall is from its first event to its last: the time the shard spent testing, compiles
	// between packages included, the compile before the first package not.
	Wall time.Duration
	// Packages whose last run failed with no failed test in it: a build failure, a panic
	// outside a test, a timeout. Nothing in them can be retried by name.
	BrokenPackages []string
}

// Report is what several shards' go test -json said.
type Report struct {
	Shards []Shard
	tests  map[key]*Test
	order  []key
}

type key struct{ pkg, test string }

// New returns an empty report.
func New() *Report { return &Report{tests: map[key]*Test{}} }

// maxOutput bounds the output kept for one failed test: a test that prints a megabyte
// before failing must not take the report's memory, and the tail is what explains it.
const maxOutput = 50

// Add reads one shard's go test -json from r. Events are taken in the order they come, so
// a retry appended to the same report is the test's later attempt.
func (r *Report) Add(shard string, in io.Reader) (testjson.Stats, error) {
	sh := Shard{Name: shard}
	var first, last time.Time
	output := map[key][]string{}
	pkgFailedTests := map[string]bool{} // in the package's current run
	pkgOutcome := map[string]string{}
	st, err := testjson.Read(in, func(e testjson.Event) error {
		if !e.Time.IsZero() {
			if first.IsZero() || e.Time.Before(first) {
				first = e.Time
			}
			if e.Time.After(last) {
				last = e.Time
			}
		}
		if e.Package == "" {
			return nil
		}
		k := key{e.Package, e.Test}
		switch {
		case e.Action == "output" && e.Test != "":
			lines := append(output[k], strings.TrimRight(e.Output, "\n"))
			if len(lines) > maxOutput*2 {
				lines = slices.Delete(lines, 0, len(lines)-maxOutput)
			}
			output[k] = lines
		case e.Test == "" && e.Done():
			pkgOutcome[e.Package] = e.Action
			if e.Action == Failed && !pkgFailedTests[e.Package] {
				if !slices.Contains(sh.BrokenPackages, e.Package) {
					sh.BrokenPackages = append(sh.BrokenPackages, e.Package)
				}
			} else {
				sh.BrokenPackages = slices.DeleteFunc(sh.BrokenPackages, func(p string) bool { return p == e.Package })
			}
			delete(pkgFailedTests, e.Package)
		case e.Test != "" && e.Done():
			t := r.tests[k]
			if t == nil {
				t = &Test{Package: e.Package, Name: e.Test}
				r.tests[k] = t
				r.order = append(r.order, k)
			}
			t.Outcomes = append(t.Outcomes, e.Action)
			t.Seconds, t.Shard = e.Elapsed, shard
			if e.Action == Failed {
				pkgFailedTests[e.Package] = true
				lines := output[k]
				if len(lines) > maxOutput {
					lines = lines[len(lines)-maxOutput:]
				}
				t.Output = slices.Clone(lines)
				t.Failures = failures(output[k])
			}
			delete(output, k)
		}
		return nil
	})
	if !first.IsZero() {
		sh.Wall = last.Sub(first)
	}
	slices.Sort(sh.BrokenPackages)
	r.Shards = append(r.Shards, sh)
	return st, err
}

// location is how testing prints a logged message: four spaces per level of test, file:line.
var location = regexp.MustCompile(`^\s+([\w.+-]+\.go):(\d+): ?(.*)$`)

// failures finds the file:line messages in a test's output. A message's continuation
// lines are indented deeper than its first and belong to it.
func failures(lines []string) []Failure {
	var out []Failure
	indent := -1
	for _, l := range lines {
		if m := location.FindStringSubmatch(l); m != nil {
			n, _ := strconv.Atoi(m[2])
			out = append(out, Failure{File: m[1], Line: n, Message: m[3]})
			indent = len(l) - len(strings.TrimLeft(l, " \t"))
			continue
		}
		if len(out) > 0 && indent >= 0 && strings.TrimSpace(l) != "" &&
			len(l)-len(strings.TrimLeft(l, " \t")) > indent && !strings.HasPrefix(strings.TrimSpace(l), "---") {
			f := &out[len(out)-1]
			f.Message += "\n" + strings.TrimSpace(l)
			continue
		}
		indent = -1
	}
	return out
}

// Tests returns every test in the order first seen.
func (r *Report) Tests() []*Test {
	out := make([]*Test, len(r.order))
	for i, k := range r.order {
		out[i] = r.tests[k]
	}
	return out
}

// Counts are the summary's numbers, of top-level tests (a subtest's failure is its
// parent's): run counts every test once, whatever its attempts.
type Counts struct {
	Run, Passed, Failed, Skipped, Flaky int
}

// Counts counts the top-level tests.
func (r *Report) Counts() Counts {
	var c Counts
	for _, t := range r.Tests() {
		if !t.TopLevel() {
			continue
		}
		c.Run++
		switch t.Outcome() {
		case Passed:
			c.Passed++
		case Failed:
			c.Failed++
		case Skipped:
			c.Skipped++
		}
		if t.Flaky() {
			c.Flaky++
		}
	}
	return c
}

// Failed lists the tests, top-level and subtests, whose last attempt failed.
func (r *Report) Failed() []*Test {
	return r.filter(func(t *Test) bool { return t.Outcome() == Failed })
}

// Flaky lists the tests that failed and then passed.
func (r *Report) Flaky() []*Test { return r.filter(func(t *Test) bool { return t.Flaky() }) }

func (r *Report) filter(keep func(*Test) bool) []*Test {
	var out []*Test
	for _, t := range r.Tests() {
		if keep(t) {
			out = append(out, t)
		}
	}
	return out
}

// Slowest returns the n slowest top-level tests, slowest first.
func (r *Report) Slowest(n int) []*Test {
	top := r.filter((*Test).TopLevel)
	slices.SortStableFunc(top, func(a, b *Test) int {
		if c := cmp.Compare(b.Seconds, a.Seconds); c != 0 {
			return c
		}
		return cmp.Compare(a.Package+"."+a.Name, b.Package+"."+b.Name)
	})
	return top[:min(n, len(top))]
}

// OK tells whether the run passed: no test's last attempt failed and no package broke.
func (r *Report) OK() bool {
	if len(r.Failed()) > 0 {
		return false
	}
	for _, s := range r.Shards {
		if len(s.BrokenPackages) > 0 {
			return false
		}
	}
	return true
}
