// Command rigger turns GitHub events into Tekton PipelineRuns, and runs the same .tekton
// pipelines on one machine.
package main

import (
	"errors"
	"fmt"
	"os"

	"github.com/rigger-ci/rigger/pkg/cmd/exitcode"
	"github.com/rigger-ci/rigger/pkg/cmd/factory"
	"github.com/rigger-ci/rigger/pkg/cmd/root"
)

func main() {
	f := factory.New()
	if err := root.NewCmd(f).Execute(); err != nil {
		var coded *exitcode.Error
		if errors.As(err, &coded) {
			if coded.Err != nil {
				fmt.Fprintf(f.IO.ErrOut, "rigger: %v\n", coded.Err)
			}
			os.Exit(coded.Code)
		}
		fmt.Fprintf(f.IO.ErrOut, "rigger: %v\n", err)
		os.Exit(exitcode.Usage)
	}
}
