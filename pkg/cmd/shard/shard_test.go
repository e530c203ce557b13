package shard_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/rigger-ci/rigger/pkg/cmd/exitcode"
	"github.com/rigger-ci/rigger/pkg/cmd/factory"
	shardcmd "github.com/rigger-ci/rigger/pkg/cmd/shard"
	"github.com/rigger-ci/rigger/pkg/iostreams"
	"github.com/rigger-ci/rigger/pkg/shard"
	"github.com/rigger-ci/rigger/pkg/testreport"
)

type result struct {
	out, errOut string
	code        int
}

func run(t *testing.T, list shardcmd.ListFunc, stdin string, args ...string) result {
	t.Helper()
	ios, in, out, errOut := iostreams.Test()
	in.WriteString(stdin)
	f := &factory.Factory{IO: ios, ExecutableName: "rigger"}
	cmd := shardcmd.NewCmd(f)
	if list != nil {
		cmd = shardcmd.NewCmdWith(f, list)
	}
	cmd.SetArgs(args)
	cmd.SetOut(out)
	cmd.SetErr(errOut)
	cmd.SilenceUsage, cmd.SilenceErrors = true, true
	err := cmd.ExecuteContext(context.Background())
	code := 0
	if err != nil {
		code = exitcode.Usage
		var coded *exitcode.Error
		if errors.As(err, &coded) {
			code = coded.Code
		}
		errOut.WriteString(err.Error())
	}
	return result{out: out.String(), errOut: errOut.String(), code: code}
}

func writeFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// module is a real Go module: package slow has four tests, package fast one.
func module(t *testing.T) string {
	t.Helper()
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("needs go on PATH")
	}
	dir := t.TempDir()
	writeFile(t, dir, "go.mod", "module example.com/m\n\ngo 1.22\n")
	writeFile(t, dir, "slow/slow_test.go", "package slow\nimport \"testing\"\n"+
		"func TestA(t *testing.T) {}\nfunc TestB(t *testing.T) {}\nfunc TestC(t *testing.T) {}\nfunc TestD(t *testing.T) {}\n")
	writeFile(t, dir, "fast/fast_test.go", "package fast\nimport \"testing\"\nfunc TestF(t *testing.T) {}\n")
	return dir
}

// history: slow's tests took 10 s each, fast's 1 s.
const history = `{"Time":"2026-12-01T10:00:00Z","Action":"pass","Package":"example.com/m/slow","Test":"TestA","Elapsed":10}
{"Time":"2026-12-01T10:00:00Z","Action":"pass","Package":"example.com/m/slow","Test":"TestB","Elapsed":10}
{"Time":"2026-12-01T10:00:00Z","Action":"pass","Package":"example.com/m/slow","Test":"TestC","Elapsed":10}
{"Time":"2026-12-01T10:00:00Z","Action":"pass","Package":"example.com/m/slow","Test":"TestD","Elapsed":10}
{"Time":"2026-12-01T10:00:01Z","Action":"pass","Package":"example.com/m/slow","Elapsed":40}
{"Time":"2026-12-01T10:00:00Z","Action":"pass","Package":"example.com/m/fast","Test":"TestF","Elapsed":1}
{"Time":"2026-12-01T10:00:01Z","Action":"pass","Package":"example.com/m/fast","Elapsed":1}
`

func TestShardJSONOfARealModule(t *testing.T) {
	dir := module(t)
	timings := writeFile(t, t.TempDir(), "t.json", history)
	var got []map[string]any
	for i := range 2 {
		r := run(t, nil, "", "-C", dir, "--shards", "2", "--index", fmt.Sprint(i), "--timings", timings, "-o", "json")
		if r.code != 0 {
			t.Fatalf("exit %d: %s", r.code, r.errOut)
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(r.out), &m); err != nil {
			t.Fatalf("not JSON: %v\n%s", err, r.out)
		}
		if len(m) != 4 || m["shard"] != float64(i) || m["shards"] != float64(2) {
			t.Errorf("shard %d: %s, want exactly shard, shards, work, expectedSeconds", i, r.out)
		}
		got = append(got, m)
	}
	// 41 s in all: slow (40 s) is split two tests a shard; fast goes with one half.
	want := []string{
		`{"expectedSeconds":21,"shard":0,"shards":2,"work":[{"package":"example.com/m/fast","run":""},{"package":"example.com/m/slow","run":"^(TestA|TestC)$"}]}`,
		`{"expectedSeconds":20,"shard":1,"shards":2,"work":[{"package":"example.com/m/slow","run":"^(TestB|TestD)$"}]}`,
	}
	for i := range got {
		b, _ := json.Marshal(got[i])
		if string(b) != want[i] {
			t.Errorf("shard %d:\n got %s\nwant %s", i, b, want[i])
		}
	}
}

