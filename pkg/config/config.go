// Package config loads Rigger's configuration from rigger.yaml, RIGGER_* environment
// variables and flags (flags > env > file > defaults). Unknown keys are an error that names
// the key, so a typo never silently falls back to a default.
package config

import (
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/rigger-ci/rigger/pkg/apis/rigger/v1alpha1"
	"github.com/rigger-ci/rigger/pkg/retry"
)

// Executor names.
const (
	ExecutorLocal  = "local"
	ExecutorTekton = "tekton"
)

// Config is everything `rigger serve` needs.
type Config struct {
	Listen string `mapstructure:"listen"`
	// AdminListen, when set, serves /healthz, /readyz and /metrics there, and only /hook on
	// Listen: the one endpoint that must face the internet faces it alone.
	AdminListen  string       `mapstructure:"adminListen"`
	Executor     string       `mapstructure:"executor"`
	DataDir      string       `mapstructure:"dataDir"`
	Local        Local        `mapstructure:"local"`
	Kubeconfig   string       `mapstructure:"kubeconfig"`
	Webhook      Webhook      `mapstructure:"webhook"`
	GitHub       GitHub       `mapstructure:"github"`
	Repositories []Repository `mapstructure:"repositories"`
	Log          Log          `mapstructure:"log"`
	Queue        Queue        `mapstructure:"queue"`
	PullRequests PullRequests `mapstructure:"pullRequests"`
	Trust        Trust        `mapstructure:"trust"`
	Repair       Repair       `mapstructure:"repair"`
	Retry        Retry        `mapstructure:"retry"`
	// LeaderElection makes one of several replicas follow runs, report and repair.
	LeaderElection LeaderElection `mapstructure:"leaderElection"`
	ChatOps        ChatOps        `mapstructure:"chatops"`
}

// Trust holds the trust settings that hold for every repository (each repository adds its
// own, see v1alpha1.Trust).
type Trust struct {
	// Bots are logins (e.g. "renovate[bot]") trusted in every repository.
	Bots []string `mapstructure:"bots"`
}

// LeaderElection configures the Lease the replicas of a Rigger share (Tekton executor only).
type LeaderElection struct {
	Enabled bool `mapstructure:"enabled"`
	// Namespace of the Lease: Rigger's own (empty: the pod's, from the service account).
	Namespace string `mapstructure:"namespace"`
	Name      string `mapstructure:"name"`
	// LeaseDuration bounds a failover after a crash (a graceful stop hands over at once);
	// client-go's controllers use 15 s, renewing within 10 s, trying every 2 s.
	LeaseDuration time.Duration `mapstructure:"leaseDuration"`
	RenewDeadline time.Duration `mapstructure:"renewDeadline"`
	RetryPeriod   time.Duration `mapstructure:"retryPeriod"`
}

// Retry holds the one retry policy (waits doubling from baseDelay to maxDelay, with jitter,
// until a deadline) as each of its users applies it.
type Retry struct {
	// Events: an event whose handling fails (GitHub or the cluster away) is tried again, in
	// order with the rest of its pull request's events, until this deadline.
	Events retry.Policy `mapstructure:"events"`
	// GitHub: one GitHub request, within an event's handling or a report.
	GitHub retry.Policy `mapstructure:"github"`
	// Cluster: one call to the Kubernetes apiserver.
	Cluster retry.Policy `mapstructure:"cluster"`
}

// DefaultRetry are the retry figures unless configured.
var DefaultRetry = Retry{
	// An event is tried again for ten minutes: long enough to ride out a GitHub incident or
	// an apiserver restart, short enough that a broken event does not hold its pull
	// request's later events for long (repair makes good what is given up).
	Events: retry.Policy{BaseDelay: time.Second, MaxDelay: 2 * time.Minute, Deadline: 10 * time.Minute},
	// One GitHub request: rate limits ask for a minute or more; past two minutes the event
	// is better requeued than a worker held.
	GitHub: retry.Policy{BaseDelay: 500 * time.Millisecond, MaxDelay: 30 * time.Second, Deadline: 2 * time.Minute},
	// One apiserver call: an apiserver restart takes seconds; a minute covers a control
	// plane upgrade's leader change.
	Cluster: retry.Policy{BaseDelay: 200 * time.Millisecond, MaxDelay: 15 * time.Second, Deadline: time.Minute},
}

// Repair configures the level-triggered repair: what the repositories ask for (their open
// pull requests' heads) is compared with what runs, at start and every interval.
type Repair struct {
	// Interval between repairs; 0 turns repair off. With nothing to repair one costs a
	// conditional request per repository (a 304, not counted against GitHub's rate limit).
	Interval time.Duration `mapstructure:"interval"`
}

