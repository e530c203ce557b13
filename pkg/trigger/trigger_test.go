package trigger_test

import (
	"context"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rigger-ci/rigger/internal/fakegithub"
	"github.com/rigger-ci/rigger/pkg/definition"
	"github.com/rigger-ci/rigger/pkg/event"
	"github.com/rigger-ci/rigger/pkg/executor/local"
	"github.com/rigger-ci/rigger/pkg/github"
	"github.com/rigger-ci/rigger/pkg/reporter"
	"github.com/rigger-ci/rigger/pkg/run"
	"github.com/rigger-ci/rigger/pkg/trigger"
	"github.com/rigger-ci/rigger/pkg/webhook"
	"go.uber.org/zap/zaptest"
)

const (
	repoName = "acme/widgets"
	secret   = "trigger-test-secret"
	timeout  = 30 * time.Second
)

var appKey = sync.OnceValue(func() *rsa.PrivateKey {
	k, _, err := fakegithub.NewAppKey()
	if err != nil {
		panic(err)
	}
	return k
})

// repositories is a fixed configuration of repositories, as rigger.yaml gives them.
type repositories map[string]trigger.Repository

func (rs repositories) Lookup(fullName string) (trigger.Repository, bool) {
	r, ok := rs[fullName]
	return r, ok
}

// events receives webhooks through Rigger's real webhook handler and hands their events to
// the test, in place of the server's queue.
type events chan *event.Event

func (e events) Enqueue(ev *event.Event) error { e <- ev; return nil }

type fixture struct {
	t    *testing.T
	gh   *fakegithub.Server
	repo *fakegithub.Repo
	exec *local.Executor
	trig *trigger.Trigger
	hook string
	evs  events
	// client is Rigger's GitHub client, whose calls the tests count.
	client *github.Client
}

// newFixture builds a trigger of real parts: the GitHub client in App mode against the
// fake, the definition loader, the local executor and the reporter.
func newFixture(t *testing.T, repos repositories, files map[string]string) *fixture {
	t.Helper()
	return newFixtureWith(t, repos, files, trigger.Options{})
}

func newFixtureWith(t *testing.T, repos repositories, files map[string]string, opts trigger.Options) *fixture {
	t.Helper()
	key := appKey()
	fake, err := fakegithub.New(fakegithub.Options{Dir: t.TempDir(),
		App: &fakegithub.App{ID: 9, PublicKey: &key.PublicKey, InstallationID: 77}})
	if err != nil {
		t.Fatal(err)
	}
	if err := fake.Start("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = fake.Close() })
	repo, err := fake.CreateRepo(repoName, "main")
	if err != nil {
		t.Fatal(err)
	}
	// Pull requests are opened by octocat unless a test says otherwise: a member of the
	// organization, whom GitHub's payloads say is one, so the trust policy costs no call.
	fake.SetOrgMember("acme", "octocat")
	if _, err := repo.Commit("main", "Initial commit", files); err != nil {
		t.Fatal(err)
	}
	gh, err := github.New(github.Config{
		APIURL:     fake.APIURL(),
		AppID:      9,
		PrivateKey: pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)}),
		Retry:      github.RetryPolicy{MaxAttempts: 2, BaseDelay: time.Millisecond, MaxDelay: 2 * time.Millisecond},
	}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	exec, err := local.New(local.Config{DataDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = exec.Close() })
	rep := reporter.New(gh, reporter.Options{Logs: exec})
	trig := trigger.New(gh, definition.NewLoader(0), exec, rep, repos, opts, zaptest.NewLogger(t))

	evs := make(events, 10)
	hook, err := webhook.New(webhook.Config{Secrets: []string{secret}, Enqueuer: evs})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(hook)
	t.Cleanup(hs.Close)
	return &fixture{t: t, gh: fake, repo: repo, exec: exec, trig: trig, hook: hs.URL, evs: evs, client: gh}
}

func configured() repositories {
	return repositories{repoName: {Namespace: "ci-widgets", Params: map[string]string{"team": "platform", "revision": "not-this"}}}
}

