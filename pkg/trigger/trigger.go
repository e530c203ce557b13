// Package trigger turns one event into the runs it asks for: it finds the repository's
// namespace, loads the .tekton/ definitions at the event's commit, reports the broken ones,
// matches the rest, fills their template variables and submits them to the executor with a
// check run each. Closing a pull request cancels its runs.
package trigger

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"

	"github.com/rigger-ci/rigger/pkg/definition"
	"github.com/rigger-ci/rigger/pkg/event"
	"github.com/rigger-ci/rigger/pkg/executor"
	"github.com/rigger-ci/rigger/pkg/matcher"
	"github.com/rigger-ci/rigger/pkg/run"
	"github.com/rigger-ci/rigger/pkg/template"
	"go.uber.org/zap"
)

// GitHub is what the trigger needs of GitHub: the .tekton/ tree and blobs, a pull request's
// changed files and a short-lived token for git credentials.
type GitHub interface {
	definition.Source
	PullRequestFiles(ctx context.Context, owner, repo string, number int) ([]string, error)
	InstallationToken(ctx context.Context, installationID int64) (string, error)
}

// Reporter is what the trigger needs of the reporter.
type Reporter interface {
	Submitted(ctx context.Context, r *run.Run) (int64, error)
	Update(ctx context.Context, r run.Run) error
	Errored(ctx context.Context, repoFull, sha, name, file string, line int, msg string) error
}

// Repository is what the trigger needs to know of a configured repository.
type Repository struct {
	Namespace      string
	ServiceAccount string
	Params         map[string]string
}

// Repositories finds the configuration of a repository by owner/name.
type Repositories interface {
	Lookup(fullName string) (Repository, bool)
}

// Options tune the trigger.
type Options struct {
	Matcher matcher.Options
	// Tekton is Tekton's configuration to validate definitions with; nil means its defaults.
	Parser definition.Parser
}

// Trigger handles events. It is safe for concurrent use.
type Trigger struct {
	gh     GitHub
	loader *definition.Loader
	exec   executor.Executor
	rep    Reporter
	repos  Repositories
	opts   Options
	log    *zap.Logger
}

// validationMemoEntries bounds the clean validations remembered: one per open pull request
// and definition set is plenty.
const validationMemoEntries = 4096

// New returns a trigger.
func New(gh GitHub, loader *definition.Loader, exec executor.Executor, rep Reporter, repos Repositories, opts Options, log *zap.Logger) *Trigger {
	if opts.Parser.Memo == nil {
		opts.Parser.Memo = definition.NewValidationMemo(validationMemoEntries)
	}
	return &Trigger{gh: gh, loader: loader, exec: exec, rep: rep, repos: repos, opts: opts, log: log}
}

// Outcome says what the trigger did with an event, for logs, metrics and tests.
type Outcome struct {
	Submitted []*run.Run
	Existing  []*run.Run // already submitted for this identity (a redelivery)
	Rejected  []*run.Run // refused by the executor; reported as failed, not retried
	Cancelled int
	Skipped   []matcher.Decision
	Errors    definition.Errors
	Ignored   string // why nothing was considered, when nothing was
}

// Handle acts on one event. An error means the event should be tried again later; what could
// be done (runs submitted, errors reported) stays done, and a retry does not repeat it.
func (t *Trigger) Handle(ctx context.Context, ev *event.Event) (*Outcome, error) {
	repo, ok := t.repos.Lookup(ev.Repo.FullName())
	if !ok {
		return &Outcome{Ignored: "repository " + ev.Repo.FullName() + " is not configured"}, nil
	}
	switch ev.Kind {
	case event.KindPullRequest:
		if ev.Action == "closed" {
			n, err := t.exec.Cancel(ctx, executor.Selector{Repo: ev.Repo.FullName(), PullRequest: ev.PullRequest.Number})
			return &Outcome{Cancelled: n}, err
		}
		return t.runDefinitions(ctx, ev, repo, string(event.KindPullRequest))
	case event.KindPush:
		if ev.Deleted || ev.SHA == "" || strings.Trim(ev.SHA, "0") == "" {
			return &Outcome{Ignored: "push deletes " + ev.Ref}, nil
		}
		return t.runDefinitions(ctx, ev, repo, string(event.KindPush))
	}
	// ChatOps (issue_comment) and re-runs (check_run) come with their own handlers.
	return &Outcome{Ignored: fmt.Sprintf("%s events do not start runs yet", ev.Kind)}, nil
}

