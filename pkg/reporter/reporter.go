// Package reporter turns the state of runs into what GitHub shows: a check run per run
// when Rigger is a GitHub App, a commit status when it uses a token. It sends only what
// a user would see change, and returns every failure so the caller can try again.
package reporter

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"net/http"
	"strings"
	"sync"

	gogh "github.com/google/go-github/v62/github"
	"github.com/rigger-ci/rigger/pkg/github"
	"github.com/rigger-ci/rigger/pkg/run"
	"go.uber.org/zap"
)

// GitHub is what the reporter asks of GitHub; *github.Client implements it, retrying
// failed writes before it gives up.
type GitHub interface {
	Mode() github.Mode
	CreateCheckRun(ctx context.Context, owner, repo string, opts gogh.CreateCheckRunOptions) (int64, error)
	UpdateCheckRun(ctx context.Context, owner, repo string, id int64, opts gogh.UpdateCheckRunOptions) error
	CreateStatus(ctx context.Context, owner, repo, sha string, status gogh.RepoStatus) error
	// CheckRunsFor lists the check runs of a commit with the given name: how a create
	// whose answer was lost is found.
	CheckRunsFor(ctx context.Context, owner, repo, ref, name string) ([]github.CheckRun, error)
}

// LogSource gives the last lines of a step's log, for a run that does not carry them.
// Executors implement it.
type LogSource interface {
	LogTail(ctx context.Context, r *run.Run, task, step string, lines int) (string, error)
}

// SecretSource gives the values of the Secrets a run can read, so that they are masked
// wherever the reporter shows the run's output.
type SecretSource interface {
	SecretValues(ctx context.Context, r *run.Run) ([]string, error)
}

// Options are the reporter's optional collaborators.
type Options struct {
	Logs    LogSource
	Secrets SecretSource
	// Masked are values masked in every run's output whatever its executor: Rigger's own
	// secrets (the webhook secret, its GitHub token), which no run should ever hold but a
	// step on this machine might still print.
	Masked []string
	// DetailsURL links a check run or status to a page about the run (a dashboard).
	DetailsURL func(r run.Run) string
	Logger     *zap.Logger
}

// CheckName is the name of a definition's check run or status context.
func CheckName(definition string) string { return "Rigger / " + definition }

// Reporter reports runs to GitHub. It is safe for concurrent use.
type Reporter struct {
	gh   GitHub
	opts Options
	log  *zap.Logger

	mu   sync.Mutex
	sent map[string]string // report key -> head of what GitHub shows now
	ids  map[string]int64  // run key -> check run ID, for runs that do not carry it

	// stripes serialise the reports of one run (by a hash of its key) with bounded memory.
	stripes [64]sync.Mutex
}

// maxRemembered bounds the memory of what was sent. Past it the reporter forgets all:
// the cost is one repeated update per run, or a second check run for a run whose
// caller did not keep its CheckRunID (callers keep it on the run, as Rigger does in the
// rigger.dev/check-run-id annotation).
const maxRemembered = 20000

// New builds a reporter writing through gh.
func New(gh GitHub, opts Options) *Reporter {
	log := opts.Logger
	if log == nil {
		log = zap.NewNop()
	}
	return &Reporter{gh: gh, opts: opts, log: log.Named("reporter"), sent: map[string]string{}, ids: map[string]int64{}}
}

// Submitted reports a run the executor just accepted: it creates its check run (App
// mode, and stores its ID in r.CheckRunID) or its pending status (token mode).
func (rep *Reporter) Submitted(ctx context.Context, r *run.Run) (int64, error) {
	unlock := rep.lock(runKey(*r))
	defer unlock()
	if err := rep.report(ctx, r); err != nil {
		return 0, err
	}
	return r.CheckRunID, nil
}