// receive takes the event of a delivery the webhook handler accepted.
func (f *fixture) receive(d fakegithub.Delivery, err error) *event.Event {
	f.t.Helper()
	if err != nil {
		f.t.Fatal(err)
	}
	if d.Status != http.StatusAccepted {
		f.t.Fatalf("%s delivery: %d %s", d.Event, d.Status, d.ResponseBody)
	}
	select {
	case ev := <-f.evs:
		return ev
	case <-time.After(timeout):
		f.t.Fatalf("no event from %s delivery %s", d.Event, d.ID)
		return nil
	}
}

func (f *fixture) pullRequest(number int, action string) *event.Event {
	f.t.Helper()
	return f.receive(f.gh.SendPullRequest(context.Background(), f.hook, secret, repoName, number, action))
}

func (f *fixture) openPR() fakegithub.PullRequest {
	f.t.Helper()
	if err := f.repo.CreateBranch("feature", "main"); err != nil {
		f.t.Fatal(err)
	}
	if _, err := f.repo.Commit("feature", "Change", map[string]string{"src/a.go": "package a\n"}); err != nil {
		f.t.Fatal(err)
	}
	pr, err := f.repo.OpenPullRequest(fakegithub.PullRequestSpec{Head: "feature", Author: "octocat"})
	if err != nil {
		f.t.Fatal(err)
	}
	return pr
}

func (f *fixture) handle(ev *event.Event) (*trigger.Outcome, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	return f.trig.Handle(ctx, ev)
}

func (f *fixture) wait(r *run.Run) *run.Run {
	f.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	done, err := f.exec.Wait(ctx, r.Name)
	if err != nil {
		f.t.Fatalf("waiting for run %s: %v\ncheck runs: %+v", r.Name, err, f.gh.CheckRuns(repoName))
	}
	return done
}

func (f *fixture) logOf(r *run.Run) string {
	f.t.Helper()
	log, err := f.exec.LogTail(context.Background(), r, "build", "compile", 20)
	if err != nil {
		f.t.Fatal(err)
	}
	return log
}

func definitionFile(name, onEvent, script string) string {
	return fmt.Sprintf(`apiVersion: tekton.dev/v1
kind: PipelineRun
metadata:
  name: %s
  annotations:
    pipelinesascode.tekton.dev/on-event: "%s"
    pipelinesascode.tekton.dev/on-target-branch: "[main]"
spec:
  pipelineSpec:
    tasks:
      - name: build
        taskSpec:
          steps:
            - name: compile
              image: alpine
              script: |
                %s
`, name, onEvent, script)
}

func standardFiles() map[string]string {
	return map[string]string{
		".tekton/pull-request.yaml": definitionFile("pull-request", "[pull_request]",
			"echo {{ revision }} pr={{ pull_request_number }} from={{ source_branch }} to={{ target_branch }} team={{ team }}"),
		".tekton/push.yaml": definitionFile("push", "[push]", "echo push {{ revision }}"),
	}
}

// A pull request submits its matching definition once, with a check run, and skips the
// rest; handling the same event again finds the run it already submitted.
func TestHandleSubmitsOnceAndSkipsTheRest(t *testing.T) {
	f := newFixture(t, configured(), standardFiles())
	pr := f.openPR()
	ev := f.pullRequest(pr.Number, "opened")

	out, err := f.handle(ev)
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Submitted) != 1 || len(out.Existing) != 0 || len(out.Errors) != 0 || out.Ignored != "" {
		t.Fatalf("outcome = %+v", out)
	}
	r := out.Submitted[0]
	want := run.Identity{Repo: repoName, SHA: pr.HeadSHA, Definition: "pull-request", Trigger: "pull_request"}
	if r.Identity != want || r.Name != want.Name() || r.PullRequest != pr.Number || r.Namespace != "ci-widgets" || r.Sender != "octocat" {
		t.Errorf("submitted run = %+v", r)
	}
	crs := f.gh.CheckRuns(repoName)
	if len(crs) != 1 || crs[0].ID != r.CheckRunID || crs[0].Name != "Rigger / pull-request" || crs[0].HeadSHA != pr.HeadSHA {
		t.Fatalf("check runs = %+v, submitted run's check run %d", crs, r.CheckRunID)
	}
	if len(out.Skipped) != 1 || out.Skipped[0].Definition == nil || out.Skipped[0].Definition.Name != "push" ||
		!strings.Contains(out.Skipped[0].Reason, "pull_request") {
		t.Errorf("skipped = %+v, want the push definition with a reason naming pull_request", out.Skipped)
	}

	done := f.wait(r)
	if done.State != run.Succeeded {
		t.Fatalf("run ended %s: %s %s", done.State, done.Reason, done.Message)
	}
	// Built-in variables win over a repository parameter of the same name.
	wantLog := fmt.Sprintf("%s pr=%d from=feature to=main team=platform", pr.HeadSHA, pr.Number)
	if log := f.logOf(done); !strings.Contains(log, wantLog) {
		t.Errorf("log %q does not contain %q", log, wantLog)
	}

	again, err := f.handle(ev)
	if err != nil {
		t.Fatal(err)
	}
	if len(again.Submitted) != 0 || len(again.Existing) != 1 || again.Existing[0].Name != r.Name {
		t.Errorf("second outcome = %+v, want the existing run %s", again, r.Name)
	}
	if n := len(f.gh.CheckRuns(repoName)); n != 1 {
		t.Errorf("%d check runs after handling the event twice, want 1", n)
	}
}

