package trigger

import (
	"fmt"
	"strconv"

	"github.com/rigger-ci/rigger/pkg/definition"
	"github.com/rigger-ci/rigger/pkg/executor"
	"github.com/rigger-ci/rigger/pkg/matcher"
)

// The run policy annotations, under either prefix (rigger.dev wins), as Pipelines-as-Code
// names them.
const (
	keyCancelInProgress = "cancel-in-progress"
	keyMaxKeepRuns      = "max-keep-runs"
)

// runPolicy resolves a definition's run policy: its annotations, else the repository's
// defaults. A value Rigger cannot read refuses the run with why, rather than run it under a
// policy its author did not write.
func runPolicy(def *definition.Definition, repo Repository) (pol executor.Policy, cancelInProgress bool, refusal string) {
	pol = executor.Policy{ConcurrencyLimit: repo.ConcurrencyLimit, MaxKeepRuns: repo.MaxKeepRuns}
	cancelInProgress = repo.CancelInProgress
	a := def.PipelineRun.Annotations
	if v, name, ok := annotation(a, keyCancelInProgress); ok {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return pol, false, fmt.Sprintf("%s: %q is not true or false", name, v)
		}
		cancelInProgress = b
	}
	if v, name, ok := annotation(a, keyMaxKeepRuns); ok {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 || n > executor.MaxKeepRunsLimit {
			return pol, false, fmt.Sprintf("%s: %q is not a number from 0 to %d", name, v, executor.MaxKeepRunsLimit)
		}
		pol.MaxKeepRuns = n
	}
	pol.CancelInProgress = cancelInProgress
	return pol, cancelInProgress, ""
}

func annotation(a map[string]string, key string) (value, name string, ok bool) {
	for _, prefix := range []string{matcher.PrefixRigger, matcher.PrefixPaC} {
		if v, ok := a[prefix+key]; ok {
			return v, prefix + key, true
		}
	}
	return "", "", false
}
