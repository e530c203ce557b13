// Package shard is `rigger shard`: print the tests one shard of N runs, planned from the
// timing history of earlier runs, and `rigger shard record`: add a run to that history.
package shard

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/rigger-ci/rigger/pkg/cmd/exitcode"
	"github.com/rigger-ci/rigger/pkg/cmd/factory"
	"github.com/rigger-ci/rigger/pkg/shard"
)

// ListFunc lists a module's packages matching patterns (go list's; none means ./...) and
// their tests; shard.ListPackages runs go list.
type ListFunc func(ctx context.Context, dir string, patterns ...string) ([]shard.Package, error)

type options struct {
	dir     string
	shards  int
	index   int
	timings []string
	output  string
}

// NewCmd returns `rigger shard`, which lists packages with `go list`.
func NewCmd(f *factory.Factory) *cobra.Command {
	return NewCmdWith(f, shard.ListPackages)
}

// NewCmdWith returns `rigger shard` listing packages with list, so tests can give a module
// of any shape without writing it to disk.
func NewCmdWith(f *factory.Factory, list ListFunc) *cobra.Command {
	o := &options{}
	cmd := &cobra.Command{
		Use:   "shard --shards N --index I [package pattern...]",
		Short: "Print the Go tests shard I of N runs, balanced by earlier runs' timings",
		Long: `Plan the unit tests of the Go module in --dir (the packages matching the patterns, as go
list takes them; ./... when none) as N shards of about equal time and print
the work of shard I (0 <= I < N): packages to test whole, and for a package expected to take
longer than a shard's fair share, the -run pattern of its tests this shard runs.

Timings come from --timings files: go test -json output or a history file written by
'rigger shard record' (repeatable; per test, the newest measurement wins). Packages and tests
with no timing are estimated from their number of tests, so new ones always land on a shard.
The same packages and timings give the same plan on every machine.

Output (-o): text for people; json is
  {"shard": I, "shards": N, "work": [{"package": "...", "run": "..."}], "expectedSeconds": S}
and lines is one line per work item, package and -run pattern separated by a tab, for shell
loops.`,
		Example: `  rigger shard --shards 4 --index 0 --timings last-run.json
  rigger shard --shards 4 --index 3 --timings .rigger/timings.json -o json
  rigger shard --shards 4 --index 1 -o lines | while IFS=$'\t' read -r pkg run; do ...; done`,
		// Package patterns, which cobra would otherwise take for unknown subcommands.
		Args: cobra.ArbitraryArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return o.run(cmd.Context(), f, list, args)
		},
	}
	fl := cmd.Flags()
	fl.StringVarP(&o.dir, "dir", "C", ".", "the Go module's directory")
	fl.IntVar(&o.shards, "shards", 0, "number of shards N (required)")
	fl.IntVar(&o.index, "index", -1, "the shard to print, from 0 to N-1 (required)")
	fl.StringArrayVar(&o.timings, "timings", nil, "a go test -json output or history file (repeatable; a missing file is no timings)")
	fl.StringVarP(&o.output, "output", "o", "text", "text, json or lines")
	cmd.AddCommand(newRecordCmd(f), newRetriesCmd(f), newReportCmd(f))
	return cmd
}

func usage(format string, a ...any) error {
	return &exitcode.Error{Code: exitcode.Usage, Err: fmt.Errorf(format, a...)}
}

func (o *options) run(ctx context.Context, f *factory.Factory, list ListFunc, patterns []string) error {
	if o.shards < 1 {
		return usage("--shards must be at least 1")
	}
	if o.index < 0 || o.index >= o.shards {
		return usage("--index must be from 0 to %d", o.shards-1)
	}
	switch o.output {
	case "text", "json", "lines":
	default:
		return usage("-o must be text, json or lines, not %q", o.output)
	}
	timings, err := readTimings(o.timings, f.IO.ErrOut)
	if err != nil {
		return usage("%v", err)
	}
	pkgs, err := list(ctx, o.dir, patterns...)
	if err != nil {
		return usage("%v", err)
	}
	plan, err := shard.New(pkgs, timings, o.shards, shard.Options{})
	if err != nil {
		return usage("%v", err)
	}
	return write(f.IO.Out, o.output, plan, o.index)
}

// readTimings merges the files in order. A missing file is not an error: the first run of a
// pipeline has no history yet, and a shard must still run (with size estimates) rather than
// fail. It is said on stderr, so a wrong path does not go unnoticed.
func readTimings(paths []string, errOut io.Writer) (*shard.Timings, error) {
	all := shard.NewTimings()
	for _, path := range paths {
		fh, err := os.Open(path)
		if os.IsNotExist(err) {
			fmt.Fprintf(errOut, "rigger shard: no timings in %s (missing); estimating from test counts\n", path)
			continue
		}
		if err != nil {
			return nil, err
		}
		t, err := shard.ReadTimings(fh)
		fh.Close()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		all.Merge(t)
	}
	return all, nil
}

func write(w io.Writer, format string, plan *shard.Plan, index int) error {
	s := plan.Shards[index]
	switch format {
	case "json":
		b, err := json.Marshal(s)
		if err != nil {
			return err
		}
		_, err = fmt.Fprintf(w, "%s\n", b)
		return err
	case "lines":
		var b strings.Builder
		for _, wk := range s.Work {
			fmt.Fprintf(&b, "%s\t%s\n", wk.Package, wk.Run)
		}
		_, err := io.WriteString(w, b.String())
		return err
	}
	var b strings.Builder
	fmt.Fprintf(&b, "shard %d of %d: %d package(s), expected %.1fs (slowest shard %.1fs, ideal %.1fs)\n",
		s.Index, s.Shards, len(s.Work), s.ExpectedSeconds, plan.Makespan(), plan.Ideal())
	for _, wk := range s.Work {
		if wk.Run == "" {
			fmt.Fprintf(&b, "  %s\n", wk.Package)
		} else {
			fmt.Fprintf(&b, "  %s -run '%s'\n", wk.Package, wk.Run)
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}
