package testreport

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"path"
	"strings"
)

// Summary is a report reduced to what a check run shows: counts, the failed and flaky tests,
// the slowest ten, each shard's wall time and the annotations. It is small and bounded, so
// the pipeline's report step can print it in its log (WriteBlock), where Rigger's reporter
// reads it back (ParseBlock) on either executor with the same log access it already has:
// no shared volume, no extra cluster permission, and no Tekton result (4 KB at most with
// the default results-from, far less than fifty annotations).
type Summary struct {
	Version int    `json:"version"`
	Counts  Counts `json:"counts"`
	Failed  []Item `json:"failed,omitempty"`
	// MoreFailed counts failed tests left out of Failed.
	MoreFailed int         `json:"moreFailed,omitempty"`
	Flaky      []Item      `json:"flaky,omitempty"`
	MoreFlaky  int         `json:"moreFlaky,omitempty"`
	Slowest    []Item      `json:"slowest,omitempty"`
	Shards     []ShardTime `json:"shards,omitempty"`
	// BrokenPackages failed outside any test (build failure, panic, timeout).
	BrokenPackages []string     `json:"brokenPackages,omitempty"`
	Annotations    []Annotation `json:"annotations,omitempty"`
	// MoreAnnotations counts the annotations beyond GitHub's limit, which are not sent.
	MoreAnnotations int `json:"moreAnnotations,omitempty"`
}

// Item is one test in a summary's lists.
type Item struct {
	Package string  `json:"package"`
	Name    string  `json:"name"`
	Seconds float64 `json:"seconds,omitempty"`
	// File and Line are where it first failed, as go test prints it (base name).
	File string `json:"file,omitempty"`
	Line int    `json:"line,omitempty"`
}

// ShardTime is a shard's wall time.
type ShardTime struct {
	Name    string  `json:"name"`
	Seconds float64 `json:"seconds"`
}

// SummaryVersion is the version of the Summary's JSON.
const SummaryVersion = 1

// Bounds of a summary: what a check run can usefully show, and what keeps the block a
// reporter reads from a log small whoever wrote it.
const (
	maxListed   = 50
	maxSlowest  = 10
	maxShards   = 256
	maxNameLen  = 300
	maxMsgLen   = 4000
	maxTitleLen = 255 // GitHub's limit on an annotation's title
	// MaxBlockBytes bounds the block a reporter accepts from a log.
	MaxBlockBytes = 256 << 10
)

// Summary reduces the report for a check run; module and dir are as for Annotations.
func (r *Report) Summary(module, dir string) Summary {
	s := Summary{Version: SummaryVersion, Counts: r.Counts()}
	item := func(t *Test) Item {
		it := Item{Package: t.Package, Name: t.Name, Seconds: t.Seconds}
		if len(t.Failures) > 0 {
			it.File, it.Line = t.Failures[0].File, t.Failures[0].Line
		}
		return it
	}
	for _, t := range r.Failed() {
		if len(s.Failed) == maxListed {
			s.MoreFailed++
			continue
		}
		s.Failed = append(s.Failed, item(t))
	}
	for _, t := range r.Flaky() {
		if len(s.Flaky) == maxListed {
			s.MoreFlaky++
			continue
		}
		s.Flaky = append(s.Flaky, item(t))
	}
	for _, t := range r.Slowest(maxSlowest) {
		s.Slowest = append(s.Slowest, item(t))
	}
	for _, sh := range r.Shards {
		s.Shards = append(s.Shards, ShardTime{Name: sh.Name, Seconds: sh.Wall.Seconds()})
		s.BrokenPackages = append(s.BrokenPackages, sh.BrokenPackages...)
	}
	all := r.Annotations(module, dir, math.MaxInt)
	s.Annotations = all[:min(len(all), MaxAnnotations)]
	s.MoreAnnotations = len(all) - len(s.Annotations)
	return s.Bounded()
}

// OK tells whether the summary shows no failure: flaky tests passed.
func (s Summary) OK() bool {
	return s.Counts.Failed == 0 && len(s.Failed) == 0 && len(s.BrokenPackages) == 0
}

// CountsLine is the counts in one line, for a commit status's description.
func (s Summary) CountsLine() string {
	c := s.Counts
	return fmt.Sprintf("%d tests: %d failed, %d flaky, %d skipped", c.Run, c.Failed, c.Flaky, c.Skipped)
}

