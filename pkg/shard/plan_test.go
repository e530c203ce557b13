package shard_test

import (
	"fmt"
	"math"
	"reflect"
	"regexp"
	"slices"
	"testing"
	"time"

	"github.com/rigger-ci/rigger/pkg/shard"
)

// covered checks that every test of every package runs on exactly one shard, which is what
// go test would do with each shard's work, and that no work names a package twice in a shard.
func covered(t *testing.T, pkgs []shard.Package, plan *shard.Plan) {
	t.Helper()
	for _, p := range pkgs {
		wholeOn := 0
		runs := map[string]int{}
		for _, s := range plan.Shards {
			seen := 0
			for _, w := range s.Work {
				if w.Package != p.ImportPath {
					continue
				}
				seen++
				if w.Run == "" {
					wholeOn++
					for _, name := range p.Tests {
						runs[name]++
					}
					continue
				}
				re := regexp.MustCompile(w.Run)
				for _, name := range p.Tests {
					if re.MatchString(name) {
						runs[name]++
					}
				}
			}
			if seen > 1 {
				t.Errorf("shard %d runs %s %d times", s.Index, p.ImportPath, seen)
			}
		}
		if len(p.Tests) == 0 && wholeOn != 1 {
			t.Errorf("package %s without tests is on %d shards, want 1", p.ImportPath, wholeOn)
		}
		for _, name := range p.Tests {
			if runs[name] != 1 {
				t.Errorf("%s.%s runs on %d shards, want 1", p.ImportPath, name, runs[name])
			}
		}
	}
}

func tests(prefix string, n int) []string {
	var names []string
	for i := range n {
		names = append(names, fmt.Sprintf("%s%03d", prefix, i))
	}
	return names
}

func timed(at time.Time, overhead float64, tests map[string]float64) *shard.PackageTimes {
	return &shard.PackageTimes{Overhead: overhead, Tests: tests, At: at}
}

func TestEmptyHistorySplitsBySize(t *testing.T) {
	pkgs := []shard.Package{
		{ImportPath: "m/big", Tests: tests("TestBig", 40)},
		{ImportPath: "m/mid", Tests: tests("TestMid", 20)},
		{ImportPath: "m/small", Tests: tests("TestSmall", 19)},
		{ImportPath: "m/none"},
	}
	plan, err := shard.New(pkgs, nil, 2, shard.Options{TestSeconds: 1, OverheadSeconds: 1})
	if err != nil {
		t.Fatal(err)
	}
	covered(t, pkgs, plan)
	// 40+1, 20+1, 19+1, 1: total 83, so big (41) is within the ideal 41.5 and stays whole;
	// LPT: big on shard 0, mid and small on shard 1 (41), the untested package's start-up on
	// the first of the tied shards: 42 against 41.
	if plan.TotalSeconds != 83 {
		t.Errorf("total %v, want 83: every test and package start-up counted once", plan.TotalSeconds)
	}
	if len(plan.Split) != 0 {
		t.Errorf("split %v, want none: no package is longer than total/N", plan.Split)
	}
	if got := plan.Makespan(); got != 42 {
		t.Errorf("makespan %v, want 42", got)
	}
}

func TestGiantPackageIsSplitByTests(t *testing.T) {
	at := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	giant := map[string]float64{}
	for i, name := range tests("TestG", 30) {
		giant[name] = float64(1 + i%3) // 1, 2, 3 seconds: 60 in all
	}
	pkgs := []shard.Package{
		{ImportPath: "m/giant", Tests: tests("TestG", 30)},
		{ImportPath: "m/a", Tests: []string{"TestA"}},
		{ImportPath: "m/b", Tests: []string{"TestB"}},
	}
	hist := &shard.Timings{Version: 1, Packages: map[string]*shard.PackageTimes{
		"m/giant": timed(at, 2, giant),
		"m/a":     timed(at, 0, map[string]float64{"TestA": 5}),
		"m/b":     timed(at, 0, map[string]float64{"TestB": 5}),
	}}
	for _, n := range []int{2, 4, 8} {
		plan, err := shard.New(pkgs, hist, n, shard.Options{})
		if err != nil {
			t.Fatal(err)
		}
		covered(t, pkgs, plan)
		if !slices.Equal(plan.Split, []string{"m/giant"}) {
			t.Errorf("N=%d: split %v, want [m/giant]", n, plan.Split)
		}
		on := 0
		for _, s := range plan.Shards {
			for _, w := range s.Work {
				if w.Package == "m/giant" {
					on++
					if w.Run == "" {
						t.Errorf("N=%d: shard %d runs the giant whole", n, s.Index)
					}
				}
			}
		}
		if on != n {
			t.Errorf("N=%d: the giant is on %d shards, want all %d", n, on, n)
		}
		// Each shard running part of the giant pays its 2 s start-up again; within that the
		// split must be near ideal (tests of at most 3 s against 72/N).
		if limit := plan.Ideal()*1.1 + 2; plan.Makespan() > limit {
			t.Errorf("N=%d: makespan %v > %v", n, plan.Makespan(), limit)
		}
	}
}

