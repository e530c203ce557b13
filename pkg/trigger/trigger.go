// Package trigger turns one event into the runs it asks for: it finds the repository's
// namespace, decides whether the code may run (the trust policy: an outsider's pull request
// waits for a member's /ok-to-test of its head commit), carries out the commands of a
// comment, loads the .tekton/ definitions, reports the broken ones, matches the rest, fills
// their template variables and submits them to the executor with a check run each. Closing a
// pull request cancels its runs.
package trigger

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	gogh "github.com/google/go-github/v62/github"
	"github.com/rigger-ci/rigger/pkg/definition"
	"github.com/rigger-ci/rigger/pkg/event"
	"github.com/rigger-ci/rigger/pkg/executor"
	"github.com/rigger-ci/rigger/pkg/github"
	"github.com/rigger-ci/rigger/pkg/matcher"
	"github.com/rigger-ci/rigger/pkg/policy"
	"github.com/rigger-ci/rigger/pkg/run"
	"github.com/rigger-ci/rigger/pkg/template"
	pipelinev1 "github.com/tektoncd/pipeline/pkg/apis/pipeline/v1"
	"go.uber.org/zap"
)

// GitHub is what the trigger needs of GitHub: the .tekton/ tree and blobs, pull requests,
// their comments, what the trust policy asks, and short-lived tokens for runs.
type GitHub interface {
	definition.Source
	policy.GitHub
	PullRequestFiles(ctx context.Context, owner, repo string, number int) ([]github.ChangedFile, error)
	GetPullRequest(ctx context.Context, owner, repo string, number int) (*gogh.PullRequest, error)
	RunToken(ctx context.Context, installationID int64, owner, repo string) (string, error)
	IssueComments(ctx context.Context, owner, repo string, number int) ([]github.Comment, error)
	CreateComment(ctx context.Context, owner, repo string, number int, body string) (int64, error)
	CreateReaction(ctx context.Context, owner, repo string, commentID int64, content string) error
	CheckRunsFor(ctx context.Context, owner, repo, ref, name string) ([]github.CheckRun, error)
	CommitMessage(ctx context.Context, owner, repo, sha string) (string, error)
	Login(ctx context.Context) (string, error)
}

// Reporter is what the trigger needs of the reporter.
type Reporter interface {
	Submitted(ctx context.Context, r *run.Run) (int64, error)
	// CheckRunOf finds the check run an earlier attempt made for r, or 0.
	CheckRunOf(ctx context.Context, r *run.Run) (int64, error)
	Update(ctx context.Context, r run.Run) error
	Errored(ctx context.Context, repoFull, sha, name, file string, line int, msg string) error
	Waiting(ctx context.Context, repoFull, sha, author, why string) error
	Approved(ctx context.Context, repoFull, sha, by string, checkRunID int64) error
}

// Repository is what the trigger needs to know of a configured repository.
type Repository struct {
	Namespace      string
	ServiceAccount string
	Params         map[string]string
	// AllowedServiceAccounts may be named by a definition besides ServiceAccount.
	AllowedServiceAccounts []string
	// DefinitionsFrom is where an approved outsider's pull request takes its definitions
	// from: v1alpha1.DefinitionsFromHead ("" too) or DefinitionsFromBase.
	DefinitionsFrom string
	// Trust are the repository's own trusted users and teams (bots come from Options).
	Trust policy.Settings
	// ConcurrencyLimit caps the repository's runs going at once (0: no limit); the rest
	// wait in the executor's queue.
	ConcurrencyLimit int
	// CancelInProgress and MaxKeepRuns are the defaults of definitions that do not say.
	CancelInProgress bool
	MaxKeepRuns      int
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
	// Bots are trusted in every repository.
	Bots []string
	// CommandPrefix makes commands read "/<prefix> test" (see chatops.Parse).
	CommandPrefix string
	// TrustTTL is how long the policy reuses an answer (policy.DefaultTTL when 0).
	TrustTTL time.Duration
	// SkipMarkers reads a pull request's head commit message for [skip ci] (a GitHub read per
	// event; pushes carry their message).
	SkipMarkers bool
	// MakesCheckRuns, when set, says whether this replica makes a run's check run before
	// the run (the leader does); otherwise the leader's reporting makes it once the run
	// exists. Two replicas handling one delivery then make one check run, not two.
	MakesCheckRuns func() bool
	// BindWindow is how long a commit must have been the head before a bare /ok-to-test
	// binds it (DefaultBindWindow when 0; negative: no wait, for tests).
	BindWindow time.Duration
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
	policy *policy.Policy
	now    func() time.Time
}

