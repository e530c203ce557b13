// Package shard splits a Go module's tests into N shards of about equal time, from the timing
// history of earlier runs (`go test -json`), so that no shard waits on one giant package.
//
// The planner is longest-processing-time first (LPT): work items sorted by expected time,
// each to the shard where it ends soonest. An item is a whole package, or, for a package
// expected to take longer than total/N, one of its top-level tests: those shards run the
// package with a -run pattern naming exactly their tests. Every input is sorted first, so the
// same packages and timings give the same plan on every machine.
package shard

import (
	"cmp"
	"fmt"
	"regexp"
	"slices"
	"strings"
)

// Work is one `go test` invocation of a shard: a package, and a -run pattern when the
// shard runs only some of its tests ("" runs the whole package).
type Work struct {
	Package string `json:"package"`
	Run     string `json:"run"`
}

// Shard is what shard Index of Shards runs. Indices start at 0, like a Tekton matrix over
// a list of numbers.
type Shard struct {
	Index           int     `json:"shard"`
	Shards          int     `json:"shards"`
	Work            []Work  `json:"work"`
	ExpectedSeconds float64 `json:"expectedSeconds"`
}

// Plan is every shard's work.
type Plan struct {
	Shards []Shard
	// TotalSeconds is the expected time of the whole suite run once, in one process per
	// package; Ideal is TotalSeconds/N, which no plan beats.
	TotalSeconds float64
	// Split lists the packages whose tests were spread over several work items.
	Split []string
}

// Ideal is the makespan of a perfect split.
func (p *Plan) Ideal() float64 { return p.TotalSeconds / float64(len(p.Shards)) }

// Makespan is the expected time of the slowest shard, which is when the suite is done.
func (p *Plan) Makespan() float64 {
	var m float64
	for _, s := range p.Shards {
		m = max(m, s.ExpectedSeconds)
	}
	return m
}

// Estimates for what the history does not know, used only when the history has no
// measurements of its own to take a median from. On k8s.io/apimachinery (testdata/gotest)
// the median package overhead is 5 ms and the median test reads 0 s, which go test's
// hundredths make half its resolution at most: 5 ms each. What matters for balance is their
// ratio, and with no history a package's number of tests is the best guess of its time.
const (
	DefaultTestSeconds     = resolution / 2
	DefaultOverheadSeconds = 0.005
)

// resolution is the precision of the times go test -json reports for tests.
const resolution = 0.01

// Options tune a plan.
type Options struct {
	// TestSeconds and OverheadSeconds are the guesses for a test and a package start-up that
	// the history has no time for. Zero: the history's medians, else the defaults above.
	TestSeconds, OverheadSeconds float64
}

// cost is a package's expected time, from its history and its source.
type cost struct {
	pkg      Package
	overhead float64
	tests    []float64 // by pkg.Tests
	total    float64
}

