package shard_test

import (
	"math"
	"strings"
	"testing"

	"github.com/rigger-ci/rigger/pkg/shard"
)

// Two top-level tests that ran in parallel (1.5 s + 1.5 s inside a package that took 2 s),
// a subtest, a skipped package and a build failure.
const parallelRun = `{"Time":"2026-12-01T10:00:01Z","Action":"pass","Package":"m/p","Test":"TestA/sub","Elapsed":1}
{"Time":"2026-12-01T10:00:01Z","Action":"pass","Package":"m/p","Test":"TestA","Elapsed":1.5}
{"Time":"2026-12-01T10:00:01Z","Action":"fail","Package":"m/p","Test":"TestB","Elapsed":1.5}
{"Time":"2026-12-01T10:00:02Z","Action":"fail","Package":"m/p","Elapsed":2}
{"Time":"2026-12-01T10:00:02Z","Action":"skip","Package":"m/notests","Elapsed":0}
{"Time":"2026-12-01T10:00:02Z","Action":"fail","Package":"m/broken","Elapsed":0,"FailedBuild":"m/broken"}
`

const laterRun = `{"Time":"2026-12-02T10:00:00Z","Action":"pass","Package":"m/p","Test":"TestA","Elapsed":4}
{"Time":"2026-12-02T10:00:01Z","Action":"pass","Package":"m/p","Elapsed":4.5}
`

func near(a, b float64) bool { return math.Abs(a-b) < 1e-9 }

func TestTimingsFromParallelTests(t *testing.T) {
	tm, err := shard.ReadTimings(strings.NewReader(parallelRun))
	if err != nil {
		t.Fatal(err)
	}
	p := tm.Packages["m/p"]
	if p == nil || len(p.Tests) != 2 {
		t.Fatalf("m/p timings %+v, want TestA and TestB (no subtests)", p)
	}
	// 3 s of tests in a 2 s package: scaled to 1 s each, no overhead left.
	if !near(p.Tests["TestA"], 1) || !near(p.Tests["TestB"], 1) || p.Overhead != 0 || !near(p.Seconds(), 2) {
		t.Errorf("m/p %+v: want each test 1 s, overhead 0, 2 s in all", p)
	}
	if _, ok := tm.Packages["m/broken"]; ok {
		t.Error("a package that did not build has timings")
	}
	if q := tm.Packages["m/notests"]; q == nil || q.Seconds() != 0 {
		t.Errorf("m/notests %+v, want known and 0 s", q)
	}
}

// A cached result replays old test times under today's date with a package time of 0:
// learning from it would date old times as new and scale every test to nothing.
func TestCachedResultsTeachNothing(t *testing.T) {
	cached := `{"Time":"2026-12-03T10:00:00Z","Action":"pass","Package":"m/p","Test":"TestA","Elapsed":3}
{"Time":"2026-12-03T10:00:00Z","Action":"output","Package":"m/p","Output":"ok  \tm/p\t(cached)\n"}
{"Time":"2026-12-03T10:00:00Z","Action":"pass","Package":"m/p","Elapsed":0}
`
	tm, err := shard.ReadTimings(strings.NewReader(laterRun + cached))
	if err != nil {
		t.Fatal(err)
	}
	if p := tm.Packages["m/p"]; p == nil || !near(p.Tests["TestA"], 4) || !near(p.Overhead, 0.5) {
		t.Errorf("m/p %+v, want the real run's TestA 4 s and overhead 0.5 s", p)
	}
}

func TestNewestTimingWins(t *testing.T) {
	older, err := shard.ReadTimings(strings.NewReader(parallelRun))
	if err != nil {
		t.Fatal(err)
	}
	newer, err := shard.ReadTimings(strings.NewReader(laterRun))
	if err != nil {
		t.Fatal(err)
	}
	// Either order of files gives the same result: the measurement's time decides.
	for _, order := range [][]*shard.Timings{{older, newer}, {newer, older}} {
		m := shard.NewTimings()
		for _, tm := range order {
			m.Merge(tm)
		}
		p := m.Packages["m/p"]
		if !near(p.Tests["TestA"], 4) || !near(p.Overhead, 0.5) {
			t.Errorf("TestA %v overhead %v, want the later run's 4 and 0.5", p.Tests["TestA"], p.Overhead)
		}
		if !near(p.Tests["TestB"], 1) {
			t.Errorf("TestB %v: the later run (a shard) did not run it, the older time must stay", p.Tests["TestB"])
		}
	}
}

func TestReadTimingsRejectsOtherFiles(t *testing.T) {
	for _, in := range []string{"hello\nworld\n", `{"version": 99, "packages": {}}`} {
		if _, err := shard.ReadTimings(strings.NewReader(in)); err == nil {
			t.Errorf("%q accepted as timings", in)
		}
	}
	if tm, err := shard.ReadTimings(strings.NewReader("")); err != nil || len(tm.Packages) != 0 {
		t.Errorf("an empty file: %v %v, want no timings and no error (a first run has none)", tm, err)
	}
}
