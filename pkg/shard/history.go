package shard

import (
	"cmp"
	"encoding/json"
	"math"
	"slices"
)

// DefaultMaxTests bounds a history file: at about 40 bytes a test, 10 000 tests and their
// packages stay well inside a Kubernetes ConfigMap's 1 MiB, where a cluster keeps it.
const DefaultMaxTests = 10000

// Bound drops what the history can best do without until it holds at most maxTests tests:
// first whole packages, least recently run first (a deleted or renamed package never runs
// again), then, if one package alone is larger, its fastest tests (the planner guesses those
// as the median, which is close for fast tests). It returns the number of tests dropped.
func (t *Timings) Bound(maxTests int) int {
	maxTests = max(maxTests, 0)
	n := 0
	for _, p := range t.Packages {
		n += len(p.Tests)
	}
	if n <= maxTests {
		return 0
	}
	paths := make([]string, 0, len(t.Packages))
	for path := range t.Packages {
		paths = append(paths, path)
	}
	// Oldest first; ties by path so the same history is bounded the same way everywhere.
	slices.SortFunc(paths, func(a, b string) int {
		if c := t.Packages[a].At.Compare(t.Packages[b].At); c != 0 {
			return c
		}
		return cmp.Compare(a, b)
	})
	dropped := 0
	for _, path := range paths[:len(paths)-1] {
		if n <= maxTests {
			return dropped
		}
		k := len(t.Packages[path].Tests)
		delete(t.Packages, path)
		n -= k
		dropped += k
	}
	if n > maxTests { // one package, the newest, is left and is still too big
		last := t.Packages[paths[len(paths)-1]]
		names := make([]string, 0, len(last.Tests))
		for name := range last.Tests {
			names = append(names, name)
		}
		slices.SortFunc(names, func(a, b string) int {
			if c := cmp.Compare(last.Tests[a], last.Tests[b]); c != 0 {
				return c
			}
			return cmp.Compare(a, b)
		})
		for _, name := range names[:n-maxTests] {
			delete(last.Tests, name)
			dropped++
		}
	}
	return dropped
}

// MarshalHistory writes the history file: times rounded to milliseconds (go test measures
// tests in hundredths anyway), which keeps the file small and its diffs readable.
func (t *Timings) MarshalHistory() ([]byte, error) {
	out := NewTimings()
	for path, p := range t.Packages {
		q := &PackageTimes{Overhead: ms(p.Overhead), At: p.At.UTC(), Tests: map[string]float64{}}
		for name, d := range p.Tests {
			q.Tests[name] = ms(d)
		}
		out.Packages[path] = q
	}
	return json.MarshalIndent(out, "", " ")
}

func ms(s float64) float64 { return math.Round(s*1000) / 1000 }