// New plans n shards of pkgs from the timings t (nil: none).
func New(pkgs []Package, t *Timings, n int, opt Options) (*Plan, error) {
	if n < 1 {
		return nil, fmt.Errorf("shards must be at least 1, not %d", n)
	}
	if t == nil {
		t = NewTimings()
	}
	testGuess, overheadGuess := guesses(t, opt)
	pkgs = slices.Clone(pkgs)
	slices.SortFunc(pkgs, func(a, b Package) int { return cmp.Compare(a.ImportPath, b.ImportPath) })
	pkgs = slices.CompactFunc(pkgs, func(a, b Package) bool { return a.ImportPath == b.ImportPath })
	for i := range pkgs {
		// A name twice would be planned twice: each test must run exactly once.
		pkgs[i].Tests = slices.Compact(slices.Sorted(slices.Values(pkgs[i].Tests)))
	}

	costs := make([]cost, len(pkgs))
	var total float64
	for i, p := range pkgs {
		c := cost{pkg: p, overhead: overheadGuess, tests: make([]float64, len(p.Tests))}
		h := t.Packages[p.ImportPath]
		if h != nil {
			c.overhead = h.Overhead
		}
		c.total = c.overhead
		for j, name := range p.Tests {
			d, ok := 0.0, false
			if h != nil {
				d, ok = h.Tests[name]
			}
			if !ok {
				d = testGuess // a new test, or a package that never ran
			}
			c.tests[j] = d
			c.total += d
		}
		costs[i] = c
		total += c.total
	}

	plan := &Plan{TotalSeconds: total, Shards: make([]Shard, n)}
	ideal := total / float64(n)

	// Items: whole packages, and the tests of a package longer than the ideal shard.
	type item struct {
		pkg  int
		test int // -1: the whole package
		secs float64
	}
	var items []item
	for i, c := range costs {
		if n > 1 && c.total > ideal && len(c.pkg.Tests) > 1 {
			plan.Split = append(plan.Split, c.pkg.ImportPath)
			for j, d := range c.tests {
				items = append(items, item{pkg: i, test: j, secs: d})
			}
			continue
		}
		items = append(items, item{pkg: i, test: -1, secs: c.total})
	}
	slices.SortStableFunc(items, func(a, b item) int {
		// Longest first; ties by package then test so the order never depends on the map
		// iteration or the input order.
		if c := cmp.Compare(b.secs, a.secs); c != 0 {
			return c
		}
		if c := cmp.Compare(a.pkg, b.pkg); c != 0 {
			return c
		}
		return cmp.Compare(a.test, b.test)
	})

	load := make([]float64, n)
	// tests[s][pkg] holds the test indices of split package pkg on shard s; a shard's first
	// test of a package also pays the package's overhead.
	tests := make([]map[int][]int, n)
	whole := make([][]int, n)
	for s := range tests {
		tests[s] = map[int][]int{}
	}
	for _, it := range items {
		best, bestEnd := 0, 0.0
		for s := range n {
			end := load[s] + it.secs
			if _, has := tests[s][it.pkg]; it.test >= 0 && !has {
				end += costs[it.pkg].overhead
			}
			if s == 0 || end < bestEnd {
				best, bestEnd = s, end
			}
		}
		load[best] = bestEnd
		if it.test < 0 {
			whole[best] = append(whole[best], it.pkg)
		} else {
			tests[best][it.pkg] = append(tests[best][it.pkg], it.test)
		}
	}

	for s := range n {
		sh := Shard{Index: s, Shards: n, Work: []Work{}, ExpectedSeconds: load[s]}
		for _, i := range whole[s] {
			sh.Work = append(sh.Work, Work{Package: costs[i].pkg.ImportPath})
		}
		for i, idx := range tests[s] {
			p := costs[i].pkg
			if len(idx) == len(p.Tests) {
				// The whole package landed here: run it whole, so a test the source
				// listing missed still runs.
				sh.Work = append(sh.Work, Work{Package: p.ImportPath})
				continue
			}
			names := make([]string, len(idx))
			for k, j := range idx {
				names[k] = p.Tests[j]
			}
			sh.Work = append(sh.Work, Work{Package: p.ImportPath, Run: RunPattern(names)})
		}
		slices.SortFunc(sh.Work, func(a, b Work) int { return cmp.Compare(a.Package, b.Package) })
		plan.Shards[s] = sh
	}
	return plan, nil
}

// RunPattern is the go test -run pattern that selects exactly these top-level tests:
// anchored, so TestA does not also select TestAB, and sorted, so it is the same every time.
func RunPattern(names []string) string {
	names = slices.Clone(names)
	slices.Sort(names)
	for i, n := range names {
		names[i] = regexp.QuoteMeta(n)
	}
	return "^(" + strings.Join(names, "|") + ")$"
}

// guesses are the times assumed for a test and a package start-up the history has not
// measured: the history's medians, so that guesses are in the same units as the
// measurements beside them.
func guesses(t *Timings, opt Options) (test, overhead float64) {
	var ts, os []float64
	for _, p := range t.Packages {
		os = append(os, p.Overhead)
		for _, d := range p.Tests {
			ts = append(ts, d)
		}
	}
	// go test reports a test's time in hundredths of a second, so most tests read 0: a guess
	// of 0 would make a package's size count for nothing. Half the resolution stands in.
	test, overhead = max(median(ts, DefaultTestSeconds), resolution/2), median(os, DefaultOverheadSeconds)
	if opt.TestSeconds > 0 {
		test = opt.TestSeconds
	}
	if opt.OverheadSeconds > 0 {
		overhead = opt.OverheadSeconds
	}
	return test, overhead
}

func median(v []float64, none float64) float64 {
	if len(v) == 0 {
		return none
	}
	slices.Sort(v)
	if len(v)%2 == 1 {
		return v[len(v)/2]
	}
	return (v[len(v)/2-1] + v[len(v)/2]) / 2
}