// validationMemoEntries bounds the clean validations remembered: one per open pull request
// and definition set is plenty.
const validationMemoEntries = 4096

// New returns a trigger.
func New(gh GitHub, loader *definition.Loader, exec executor.Executor, rep Reporter, repos Repositories, opts Options, log *zap.Logger) *Trigger {
	if opts.Parser.Memo == nil {
		opts.Parser.Memo = definition.NewValidationMemo(validationMemoEntries)
	}
	if opts.BindWindow == 0 {
		opts.BindWindow = DefaultBindWindow
	}
	return &Trigger{gh: gh, loader: loader, exec: exec, rep: rep, repos: repos, opts: opts, log: log,
		policy: policy.New(gh, opts.TrustTTL), now: time.Now}
}

// Outcome says what the trigger did with an event, for logs, metrics and tests.
type Outcome struct {
	Submitted []*run.Run
	Existing  []*run.Run // already submitted for this identity (a redelivery)
	Rejected  []*run.Run // refused by the executor or the policy; reported as failed, not retried
	Cancelled int
	Skipped   []matcher.Decision
	Errors    definition.Errors
	Ignored   string // why nothing was considered, when nothing was
	// Waiting says why the pull request waits for a member's /ok-to-test, when it does.
	Waiting string
	// Commands are the comment's commands that were carried out; Refused says why others
	// were not (the reply on the pull request).
	Commands []string
	Refused  []string
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
			n, err := t.exec.Cancel(ctx, executor.Selector{Repo: ev.Repo.FullName(), Namespace: repo.Namespace, PullRequest: ev.PullRequest.Number})
			return &Outcome{Cancelled: n}, err
		}
		return t.pullRequest(ctx, ev, repo)
	case event.KindPush:
		if ev.Deleted || ev.SHA == "" || strings.Trim(ev.SHA, "0") == "" {
			return &Outcome{Ignored: "push deletes " + ev.Ref}, nil
		}
		// Only those who may write to the repository push to it: a push is trusted code.
		return t.runDefinitions(ctx, ev, repo, plan{trigger: string(event.KindPush), defsAt: ev.SHA})
	case event.KindComment:
		return t.comment(ctx, ev, repo)
	case event.KindCheckRun:
		return t.rerunCheck(ctx, ev, repo)
	case event.KindCheckSuite:
		return t.rerunSuite(ctx, ev, repo)
	}
	return &Outcome{Ignored: fmt.Sprintf("%s events start no runs", ev.Kind)}, nil
}

// plan says what to run for an event.
type plan struct {
	// trigger is the runs' identity key: the same plan for the same commit names the same
	// runs, so a redelivery starts nothing new and a new comment or click does.
	trigger string
	// defsAt is the commit whose .tekton/ is read: the event's, or the target branch's for
	// an approved outsider in a repository that says so.
	defsAt string
	// names, when set, run those definitions whatever their annotations say (/test name).
	names []string
	// keep, when set, narrows the definitions to run (/retest: those that failed).
	keep func(def *definition.Definition) bool
	// params override the PipelineRun's params of the same names (/test key=value).
	params map[string]string
}