func TestShardTextAndLines(t *testing.T) {
	dir := module(t)
	timings := writeFile(t, t.TempDir(), "t.json", history)
	r := run(t, nil, "", "-C", dir, "--shards", "2", "--index", "1", "--timings", timings)
	if r.code != 0 || !strings.HasPrefix(r.out, "shard 1 of 2: 1 package(s), expected 20.0s (slowest shard 21.0s, ideal 20.5s)\n") ||
		!strings.Contains(r.out, "  example.com/m/slow -run '^(TestB|TestD)$'\n") {
		t.Errorf("exit %d, text:\n%s%s", r.code, r.out, r.errOut)
	}
	r = run(t, nil, "", "-C", dir, "--shards", "2", "--index", "0", "--timings", timings, "-o", "lines")
	if r.out != "example.com/m/fast\t\nexample.com/m/slow\t^(TestA|TestC)$\n" {
		t.Errorf("lines:\n%q", r.out)
	}
}

func TestShardWithoutHistoryStillCoversEverything(t *testing.T) {
	list := func(context.Context, string, ...string) ([]shard.Package, error) {
		var tests []string
		for i := range 100 {
			tests = append(tests, fmt.Sprintf("TestN%02d", i))
		}
		return []shard.Package{{ImportPath: "m/many", Tests: tests}, {ImportPath: "m/one", Tests: []string{"TestOne"}}}, nil
	}
	missing := filepath.Join(t.TempDir(), "none.json")
	seen := map[string]int{}
	for i := range 4 {
		r := run(t, list, "", "--shards", "4", "--index", fmt.Sprint(i), "--timings", missing, "-o", "json")
		if r.code != 0 {
			t.Fatalf("exit %d: %s", r.code, r.errOut)
		}
		if !strings.Contains(r.errOut, "no timings in "+missing) {
			t.Errorf("a missing timings file is not mentioned: %q", r.errOut)
		}
		var s shard.Shard
		if err := json.Unmarshal([]byte(r.out), &s); err != nil {
			t.Fatal(err)
		}
		for _, w := range s.Work {
			if w.Package == "m/one" {
				seen["TestOne"]++
				continue
			}
			re := regexp.MustCompile(w.Run)
			for j := range 100 {
				if name := fmt.Sprintf("TestN%02d", j); re.MatchString(name) {
					seen[name]++
				}
			}
		}
	}
	if len(seen) != 101 {
		t.Errorf("%d tests run, want 101", len(seen))
	}
	for name, n := range seen {
		if n != 1 {
			t.Errorf("%s runs %d times", name, n)
		}
	}
}

func TestShardUsageErrors(t *testing.T) {
	list := func(context.Context, string, ...string) ([]shard.Package, error) { return nil, nil }
	garbage := writeFile(t, t.TempDir(), "g.json", "not timings\n")
	for _, args := range [][]string{
		{"--index", "0"},
		{"--shards", "2"},
		{"--shards", "2", "--index", "2"},
		{"--shards", "2", "--index", "0", "-o", "yaml"},
		{"--shards", "2", "--index", "0", "--timings", garbage},
	} {
		if r := run(t, list, "", args...); r.code != exitcode.Usage {
			t.Errorf("%v: exit %d, want %d", args, r.code, exitcode.Usage)
		}
	}
	if r := run(t, nil, "", "-C", t.TempDir(), "--shards", "1", "--index", "0"); r.code != exitcode.Usage || !strings.Contains(r.errOut, "go list") {
		t.Errorf("outside a module: exit %d %q", r.code, r.errOut)
	}
}