func (t *Trigger) runDefinitions(ctx context.Context, ev *event.Event, repo Repository, trigger string) (*Outcome, error) {
	owner, name := ev.Repo.Owner, ev.Repo.Name
	files, err := t.loader.Load(ctx, t.gh, owner, name, ev.SHA)
	if err != nil {
		return nil, fmt.Errorf("loading %s/.tekton at %s: %w", ev.Repo.FullName(), short(ev.SHA), err)
	}
	out := &Outcome{}
	if len(files.Files) == 0 {
		out.Ignored = "no .tekton/ definitions at " + short(ev.SHA)
		return out, nil
	}

	secretName, token, err := t.gitAuth(ctx, ev, files, trigger)
	if err != nil {
		return nil, err
	}
	vars := template.Vars(ev, repo.Namespace, secretName)
	for k, v := range repo.Params {
		if _, builtin := vars[k]; !builtin {
			vars[k] = v
		}
	}
	// Parse's error is the Set's Errors: the broken files are reported below and the good
	// definitions still run. Only a parse that yields no Set at all stops here.
	set, err := t.opts.Parser.Parse(files, vars)
	if set == nil {
		return nil, fmt.Errorf("parsing %s/.tekton at %s: %w", ev.Repo.FullName(), short(ev.SHA), err)
	}
	out.Errors = set.Errors
	var errs []error
	for _, de := range set.Errors {
		if err := t.rep.Errored(ctx, ev.Repo.FullName(), ev.SHA, definitionName(de.File), de.File, de.Line, de.Msg); err != nil {
			errs = append(errs, err)
		}
	}

	changed := matcher.Once(func(ctx context.Context) ([]string, error) {
		if ev.PullRequest != nil {
			return t.gh.PullRequestFiles(ctx, owner, name, ev.PullRequest.Number)
		}
		return ev.ChangedFiles, nil
	})
	selected, decisions, err := matcher.Select(ctx, set.Definitions, ev, t.opts.Matcher, changed)
	if err != nil {
		return nil, fmt.Errorf("matching definitions: %w", err)
	}
	for _, d := range decisions {
		if !d.Matched {
			out.Skipped = append(out.Skipped, d)
		}
	}
	for _, def := range selected {
		r, existing, err := t.submit(ctx, ev, repo, def, trigger, secretName, token)
		switch {
		case err != nil:
			errs = append(errs, err)
		case existing:
			out.Existing = append(out.Existing, r)
		case r.State == run.Failed:
			out.Rejected = append(out.Rejected, r)
		default:
			out.Submitted = append(out.Submitted, r)
		}
	}
	return out, errors.Join(errs...)
}

// submit starts one definition's run: the check run first, so its ID travels in the
// PipelineRun's annotations and the run needs a single write to the cluster.
func (t *Trigger) submit(ctx context.Context, ev *event.Event, repo Repository, def *definition.Definition, trigger, secretName, token string) (*run.Run, bool, error) {
	r := run.Run{
		Identity:   run.Identity{Repo: ev.Repo.FullName(), SHA: ev.SHA, Definition: def.Name, Trigger: trigger},
		Namespace:  repo.Namespace,
		Event:      string(ev.Kind),
		RepoURL:    ev.Repo.HTMLURL,
		Sender:     ev.Sender,
		DeliveryID: ev.DeliveryID,
		State:      run.Queued,
	}
	if ev.PullRequest != nil {
		r.PullRequest = ev.PullRequest.Number
	}
	r.Name = r.Identity.Name()

	if existing, err := t.exec.Get(ctx, r.Namespace, r.Name); err != nil {
		return nil, false, fmt.Errorf("looking up run %s: %w", r.Name, err)
	} else if existing != nil {
		return existing, true, nil
	}
	if _, err := t.rep.Submitted(ctx, &r); err != nil {
		// The run still starts: the watcher gives it a check run once GitHub answers again.
		t.log.Warn("could not create the check run; the run starts without one for now",
			zap.String("run", r.Name), zap.Error(err))
	}
	pr := def.PipelineRun.DeepCopy()
	if repo.ServiceAccount != "" && pr.Spec.TaskRunTemplate.ServiceAccountName == "" {
		pr.Spec.TaskRunTemplate.ServiceAccountName = repo.ServiceAccount
	}
	req := &executor.Request{Run: r, PipelineRun: pr, Namespace: repo.Namespace}
	if secretName != "" {
		req.GitAuthSecret, req.GitToken = secretName, token
	}
	submitted, err := t.exec.Submit(ctx, req)
	switch {
	case errors.Is(err, executor.ErrRejected):
		// Trying again cannot help: the check run says why, and the event is done.
		failed := r
		failed.State, failed.Reason, failed.Message = run.Failed, "CouldNotStart", err.Error()
		if rerr := t.rep.Update(ctx, failed); rerr != nil {
			return nil, false, fmt.Errorf("reporting that %s could not start: %w", r.Name, rerr)
		}
		t.log.Warn("run rejected", zap.String("run", r.Name), zap.Error(err))
		return &failed, false, nil
	case err != nil:
		// An outage: the event is retried, and the reporter reuses this run's check run,
		// which stays queued meanwhile.
		return nil, false, fmt.Errorf("submitting %s: %w", r.Name, err)
	}
	submitted.CheckRunID = r.CheckRunID
	return submitted, false, nil
}

// gitAuth creates the name and token of the per-event git credentials Secret, but only when
// a definition asks for {{ git_auth_secret }}: a token costs a GitHub call.
func (t *Trigger) gitAuth(ctx context.Context, ev *event.Event, files *definition.Files, trigger string) (string, string, error) {
	asked := false
	for _, f := range files.Files {
		asked = asked || template.Uses(f.Content, template.GitAuthSecret)
	}
	if !asked {
		return "", "", nil
	}
	token, err := t.gh.InstallationToken(ctx, ev.InstallationID)
	if err != nil {
		return "", "", fmt.Errorf("git credentials for %s: %w", ev.Repo.FullName(), err)
	}
	sum := sha256.Sum256([]byte(ev.Repo.FullName() + "\x00" + ev.SHA + "\x00" + trigger))
	return "rigger-git-" + hex.EncodeToString(sum[:])[:12], token, nil
}

func definitionName(file string) string {
	base := file[strings.LastIndex(file, "/")+1:]
	return strings.TrimSuffix(strings.TrimSuffix(base, ".yaml"), ".yml")
}

func short(sha string) string {
	if len(sha) > 12 {
		return sha[:12]
	}
	return sha
}