func (t *Trigger) runDefinitions(ctx context.Context, ev *event.Event, repo Repository, p plan) (*Outcome, error) {
	owner, name := ev.Repo.Owner, ev.Repo.Name
	files, err := t.loader.Load(ctx, t.gh, owner, name, p.defsAt)
	if err != nil {
		return nil, fmt.Errorf("loading %s/.tekton at %s: %w", ev.Repo.FullName(), short(p.defsAt), err)
	}
	out := &Outcome{}
	if len(files.Files) == 0 {
		out.Ignored = "no .tekton/ definitions at " + short(p.defsAt)
		return out, nil
	}
	if t.opts.SkipMarkers && ev.Kind == event.KindPullRequest && ev.HeadCommitMessage == "" {
		if ev.HeadCommitMessage, err = t.gh.CommitMessage(ctx, owner, name, ev.SHA); err != nil {
			return nil, err
		}
	}
	vars := template.Vars(ev, repo.Namespace, template.GitAuthSecretPlaceholder)
	for k, v := range repo.Params {
		if _, builtin := vars[k]; !builtin {
			vars[k] = v
		}
	}
	// Parse's error is the Set's Errors: the broken files are reported below and the good
	// definitions still run. Only a parse that yields no Set at all stops here.
	set, err := t.opts.Parser.Parse(files, vars)
	if set == nil {
		return nil, fmt.Errorf("parsing %s/.tekton at %s: %w", ev.Repo.FullName(), short(p.defsAt), err)
	}
	out.Errors = set.Errors
	var errs []error
	for _, de := range set.Errors {
		if err := t.rep.Errored(ctx, ev.Repo.FullName(), ev.SHA, definitionName(de.File), de.File, de.Line, de.Msg); err != nil {
			errs = append(errs, err)
		}
	}

	var selected []*definition.Definition
	if p.names != nil {
		selected, out.Refused = byName(set.Definitions, p.names)
	} else {
		var decisions []matcher.Decision
		if ev.PullRequest != nil {
			selected, decisions, err = matcher.SelectChanges(ctx, set.Definitions, ev, t.opts.Matcher, func(ctx context.Context) (matcher.Changes, error) {
				files, err := t.gh.PullRequestFiles(ctx, owner, name, ev.PullRequest.Number)
				return changesOf(files), err
			})
		} else {
			selected, decisions, err = matcher.Select(ctx, set.Definitions, ev, t.opts.Matcher, nil)
		}
		if err != nil {
			return nil, fmt.Errorf("matching definitions: %w", err)
		}
		for _, d := range decisions {
			if !d.Matched {
				out.Skipped = append(out.Skipped, d)
			}
		}
	}
	if p.keep != nil {
		selected = slices.DeleteFunc(selected, func(d *definition.Definition) bool { return !p.keep(d) })
	}
	anyGitAuth := slices.ContainsFunc(files.Files, func(f definition.File) bool {
		return template.Uses(f.Content, template.GitAuthSecret)
	})
	for _, def := range selected {
		r, existing, err := t.submit(ctx, ev, repo, def, p, anyGitAuth && usesGitAuth(def))
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

// usesGitAuth tells whether def, with the Pipeline and Tasks it inlined from other files,
// asks for {{ git_auth_secret }}: a token costs a GitHub call, asked only when needed.
func usesGitAuth(def *definition.Definition) bool {
	b, err := json.Marshal(def.PipelineRun)
	return err == nil && bytes.Contains(b, []byte(template.GitAuthSecretPlaceholder))
}

// changesOf sorts a pull request's files by kind of change. A renamed file counts under both
// names in All, so path filters see where it came from too.
func changesOf(files []github.ChangedFile) matcher.Changes {
	var c matcher.Changes
	for _, f := range files {
		c.All = append(c.All, f.Path)
		if f.PreviousPath != "" {
			c.All = append(c.All, f.PreviousPath)
		}
		switch f.Status {
		case "added", "copied":
			c.Added = append(c.Added, f.Path)
		case "removed":
			c.Deleted = append(c.Deleted, f.Path)
		case "renamed":
			c.Renamed = append(c.Renamed, f.Path)
		default:
			c.Modified = append(c.Modified, f.Path)
		}
	}
	return c
}

// byName picks the named definitions; unknown names come back as refusals.
func byName(defs []*definition.Definition, names []string) ([]*definition.Definition, []string) {
	var out []*definition.Definition
	var refused []string
	for _, n := range names {
		i := slices.IndexFunc(defs, func(d *definition.Definition) bool { return d.Name == n })
		if i < 0 {
			have := make([]string, 0, len(defs))
			for _, d := range defs {
				have = append(have, d.Name)
			}
			refused = append(refused, fmt.Sprintf("there is no definition named `%s` (there are: %s)", n, strings.Join(have, ", ")))
			continue
		}
		if !slices.Contains(out, defs[i]) {
			out = append(out, defs[i])
		}
	}
	return out, refused
}

// submit starts one definition's run: the check run first, so its ID travels in the
// PipelineRun's annotations and the run needs a single write to the cluster.
func (t *Trigger) submit(ctx context.Context, ev *event.Event, repo Repository, def *definition.Definition, p plan, gitAuth bool) (*run.Run, bool, error) {
	r := run.Run{
		Identity:   run.Identity{Repo: ev.Repo.FullName(), SHA: ev.SHA, Definition: def.Name, Trigger: p.trigger},
		Namespace:  repo.Namespace,
		Event:      string(ev.Kind),
		RepoURL:    ev.Repo.HTMLURL,
		Sender:     ev.Sender,
		DeliveryID: ev.DeliveryID,
		State:      run.Queued,
	}
	if ev.PullRequest != nil {
		r.PullRequest = ev.PullRequest.Number
		r.Event = string(event.KindPullRequest)
	} else if ev.Kind == event.KindPush {
		r.Ref = ev.Ref
	}
	r.Name = r.Identity.Name()

	if existing, err := t.exec.Get(ctx, r.Namespace, r.Name); err != nil {
		return nil, false, fmt.Errorf("looking up run %s: %w", r.Name, err)
	} else if existing != nil {
		return existing, true, nil
	}
	pr := def.PipelineRun.DeepCopy()
	pol, cancelInProgress, refusal := runPolicy(def, repo)
	if refusal == "" {
		refusal = serviceAccountRefusal(pr, repo)
	}
	if refusal == "" {
		refusal = overrideParams(pr, p.params)
	}
	var token string
	if refusal == "" && gitAuth {
		var err error
		token, err = t.gh.RunToken(ctx, ev.InstallationID, ev.Repo.Owner, ev.Repo.Name)
		switch {
		case errors.Is(err, github.ErrNoRunToken):
			refusal = err.Error()
		case err != nil:
			return nil, false, fmt.Errorf("git credentials for %s: %w", r.Name, err)
		default:
			if pr, err = withGitAuthSecret(pr, gitAuthSecretName(r.Name)); err != nil {
				return nil, false, err
			}
		}
	}
	if refusal != "" {
		return t.reject(ctx, r, "NotAllowed", refusal)
	}
	if cancelInProgress && (r.PullRequest > 0 || r.Ref != "") {
		// Before the new run exists, so that a superseded waiting run is cancelled while it
		// still waits and never takes the slot the new one is queued for.
		sel := executor.Selector{Repo: r.Repo, Namespace: r.Namespace, PullRequest: r.PullRequest, Ref: r.Ref, Definition: r.Definition,
			Except: r.Name, Why: "superseded by " + short(r.SHA)}
		if _, err := t.exec.Cancel(ctx, sel); err != nil {
			return nil, false, fmt.Errorf("cancelling the runs %s supersedes: %w", r.Name, err)
		}
	}
	makesCheckRuns := t.opts.MakesCheckRuns == nil || t.opts.MakesCheckRuns()
	if makesCheckRuns && (ev.Repair || ev.AdoptCheckRuns) {
		// A Rigger killed between creating a run's check run and the run left that check
		// run queued; repair, and a redelivery that comes before it, adopt it rather than
		// leave it queued for good beside a second. (Only they pay this call: any other
		// event's run is new or found above.)
		if id, err := t.rep.CheckRunOf(ctx, &r); err != nil {
			return nil, false, err
		} else if id != 0 {
			r.CheckRunID = id
		}
	}
	if !makesCheckRuns {
		// The leader's reporting makes it, once the run exists.
	} else if _, err := t.rep.Submitted(ctx, &r); err != nil {
		// The run still starts: the watcher gives it a check run once GitHub answers again.
		t.log.Warn("could not create the check run; the run starts without one for now",
			zap.String("run", r.Name), zap.Error(err))
	}
	if repo.ServiceAccount != "" && pr.Spec.TaskRunTemplate.ServiceAccountName == "" {
		pr.Spec.TaskRunTemplate.ServiceAccountName = repo.ServiceAccount
	}
	req := &executor.Request{Run: r, PipelineRun: pr, Namespace: repo.Namespace, Policy: pol}
	if token != "" {
		req.GitAuthSecret, req.GitToken = gitAuthSecretName(r.Name), token
	}
	submitted, err := t.exec.Submit(ctx, req)
	switch {
	case errors.Is(err, executor.ErrRejected):
		// Trying again cannot help: the check run says why, and the event is done.
		return t.reject(ctx, r, "CouldNotStart", err.Error())
	case err != nil:
		// An outage: the event is retried, and the reporter reuses this run's check run,
		// which stays queued meanwhile.
		return nil, false, fmt.Errorf("submitting %s: %w", r.Name, err)
	}
	submitted.CheckRunID = r.CheckRunID
	return submitted, false, nil
}

// reject reports a run that will not start as failed, with why, once.
func (t *Trigger) reject(ctx context.Context, r run.Run, reason, msg string) (*run.Run, bool, error) {
	failed := r
	failed.State, failed.Reason, failed.Message = run.Failed, reason, msg
	if err := t.rep.Update(ctx, failed); err != nil {
		return nil, false, fmt.Errorf("reporting that %s could not start: %w", r.Name, err)
	}
	t.log.Warn("run refused", zap.String("run", r.Name), zap.String("reason", msg))
	return &failed, false, nil
}

// serviceAccountRefusal says why pr may not run with the service accounts it names, or "".
// The identity a run's pods get is the repository's to choose, not the pull request's.
func serviceAccountRefusal(pr *pipelinev1.PipelineRun, repo Repository) string {
	named := []string{pr.Spec.TaskRunTemplate.ServiceAccountName}
	for _, s := range pr.Spec.TaskRunSpecs {
		named = append(named, s.ServiceAccountName)
	}
	for _, sa := range named {
		if sa != "" && sa != repo.ServiceAccount && !slices.Contains(repo.AllowedServiceAccounts, sa) {
			return fmt.Sprintf("the definition names the service account %q, which this repository does not allow "+
				"(allowedServiceAccounts in Rigger's configuration of the repository)", sa)
		}
	}
	return ""
}

// overrideParams sets the params of pr named in params (/test key=value); a name pr does
// not have is refused rather than silently added.
func overrideParams(pr *pipelinev1.PipelineRun, params map[string]string) string {
	for _, k := range slices.Sorted(maps.Keys(params)) {
		i := slices.IndexFunc(pr.Spec.Params, func(p pipelinev1.Param) bool { return p.Name == k })
		if i < 0 {
			return fmt.Sprintf("the definition has no param %q to set", k)
		}
		pr.Spec.Params[i].Value = *pipelinev1.NewStructuredValues(params[k])
	}
	return ""
}

// gitAuthSecretName is the Secret of one run's git credentials.
func gitAuthSecretName(runName string) string { return runName + "-git" }

// withGitAuthSecret writes the run's own Secret name where the definition said
// {{ git_auth_secret }}. Both names are DNS labels, so replacing one by the other in the
// encoded run cannot change its structure.
func withGitAuthSecret(pr *pipelinev1.PipelineRun, name string) (*pipelinev1.PipelineRun, error) {
	b, err := json.Marshal(pr)
	if err != nil {
		return nil, err
	}
	out := &pipelinev1.PipelineRun{}
	if err := json.Unmarshal(bytes.ReplaceAll(b, []byte(template.GitAuthSecretPlaceholder), []byte(name)), out); err != nil {
		return nil, err
	}
	return out, nil
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