// ChatOps configures the commands of pull request comments.
type ChatOps struct {
	// Prefix, when set, is a word every command must start with ("/rigger test"), so that
	// Rigger can live beside another bot that answers /test.
	Prefix string `mapstructure:"prefix"`
}

// Local configures the local executor.
type Local struct {
	// Isolation: "process" runs steps on the host, "container" in their images.
	Isolation string `mapstructure:"isolation"`
	// ContainerRuntime: podman, docker or a path to either; empty takes the first that answers.
	ContainerRuntime string `mapstructure:"containerRuntime"`
	// Parallel is how many tasks may run at once; 0 means the number of CPUs.
	Parallel int `mapstructure:"parallel"`
}

// Webhook configures the /hook endpoint.
type Webhook struct {
	Secret string `mapstructure:"secret"`
	// PreviousSecrets are also accepted, so that the secret can be rotated without losing
	// deliveries: set the new one in GitHub and as secret, keep the old one here until
	// GitHub signs with the new one, then drop it.
	PreviousSecrets []string `mapstructure:"previousSecrets"`
}

// GitHub says how to reach GitHub and who Rigger is there.
type GitHub struct {
	APIURL         string `mapstructure:"apiURL"`
	Token          string `mapstructure:"token"`
	AppID          int64  `mapstructure:"appID"`
	PrivateKeyFile string `mapstructure:"privateKeyFile"`
	// GitAuthToken is the token {{ git_auth_secret }} hands a run in token mode: a separate,
	// read-only token, as a run must never receive the token Rigger itself acts with. In App
	// mode each run gets a fresh installation token scoped to its repository instead.
	GitAuthToken string `mapstructure:"gitAuthToken"`
}

// Repository maps a GitHub repository to the namespace its runs go to.
type Repository struct {
	Namespace               string `mapstructure:"namespace"`
	v1alpha1.RepositorySpec `mapstructure:",squash"`
}

// Log configures zap.
type Log struct {
	Level  string `mapstructure:"level"`
	Format string `mapstructure:"format"` // json | console
}

// DefaultQueueWorkers is how many events are handled at once unless configured. A worker
// spends its time waiting on GitHub and the apiserver, not computing, and in a burst the
// events' creates compete with Tekton reconciling the runs already created. In the spine
// benchmark (2 cores) 32 workers created PipelineRuns at 0.58-0.71x the rate of 32 goroutines
// creating them directly, 64 at 0.84-1.01x (median 0.91 of three runs), 96 at 0.87x, 128 at
// 0.78x (single runs swing +-15%). 64 also keeps a burst's concurrent GitHub requests under
// the 100 that GitHub's secondary rate limit allows.
const DefaultQueueWorkers = 64

// Queue bounds the in-process event queue.
type Queue struct {
	Capacity int `mapstructure:"capacity"`
	Workers  int `mapstructure:"workers"`
}

// PullRequests holds policy for pull request events.
type PullRequests struct {
	// Drafts: "run" (default, as Pipelines-as-Code does) treats draft PRs like any other;
	// "skip" runs nothing for them until they are marked ready for review.
	Drafts string `mapstructure:"drafts"`
	// SkipMarkers honours [skip ci] and [ci skip] in a pull request's head commit message, as
	// pushes always do. GitHub's pull request events do not carry the message, so it costs one
	// more GitHub read per pull request event: off by default, to keep a push to a pull
	// request at one read.
	SkipMarkers bool `mapstructure:"skipMarkers"`
}

