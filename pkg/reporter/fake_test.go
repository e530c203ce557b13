package reporter

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/rigger-ci/rigger/internal/fakegithub"
	"github.com/rigger-ci/rigger/pkg/github"
	"github.com/rigger-ci/rigger/pkg/run"
)

// fastRetry keeps the retry tests quick; Retry-After still makes them wait a second.
var fastRetry = github.RetryPolicy{
	MaxAttempts:   4,
	BaseDelay:     time.Millisecond,
	MaxDelay:      5 * time.Millisecond,
	RateLimitWait: 10 * time.Millisecond,
	Deadline:      3 * time.Second,
}

// world is a fake GitHub with acme/widgets at one commit, and Rigger's real client.
type world struct {
	gh     *fakegithub.Server
	client *github.Client
	sha    string
}

const repoName = "acme/widgets"

func newWorld(t *testing.T, mode github.Mode) *world {
	t.Helper()
	cfg := github.Config{Retry: fastRetry}
	opts := fakegithub.Options{}
	if mode == github.ModeApp {
		key, pemBytes, err := fakegithub.NewAppKey()
		if err != nil {
			t.Fatal(err)
		}
		opts.App = &fakegithub.App{ID: 7, PublicKey: &key.PublicKey, InstallationID: 42}
		cfg.AppID = 7
		cfg.PrivateKey = pemBytes
	} else {
		opts.Tokens = map[string]string{"pat-123": "rigger-bot"}
		cfg.Token = "pat-123"
	}
	s, err := fakegithub.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	repo, err := s.CreateRepo(repoName, "main")
	if err != nil {
		t.Fatal(err)
	}
	sha, err := repo.Commit("main", "Add a pipeline", map[string]string{".tekton/pull-request.yaml": "kind: PipelineRun\n"})
	if err != nil {
		t.Fatal(err)
	}
	cfg.APIURL = s.APIURL()
	c, err := github.New(cfg, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	return &world{gh: s, client: c, sha: sha}
}

// checkRun is the one check run the fake holds.
func (w *world) checkRun(t *testing.T) fakegithub.CheckRun {
	t.Helper()
	crs := w.gh.CheckRuns(repoName)
	if len(crs) != 1 {
		t.Fatalf("want one check run, got %d: %+v", len(crs), crs)
	}
	return crs[0]
}

// logs stands in for the executor's logs: numbered lines with a secret in them.
type logs struct{ asked []string }

func (l *logs) LogTail(_ context.Context, r *run.Run, task, step string, lines int) (string, error) {
	l.asked = append(l.asked, task+"/"+step)
	var b strings.Builder
	for i := 1; i <= 30; i++ {
		fmt.Fprintf(&b, "%s/%s line %02d\n", task, step, i)
	}
	b.WriteString("pushing with token s3cr3t-value and again s3cr3t-value\n")
	b.WriteString("FAIL: TestWidget (exit 1)\n")
	lastLines := strings.Split(strings.TrimRight(b.String(), "\n"), "\n")
	return strings.Join(lastLines[len(lastLines)-lines:], "\n"), nil
}

type secrets []string

func (s secrets) SecretValues(context.Context, *run.Run) ([]string, error) { return s, nil }

// newRun is a run of the pull-request definition with three tasks, none started.
func newRun(sha string) run.Run {
	return run.Run{
		Identity:  run.Identity{Repo: repoName, SHA: sha, Definition: "pull-request", Trigger: "pull_request", Attempt: 1},
		Name:      "widgets-pull-request-abc12",
		Namespace: "ci-acme-widgets",
		State:     run.Queued,
		Tasks: []run.Task{
			{Name: "build", State: run.Queued},
			{Name: "test", State: run.Queued},
			{Name: "lint", State: run.Queued},
		},
	}
}
