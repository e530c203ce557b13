package shard

import (
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/rigger-ci/rigger/pkg/cmd/exitcode"
	"github.com/rigger-ci/rigger/pkg/cmd/factory"
	"github.com/rigger-ci/rigger/pkg/shard"
)

// newRecordCmd returns `rigger shard record`.
func newRecordCmd(f *factory.Factory) *cobra.Command {
	var history string
	var maxTests int
	cmd := &cobra.Command{
		Use:   "record --history FILE [go-test-json-file...]",
		Short: "Add go test -json output to a bounded timing history file",
		Long: `Merge the timings of go test -json output (the files given, or standard input) into the
history file, creating it when missing: per test the newest time wins, and the file keeps at
most --max-tests tests, dropping the packages not run the longest first. The file is replaced
atomically, so a shard reading it meanwhile sees the old or the new history, never half.`,
		Example: `  go test -json ./... | tee report.json; rigger shard record --history .rigger/timings.json report.json`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if history == "" {
				return &exitcode.Error{Code: exitcode.Usage, Err: fmt.Errorf("--history is required")}
			}
			return record(f, history, maxTests, args)
		},
	}
	cmd.Flags().StringVar(&history, "history", "", "the history file to update")
	cmd.Flags().IntVar(&maxTests, "max-tests", shard.DefaultMaxTests, "most tests the history keeps")
	return cmd
}

func record(f *factory.Factory, history string, maxTests int, inputs []string) error {
	h, err := readTimings([]string{history}, io.Discard)
	if err != nil {
		return &exitcode.Error{Code: exitcode.Usage, Err: err}
	}
	add := func(r io.Reader, name string) error {
		t, st, err := shard.FromTestJSON(r)
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		if st.Events == 0 {
			return fmt.Errorf("%s: no go test -json events", name)
		}
		h.Merge(t)
		return nil
	}
	if len(inputs) == 0 {
		if err := add(f.IO.In, "standard input"); err != nil {
			return &exitcode.Error{Code: exitcode.Usage, Err: err}
		}
	}
	for _, path := range inputs {
		fh, err := os.Open(path)
		if err != nil {
			return &exitcode.Error{Code: exitcode.Usage, Err: err}
		}
		err = add(fh, path)
		fh.Close()
		if err != nil {
			return &exitcode.Error{Code: exitcode.Usage, Err: err}
		}
	}
	dropped := h.Bound(maxTests)
	data, err := h.MarshalHistory()
	if err != nil {
		return err
	}
	if err := writeAtomic(history, data); err != nil {
		return err
	}
	n := 0
	for _, p := range h.Packages {
		n += len(p.Tests)
	}
	fmt.Fprintf(f.IO.Out, "%s: %d package(s), %d test(s)", history, len(h.Packages), n)
	if dropped > 0 {
		fmt.Fprintf(f.IO.Out, ", %d dropped to stay within %d", dropped, maxTests)
	}
	fmt.Fprintln(f.IO.Out)
	return nil
}

// writeAtomic replaces path by a rename, so a concurrent reader never sees a torn file.
func writeAtomic(path string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".timings-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(append(data, '\n')); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
