package shard

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Package is one package of the module and the names `go test -run` selects in it.
type Package struct {
	ImportPath string
	// Tests are its top-level Test, Fuzz and Example functions, sorted. They come from the
	// source, not the history, so a split package's -run patterns name every test it has,
	// including ones no run has timed yet: go test's -run cannot say "all the others".
	Tests []string
}

// ListPackages runs `go list` in dir (a module's directory) for patterns (./... when none)
// and reads each package's test names from its _test.go files.
func ListPackages(ctx context.Context, dir string, patterns ...string) ([]Package, error) {
	if len(patterns) == 0 {
		patterns = []string{"./..."}
	}
	// -e: a package that does not build is still listed, so some shard's go test reports it.
	args := append([]string{"list", "-e", "-json=ImportPath,Dir,TestGoFiles,XTestGoFiles,Error"}, patterns...)
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = dir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("go list in %s: %v: %s", dir, err, strings.TrimSpace(stderr.String()))
	}
	pkgs, err := decodeGoList(bytes.NewReader(out))
	if err == nil && len(pkgs) == 0 {
		// go list -e outside a module lists nothing and exits 0; a plan of nothing would
		// make every shard pass without testing anything.
		err = fmt.Errorf("go list in %s found no packages: %s", dir, strings.TrimSpace(stderr.String()))
	}
	return pkgs, err
}

// decodeGoList reads go list -json's stream of package objects.
func decodeGoList(r io.Reader) ([]Package, error) {
	var pkgs []Package
	dec := json.NewDecoder(r)
	for {
		var lp struct {
			ImportPath, Dir           string
			TestGoFiles, XTestGoFiles []string
			Error                     *struct{ Err string }
		}
		if err := dec.Decode(&lp); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			return nil, fmt.Errorf("reading go list -json: %w", err)
		}
		if lp.Dir == "" {
			// With -e, a pattern that matches nothing (./... outside a module) comes back as
			// a "package" with no directory, only an error.
			msg := "no such package"
			if lp.Error != nil {
				msg = lp.Error.Err
			}
			return nil, fmt.Errorf("go list: %s: %s", lp.ImportPath, msg)
		}
		var files []string
		for _, f := range append(lp.TestGoFiles, lp.XTestGoFiles...) {
			files = append(files, filepath.Join(lp.Dir, f))
		}
		tests, err := TestNames(files...)
		if err != nil {
			// A test file that does not parse does not compile either: the package runs
			// whole on one shard, whose go test then reports the error where it belongs.
			tests = nil
		}
		pkgs = append(pkgs, Package{ImportPath: lp.ImportPath, Tests: tests})
	}
	return pkgs, nil
}

// TestNames returns the sorted names of the top-level tests, fuzz tests and examples that go
// test would run from these _test.go files, by the rules of cmd/go (load/test.go): TestXxx
// with one *T parameter (TestMain with *M is not a test), FuzzXxx with one *F, ExampleXxx
// with none; Xxx not starting with a lower-case letter. Examples without an output comment
// are compiled but not run; naming them in a -run pattern does no harm.
func TestNames(files ...string) ([]string, error) {
	fset := token.NewFileSet()
	var names []string
	for _, path := range files {
		f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
		if err != nil {
			return nil, fmt.Errorf("reading tests: %w", err)
		}
		for _, d := range f.Decls {
			fn, ok := d.(*ast.FuncDecl)
			if !ok || fn.Recv != nil {
				continue
			}
			name := fn.Name.Name
			switch {
			case isTest(name, "Test") && hasParam(fn, "T"),
				isTest(name, "Fuzz") && hasParam(fn, "F"),
				isTest(name, "Example") && fn.Type.Params.NumFields() == 0 && fn.Type.Results.NumFields() == 0:
				names = append(names, name)
			}
		}
	}
	slices.Sort(names)
	return slices.Compact(names), nil
}

func isTest(name, prefix string) bool {
	if !strings.HasPrefix(name, prefix) {
		return false
	}
	if len(name) == len(prefix) {
		return true
	}
	r, _ := utf8.DecodeRuneInString(name[len(prefix):])
	return !unicode.IsLower(r)
}

// hasParam tells whether fn takes exactly one *T (or *x.T) for arg "T" and returns nothing.
// Like cmd/go, it cannot know how "testing" was imported, so it checks the type's name only.
func hasParam(fn *ast.FuncDecl, arg string) bool {
	if fn.Type.Results.NumFields() > 0 || fn.Type.Params.NumFields() != 1 {
		return false
	}
	star, ok := fn.Type.Params.List[0].Type.(*ast.StarExpr)
	if !ok {
		return false
	}
	switch x := star.X.(type) {
	case *ast.Ident:
		return x.Name == arg
	case *ast.SelectorExpr:
		return x.Sel.Name == arg
	}
	return false
}
