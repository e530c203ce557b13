package tekton

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"

	"github.com/rigger-ci/rigger/pkg/run"
	"k8s.io/apimachinery/pkg/util/validation"
)

// Labels and annotations Rigger puts on what it creates (see design.md).
const (
	LabelRepository  = "rigger.dev/repository"
	LabelSHA         = "rigger.dev/sha"
	LabelEvent       = "rigger.dev/event"
	LabelPullRequest = "rigger.dev/pull-request"
	LabelPipeline    = "rigger.dev/pipeline"
	// LabelRef is a push run's branch (run.Run.Ref): cancel-in-progress selects by it.
	LabelRef = "rigger.dev/ref"

	AnnotationRepo       = "rigger.dev/repo" // owner/name, unabridged
	AnnotationRepoURL    = "rigger.dev/repo-url"
	AnnotationDelivery   = "rigger.dev/delivery"
	AnnotationCheckRunID = "rigger.dev/check-run-id"
	AnnotationSender     = "rigger.dev/sender"
	AnnotationTrigger    = "rigger.dev/trigger"
	AnnotationAttempt    = "rigger.dev/attempt"
	AnnotationDefinition = "rigger.dev/definition" // the definition's name, unabridged
	AnnotationSHA        = "rigger.dev/full-sha"
	AnnotationRef        = "rigger.dev/full-ref"

	// AnnotationQueuedAt is when Rigger queued the run (RFC 3339, nanoseconds, finer than
	// a creation timestamp's second): the queue's order, with the name to break ties, and
	// which of two runs supersedes the other.
	AnnotationQueuedAt = "rigger.dev/queued-at"
	// AnnotationConcurrencyLimit marks a run Rigger created waiting (spec.status
	// PipelineRunPending) behind its repository's concurrency limit, with that limit (the
	// queue's limit when no configuration says what it is now). Only runs carrying it are
	// started by the queue; a definition's own pending run is not.
	AnnotationConcurrencyLimit = "rigger.dev/concurrency-limit"
	// AnnotationKeepRuns is the resolved max-keep-runs of the run's definition (the
	// definition's annotation, else the repository's default). Not "max-keep-runs": that is
	// the definition's own key, which a definition may write.
	AnnotationKeepRuns = "rigger.dev/keep-finished-runs"
	// AnnotationCancelWhy says why Rigger cancelled the run, e.g. "superseded by <sha>".
	AnnotationCancelWhy = "rigger.dev/cancelled-because"
	// AnnotationSupersedes marks a run whose resolved cancel-in-progress is true: the queue
	// cancels older unfinished runs of its definition for its pull request or branch that the
	// trigger's cancel missed (its cache had not seen them yet).
	AnnotationSupersedes = "rigger.dev/supersedes-older"
	// AnnotationReported is the final state GitHub was told of (see run.Run.Reported).
	AnnotationReported = "rigger.dev/reported"
)

// bookkeeping are the annotations Rigger keeps its own state in. A definition must not
// steer them: a check-run ID of its choosing would have Rigger report into another check
// run, a repository of its choosing would have it report to another repository.
var bookkeeping = map[string]bool{
	AnnotationRepo: true, AnnotationRepoURL: true, AnnotationDelivery: true, AnnotationCheckRunID: true,
	AnnotationSender: true, AnnotationTrigger: true, AnnotationAttempt: true, AnnotationDefinition: true,
	AnnotationSHA: true, AnnotationRef: true, AnnotationQueuedAt: true, AnnotationConcurrencyLimit: true,
	AnnotationKeepRuns: true, AnnotationCancelWhy: true, AnnotationSupersedes: true, AnnotationReported: true,
}

// withoutBookkeeping drops from a definition's labels every rigger.dev/ label (Rigger selects
// runs by them) and from its annotations Rigger's bookkeeping, keeping the rigger.dev/
// annotations that say when a definition runs.
func withoutBookkeeping(labels, annotations map[string]string) {
	for k := range labels {
		if strings.HasPrefix(k, "rigger.dev/") {
			delete(labels, k)
		}
	}
	for k := range annotations {
		if bookkeeping[k] {
			delete(annotations, k)
		}
	}
}

// LabelValue makes v a valid label value: kept when valid, otherwise cleaned and, when too
// long, truncated with a hash suffix so distinct values stay distinct.
func LabelValue(v string) string {
	if len(validation.IsValidLabelValue(v)) == 0 {
		return v
	}
	clean := strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '_', r == '.':
			return r
		}
		return '-'
	}, v)
	if len(clean) > validation.LabelValueMaxLength || clean != v {
		sum := sha256.Sum256([]byte(v))
		suffix := hex.EncodeToString(sum[:])[:8]
		max := validation.LabelValueMaxLength - len(suffix) - 1
		if len(clean) > max {
			clean = clean[:max]
		}
		clean = clean + "-" + suffix
	}
	return strings.Trim(clean, "-_.")
}

// RepositoryLabel is the label value of a repository: "owner.repo" per design.md.
func RepositoryLabel(fullName string) string {
	return LabelValue(strings.ReplaceAll(fullName, "/", "."))
}

func labelsFor(r *run.Run) map[string]string {
	l := map[string]string{
		LabelRepository: RepositoryLabel(r.Repo),
		LabelSHA:        LabelValue(r.SHA),
		LabelEvent:      LabelValue(r.Event),
		LabelPipeline:   LabelValue(r.Definition),
	}
	if r.PullRequest > 0 {
		l[LabelPullRequest] = strconv.Itoa(r.PullRequest)
	}
	if r.Ref != "" {
		l[LabelRef] = LabelValue(r.Ref)
	}
	return l
}

func annotationsFor(r *run.Run) map[string]string {
	a := map[string]string{
		AnnotationRepo:       r.Repo,
		AnnotationRepoURL:    r.RepoURL,
		AnnotationDelivery:   r.DeliveryID,
		AnnotationSender:     r.Sender,
		AnnotationTrigger:    r.Trigger,
		AnnotationAttempt:    strconv.Itoa(r.Attempt),
		AnnotationDefinition: r.Definition,
		AnnotationSHA:        r.SHA,
	}
	if r.CheckRunID != 0 {
		a[AnnotationCheckRunID] = strconv.FormatInt(r.CheckRunID, 10)
	}
	if r.Ref != "" {
		a[AnnotationRef] = r.Ref
	}
	if r.MaxKeepRuns > 0 {
		a[AnnotationKeepRuns] = strconv.Itoa(r.MaxKeepRuns)
	}
	return a
}

func selectorFor(repo string, pr int, sha, definition string) string {
	s := fmt.Sprintf("%s=%s", LabelRepository, RepositoryLabel(repo))
	if pr > 0 {
		s += fmt.Sprintf(",%s=%d", LabelPullRequest, pr)
	}
	if sha != "" {
		s += fmt.Sprintf(",%s=%s", LabelSHA, LabelValue(sha))
	}
	if definition != "" {
		s += fmt.Sprintf(",%s=%s", LabelPipeline, LabelValue(definition))
	}
	return s
}
