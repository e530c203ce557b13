package shard

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/rigger-ci/rigger/pkg/testjson"
)

// Timings are what a plan learns from earlier runs: per package, the time its test binary
// spends outside its top-level tests, and each top-level test's share of the package's wall
// time. It is also the history file's format (see history.go).
type Timings struct {
	Version  int                      `json:"version"`
	Packages map[string]*PackageTimes `json:"packages"`
}

// PackageTimes are one package's timings.
type PackageTimes struct {
	// Overhead is the binary's elapsed time not spent in top-level tests: start-up, init,
	// TestMain. A shard that runs part of a split package pays it again.
	Overhead float64 `json:"overhead"`
	// Tests are each top-level test's seconds of the package's wall time. With t.Parallel the
	// tests' own durations add up to more than the package took, so they are scaled down to
	// the package's elapsed time: then any subset of tests costs Overhead plus its sum, which
	// is what a shard running that subset with -run pays.
	Tests map[string]float64 `json:"tests,omitempty"`
	// At is when the package last ran (its final event's time): the newest run wins, and
	// the history evicts the packages not seen the longest.
	At time.Time `json:"at"`
}

// Seconds is the package's whole run: overhead plus every test it has a time for.
func (p *PackageTimes) Seconds() float64 {
	s := p.Overhead
	for _, d := range p.Tests {
		s += d
	}
	return s
}

// TimingsVersion is the history file's format version.
const TimingsVersion = 1

// NewTimings returns empty timings.
func NewTimings() *Timings {
	return &Timings{Version: TimingsVersion, Packages: map[string]*PackageTimes{}}
}

// Merge adds other's timings. Per test and per package overhead, the newer measurement wins.
// Newest rather than an average: a test that became slow should move at once, and the
// history then needs one number per test, which keeps it small. Ties go to other, so merging
// files in the order given is deterministic.
func (t *Timings) Merge(other *Timings) {
	for path, o := range other.Packages {
		p, ok := t.Packages[path]
		if !ok {
			p = &PackageTimes{Tests: map[string]float64{}}
			t.Packages[path] = p
		}
		newer := !o.At.Before(p.At)
		if newer {
			p.Overhead = o.Overhead
			p.At = o.At
		}
		for name, d := range o.Tests {
			if _, known := p.Tests[name]; !known || newer {
				p.Tests[name] = d
			}
		}
	}
}

// ReadTimings reads either a history file (a JSON object with "version") or the output of
// `go test -json`, so one flag takes both.
func ReadTimings(r io.Reader) (*Timings, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, err
	}
	var h Timings
	if json.Unmarshal(data, &h) == nil && h.Version > 0 {
		if h.Version > TimingsVersion {
			return nil, fmt.Errorf("timings file version %d is newer than this Rigger reads (%d)", h.Version, TimingsVersion)
		}
		if h.Packages == nil {
			h.Packages = map[string]*PackageTimes{}
		}
		for _, p := range h.Packages {
			if p.Tests == nil {
				p.Tests = map[string]float64{}
			}
		}
		return &h, nil
	}
	t, st, err := FromTestJSON(bytes.NewReader(data))
	if err != nil {
		return nil, err
	}
	if st.Events == 0 && len(bytes.TrimSpace(data)) > 0 {
		return nil, fmt.Errorf("neither a timings file nor go test -json output")
	}
	return t, nil
}

// FromTestJSON turns one `go test -json` stream into timings. A package that ran more than
// once in the stream (a retry appended, -count) keeps, per test, its last measurement.
func FromTestJSON(r io.Reader) (*Timings, testjson.Stats, error) {
	t := NewTimings()
	type run struct {
		tests  map[string]float64
		cached bool
	}
	open := map[string]*run{}
	st, err := testjson.Read(r, func(e testjson.Event) error {
		if e.Package == "" {
			return nil
		}
		cur := open[e.Package]
		if cur == nil {
			cur = &run{tests: map[string]float64{}}
			open[e.Package] = cur
		}
		if e.Action == "output" && e.Test == "" && strings.Contains(e.Output, "\t(cached)") {
			cur.cached = true
		}
		if !e.Done() {
			return nil
		}
		if e.Test != "" {
			if e.TopLevel() {
				cur.tests[e.Test] = max(e.Elapsed, 0)
			}
			return nil
		}
		delete(open, e.Package)
		if e.FailedBuild != "" || cur.cached {
			// Nothing ran: a build failure has no times, and a cached result replays an
			// earlier run's test times with a package time of 0 and today's date.
			return nil
		}
		elapsed := max(e.Elapsed, 0)
		var sum float64
		for _, d := range cur.tests {
			sum += d
		}
		scale := 1.0
		if sum > elapsed && sum > 0 {
			scale = elapsed / sum // parallel tests overlapped
		}
		p := &PackageTimes{Overhead: max(elapsed-sum, 0), Tests: map[string]float64{}, At: e.Time}
		for name, d := range cur.tests {
			p.Tests[name] = d * scale
		}
		one := &Timings{Packages: map[string]*PackageTimes{e.Package: p}}
		t.Merge(one)
		return nil
	})
	return t, st, err
}
