package testreport_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/rigger-ci/rigger/pkg/testreport"
)

// The real apimachinery run survives the trip through a log: printed as a block among other
// lines, read back as the same counts, failures and annotations.
func TestSummaryBlockRoundTrip(t *testing.T) {
	r := testreport.New()
	if _, err := r.Add("shard-0", bytes.NewReader(apimachinery(t))); err != nil {
		t.Fatal(err)
	}
	want := r.Summary("k8s.io/apimachinery", "staging/apimachinery")
	var log bytes.Buffer
	log.WriteString("tests: 772 run\nFAIL something\n")
	if err := testreport.WriteBlock(&log, want); err != nil {
		t.Fatal(err)
	}
	got, err := testreport.ParseBlock(log.String())
	if err != nil {
		t.Fatal(err)
	}
	if got.Counts != want.Counts || got.Counts.Run != 772 || got.Counts.Failed != 1 {
		t.Errorf("counts %+v, want %+v", got.Counts, want.Counts)
	}
	if len(got.Annotations) != 4 || got.Annotations[0].Path != want.Annotations[0].Path ||
		!strings.HasPrefix(got.Annotations[0].Path, "staging/apimachinery/pkg/") || got.Annotations[0].Line < 1 {
		t.Errorf("annotations %+v", got.Annotations)
	}
	if len(got.BrokenPackages) != 2 || len(got.Slowest) != 10 || len(got.Shards) != 1 {
		t.Errorf("broken %v, %d slowest, %d shards", got.BrokenPackages, len(got.Slowest), len(got.Shards))
	}
	if got.OK() {
		t.Error("a summary with failures is OK")
	}
}

func TestParseBlockTakesTheLastCompleteBlock(t *testing.T) {
	block := func(run int) string {
		var b bytes.Buffer
		testreport.WriteBlock(&b, testreport.Summary{Version: 1, Counts: testreport.Counts{Run: run}})
		return b.String()
	}
	log := block(1) + "noise\n" + block(2) + testreport.BlockBegin + "\n{\"version\":1,\"counts\":{\"Run\":3}}\n"
	s, err := testreport.ParseBlock(log)
	if err != nil || s.Counts.Run != 2 {
		t.Errorf("got %+v, %v; want the last complete block (2 run)", s.Counts, err)
	}
	if _, err := testreport.ParseBlock("no block here\n"); err != testreport.ErrNoBlock {
		t.Errorf("err %v, want ErrNoBlock", err)
	}
	if _, err := testreport.ParseBlock(testreport.BlockBegin + "\n{\"version\":9}\n" + testreport.BlockEnd); err == nil {
		t.Error("an unknown version was accepted")
	}
	huge := testreport.BlockBegin + "\n" + strings.Repeat("x", testreport.MaxBlockBytes+1) + "\n" + testreport.BlockEnd + "\n"
	if _, err := testreport.ParseBlock(huge); err != testreport.ErrNoBlock {
		t.Errorf("a block over the limit: err %v, want it dropped", err)
	}
}

// A block is written by the code under test: it cannot point annotations outside the
// repository, send more than GitHub takes, or put HTML, links or broken tables in the
// check run.
func TestHostileBlockIsBounded(t *testing.T) {
	s := testreport.Summary{Version: 1, Counts: testreport.Counts{Run: 1, Failed: 1}}
	for i := range 500 {
		s.Failed = append(s.Failed, testreport.Item{Package: "m", Name: fmt.Sprintf("Test%d", i)})
		s.Annotations = append(s.Annotations, testreport.Annotation{Path: fmt.Sprintf("a/f%d.go", i), Line: i, Level: "failure", Message: "m"})
	}
	s.Failed[0].Name = "TestX/<img src=x onerror=alert(1)>|`tick``|\n# heading"
	s.Annotations[0].Path = "../../etc/passwd"
	s.Annotations[1].Path = "/abs/path.go"
	s.Annotations[2].Level = "danger"
	s.Annotations[2].Message = ""
	var log bytes.Buffer
	// WriteBlock bounds too, so marshal by hand what a hostile step would print.
	log.WriteString(testreport.BlockBegin + "\n")
	fmt.Fprintf(&log, "%s\n", mustJSON(t, s))
	log.WriteString(testreport.BlockEnd + "\n")
	got, err := testreport.ParseBlock(log.String())
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Annotations) != testreport.MaxAnnotations {
		t.Errorf("%d annotations, want at most %d", len(got.Annotations), testreport.MaxAnnotations)
	}
	for _, a := range got.Annotations {
		if strings.HasPrefix(a.Path, "/") || strings.Contains(a.Path, "..") {
			t.Errorf("annotation path %q leaves the repository", a.Path)
		}
		if a.Level != "failure" && a.Level != "warning" && a.Level != "notice" {
			t.Errorf("annotation level %q", a.Level)
		}
		if a.Message == "" {
			t.Error("an annotation without a message: GitHub refuses it")
		}
	}
	if got.MoreAnnotations != 450 {
		t.Errorf("%d annotations said to be left out, want 450", got.MoreAnnotations)
	}
	if len(got.Failed) != 50 || got.MoreFailed != 450 {
		t.Errorf("%d failed listed, %d more; want 50 and 450", len(got.Failed), got.MoreFailed)
	}
	var md bytes.Buffer
	if err := got.Markdown(&md); err != nil {
		t.Fatal(err)
	}
	line := ""
	for _, l := range strings.Split(md.String(), "\n") {
		if strings.Contains(l, "TestX/") {
			line = l
		}
	}
	// The name is one code span fenced by three backticks (it holds a run of two), its
	// pipes escaped, on one line: the row keeps its three cells.
	if want := "| ```TestX/<img src=x onerror=alert(1)>\\|`tick``\\| # heading``` | `m` |  |"; line != want {
		t.Errorf("row\n%s\nwant\n%s", line, want)
	}
	if !strings.Contains(md.String(), "and 450 more failed tests") || !strings.Contains(md.String(), "450 more failures are not annotated") {
		t.Errorf("markdown does not say what was left out:\n%s", md.String())
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