// Bounded returns s cut to the summary's bounds, with every annotation's path relative
// and clean, and its strings cut: a summary read from a log was written by the code under
// test, and must not make the check run (or the reporter's memory) whatever it likes.
func (s Summary) Bounded() Summary {
	cutItems := func(items []Item, n int) ([]Item, int) {
		more := max(len(items)-n, 0)
		items = items[:min(len(items), n)]
		out := make([]Item, 0, len(items))
		for _, it := range items {
			it.Package, it.Name, it.File = cut(it.Package, maxNameLen), cut(it.Name, maxNameLen), cut(it.File, maxNameLen)
			if it.Line < 0 {
				it.Line = 0
			}
			out = append(out, it)
		}
		return out, more
	}
	var more int
	s.Failed, more = cutItems(s.Failed, maxListed)
	s.MoreFailed = max(s.MoreFailed, 0) + more
	s.Flaky, more = cutItems(s.Flaky, maxListed)
	s.MoreFlaky = max(s.MoreFlaky, 0) + more
	s.Slowest, _ = cutItems(s.Slowest, maxSlowest)
	s.Shards = s.Shards[:min(len(s.Shards), maxShards)]
	for i := range s.Shards {
		s.Shards[i].Name = cut(s.Shards[i].Name, maxNameLen)
	}
	if len(s.BrokenPackages) > maxListed {
		s.BrokenPackages = s.BrokenPackages[:maxListed]
	}
	for i := range s.BrokenPackages {
		s.BrokenPackages[i] = cut(s.BrokenPackages[i], maxNameLen)
	}
	s.MoreAnnotations = max(s.MoreAnnotations, 0)
	var anns []Annotation
	for _, a := range s.Annotations {
		p := path.Clean(strings.ReplaceAll(a.Path, `\`, "/"))
		// "." is a failure with no file:line in a module at the repository's root: GitHub
		// takes a file's path, and the summary lists the test anyway.
		if len(anns) == MaxAnnotations || p == "." || p == ".." || strings.HasPrefix(p, "../") || path.IsAbs(p) || len(p) > maxNameLen {
			s.MoreAnnotations++
			continue
		}
		if a.Level != "failure" && a.Level != "warning" {
			a.Level = "notice"
		}
		a.Path, a.Line = p, max(a.Line, 1)
		a.Title, a.Message = cut(a.Title, maxTitleLen), cut(a.Message, maxMsgLen)
		if strings.TrimSpace(a.Message) == "" {
			a.Message = a.Title // GitHub requires a message
		}
		if strings.TrimSpace(a.Message) == "" {
			a.Message = "failed"
		}
		anns = append(anns, a)
	}
	s.Annotations = anns
	return s
}

// cut shortens s to at most n bytes on a rune boundary.
func cut(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && s[n]&0xC0 == 0x80 {
		n--
	}
	return s[:n] + "…"
}

// The lines that delimit a summary in a log. They name Rigger so that no test prints them
// by chance; the reporter takes the last complete block, which the report step prints last.
const (
	BlockBegin = "::rigger-test-report-begin::"
	BlockEnd   = "::rigger-test-report-end::"
)

// ReportStep is the name of the step whose log carries the block: the catalog's
// go-test-report task's step. The reporter reads the log of a step so named, in any task.
const ReportStep = "rigger-test-report"

// WriteBlock prints s as one JSON line between the delimiters.
func WriteBlock(w io.Writer, s Summary) error {
	data, err := json.Marshal(s.Bounded())
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(w, "%s\n%s\n%s\n", BlockBegin, data, BlockEnd)
	return err
}

// ErrNoBlock says a log holds no complete summary block.
var ErrNoBlock = errors.New("no test report block in the log")

// ParseBlock finds the last complete block in a log and returns its summary, bounded. A
// block larger than MaxBlockBytes, or not a summary of a known version, is an error.
func ParseBlock(log string) (Summary, error) {
	var body, cur []string
	in, size := false, 0
	for _, line := range strings.Split(log, "\n") {
		line = strings.TrimRight(line, "\r")
		switch {
		case line == BlockBegin:
			in, cur, size = true, nil, 0
		case line == BlockEnd && in:
			in, body = false, cur
		case in:
			size += len(line) + 1
			if size > MaxBlockBytes {
				in = false // too large: dropped, whatever it holds
				continue
			}
			cur = append(cur, line)
		}
	}
	if body == nil {
		return Summary{}, ErrNoBlock
	}
	var s Summary
	if err := json.Unmarshal([]byte(strings.Join(body, "\n")), &s); err != nil {
		return Summary{}, fmt.Errorf("test report block: %w", err)
	}
	if s.Version != SummaryVersion {
		return Summary{}, fmt.Errorf("test report block: version %d, want %d", s.Version, SummaryVersion)
	}
	return s.Bounded(), nil
}