func TestNewPackagesAndTestsLandSomewhere(t *testing.T) {
	at := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	pkgs := []shard.Package{
		{ImportPath: "m/old", Tests: []string{"TestOld", "TestNew", "TestOther"}},
		{ImportPath: "m/brand/new", Tests: []string{"TestX", "TestY"}},
		{ImportPath: "m/untested"},
	}
	hist := &shard.Timings{Version: 1, Packages: map[string]*shard.PackageTimes{
		// TestGone was deleted since: it must not be in any pattern.
		"m/old":  timed(at, 1, map[string]float64{"TestOld": 20, "TestOther": 20, "TestGone": 4}),
		"m/gone": timed(at, 1, map[string]float64{"TestZ": 30}),
	}}
	plan, err := shard.New(pkgs, hist, 3, shard.Options{})
	if err != nil {
		t.Fatal(err)
	}
	covered(t, pkgs, plan)
	for _, s := range plan.Shards {
		for _, w := range s.Work {
			if w.Package == "m/gone" {
				t.Errorf("shard %d runs m/gone, which the module no longer has", s.Index)
			}
			if regexp.MustCompile(`TestGone`).MatchString(w.Run) {
				t.Errorf("shard %d names the deleted TestGone: %q", s.Index, w.Run)
			}
		}
	}
}

func TestMoreShardsThanTests(t *testing.T) {
	pkgs := []shard.Package{
		{ImportPath: "m/a", Tests: []string{"TestA1", "TestA2"}},
		{ImportPath: "m/b", Tests: []string{"TestB"}},
	}
	plan, err := shard.New(pkgs, nil, 16, shard.Options{})
	if err != nil {
		t.Fatal(err)
	}
	covered(t, pkgs, plan)
	empty := 0
	for i, s := range plan.Shards {
		if s.Index != i || s.Shards != 16 {
			t.Errorf("shard %d says it is %d of %d", i, s.Index, s.Shards)
		}
		if s.Work == nil {
			t.Errorf("shard %d has nil work: JSON must say [] so scripts can loop over it", i)
		}
		if len(s.Work) == 0 {
			empty++
			if s.ExpectedSeconds != 0 {
				t.Errorf("empty shard %d expects %v s", i, s.ExpectedSeconds)
			}
		}
	}
	if empty < 13 {
		t.Errorf("%d empty shards of 16, want at least 13: there are 3 tests", empty)
	}
}

func TestSameInputsSamePlan(t *testing.T) {
	at := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	var pkgs []shard.Package
	hist := shard.NewTimings()
	for i := range 30 {
		path := fmt.Sprintf("m/p%02d", i)
		names := tests("Test", 1+i%7)
		pkgs = append(pkgs, shard.Package{ImportPath: path, Tests: names})
		if i%3 != 0 { // some packages have no history
			ts := map[string]float64{}
			for _, n := range names {
				ts[n] = 1 // equal times: only the tie-breaking decides
			}
			hist.Packages[path] = timed(at, 0.5, ts)
		}
	}
	first, err := shard.New(pkgs, hist, 4, shard.Options{})
	if err != nil {
		t.Fatal(err)
	}
	covered(t, pkgs, first)
	for i := range 20 {
		shuffled := slices.Clone(pkgs)
		// A different input order, as another machine's go list or file order could give.
		for j := range shuffled {
			k := (j*7 + i*13) % len(shuffled)
			shuffled[j], shuffled[k] = shuffled[k], shuffled[j]
		}
		again, err := shard.New(shuffled, hist, 4, shard.Options{})
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(first.Shards, again.Shards) {
			t.Fatalf("plan changed with the input order:\n%+v\n%+v", first.Shards, again.Shards)
		}
	}
}

func TestDuplicateTestNamesRunOnce(t *testing.T) {
	// As an injected list might give them: unsorted, one name twice.
	pkgs := []shard.Package{{ImportPath: "m/a", Tests: []string{"TestB", "TestA", "TestB", "TestC"}}, {ImportPath: "m/b", Tests: []string{"TestZ"}}}
	plan, err := shard.New(pkgs, nil, 3, shard.Options{TestSeconds: 1, OverheadSeconds: 1})
	if err != nil {
		t.Fatal(err)
	}
	covered(t, []shard.Package{{ImportPath: "m/a", Tests: []string{"TestA", "TestB", "TestC"}}, pkgs[1]}, plan)
	// m/a: 3 tests and its start-up, m/b: 1 and its start-up. TestB counted twice would be 7.
	if plan.TotalSeconds != 6 {
		t.Errorf("total %v s, want 6: each test once", plan.TotalSeconds)
	}
}

func TestRunPatternIsAnchored(t *testing.T) {
	re := regexp.MustCompile(shard.RunPattern([]string{"TestB", "TestA"}))
	for name, want := range map[string]bool{"TestA": true, "TestB": true, "TestAB": false, "XTestA": false} {
		if re.MatchString(name) != want {
			t.Errorf("%s matched %v, want %v", name, !want, want)
		}
	}
	if got := shard.RunPattern([]string{"TestB", "TestA"}); got != "^(TestA|TestB)$" {
		t.Errorf("pattern %q, want sorted ^(TestA|TestB)$", got)
	}
}

func TestOneShardRunsEverythingWhole(t *testing.T) {
	pkgs := []shard.Package{{ImportPath: "m/a", Tests: tests("Test", 50)}, {ImportPath: "m/b"}}
	plan, err := shard.New(pkgs, nil, 1, shard.Options{})
	if err != nil {
		t.Fatal(err)
	}
	want := []shard.Work{{Package: "m/a"}, {Package: "m/b"}}
	if !reflect.DeepEqual(plan.Shards[0].Work, want) {
		t.Errorf("work %+v, want %+v", plan.Shards[0].Work, want)
	}
	if _, err := shard.New(pkgs, nil, 0, shard.Options{}); err == nil {
		t.Error("0 shards accepted")
	}
	if math.Abs(plan.Makespan()-plan.Ideal()) > 1e-9 {
		t.Errorf("one shard: makespan %v != ideal %v", plan.Makespan(), plan.Ideal())
	}
}
