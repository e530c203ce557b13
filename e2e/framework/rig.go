package framework

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rigger-ci/rigger/internal/fakegithub"
	"github.com/rigger-ci/rigger/pkg/apis/rigger/v1alpha1"
	"github.com/rigger-ci/rigger/pkg/config"
	"github.com/rigger-ci/rigger/pkg/executor/tekton"
	"github.com/rigger-ci/rigger/pkg/leader"
	"github.com/rigger-ci/rigger/pkg/logging"
	"github.com/rigger-ci/rigger/pkg/server"
	"k8s.io/client-go/dynamic"
)

// Rig is Rigger serving webhooks for one repository of a fake GitHub, running its builds as
// PipelineRuns in one namespace of the e2e cluster: the whole product, with only GitHub faked.
type Rig struct {
	Fake      *fakegithub.Server
	Repo      *fakegithub.Repo
	Server    *server.Server
	HookURL   string
	Secret    string
	Namespace string
	// Executor is the first replica's Tekton executor, for benchmarks that read its
	// queue's counts.
	Executor *tekton.Executor

	c                   *Cluster
	cfg                 *config.Config
	leader, fromCluster bool
	stop                func()
}

// Stop stops the first replica's server (the fake GitHub stays), as a killed or restarted
// Rigger would be; StartReplica is then the Rigger that comes back. Stopping twice is
// harmless.
func (r *Rig) Stop() { r.stop() }

// RigOptions tune StartRig.
type RigOptions struct {
	// FakeAddr is where the fake GitHub listens: the pod gateway when pods must clone from it,
	// loopback otherwise. Default: the pod gateway on a real cluster, loopback on KWOK.
	FakeAddr string
	// Repo is owner/name; default acme/widgets.
	Repo string
	// Files are committed on main before Rigger starts.
	Files map[string]string
	// LogLevel of Rigger's logger (default warn, to keep test output readable).
	LogLevel string
	// Workers is how many events Rigger handles at once (queue.workers); default Rigger's.
	Workers int
	// FromCluster makes Rigger serve the cluster's Repository resources, and no configured
	// repository: the test creates the Repository.
	FromCluster bool
	// Leader makes Rigger elect a leader with a Lease in the namespace, as replicas do, with
	// short timings (a crashed leader is replaced within LeaseDuration).
	Leader bool
	// Spec, when set, edits the repository's configuration (concurrency limit, run
	// policy defaults, ...).
	Spec func(*v1alpha1.RepositorySpec)
	// RateLimit is the installation's hourly budget of GitHub calls (default GitHub's 5000).
	RateLimit int
}

// LeaseDuration is the rigs' Lease duration when RigOptions.Leader is set.
const LeaseDuration = 4 * time.Second

const rigAppID, rigInstallationID = 4242, 777

// GitHubApp is a fake GitHub on which Rigger is an App installed on one repository: what
// a Rigger, in this process or as a process of its own, is pointed at.
type GitHubApp struct {
	Fake *fakegithub.Server
	Repo *fakegithub.Repo
	// AppID and KeyFile are the App's ID and its private key (PEM), for Rigger's
	// github.appID and github.privateKeyFile.
	AppID   int64
	KeyFile string
	// Secret signs the webhooks.
	Secret string
}

// StartGitHubApp starts a fake GitHub (with o.FakeAddr, o.Repo and o.Files as StartRig
// uses them) that stops when the test ends.
func (c *Cluster) StartGitHubApp(t testing.TB, o RigOptions) *GitHubApp {
	t.Helper()
	if o.FakeAddr == "" {
		o.FakeAddr = "127.0.0.1:0"
		if c.Nodes == "real" {
			o.FakeAddr = net.JoinHostPort(c.PodGateway, "0")
		}
	}
	if o.Repo == "" {
		o.Repo = "acme/widgets"
	}
	key, pemBytes, err := fakegithub.NewAppKey()
	if err != nil {
		t.Fatal(err)
	}
	keyFile := filepath.Join(t.TempDir(), "app.pem")
	if err := os.WriteFile(keyFile, pemBytes, 0o600); err != nil {
		t.Fatal(err)
	}
	fake, err := fakegithub.New(fakegithub.Options{RateLimit: o.RateLimit,
		App: &fakegithub.App{ID: rigAppID, PublicKey: &key.PublicKey, InstallationID: rigInstallationID}})
	if err != nil {
		t.Fatal(err)
	}
	if err := fake.Start(o.FakeAddr); err != nil {
		t.Fatalf("fake GitHub cannot listen on %s: %v", o.FakeAddr, err)
	}
	t.Cleanup(func() { _ = fake.Close() })
	repo, err := fake.CreateRepo(o.Repo, "main")
	if err != nil {
		t.Fatal(err)
	}
	// Pull requests are opened by octocat unless a test says otherwise: a member of the
	// organization, whom GitHub's payloads say is one, so the trust policy costs no call.
	fake.SetOrgMember(repo.Owner, "octocat")
	if len(o.Files) > 0 {
		if _, err := repo.Commit("main", "initial commit", o.Files); err != nil {
			t.Fatal(err)
		}
	}
	return &GitHubApp{Fake: fake, Repo: repo, AppID: rigAppID, KeyFile: keyFile, Secret: "e2e-webhook-secret"}
}

