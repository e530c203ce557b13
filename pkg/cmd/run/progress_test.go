package run

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/rigger-ci/rigger/pkg/executor/local"
	runmodel "github.com/rigger-ci/rigger/pkg/run"
)

func events() []local.Event {
	return []local.Event{
		{Kind: local.RunStarted, Run: "unit-abc"},
		{Kind: local.TaskStarted, Run: "unit-abc", Task: "test", Time: time.Now()},
		{Kind: local.StepStarted, Run: "unit-abc", Task: "test", Step: "go-test"},
		{Kind: local.StepFinished, Run: "unit-abc", Task: "test", Step: "go-test", State: runmodel.Failed, ExitCode: 2, Duration: 1500 * time.Millisecond},
		{Kind: local.TaskFinished, Run: "unit-abc", Task: "test", State: runmodel.Failed, Reason: "Failed", Duration: 1500 * time.Millisecond},
		{Kind: local.TaskFinished, Run: "unit-abc", Task: "build", State: runmodel.Skipped, Reason: "parent tasks failed"},
		{Kind: local.RunFinished, Run: "unit-abc", State: runmodel.Failed, Reason: "Failed", Duration: 2 * time.Second},
	}
}

func TestProgressPlainPrintsALinePerEvent(t *testing.T) {
	var out bytes.Buffer
	p := newProgress(&out, false)
	p.expect("unit-abc", "unit")
	p.startTicker()
	for _, ev := range events() {
		p.handle(ev)
	}
	p.close()
	want := `unit: started (run unit-abc)
unit/test: started
unit/test/go-test: started
unit/test/go-test: failed with exit code 2 in 1.5s
unit/test: failed in 1.5s
unit/build: skipped (parent tasks failed)
unit: failed in 2s
`
	if out.String() != want {
		t.Errorf("got\n%s\nwant\n%s", out.String(), want)
	}
}

func TestProgressTerminalKeepsOneStatusLine(t *testing.T) {
	var out bytes.Buffer
	p := newProgress(&out, true)
	p.expect("unit-abc", "unit")
	p.startTicker()
	evs := events()
	for _, ev := range evs[:3] {
		p.handle(ev)
	}
	time.Sleep(250 * time.Millisecond) // the spinner turns while the task runs
	for _, ev := range evs[3:] {
		p.handle(ev)
	}
	p.close()
	s := out.String()
	if !strings.Contains(s, "\r\033[K") || !strings.Contains(s, "running unit/test") {
		t.Errorf("no live status line naming the running task: %q", s)
	}
	// Permanent lines only for what ended, and the status line cleared at the end.
	plain := strings.ReplaceAll(s, "\r\033[K", "\n")
	for _, want := range []string{"✗ unit/test/go-test: failed with exit code 2", "✗ unit/test: failed in 1.5s", "- unit/build: skipped", "✗ unit: failed in 2s"} {
		if !strings.Contains(plain, want) {
			t.Errorf("lacks %q: %q", want, s)
		}
	}
	if strings.Contains(plain, "unit/test: started") {
		t.Errorf("a terminal got a line per start: %q", s)
	}
	if !strings.HasSuffix(s, "\r\033[K") && !strings.HasSuffix(s, "\n") {
		t.Errorf("the status line is left on screen: %q", s)
	}
}
