package testreport_test

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/rigger-ci/rigger/pkg/testreport"
)

// apimachinery is a real go test -json run (testdata/README.md): four subtests of
// TestGetNameFromCallsite failed with file:line, and two packages panicked in init.
func apimachinery(t testing.TB) []byte {
	t.Helper()
	fh, err := os.Open(filepath.Join("..", "..", "testdata", "gotest", "k8s.io-apimachinery-v0.35.8.json.gz"))
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	zr, err := gzip.NewReader(fh)
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if _, err := b.ReadFrom(zr); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestRealRun(t *testing.T) {
	r := testreport.New()
	if _, err := r.Add("shard-0", bytes.NewReader(apimachinery(t))); err != nil {
		t.Fatal(err)
	}
	c := r.Counts()
	if c.Run != 772 || c.Failed != 1 || c.Flaky != 0 || c.Passed+c.Failed+c.Skipped != c.Run {
		t.Errorf("counts %+v, want 772 run, 1 failed", c)
	}
	if r.OK() {
		t.Error("a run with failures is OK")
	}
	want := []string{"k8s.io/apimachinery/pkg/util/managedfields", "k8s.io/apimachinery/pkg/util/managedfields/internal"}
	if got := r.Shards[0].BrokenPackages; !reflect.DeepEqual(got, want) {
		t.Errorf("broken packages %v, want %v (they panicked in init)", got, want)
	}
	if w := r.Shards[0].Wall; w < 5*time.Second || w > 10*time.Minute {
		t.Errorf("wall time %v", w)
	}
	anns := r.Annotations("k8s.io/apimachinery", "", testreport.MaxAnnotations)
	if len(anns) != 4 {
		t.Fatalf("%d annotations, want one per failed subtest's line: %+v", len(anns), anns)
	}
	a := anns[0]
	if a.Path != "pkg/util/naming/from_stack_test.go" || a.Line != 55 || a.Level != "failure" ||
		!strings.HasPrefix(a.Message, `expected string with prefix "k8s.io/apimachinery/pkg/util/naming/from_stack_test.go:"`) ||
		!strings.HasPrefix(a.Title, "TestGetNameFromCallsite/") {
		t.Errorf("annotation %+v", a)
	}
	if got := r.Retries(); len(got) != 1 || got[0].Package != "k8s.io/apimachinery/pkg/util/naming" || got[0].Run != "^(TestGetNameFromCallsite)$" {
		t.Errorf("retries %+v, want the one failed top-level test", got)
	}
	var text bytes.Buffer
	if err := r.Text(&text); err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{
		"tests: 772 run, ",
		"FAIL k8s.io/apimachinery/pkg/util/naming TestGetNameFromCallsite/simple (0.00s)\n    from_stack_test.go:55: expected",
		"FAIL k8s.io/apimachinery/pkg/util/managedfields (no test failed",
		"slowest:\n     5.09s  k8s.io/apimachinery/pkg/util/cache TestStressExpiringCache\n",
		"shards:\n",
	} {
		if !strings.Contains(text.String(), s) {
			t.Errorf("text lacks %q:\n%s", s, text.String())
		}
	}
	if n := strings.Count(text.String()[strings.Index(text.String(), "slowest:"):strings.Index(text.String(), "shards:")], "\n"); n != 11 {
		t.Errorf("slowest lists %d lines, want the heading and ten", n)
	}
}

// event is one go test -json line.
func event(at int, action, pkg, test string, elapsed float64, output string) string {
	return fmt.Sprintf(`{"Time":"2026-12-04T10:00:%02dZ","Action":%q,"Package":%q,"Test":%q,"Elapsed":%v,"Output":%q}`+"\n",
		at, action, pkg, test, elapsed, output)
}

func TestRetryThatPassesIsFlaky(t *testing.T) {
	shard0 := event(0, "start", "m/a", "", 0, "") +
		event(1, "output", "m/a", "TestFlaky", 0, "    a_test.go:12: timed out\n") +
		event(1, "output", "m/a", "TestFlaky", 0, "        waiting for the server\n") +
		event(2, "fail", "m/a", "TestFlaky", 1, "") +
		event(3, "output", "m/a", "TestBroken", 0, "    a_test.go:30: wrong answer\n") +
		event(3, "fail", "m/a", "TestBroken", 0.5, "") +
		event(3, "pass", "m/a", "TestOK", 2, "") +
		event(4, "fail", "m/a", "", 4, "") +
		// the shard's retry of its failed tests, appended to the same report
		event(5, "pass", "m/a", "TestFlaky", 1.5, "") +
		event(6, "output", "m/a", "TestBroken", 0, "    a_test.go:30: wrong answer\n") +
		event(6, "fail", "m/a", "TestBroken", 0.5, "") +
		event(7, "fail", "m/a", "", 2, "")
	shard1 := event(0, "skip", "m/b", "TestSkipped", 0, "") +
		event(10, "pass", "m/b", "", 0, "")
	r := testreport.New()
	for name, in := range map[string]string{"0": shard0, "1": shard1} {
		if _, err := r.Add(name, strings.NewReader(in)); err != nil {
			t.Fatal(err)
		}
	}
	if c := r.Counts(); c != (testreport.Counts{Run: 4, Passed: 2, Failed: 1, Skipped: 1, Flaky: 1}) {
		t.Errorf("counts %+v", c)
	}
	anns := r.Annotations("m", "go", 50)
	want := []testreport.Annotation{
		{Path: "go/a/a_test.go", Line: 30, Level: "failure", Title: "TestBroken failed", Message: "wrong answer"},
		{Path: "go/a/a_test.go", Line: 12, Level: "warning", Title: "TestFlaky is flaky: failed, then passed on retry", Message: "timed out\nwaiting for the server"},
	}
	if !reflect.DeepEqual(anns, want) {
		t.Errorf("annotations\n%+v\nwant\n%+v", anns, want)
	}
	for _, s := range r.Shards {
		if len(s.BrokenPackages) != 0 {
			t.Errorf("shard %s: broken %v, but every failure was a test's", s.Name, s.BrokenPackages)
		}
	}
	if got := r.Retries(); len(got) != 1 || got[0].Run != "^(TestBroken)$" {
		t.Errorf("retries %+v, want only the test still failing", got)
	}
	var md bytes.Buffer
	if err := r.Markdown(&md); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(md.String(), "| `TestBroken` | `m/a` | `a_test.go:30` |") || !strings.Contains(md.String(), "- `TestFlaky` in `m/a`") {
		t.Errorf("markdown:\n%s", md.String())
	}
}

func TestAnnotationsAreCapped(t *testing.T) {
	var in strings.Builder
	for i := range 80 {
		name := fmt.Sprintf("Test%02d", i)
		in.WriteString(event(1, "output", "m/a", name, 0, fmt.Sprintf("    a_test.go:%d: no\n", i+1)))
		in.WriteString(event(1, "fail", "m/a", name, 0, ""))
	}
	r := testreport.New()
	if _, err := r.Add("0", strings.NewReader(in.String())); err != nil {
		t.Fatal(err)
	}
	anns := r.Annotations("m", "", testreport.MaxAnnotations)
	if len(anns) != 50 || anns[0].Line != 1 || anns[49].Line != 50 {
		t.Errorf("%d annotations (first line %d), want GitHub's 50, in order", len(anns), anns[0].Line)
	}
	if c := r.Counts(); c.Failed != 80 {
		t.Errorf("the cap lost failures from the counts: %+v", c)
	}
}

// FuzzAdd: whatever a shard's report holds, the report neither panics nor counts a test
// outside exactly one outcome, and its annotations stay within the cap.
func FuzzAdd(f *testing.F) {
	f.Add([]byte(event(1, "output", "m", "TestA", 0, "    a_test.go:3: x\n") + event(2, "fail", "m", "TestA", 0, "") + event(3, "pass", "m", "TestA", 0, "")))
	f.Add([]byte(event(1, "fail", "m", "", 0, "") + "garbage\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > 1<<16 {
			return
		}
		r := testreport.New()
		if _, err := r.Add("0", bytes.NewReader(data)); err != nil {
			t.Fatal(err)
		}
		c := r.Counts()
		if c.Passed+c.Failed+c.Skipped > c.Run || c.Flaky > c.Passed {
			t.Fatalf("counts %+v", c)
		}
		if len(r.Annotations("m", "", 5)) > 5 {
			t.Fatal("cap exceeded")
		}
		var b bytes.Buffer
		if err := r.Text(&b); err != nil {
			t.Fatal(err)
		}
	})
}
