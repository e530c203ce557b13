package shard_test

import (
	"compress/gzip"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/rigger-ci/rigger/pkg/shard"
)

// realRuns are go test -json outputs of open-source modules that no one here wrote
// (testdata/README.md says which, and under what license).
func realRuns(t testing.TB) map[string]string {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join("..", "..", "testdata", "gotest", "*.json.gz"))
	if err != nil || len(paths) == 0 {
		t.Fatalf("no recorded runs in testdata/gotest: %v", err)
	}
	runs := map[string]string{}
	for _, p := range paths {
		runs[strings.TrimSuffix(filepath.Base(p), ".json.gz")] = p
	}
	return runs
}

// realModule reads a recorded run: its timings, and its packages with the top-level tests
// the run saw (the module's source is not here; every test that ran is known).
func realModule(t testing.TB, path string) ([]shard.Package, *shard.Timings) {
	t.Helper()
	fh, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	zr, err := gzip.NewReader(fh)
	if err != nil {
		t.Fatal(err)
	}
	tm, _, err := shard.FromTestJSON(zr)
	if err != nil {
		t.Fatal(err)
	}
	var pkgs []shard.Package
	for path, p := range tm.Packages {
		var tests []string
		for name := range p.Tests {
			tests = append(tests, name)
		}
		slices.Sort(tests)
		pkgs = append(pkgs, shard.Package{ImportPath: path, Tests: tests})
	}
	return pkgs, tm
}

// naiveMakespan is the split most pipelines start with: the sorted package list cut into N
// runs of equal package count (as `split -n` or a matrix over `go list` slices would).
func naiveMakespan(pkgs []shard.Package, tm *shard.Timings, n int) float64 {
	paths := make([]string, len(pkgs))
	for i, p := range pkgs {
		paths[i] = p.ImportPath
	}
	slices.Sort(paths)
	var worst float64
	for s := range n {
		lo, hi := s*len(paths)/n, (s+1)*len(paths)/n
		var sum float64
		for _, p := range paths[lo:hi] {
			sum += tm.Packages[p].Seconds()
		}
		worst = max(worst, sum)
	}
	return worst
}

func longestTest(tm *shard.Timings) float64 {
	var m float64
	for _, p := range tm.Packages {
		for _, d := range p.Tests {
			m = max(m, d)
		}
	}
	return m
}

var shardCounts = []int{2, 4, 8, 16}

// BenchmarkPlanRealTimings reports, per recorded module and N, the planner's makespan and the
// naive split's, each as a ratio to the ideal total/N (1 is perfect), and the time a plan
// takes to make. Makespans are the model's expectation from the recorded times.
func BenchmarkPlanRealTimings(b *testing.B) {
	for name, path := range realRuns(b) {
		pkgs, tm := realModule(b, path)
		for _, n := range shardCounts {
			b.Run(fmt.Sprintf("%s/N=%d", name, n), func(b *testing.B) {
				var plan *shard.Plan
				for b.Loop() {
					var err error
					if plan, err = shard.New(pkgs, tm, n, shard.Options{}); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(plan.Makespan()/plan.Ideal(), "makespan/ideal")
				b.ReportMetric(naiveMakespan(pkgs, tm, n)/plan.Ideal(), "naive/ideal")
				// No split beats the longest test, so this is the fairer yardstick where
				// longest-test/ideal is above 1.
				b.ReportMetric(plan.Makespan()/max(plan.Ideal(), longestTest(tm)), "makespan/bound")
				b.ReportMetric(longestTest(tm)/plan.Ideal(), "longest-test/ideal")
			})
		}
	}
}

// TestRealTimingsWithinGoal is issue 12's goal: makespan at most 1.1 times the ideal wherever
// the longest single test is shorter than total/N (where it is not, that test is the
// makespan and no split can help), on timings no one here wrote. Every test must still run
// exactly once.
func TestRealTimingsWithinGoal(t *testing.T) {
	for name, path := range realRuns(t) {
		pkgs, tm := realModule(t, path)
		for _, n := range shardCounts {
			plan, err := shard.New(pkgs, tm, n, shard.Options{})
			if err != nil {
				t.Fatal(err)
			}
			covered(t, pkgs, plan)
			ratio := plan.Makespan() / plan.Ideal()
			t.Logf("%s N=%d: total %.1fs, ideal %.2fs, makespan %.2fs (%.3f), naive %.3f, longest test %.2fs",
				name, n, plan.TotalSeconds, plan.Ideal(), plan.Makespan(), ratio,
				naiveMakespan(pkgs, tm, n)/plan.Ideal(), longestTest(tm))
			if longestTest(tm) < plan.Ideal() && ratio > 1.1 {
				t.Errorf("%s N=%d: makespan %.2fs is %.3f x ideal %.2fs, goal 1.1", name, n, plan.Makespan(), ratio, plan.Ideal())
			}
		}
	}
}
