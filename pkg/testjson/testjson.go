// Package testjson reads the event stream that `go test -json` (cmd/test2json) writes.
//
// Both the shard planner (timings) and the test report (results) read it, so the rules for
// what counts as an event live here once.
package testjson

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"strings"
	"time"
)

// Event is one line of `go test -json`, with the fields cmd/test2json documents.
type Event struct {
	Time        time.Time `json:"Time,omitzero"`
	Action      string    `json:"Action"`
	Package     string    `json:"Package,omitempty"`
	Test        string    `json:"Test,omitempty"`
	Elapsed     float64   `json:"Elapsed,omitempty"` // seconds
	Output      string    `json:"Output,omitempty"`
	FailedBuild string    `json:"FailedBuild,omitempty"`
}

// Actions that end a test or a package.
const (
	Pass = "pass"
	Fail = "fail"
	Skip = "skip"
)

// Done tells whether the event ends its test (or, with no Test, its package).
func (e Event) Done() bool { return e.Action == Pass || e.Action == Fail || e.Action == Skip }

// TopLevel tells whether the event is about a top-level test: `-run` patterns select those,
// and a subtest's time is already inside its parent's.
func (e Event) TopLevel() bool { return e.Test != "" && !strings.Contains(e.Test, "/") }

// MaxLine bounds one line. test2json splits long output itself, so a longer line is not an
// event, and reading it whole would let one runaway line take all the memory.
const MaxLine = 1 << 20

// Stats counts what a read skipped, so callers can say when a file was not go test -json at all.
type Stats struct {
	Events  int
	Skipped int // lines that are not events: build output, truncated lines, other JSON
}

// Read calls fn for every event of r in order. Lines that are not events are counted and
// skipped rather than failing the read: `go test -json 2>&1` interleaves the compiler's plain
// text, and a report that lost a whole shard over one such line would lose what matters.
// An error from fn stops the read and is returned.
func Read(r io.Reader, fn func(Event) error) (Stats, error) {
	var st Stats
	br := bufio.NewReaderSize(r, 64<<10)
	var long bool // inside a line longer than MaxLine: skip up to its end
	var buf []byte
	for {
		chunk, err := br.ReadSlice('\n')
		if len(chunk) > 0 {
			if !long {
				buf = append(buf, chunk...)
			}
			if len(buf) > MaxLine {
				buf, long = buf[:0], true
			}
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		if err != nil && !errors.Is(err, io.EOF) {
			return st, err
		}
		atEOF := err != nil
		if long {
			st.Skipped++
			long = false
		} else if line := bytes.TrimSpace(buf); len(line) > 0 {
			if ev, ok := decode(line); ok {
				st.Events++
				if ferr := fn(ev); ferr != nil {
					return st, ferr
				}
			} else {
				st.Skipped++
			}
		}
		buf = buf[:0]
		if atEOF {
			return st, nil
		}
	}
}

func decode(line []byte) (Event, bool) {
	if line[0] != '{' {
		return Event{}, false
	}
	var ev Event
	if err := json.Unmarshal(line, &ev); err != nil || ev.Action == "" {
		return Event{}, false
	}
	return ev, true
}