// Validate checks what `rigger serve` cannot start without, with messages that say which key.
func (c *Config) Validate() error {
	var errs []error
	if c.Webhook.Secret == "" {
		errs = append(errs, errors.New("webhook.secret (RIGGER_WEBHOOK_SECRET) is required: Rigger refuses unsigned webhooks"))
	}
	if c.Executor != ExecutorLocal && c.Executor != ExecutorTekton {
		errs = append(errs, fmt.Errorf("executor: %q is not one of local, tekton", c.Executor))
	}
	if c.GitHub.AppID != 0 && c.GitHub.PrivateKeyFile == "" {
		errs = append(errs, errors.New("github.privateKeyFile is required with github.appID"))
	}
	if c.GitHub.AppID == 0 && c.GitHub.Token == "" {
		errs = append(errs, errors.New("github: set either token (RIGGER_GITHUB_TOKEN) or appID and privateKeyFile"))
	}
	if _, err := url.Parse(c.GitHub.APIURL); err != nil || c.GitHub.APIURL == "" {
		errs = append(errs, fmt.Errorf("github.apiURL: %q is not a URL", c.GitHub.APIURL))
	}
	switch c.Local.Isolation {
	case "", "process", "container":
	default:
		errs = append(errs, fmt.Errorf("local.isolation: %q is not one of process, container", c.Local.Isolation))
	}
	if c.Local.Parallel < 0 {
		errs = append(errs, fmt.Errorf("local.parallel: %d is negative", c.Local.Parallel))
	}
	switch c.PullRequests.Drafts {
	case "skip", "run":
	default:
		errs = append(errs, fmt.Errorf("pullRequests.drafts: %q is not one of skip, run", c.PullRequests.Drafts))
	}
	if strings.ContainsAny(c.ChatOps.Prefix, " \t\n/") {
		errs = append(errs, fmt.Errorf("chatops.prefix: %q must be one word, without the slash", c.ChatOps.Prefix))
	}
	seen := map[string]bool{}
	for i, r := range c.Repositories {
		switch r.Trust.DefinitionsFrom {
		case "", v1alpha1.DefinitionsFromHead, v1alpha1.DefinitionsFromBase:
		default:
			errs = append(errs, fmt.Errorf("repositories[%d].trust.definitionsFrom: %q is not one of head, base", i, r.Trust.DefinitionsFrom))
		}
		for _, team := range r.Trust.TrustedTeams {
			if org, slug, ok := strings.Cut(team, "/"); !ok || org == "" || slug == "" {
				errs = append(errs, fmt.Errorf("repositories[%d].trust.trustedTeams: %q is not org/team", i, team))
			}
		}
		if r.ConcurrencyLimit < 0 {
			errs = append(errs, fmt.Errorf("repositories[%d].concurrencyLimit: %d is negative", i, r.ConcurrencyLimit))
		}
		if r.MaxKeepRuns < 0 || r.MaxKeepRuns > v1alpha1.MaxKeepRunsLimit {
			errs = append(errs, fmt.Errorf("repositories[%d].maxKeepRuns: %d is not between 0 and %d", i, r.MaxKeepRuns, v1alpha1.MaxKeepRunsLimit))
		}
		key := strings.ToLower(strings.TrimSuffix(r.URL, "/"))
		switch {
		case r.URL == "":
			errs = append(errs, fmt.Errorf("repositories[%d].url is required", i))
		case r.Namespace == "":
			errs = append(errs, fmt.Errorf("repositories[%d] (%s): namespace is required", i, r.URL))
		case seen[key]:
			errs = append(errs, fmt.Errorf("repositories[%d]: %s is listed twice", i, r.URL))
		}
		seen[key] = true
	}
	// A configuration built in code (tests, embedding) may leave the figures out.
	for _, p := range []struct{ got, def *retry.Policy }{{&c.Retry.Events, &DefaultRetry.Events},
		{&c.Retry.GitHub, &DefaultRetry.GitHub}, {&c.Retry.Cluster, &DefaultRetry.Cluster}} {
		if *p.got == (retry.Policy{}) {
			*p.got = *p.def
		}
	}
	for name, p := range map[string]retry.Policy{"events": c.Retry.Events, "github": c.Retry.GitHub, "cluster": c.Retry.Cluster} {
		if p.BaseDelay <= 0 || p.MaxDelay < p.BaseDelay || p.Deadline <= 0 {
			errs = append(errs, fmt.Errorf("retry.%s: want 0 < baseDelay <= maxDelay and a positive deadline, got %+v", name, p))
		}
	}
	if le := c.LeaderElection; le.Enabled && (le.Name == "" || le.RetryPeriod <= 0 || le.RenewDeadline <= le.RetryPeriod || le.LeaseDuration <= le.RenewDeadline) {
		errs = append(errs, fmt.Errorf("leaderElection: want a name and leaseDuration > renewDeadline > retryPeriod > 0, got %+v", le))
	}
	if c.Repair.Interval < 0 {
		errs = append(errs, fmt.Errorf("repair.interval: %s is negative", c.Repair.Interval))
	}
	if c.Queue.Capacity <= 0 || c.Queue.Workers <= 0 {
		errs = append(errs, errors.New("queue.capacity and queue.workers must be positive"))
	}
	return errors.Join(errs...)
}

// ExpandHome turns a leading ~/ into the user's home directory.
func ExpandHome(p string) string {
	if strings.HasPrefix(p, "~/") {
		if home, err := os.UserHomeDir(); err == nil {
			return filepath.Join(home, p[2:])
		}
	}
	return p
}