// Update reports a run's current state. It sends nothing when what GitHub shows would
// not change. A run without a check run gets one, so a lost report is repaired.
func (rep *Reporter) Update(ctx context.Context, r run.Run) error {
	unlock := rep.lock(runKey(r))
	defer unlock()
	return rep.report(ctx, &r)
}

func (rep *Reporter) report(ctx context.Context, r *run.Run) error {
	owner, repo, err := splitRepo(r.Repo)
	if err != nil {
		return err
	}
	if rep.gh.Mode() == github.ModeApp {
		return rep.reportCheckRun(ctx, owner, repo, r)
	}
	return rep.reportStatus(ctx, owner, repo, r)
}

func (rep *Reporter) reportCheckRun(ctx context.Context, owner, repo string, r *run.Run) error {
	if r.CheckRunID == 0 {
		r.CheckRunID = rep.knownID(runKey(*r))
	}
	f := render(*r)
	head := f.head(*r)
	if r.CheckRunID != 0 && rep.lastSent(checkKey(r.CheckRunID)) == head {
		return nil
	}
	f = rep.complete(ctx, r, f)
	// GitHub appends the annotations of every update that carries them, and a finished run
	// can be reported more than once (its log tail arrives after it ended): send them once.
	if r.CheckRunID != 0 && rep.lastSent(annotatedKey(r.CheckRunID)) != "" {
		f.annotations = nil
	}
	name := CheckName(r.Definition)
	if r.CheckRunID == 0 {
		id, err := rep.gh.CreateCheckRun(ctx, owner, repo, createOptions(name, r, f, rep.detailsURL(*r)))
		if err != nil && refused(err) && len(f.annotations) > 0 {
			f = rep.withoutAnnotations(r, f, err)
			id, err = rep.gh.CreateCheckRun(ctx, owner, repo, createOptions(name, r, f, rep.detailsURL(*r)))
		}
		if err != nil && mayHaveActed(err) {
			// GitHub may have made the check run and lost only its answer (a 502 from its
			// edge, a connection cut): created again, the first would stay queued for good
			// beside the second. It carries the run's name as its external ID.
			if found, ferr := rep.CheckRunOf(ctx, r); ferr == nil && found != 0 {
				rep.log.Info("GitHub made the check run although the create failed; using it",
					zap.String("run", r.Name), zap.Int64("checkRun", found), zap.NamedError("createError", err))
				id, err = found, nil
			}
		}
		if err != nil {
			return fmt.Errorf("reporter: check run for %s: %w", r.Name, err)
		}
		r.CheckRunID = id
		rep.remember(runKey(*r), id)
	} else {
		err := rep.gh.UpdateCheckRun(ctx, owner, repo, r.CheckRunID, updateOptions(name, r, f, rep.detailsURL(*r)))
		if err != nil && refused(err) && len(f.annotations) > 0 {
			f = rep.withoutAnnotations(r, f, err)
			err = rep.gh.UpdateCheckRun(ctx, owner, repo, r.CheckRunID, updateOptions(name, r, f, rep.detailsURL(*r)))
		}
		if err != nil {
			return fmt.Errorf("reporter: check run %d for %s: %w", r.CheckRunID, r.Name, err)
		}
	}
	rep.markSent(checkKey(r.CheckRunID), head)
	if f.status == "completed" && len(f.annotations) > 0 {
		rep.markSent(annotatedKey(r.CheckRunID), "sent")
	}
	return nil
}

// mayHaveActed tells whether a failed write may nonetheless have been carried out: GitHub
// answered 5xx, or no answer came. A 4xx, a rate limit or a cancellation means it was not.
func mayHaveActed(err error) bool {
	var er *gogh.ErrorResponse
	var rl *gogh.RateLimitError
	var abuse *gogh.AbuseRateLimitError
	switch {
	case errors.As(err, &rl), errors.As(err, &abuse), errors.Is(err, context.Canceled):
		return false
	case errors.As(err, &er) && er.Response != nil:
		return er.Response.StatusCode >= 500
	}
	return true
}