func TestRecordThenShard(t *testing.T) {
	dir := module(t)
	hist := filepath.Join(t.TempDir(), "cache", "timings.json")
	r := run(t, nil, history, "record", "--history", hist)
	if r.code != 0 || !strings.Contains(r.out, "2 package(s), 5 test(s)") {
		t.Fatalf("record: exit %d %s%s", r.code, r.out, r.errOut)
	}
	// A later run of one shard updates TestA only; the rest of the history stays.
	later := writeFile(t, t.TempDir(), "later.json",
		`{"Time":"2026-12-02T10:00:00Z","Action":"pass","Package":"example.com/m/slow","Test":"TestA","Elapsed":30}
{"Time":"2026-12-02T10:00:01Z","Action":"pass","Package":"example.com/m/slow","Elapsed":30}
`)
	if r := run(t, nil, "", "record", "--history", hist, later); r.code != 0 {
		t.Fatalf("record: exit %d %s", r.code, r.errOut)
	}
	data, err := os.ReadFile(hist)
	if err != nil {
		t.Fatal(err)
	}
	h, err := shard.ReadTimings(strings.NewReader(string(data)))
	if err != nil {
		t.Fatal(err)
	}
	slow := h.Packages["example.com/m/slow"]
	if want := map[string]float64{"TestA": 30, "TestB": 10, "TestC": 10, "TestD": 10}; !reflect.DeepEqual(slow.Tests, want) {
		t.Errorf("history tests %v, want %v", slow.Tests, want)
	}
	// Now TestA alone is 30 of 61 s: only fast's 1 s joins it.
	r = run(t, nil, "", "-C", dir, "--shards", "2", "--index", "0", "--timings", hist, "-o", "lines")
	if r.out != "example.com/m/fast\t\nexample.com/m/slow\t^(TestA)$\n" {
		t.Errorf("after record: %q %s", r.out, r.errOut)
	}
	if r := run(t, nil, "not json", "record", "--history", hist); r.code != exitcode.Usage {
		t.Errorf("garbage recorded: exit %d", r.code)
	}
}

func TestRetriesAndReport(t *testing.T) {
	dir := t.TempDir()
	ev := func(at int, action, pkg, test string, out string) string {
		return fmt.Sprintf(`{"Time":"2026-12-04T10:00:%02dZ","Action":%q,"Package":%q,"Test":%q,"Output":%q}`+"\n", at, action, pkg, test, out)
	}
	first := ev(1, "output", "m/a", "TestA", "    a_test.go:7: boom\n") + ev(2, "fail", "m/a", "TestA", "") +
		ev(2, "pass", "m/a", "TestB", "") + ev(3, "fail", "m/a", "", "")
	report := writeFile(t, dir, "shard-0.json", first)
	r := run(t, nil, "", "retries", report)
	if r.code != 0 || r.out != "m/a\t^(TestA)$\n" {
		t.Errorf("retries: exit %d %q %s", r.code, r.out, r.errOut)
	}
	r = run(t, nil, "", "report", report)
	if r.code != exitcode.Failed || !strings.Contains(r.out, "tests: 2 run, 1 passed, 1 failed, 0 skipped, 0 flaky") ||
		!strings.Contains(r.out, "    a_test.go:7: boom") {
		t.Errorf("report before the retry: exit %d\n%s", r.code, r.out)
	}
	// The retry passes: appended to the report, TestA is flaky and the run is green.
	retried := first + ev(4, "pass", "m/a", "TestA", "") + ev(5, "pass", "m/a", "", "")
	writeFile(t, dir, "shard-0.json", retried)
	broken := writeFile(t, dir, "shard-1.json", ev(1, "fail", "m/b", "", ""))
	r = run(t, nil, "", "report", "--markdown", report)
	if r.code != 0 || !strings.Contains(r.out, "**2** tests run: 2 passed, **0 failed**, 0 skipped, 1 flaky") {
		t.Errorf("report after the retry: exit %d\n%s%s", r.code, r.out, r.errOut)
	}
	// --block: the reporter's summary follows the text, annotations placed in the repository.
	r = run(t, nil, "", "report", "--block", "--module", "m", "--module-dir", "go", report)
	s, err := testreport.ParseBlock(r.out)
	if r.code != 0 || err != nil || s.Counts.Flaky != 1 || len(s.Annotations) != 1 || s.Annotations[0].Path != "go/a/a_test.go" ||
		s.Annotations[0].Line != 7 || s.Annotations[0].Level != "warning" || !strings.HasPrefix(r.out, "tests: 2 run") {
		t.Errorf("report --block: exit %d, %v, %+v\n%s", r.code, err, s, r.out)
	}
	if r := run(t, nil, "", "retries", report, broken); r.code != exitcode.Failed || r.out != "" {
		t.Errorf("a package broken outside tests: exit %d %q, want 1 and nothing to retry", r.code, r.out)
	}
}

func TestShardPackagePatterns(t *testing.T) {
	dir := module(t)
	r := run(t, nil, "", "-C", dir, "--shards", "1", "--index", "0", "-o", "lines", "./fast/...")
	if r.code != 0 || r.out != "example.com/m/fast\t\n" {
		t.Errorf("exit %d, lines %q, want only the fast package: %s", r.code, r.out, r.errOut)
	}
}
