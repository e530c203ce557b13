package shard

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/rigger-ci/rigger/pkg/cmd/exitcode"
	"github.com/rigger-ci/rigger/pkg/cmd/factory"
	"github.com/rigger-ci/rigger/pkg/testreport"
)

// readReports reads each shard's go test -json file into one report; a shard is named by
// its file name without the extension.
func readReports(paths []string) (*testreport.Report, error) {
	r := testreport.New()
	for _, p := range paths {
		fh, err := os.Open(p)
		if err != nil {
			return nil, err
		}
		_, err = r.Add(strings.TrimSuffix(filepath.Base(p), filepath.Ext(p)), fh)
		fh.Close()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", p, err)
		}
	}
	return r, nil
}

// newRetriesCmd returns `rigger shard retries`.
func newRetriesCmd(f *factory.Factory) *cobra.Command {
	return &cobra.Command{
		Use:   "retries REPORT...",
		Short: "Print the failed tests of go test -json reports as package and -run pattern lines",
		Long: `Print, one line per package, the package and the -run pattern of its top-level tests whose
last attempt failed, separated by a tab: what a shard reruns once. Append the rerun's go test
-json to the same report, and the report counts a test that then passes as flaky.

Exit status 1 when a package failed outside any test (build failure, panic in init, timeout):
those cannot be retried by name, and the shard must fail.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			r, err := readReports(args)
			if err != nil {
				return &exitcode.Error{Code: exitcode.Usage, Err: err}
			}
			var b strings.Builder
			for _, rt := range r.Retries() {
				fmt.Fprintf(&b, "%s\t%s\n", rt.Package, rt.Run)
			}
			if _, err := fmt.Fprint(f.IO.Out, b.String()); err != nil {
				return err
			}
			for _, s := range r.Shards {
				if len(s.BrokenPackages) > 0 {
					return &exitcode.Error{Code: exitcode.Failed, Err: fmt.Errorf("failed outside any test: %s", strings.Join(s.BrokenPackages, ", "))}
				}
			}
			return nil
		},
	}
}

// newReportCmd returns `rigger shard report`.
func newReportCmd(f *factory.Factory) *cobra.Command {
	var markdown, block bool
	var module, moduleDir string
	cmd := &cobra.Command{
		Use:   "report REPORT...",
		Short: "Summarize the go test -json reports of a sharded run",
		Long: `Merge the shards' go test -json reports (one file per shard, retries appended) and print
the summary: tests run, passed, failed, skipped and flaky (failed, then passed on retry), each
failure with its file:line, the ten slowest tests and each shard's wall time.

With --block the summary is also printed as one line of JSON between
` + testreport.BlockBegin + ` and ` + testreport.BlockEnd + ` lines, for Rigger's reporter: in a
step named ` + testreport.ReportStep + ` it becomes the check run's summary and annotations;
--module and --module-dir (the module's path and its directory in the repository) place the
annotations.

Exit status 1 when a test's last attempt failed or a package failed outside any test.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			r, err := readReports(args)
			if err != nil {
				return &exitcode.Error{Code: exitcode.Usage, Err: err}
			}
			if markdown {
				err = r.Markdown(f.IO.Out)
			} else {
				err = r.Text(f.IO.Out)
			}
			if err != nil {
				return err
			}
			if block {
				if err := testreport.WriteBlock(f.IO.Out, r.Summary(module, moduleDir)); err != nil {
					return err
				}
			}
			if !r.OK() {
				return &exitcode.Error{Code: exitcode.Failed}
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&markdown, "markdown", false, "Markdown, as a check run shows it")
	cmd.Flags().BoolVar(&block, "block", false, "also print the summary as a block for Rigger's reporter")
	cmd.Flags().StringVar(&module, "module", "", "the Go module's path, to place annotations")
	cmd.Flags().StringVar(&moduleDir, "module-dir", "", "the module's directory in the repository, to place annotations")
	return cmd
}
