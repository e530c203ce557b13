package shard_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/rigger-ci/rigger/pkg/shard"
)

func writeFiles(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for p, content := range files {
		full := filepath.Join(dir, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// The rules of cmd/go for what a test is, each with a case that is not one.
const testFile = `package a

import (
	"testing"
	tt "testing"
)

func TestPlain(t *testing.T)      {}
func TestAliased(t *tt.T)         {}
func Test(t *testing.T)           {}
func Test_under(t *testing.T)     {}
func Testlower(t *testing.T)      {} // lower-case after Test: not a test
func TestMain(m *testing.M)       {} // the package's main, not a test
func TestWrongArg(t *testing.B)   {}
func TestResult(t *testing.T) int { return 0 }
func FuzzParse(f *testing.F)      {}
func ExampleHello()               {}
func ExampleArg(x int)            {}
func BenchmarkX(b *testing.B)     {}

type s struct{}

func (s) TestMethod(t *testing.T) {}
`

func TestTestNamesFollowGoTestRules(t *testing.T) {
	dir := writeFiles(t, map[string]string{"a_test.go": testFile})
	got, err := shard.TestNames(filepath.Join(dir, "a_test.go"))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"ExampleHello", "FuzzParse", "Test", "TestAliased", "TestPlain", "Test_under"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("tests %v, want %v", got, want)
	}
}

func TestListPackagesOfARealModule(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("needs go on PATH")
	}
	dir := writeFiles(t, map[string]string{
		"go.mod":          "module example.com/m\n\ngo 1.22\n",
		"a/a.go":          "package a\n",
		"a/a_test.go":     "package a\nimport \"testing\"\nfunc TestIn(t *testing.T) {}\n",
		"a/x_test.go":     "package a_test\nimport \"testing\"\nfunc TestOut(t *testing.T) {}\n",
		"a/other_test.go": "//go:build never\n\npackage a\nimport \"testing\"\nfunc TestTagged(t *testing.T) {}\n",
		"b/b.go":          "package b\n",
		"testdata/x/x.go": "package x\n", // not a package go list sees
		"c/c_test.go":     "package c\nimport \"testing\"\nfunc TestOnlyTests(t *testing.T) {}\n",
	})
	got, err := shard.ListPackages(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	want := []shard.Package{
		{ImportPath: "example.com/m/a", Tests: []string{"TestIn", "TestOut"}},
		{ImportPath: "example.com/m/b"},
		{ImportPath: "example.com/m/c", Tests: []string{"TestOnlyTests"}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("packages %+v, want %+v", got, want)
	}
	if _, err := shard.ListPackages(context.Background(), t.TempDir()); err == nil {
		t.Error("go list outside a module gave no error")
	}
}

func TestBrokenTestFileKeepsThePackageWhole(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("needs go on PATH")
	}
	dir := writeFiles(t, map[string]string{
		"go.mod":      "module example.com/m\n\ngo 1.22\n",
		"a/a_test.go": "package a\nimport \"testing\"\nfunc TestX(t *testing.T) {\n",
	})
	got, err := shard.ListPackages(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].ImportPath != "example.com/m/a" || len(got[0].Tests) != 0 {
		t.Errorf("packages %+v, want example.com/m/a listed without tests", got)
	}
}