// A broken file is an Error in the outcome with its file and line, and gets a failed check
// run; the good definition is still submitted and Handle does not ask for a retry.
func TestHandleReportsBrokenFilesAndSubmitsGoodOnes(t *testing.T) {
	files := standardFiles()
	files[".tekton/broken.yaml"] = "apiVersion: tekton.dev/v1\nkind: PipelineRun\nmetadata:\n  name: broken\n  labels: a: b\n"
	f := newFixture(t, configured(), files)
	pr := f.openPR()
	out, err := f.handle(f.pullRequest(pr.Number, "opened"))
	if err != nil {
		t.Fatalf("Handle: %v (a broken file must not fail the event)", err)
	}
	if len(out.Errors) != 1 || out.Errors[0].File != ".tekton/broken.yaml" || out.Errors[0].Line != 5 {
		t.Errorf("errors = %v, want one at .tekton/broken.yaml:5", out.Errors)
	}
	if len(out.Submitted) != 1 || out.Submitted[0].Definition != "pull-request" {
		t.Errorf("submitted = %+v, want the pull-request definition", out.Submitted)
	}
	var found bool
	for _, cr := range f.gh.CheckRuns(repoName) {
		if cr.Name == "Rigger / broken" {
			found = true
			if cr.Conclusion != "failure" || !strings.Contains(cr.Output.Title, ".tekton/broken.yaml:5") {
				t.Errorf("broken file's check run = %s %q", cr.Conclusion, cr.Output.Title)
			}
		}
	}
	if !found {
		t.Errorf("no check run for the broken file: %+v", f.gh.CheckRuns(repoName))
	}
}

// Events that cannot start runs are ignored with a reason, without a run or a check run.
func TestHandleIgnores(t *testing.T) {
	ctx := context.Background()
	t.Run("unconfigured repository", func(t *testing.T) {
		f := newFixture(t, repositories{}, standardFiles())
		pr := f.openPR()
		out, err := f.handle(f.pullRequest(pr.Number, "opened"))
		if err != nil || !strings.Contains(out.Ignored, "not configured") {
			t.Fatalf("outcome = %+v, %v", out, err)
		}
		if calls := f.gh.Calls(); len(calls) != 0 {
			t.Errorf("an unconfigured repository cost %d GitHub calls", len(calls))
		}
	})
	t.Run("deleted branch", func(t *testing.T) {
		f := newFixture(t, configured(), standardFiles())
		d, err := f.gh.SendPush(ctx, f.hook, secret, repoName, "main", "",
			fakegithub.WithPayloadEdit(func(p map[string]any) {
				p["deleted"], p["after"], p["head_commit"], p["commits"] = true, strings.Repeat("0", 40), nil, []any{}
			}))
		out, err := f.handle(f.receive(d, err))
		if err != nil || !strings.Contains(out.Ignored, "deletes") {
			t.Fatalf("outcome = %+v, %v", out, err)
		}
	})
	t.Run("comment", func(t *testing.T) {
		f := newFixture(t, configured(), standardFiles())
		pr := f.openPR()
		out, err := f.handle(f.receive(f.gh.SendIssueComment(ctx, f.hook, secret, repoName, pr.Number, "octocat", "Thanks, /retest once CI is green")))
		if err != nil || out.Ignored == "" || len(out.Submitted) != 0 {
			t.Fatalf("outcome = %+v, %v", out, err)
		}
	})
	t.Run("no definitions", func(t *testing.T) {
		f := newFixture(t, configured(), map[string]string{"README.md": "hi\n"})
		pr := f.openPR()
		out, err := f.handle(f.pullRequest(pr.Number, "opened"))
		if err != nil || !strings.Contains(out.Ignored, "no .tekton/") {
			t.Fatalf("outcome = %+v, %v", out, err)
		}
		if crs := f.gh.CheckRuns(repoName); len(crs) != 0 {
			t.Errorf("check runs = %+v", crs)
		}
	})
}

