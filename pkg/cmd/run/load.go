package run

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strings"

	"github.com/rigger-ci/rigger/pkg/definition"
)

// Load reads and parses the checkout's .tekton/ files with the template variables vars. The
// Set holds the good definitions and the errors of the rest; the error is only for files
// that could not be read.
func Load(ctx context.Context, c *Checkout, vars map[string]string) (*definition.Files, *definition.Set, error) {
	files, err := definition.NewLoader(0).Load(ctx, definition.NewDirSource(c.Root), c.Owner, c.Name, "")
	if err != nil {
		return nil, nil, err
	}
	set, _ := definition.Parse(files, vars) // the errors are in set.Errors
	return files, set, nil
}

// relativeFiles turns file arguments (relative to base, or absolute) into .tekton paths of the
// checkout, as definitions name their files.
func relativeFiles(c *Checkout, base string, args []string) ([]string, error) {
	var out []string
	for _, a := range args {
		p := a
		if !filepath.IsAbs(p) {
			p = filepath.Join(base, p)
		}
		rel, err := filepath.Rel(c.Root, p)
		if err != nil || strings.HasPrefix(rel, "..") {
			return nil, fmt.Errorf("%s is not in %s", a, c.Root)
		}
		rel = filepath.ToSlash(rel)
		if !definition.IsDefinitionPath(rel) {
			return nil, fmt.Errorf("%s is not a definition file (a .yaml or .yml file under %s/)", a, definition.Dir)
		}
		if !slices.Contains(out, rel) {
			out = append(out, rel)
		}
	}
	return out, nil
}