// CheckRunOf finds the check run an earlier attempt made for r, by the external ID it
// carries (r's name), or 0: how a create whose answer was lost, or one a killed Rigger made
// before its run, is adopted rather than made twice. Token mode has no check runs: 0.
func (rep *Reporter) CheckRunOf(ctx context.Context, r *run.Run) (int64, error) {
	if rep.gh.Mode() != github.ModeApp {
		return 0, nil
	}
	owner, repo, err := splitRepo(r.Repo)
	if err != nil {
		return 0, err
	}
	checks, err := rep.gh.CheckRunsFor(ctx, owner, repo, r.SHA, CheckName(r.Definition))
	if err != nil {
		return 0, err
	}
	for _, c := range checks {
		if c.ExternalID == r.Name {
			return c.ID, nil
		}
	}
	return 0, nil
}

// refused tells a write GitHub will not take as it is (422) from one that failed.
func refused(err error) bool {
	var er *gogh.ErrorResponse
	return errors.As(err, &er) && er.Response != nil && er.Response.StatusCode == http.StatusUnprocessableEntity
}

// withoutAnnotations is f for a second try after GitHub refused its annotations: their paths
// and lines come from the run's log, and a check run that never completes because one of
// them names no file would be worse than a check run without them. The summary lists the
// failures anyway.
func (rep *Reporter) withoutAnnotations(r *run.Run, f feedback, err error) feedback {
	rep.log.Warn("GitHub refused the check run's annotations; sending it without them", zap.String("run", r.Name), zap.Error(err))
	f.annotations = nil
	f.summary = truncate(f.summary+"\nGitHub refused this run's annotations; the failures are listed above.\n", maxOutputLen)
	return f
}

func (rep *Reporter) detailsURL(r run.Run) string {
	if rep.opts.DetailsURL == nil {
		return ""
	}
	return rep.opts.DetailsURL(r)
}

// lock serialises the reports of one run, so that two updates cannot reach GitHub in
// the wrong order; different runs report in parallel.
func (rep *Reporter) lock(key string) func() {
	h := fnv.New32a()
	h.Write([]byte(key))
	l := &rep.stripes[h.Sum32()%uint32(len(rep.stripes))]
	l.Lock()
	return l.Unlock
}

func (rep *Reporter) lastSent(key string) string {
	rep.mu.Lock()
	defer rep.mu.Unlock()
	return rep.sent[key]
}

func (rep *Reporter) markSent(key, head string) {
	rep.mu.Lock()
	defer rep.mu.Unlock()
	if len(rep.sent) >= maxRemembered {
		clear(rep.sent)
	}
	rep.sent[key] = head
}

func (rep *Reporter) knownID(key string) int64 {
	rep.mu.Lock()
	defer rep.mu.Unlock()
	return rep.ids[key]
}

func (rep *Reporter) remember(key string, id int64) {
	rep.mu.Lock()
	defer rep.mu.Unlock()
	if len(rep.ids) >= maxRemembered {
		clear(rep.ids)
	}
	rep.ids[key] = id
}

// runKey names a run across reports: its executor's name, else its identity.
func runKey(r run.Run) string {
	if r.Name != "" {
		return r.Namespace + "/" + r.Name
	}
	return fmt.Sprintf("%s@%s/%s/%s#%d", r.Repo, r.SHA, r.Definition, r.Trigger, r.Attempt)
}

func checkKey(id int64) string { return fmt.Sprintf("check:%d", id) }

func annotatedKey(id int64) string { return fmt.Sprintf("annotated:%d", id) }

func splitRepo(full string) (owner, repo string, err error) {
	owner, repo, ok := strings.Cut(full, "/")
	if !ok || owner == "" || repo == "" || strings.Contains(repo, "/") {
		return "", "", fmt.Errorf("reporter: repository %q is not owner/name", full)
	}
	return owner, repo, nil
}