// A GitHub outage is an error that asks for a retry and leaves nothing half done; the retry
// submits the run.
func TestHandleOutageAsksForRetry(t *testing.T) {
	f := newFixture(t, configured(), standardFiles())
	pr := f.openPR()
	ev := f.pullRequest(pr.Number, "opened")
	f.gh.FailNext("GET /repos/{owner}/{repo}/git/trees/{sha}", 2, fakegithub.BadGateway())
	out, err := f.handle(ev)
	if err == nil || out != nil {
		t.Fatalf("Handle during an outage = %+v, %v; want an error", out, err)
	}
	if !strings.Contains(err.Error(), "502") {
		t.Errorf("error %q does not say what GitHub answered", err)
	}
	if crs := f.gh.CheckRuns(repoName); len(crs) != 0 {
		t.Errorf("check runs during the outage: %+v", crs)
	}
	out, err = f.handle(ev)
	if err != nil || len(out.Submitted) != 1 {
		t.Fatalf("retry = %+v, %v", out, err)
	}
}

// Closing a pull request cancels its unfinished runs.
func TestHandleClosedCancels(t *testing.T) {
	f := newFixture(t, configured(), map[string]string{
		".tekton/pull-request.yaml": definitionFile("pull-request", "[pull_request]", "sleep 60"),
	})
	pr := f.openPR()
	out, err := f.handle(f.pullRequest(pr.Number, "opened"))
	if err != nil || len(out.Submitted) != 1 {
		t.Fatalf("outcome = %+v, %v", out, err)
	}
	if err := f.repo.ClosePullRequest(pr.Number); err != nil {
		t.Fatal(err)
	}
	closed, err := f.handle(f.pullRequest(pr.Number, "closed"))
	if err != nil || closed.Cancelled != 1 || len(closed.Submitted) != 0 {
		t.Fatalf("closed outcome = %+v, %v", closed, err)
	}
	if done := f.wait(out.Submitted[0]); done.State != run.Cancelled {
		t.Errorf("run ended %s, want cancelled", done.State)
	}
}

// A run the executor refuses (here: a required param with no value) is reported as a failed
// check run saying why, and the event is done: retrying could not mend it.
func TestHandleReportsARejectedRunWithoutRetry(t *testing.T) {
	f := newFixture(t, configured(), map[string]string{".tekton/needs-param.yaml": `apiVersion: tekton.dev/v1
kind: PipelineRun
metadata:
  name: needs-param
  annotations:
    pipelinesascode.tekton.dev/on-event: "[pull_request]"
    pipelinesascode.tekton.dev/on-target-branch: "[main]"
spec:
  pipelineSpec:
    params: [{name: go-version}]
    tasks:
      - name: build
        taskSpec:
          steps:
            - {name: compile, image: alpine, script: "echo $(params.go-version)"}
`})
	pr := f.openPR()
	out, err := f.handle(f.pullRequest(pr.Number, "opened"))
	if err != nil {
		t.Fatalf("Handle: %v (a rejected run must not ask for a retry)", err)
	}
	if len(out.Rejected) != 1 || len(out.Submitted) != 0 {
		t.Fatalf("rejected = %+v, submitted = %+v; want the one run rejected", out.Rejected, out.Submitted)
	}
	crs := f.gh.CheckRuns(repoName)
	if len(crs) != 1 || crs[0].Status != "completed" || crs[0].Conclusion != "failure" ||
		!strings.Contains(crs[0].Output.Title+crs[0].Output.Summary+crs[0].Output.Text, "go-version") {
		t.Fatalf("check runs = %+v, want one failed naming the missing param", crs)
	}
}