// StartRig starts a fake GitHub (as a GitHub App installation) and Rigger's server with the
// Tekton executor, mapping the repository to ns. Both stop when the test ends.
func (c *Cluster) StartRig(t testing.TB, ns string, o RigOptions) *Rig {
	t.Helper()
	if o.LogLevel == "" {
		o.LogLevel = "warn"
	}
	if o.Workers == 0 {
		o.Workers = config.DefaultQueueWorkers
	}
	gh := c.StartGitHubApp(t, o)
	fake, repo := gh.Fake, gh.Repo
	spec := v1alpha1.RepositorySpec{URL: repo.HTMLURL()}
	if o.Spec != nil {
		o.Spec(&spec)
	}
	cfg := &config.Config{
		Listen:   "127.0.0.1:0",
		Executor: config.ExecutorTekton,
		Webhook:  config.Webhook{Secret: gh.Secret},
		GitHub:   config.GitHub{APIURL: fake.APIURL(), AppID: gh.AppID, PrivateKeyFile: gh.KeyFile},
		Repositories: []config.Repository{{
			Namespace: ns, RepositorySpec: spec,
		}},
		Log:          config.Log{Level: o.LogLevel, Format: "console"},
		Queue:        config.Queue{Capacity: 10000, Workers: o.Workers},
		PullRequests: config.PullRequests{Drafts: "skip"},
	}
	if o.FromCluster {
		cfg.Repositories = nil
	}
	rig := &Rig{Fake: fake, Repo: repo, Secret: cfg.Webhook.Secret, Namespace: ns, c: c, cfg: cfg, leader: o.Leader, fromCluster: o.FromCluster}
	r := rig.StartReplica(t)
	rig.Server, rig.HookURL, rig.Executor, rig.stop = r.Server, r.HookURL, r.Executor, r.Stop
	return rig
}

// Replica is one Rigger server of a rig.
type Replica struct {
	Server  *server.Server
	HookURL string
	// Stop stops it gracefully, as a pod's deletion does (a leader hands its Lease over).
	Stop func()
	// Executor is its Tekton executor.
	Executor *tekton.Executor
}

// StartReplica starts one more Rigger server for the rig's repository and namespace, as a
// second replica of a Deployment would run. It stops when the test ends, if not before.
func (r *Rig) StartReplica(t testing.TB) *Replica {
	t.Helper()
	c, cfg := r.c, *r.cfg
	logDone := &atomic.Bool{}
	t.Cleanup(func() { logDone.Store(true) }) // registered first: runs after the server stops
	log, err := logging.New(cfg.Log.Level, cfg.Log.Format, testWriter{t, logDone})
	if err != nil {
		t.Fatal(err)
	}
	exec := tekton.New(c.Kube, c.Tekton, log.Named("tekton"))
	deps := server.Deps{Executor: exec, ExecutorName: "tekton"}
	if r.fromCluster {
		deps.Discovery, deps.Dynamic = c.Kube.Discovery(), dynamic.NewForConfigOrDie(c.Config)
	}
	if r.leader {
		lc := leader.Config{Namespace: r.Namespace, Name: "rigger", LeaseDuration: LeaseDuration,
			RenewDeadline: 3 * time.Second, RetryPeriod: 500 * time.Millisecond}
		deps.Lead = func(ctx context.Context, work func(context.Context)) error {
			return leader.Run(ctx, c.Kube, lc, log.Named("leader"), work)
		}
	}
	srv, err := server.New(&cfg, log, deps)
	if err != nil {
		t.Fatalf("starting Rigger: %v", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Run(ctx, ln) }()
	var once sync.Once
	stop := func() {
		once.Do(func() {
			cancel()
			select {
			case <-done:
			case <-time.After(30 * time.Second):
				t.Errorf("Rigger did not stop within 30s")
			}
		})
	}
	t.Cleanup(stop)
	return &Replica{Server: srv, HookURL: "http://" + ln.Addr().String() + "/hook", Stop: stop, Executor: exec}
}

// testWriter sends Rigger's log lines to the test's log, so they show with a failure only.
// Lines after the test ended (stragglers of stopping goroutines) are dropped: testing panics
// on a Log after the test's end.
type testWriter struct {
	t    testing.TB
	done *atomic.Bool
}

func (w testWriter) Write(p []byte) (int, error) {
	if !w.done.Load() {
		w.t.Log(strings.TrimRight(string(p), "\n"))
	}
	return len(p), nil
}

// OpenPullRequest commits files on a new branch off main and opens a pull request from it
// into main, as a contributor would.
func (r *Rig) OpenPullRequest(t testing.TB, branch, title string, files map[string]string) fakegithub.PullRequest {
	t.Helper()
	if err := r.Repo.CreateBranch(branch, "main"); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Repo.Commit(branch, title, files); err != nil {
		t.Fatal(err)
	}
	pr, err := r.Repo.OpenPullRequest(fakegithub.PullRequestSpec{Title: title, Head: branch})
	if err != nil {
		t.Fatal(err)
	}
	return pr
}
