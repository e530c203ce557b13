package trigger_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/rigger-ci/rigger/internal/fakegithub"
	"github.com/rigger-ci/rigger/pkg/definition"
	"github.com/rigger-ci/rigger/pkg/event"
	"github.com/rigger-ci/rigger/pkg/reporter"
	"github.com/rigger-ci/rigger/pkg/run"
	"github.com/rigger-ci/rigger/pkg/trigger"
	"go.uber.org/zap/zaptest"
)

// outsiderPR opens a pull request by someone the project does not know, from a branch with
// one change.
func (f *fixture) outsiderPR() fakegithub.PullRequest {
	f.t.Helper()
	if err := f.repo.CreateBranch("contrib", "main"); err != nil {
		f.t.Fatal(err)
	}
	if _, err := f.repo.Commit("contrib", "Contribution", map[string]string{"src/b.go": "package b\n"}); err != nil {
		f.t.Fatal(err)
	}
	pr, err := f.repo.OpenPullRequest(fakegithub.PullRequestSpec{Head: "contrib", Author: "stranger"})
	if err != nil {
		f.t.Fatal(err)
	}
	return pr
}

func (f *fixture) comment(number int, login, body string) *event.Event {
	f.t.Helper()
	return f.receive(f.gh.SendIssueComment(context.Background(), f.hook, secret, repoName, number, login, body))
}

// callsDuring counts the GitHub calls Rigger makes while fn runs.
func (f *fixture) callsDuring(fn func()) []fakegithub.Call {
	before := len(f.gh.Calls())
	fn()
	return f.gh.Calls()[before:]
}

func routes(calls []fakegithub.Call) []string {
	var out []string
	for _, c := range calls {
		out = append(out, c.Method+" "+c.Route)
	}
	return out
}

func (f *fixture) lastComment(number int) string {
	f.t.Helper()
	cs := f.gh.Comments(repoName, number)
	if len(cs) == 0 {
		f.t.Fatal("no comment")
	}
	return cs[len(cs)-1].Body
}

func checkRunsNamed(crs []fakegithub.CheckRun, name, sha string) []fakegithub.CheckRun {
	var out []fakegithub.CheckRun
	for _, cr := range crs {
		if cr.Name == name && cr.HeadSHA == sha {
			out = append(out, cr)
		}
	}
	return out
}

// An outsider's pull request runs nothing and reads nothing of its head until a member
// approves that exact commit; the approval survives in the comments, and the next push
// waits again.
func TestOutsiderWaitsForOkToTestOfThatCommit(t *testing.T) {
	f := newFixture(t, configured(), standardFiles())
	f.gh.SetOrgMember("acme", "maintainer")
	pr := f.outsiderPR()

	var out *trigger.Outcome
	calls := f.callsDuring(func() {
		var err error
		if out, err = f.handle(f.pullRequest(pr.Number, "opened")); err != nil {
			t.Fatal(err)
		}
	})
	if out.Waiting == "" || len(out.Submitted)+len(out.Existing) != 0 {
		t.Fatalf("outsider's PR: %+v, want it waiting", out)
	}
	for _, c := range calls {
		body, _ := c.Body.(map[string]any)
		if strings.Contains(c.Route, "/git/") || body["repositories"] != nil {
			t.Errorf("an outsider's PR cost %s %s: nothing of the head may be read, no token made, before approval", c.Method, c.Path)
		}
	}
	waiting := checkRunsNamed(f.gh.CheckRuns(repoName), reporter.WaitingCheck, pr.HeadSHA)
	if len(waiting) != 1 || waiting[0].Conclusion != "neutral" || !strings.Contains(waiting[0].Output.Title, "/ok-to-test") {
		t.Fatalf("waiting check runs = %+v", waiting)
	}
	if runs, _ := f.exec.All(); len(runs) != 0 {
		t.Fatalf("%d runs exist for a waiting PR", len(runs))
	}

	// The outsider cannot approve their own code.
	out, err := f.handle(f.comment(pr.Number, "stranger", "/ok-to-test "+pr.HeadSHA))
	if err != nil || len(out.Submitted) != 0 || len(out.Refused) != 1 {
		t.Fatalf("outsider's /ok-to-test: %+v, %v", out, err)
	}
	if c := f.lastComment(pr.Number); !strings.Contains(c, "for members") {
		t.Errorf("reply = %q, want it to say who may", c)
	}

	// A member approves the head by SHA: the definitions run, and the reply records it.
	out, err = f.handle(f.comment(pr.Number, "maintainer", "Looks harmless.\n/ok-to-test "+pr.HeadSHA[:10]))
	if err != nil || len(out.Submitted) != 1 || out.Submitted[0].Definition != "pull-request" {
		t.Fatalf("member's /ok-to-test: %+v, %v", out, err)
	}
	if c := f.lastComment(pr.Number); !strings.Contains(c, pr.HeadSHA) {
		t.Errorf("reply = %q, want it to name the approved commit", c)
	}
	if waiting := checkRunsNamed(f.gh.CheckRuns(repoName), reporter.WaitingCheck, pr.HeadSHA); waiting[0].Conclusion != "success" {
		t.Errorf("waiting check run after approval: %+v", waiting[0])
	}

	// A restarted Rigger (a new trigger, nothing in memory) finds the approval in the
	// comments: a redelivered event for the approved head starts the same run, no other.
	f.trig = trigger.New(f.client, definition.NewLoader(0), f.exec, reporter.New(f.client, reporter.Options{}), configured(), trigger.Options{}, zaptest.NewLogger(t))
	out, err = f.handle(f.pullRequest(pr.Number, "synchronize"))
	if err != nil || len(out.Existing) != 1 || len(out.Submitted) != 0 || out.Waiting != "" {
		t.Fatalf("redelivery for the approved head: %+v, %v", out, err)
	}

	// The outsider pushes again: the new head waits for its own approval.
	head2, err := f.repo.PushToPullRequest(pr.Number, "More", map[string]string{"src/c.go": "package c\n"})
	if err != nil {
		t.Fatal(err)
	}
	out, err = f.handle(f.pullRequest(pr.Number, "synchronize"))
	if err != nil || out.Waiting == "" || len(out.Submitted)+len(out.Existing) != 0 {
		t.Fatalf("next push: %+v, %v; want it waiting again", out, err)
	}
	if len(checkRunsNamed(f.gh.CheckRuns(repoName), reporter.WaitingCheck, head2)) != 1 {
		t.Errorf("no waiting check run on the new head %s", head2)
	}
	// A trusted /test of an unapproved head is refused too, with the way forward.
	out, err = f.handle(f.comment(pr.Number, "maintainer", "/test"))
	if err != nil || len(out.Submitted) != 0 || len(out.Refused) != 1 || !strings.Contains(out.Refused[0], "/ok-to-test "+head2) {
		t.Fatalf("/test of an unapproved head: %+v, %v", out, err)
	}
}

// The call budget of an outsider's event once Rigger knows who they are: the approval
// records (a conditional read) and the waiting check run.
func TestOutsiderEventCostsTwoCalls(t *testing.T) {
	f := newFixture(t, configured(), standardFiles())
	pr := f.outsiderPR()
	if _, err := f.handle(f.pullRequest(pr.Number, "opened")); err != nil {
		t.Fatal(err)
	}
	if _, err := f.repo.PushToPullRequest(pr.Number, "More", map[string]string{"x": "y"}); err != nil {
		t.Fatal(err)
	}
	calls := f.callsDuring(func() {
		if out, err := f.handle(f.pullRequest(pr.Number, "synchronize")); err != nil || out.Waiting == "" {
			t.Fatalf("%+v, %v", out, err)
		}
	})
	if len(calls) > 2 {
		t.Errorf("an outsider's push cost %d calls, want at most 2: %q", len(calls), routes(calls))
	}
	for _, c := range calls {
		if c.Route == "GET /repos/{owner}/{repo}/issues/{number}/comments" && c.Status != 304 {
			t.Errorf("the approval records were read in full (%d) though nothing was said", c.Status)
		}
	}
}

// A bare /ok-to-test binds the head the member saw, and refuses when the head moved too
// close to the comment to tell.
func TestBareOkToTestBindsTheHeadOrRefuses(t *testing.T) {
	t.Run("head older than the window", func(t *testing.T) {
		f := newFixtureWith(t, configured(), standardFiles(), trigger.Options{BindWindow: -1})
		f.gh.SetOrgMember("acme", "maintainer")
		pr := f.outsiderPR()
		if _, err := f.handle(f.pullRequest(pr.Number, "opened")); err != nil {
			t.Fatal(err)
		}
		out, err := f.handle(f.comment(pr.Number, "maintainer", "/ok-to-test"))
		if err != nil || len(out.Submitted) != 1 || out.Submitted[0].SHA != pr.HeadSHA {
			t.Fatalf("bare /ok-to-test: %+v, %v", out, err)
		}
		if c := f.lastComment(pr.Number); !strings.Contains(c, pr.HeadSHA) {
			t.Errorf("reply %q does not say which commit it bound", c)
		}
	})
	t.Run("head moved just before the comment", func(t *testing.T) {
		f := newFixture(t, configured(), standardFiles())
		f.gh.SetOrgMember("acme", "maintainer")
		pr := f.outsiderPR()
		if _, err := f.handle(f.pullRequest(pr.Number, "opened")); err != nil {
			t.Fatal(err)
		}
		out, err := f.handle(f.comment(pr.Number, "maintainer", "/ok-to-test"))
		if err != nil || len(out.Submitted) != 0 || len(out.Refused) != 1 || !strings.Contains(out.Refused[0], "/ok-to-test <sha>") {
			t.Fatalf("ambiguous bare /ok-to-test: %+v, %v", out, err)
		}
	})
	t.Run("no record of when the head came", func(t *testing.T) {
		f := newFixtureWith(t, configured(), standardFiles(), trigger.Options{BindWindow: -1})
		f.gh.SetOrgMember("acme", "maintainer")
		pr := f.outsiderPR() // Rigger never saw its event
		out, err := f.handle(f.comment(pr.Number, "maintainer", "/ok-to-test"))
		if err != nil || len(out.Submitted) != 0 || len(out.Refused) != 1 {
			t.Fatalf("/ok-to-test without a record: %+v, %v", out, err)
		}
	})
}

func failingFiles() map[string]string {
	return map[string]string{
		".tekton/unit.yaml": definitionFile("unit", "[pull_request]", "echo unit ok"),
		".tekton/lint.yaml": definitionFile("lint", "[pull_request]", "echo lint failed; exit 1"),
		".tekton/slow.yaml": definitionFile("slow", "[push]", "sleep 30"),
	}
}

// /test with names runs those definitions whatever their annotations, with params set;
// /retest runs again only what failed; /cancel cancels; a redelivered comment starts nothing.
func TestTestRetestCancel(t *testing.T) {
	f := newFixture(t, configured(), failingFiles())
	pr := f.openPR()
	out, err := f.handle(f.pullRequest(pr.Number, "opened"))
	if err != nil || len(out.Submitted) != 2 {
		t.Fatalf("opened: %+v, %v", out, err)
	}
	for _, r := range out.Submitted {
		f.wait(r)
	}

	ev := f.comment(pr.Number, "octocat", "/retest")
	out, err = f.handle(ev)
	if err != nil || len(out.Submitted) != 1 || out.Submitted[0].Definition != "lint" {
		t.Fatalf("/retest: %+v, %v; want only the failed lint", out, err)
	}
	if !strings.HasPrefix(out.Submitted[0].Trigger, "comment/") {
		t.Errorf("retest run's trigger = %q", out.Submitted[0].Trigger)
	}
	f.wait(out.Submitted[0])
	if cs := f.gh.Comments(repoName, pr.Number); !slices.Contains(cs[len(cs)-1].Reactions, "rocket") {
		t.Errorf("no reaction on the accepted /retest: %+v", cs[len(cs)-1])
	}
	// GitHub redelivers the same comment: the same names, nothing new.
	out, err = f.handle(ev)
	if err != nil || len(out.Submitted) != 0 || len(out.Existing) != 1 {
		t.Fatalf("redelivered /retest: %+v, %v", out, err)
	}

	// /test slow runs a push definition on the pull request, because it is named.
	out, err = f.handle(f.comment(pr.Number, "octocat", "/test slow"))
	if err != nil || len(out.Submitted) != 1 || out.Submitted[0].Definition != "slow" {
		t.Fatalf("/test slow: %+v, %v", out, err)
	}
	slow := out.Submitted[0]
	out, err = f.handle(f.comment(pr.Number, "octocat", "/cancel slow"))
	if err != nil || out.Cancelled != 1 {
		t.Fatalf("/cancel slow: %+v, %v", out, err)
	}
	if done := f.wait(slow); done.State != run.Cancelled {
		t.Errorf("slow after /cancel: %s", done.State)
	}

	// Unknown names and an outsider's commands get one reply each, saying why.
	out, err = f.handle(f.comment(pr.Number, "octocat", "/test nosuch"))
	if err != nil || len(out.Submitted) != 0 || len(out.Refused) != 1 {
		t.Fatalf("/test nosuch: %+v, %v", out, err)
	}
	if c := f.lastComment(pr.Number); !strings.Contains(c, "nosuch") || !strings.Contains(c, "unit") {
		t.Errorf("reply = %q, want the unknown name and those that exist", c)
	}
	n := len(f.gh.Comments(repoName, pr.Number))
	out, err = f.handle(f.comment(pr.Number, "passerby", "/retest\n/cancel\n/test unit"))
	if err != nil || len(out.Submitted) != 0 || out.Cancelled != 0 || len(out.Refused) != 3 {
		t.Fatalf("outsider's commands: %+v, %v", out, err)
	}
	if got := len(f.gh.Comments(repoName, pr.Number)); got != n+2 {
		t.Errorf("%d new comments, want the outsider's and one reply", got-n)
	}
}

func TestTestOverridesParams(t *testing.T) {
	files := map[string]string{".tekton/p.yaml": `apiVersion: tekton.dev/v1
kind: PipelineRun
metadata:
  name: p
  annotations:
    pipelinesascode.tekton.dev/on-event: "[pull_request]"
    pipelinesascode.tekton.dev/on-target-branch: "[main]"
spec:
  params:
  - {name: level, value: normal}
  pipelineSpec:
    params: [{name: level}]
    tasks:
    - name: build
      params: [{name: level, value: $(params.level)}]
      taskSpec:
        params: [{name: level}]
        steps:
        - name: compile
          image: alpine
          script: echo level=$(params.level)
`}
	f := newFixture(t, configured(), files)
	pr := f.openPR()
	out, err := f.handle(f.comment(pr.Number, "octocat", "/test p level=high"))
	if err != nil || len(out.Submitted) != 1 {
		t.Fatalf("/test p level=high: %+v, %v", out, err)
	}
	if done := f.wait(out.Submitted[0]); done.State != run.Succeeded || !strings.Contains(f.logOf(done), "level=high") {
		t.Errorf("run %s, log %q; want level=high", done.State, f.logOf(done))
	}
	out, err = f.handle(f.comment(pr.Number, "octocat", "/test p nope=1"))
	if err != nil || len(out.Rejected) != 1 || !strings.Contains(out.Rejected[0].Message, "nope") {
		t.Fatalf("/test with an unknown param: %+v, %v", out, err)
	}
}

func TestHelpEditedAndOwnComments(t *testing.T) {
	f := newFixture(t, configured(), standardFiles())
	pr := f.openPR()
	out, err := f.handle(f.comment(pr.Number, "passerby", "/help"))
	if err != nil || len(out.Commands) != 1 {
		t.Fatalf("/help: %+v, %v", out, err)
	}
	help := f.lastComment(pr.Number)
	for _, c := range []string{"/test", "/retest", "/cancel", "/ok-to-test", "/help"} {
		if !strings.Contains(help, "`"+c) {
			t.Errorf("help does not list %s:\n%s", c, help)
		}
	}
	// Rigger's own reply holds no command it would answer, and is ignored anyway.
	ev := f.comment(pr.Number, "rigger[bot]", "/retest")
	if out, err := f.handle(ev); err != nil || out.Ignored == "" {
		t.Fatalf("Rigger's own comment: %+v, %v", out, err)
	}
	edited := f.comment(pr.Number, "octocat", "/retest")
	edited.Action = "edited"
	if out, err := f.handle(edited); err != nil || out.Ignored == "" {
		t.Fatalf("edited comment: %+v, %v", out, err)
	}
	// A megabyte of commands: no run, one reply.
	n := len(f.gh.Comments(repoName, pr.Number))
	out, err = f.handle(f.comment(pr.Number, "octocat", strings.Repeat("/test\n", 200000)[:60000]))
	if err != nil || len(out.Submitted) != 0 || len(out.Refused) != 1 {
		t.Fatalf("flood: %+v, %v", out, err)
	}
	if got := len(f.gh.Comments(repoName, pr.Number)); got != n+2 {
		t.Errorf("%d new comments for the flood, want it and one reply", got-n)
	}
}

// GitHub's Re-run button on a check run runs that definition again as a new attempt.
func TestRerunButton(t *testing.T) {
	f := newFixture(t, configured(), failingFiles())
	pr := f.openPR()
	out, err := f.handle(f.pullRequest(pr.Number, "opened"))
	if err != nil || len(out.Submitted) != 2 {
		t.Fatalf("opened: %+v, %v", out, err)
	}
	var lint *run.Run
	for _, r := range out.Submitted {
		f.wait(r)
		if r.Definition == "lint" {
			lint = r
		}
	}
	ev := f.receive(f.gh.SendCheckRunRerequest(context.Background(), f.hook, secret, repoName, lint.CheckRunID, "octocat"))
	out, err = f.handle(ev)
	if err != nil || len(out.Submitted) != 1 || out.Submitted[0].Definition != "lint" || out.Submitted[0].Name == lint.Name {
		t.Fatalf("re-run: %+v, %v", out, err)
	}
	if out.Submitted[0].CheckRunID == lint.CheckRunID || out.Submitted[0].PullRequest != pr.Number {
		t.Errorf("re-run = %+v, want a new check run on #%d", out.Submitted[0], pr.Number)
	}
	f.wait(out.Submitted[0])
	// The same click redelivered starts nothing.
	if out, err = f.handle(ev); err != nil || len(out.Submitted) != 0 || len(out.Existing) != 1 {
		t.Fatalf("redelivered re-run: %+v, %v", out, err)
	}
	// Someone who may not write cannot re-run.
	out, err = f.handle(f.receive(f.gh.SendCheckRunRerequest(context.Background(), f.hook, secret, repoName, lint.CheckRunID, "passerby")))
	if err != nil || len(out.Submitted) != 0 || out.Ignored == "" {
		t.Fatalf("outsider's re-run: %+v, %v", out, err)
	}
}

// A definition cannot pick its service account or Rigger's bookkeeping.
func TestDefinitionCannotPickServiceAccount(t *testing.T) {
	files := map[string]string{".tekton/sa.yaml": strings.Replace(definitionFile("sa", "[pull_request]", "true"),
		"spec:\n", "spec:\n  taskRunTemplate:\n    serviceAccountName: cluster-admin\n", 1)}
	f := newFixture(t, configured(), files)
	pr := f.openPR()
	out, err := f.handle(f.pullRequest(pr.Number, "opened"))
	if err != nil || len(out.Rejected) != 1 || len(out.Submitted) != 0 {
		t.Fatalf("outcome: %+v, %v", out, err)
	}
	crs := checkRunsNamed(f.gh.CheckRuns(repoName), "Rigger / sa", pr.HeadSHA)
	if len(crs) != 1 || crs[0].Conclusion != "failure" || !strings.Contains(crs[0].Output.Summary+crs[0].Output.Text, "cluster-admin") {
		t.Fatalf("check runs = %+v, want a failure naming the service account", crs)
	}

	allowed := configured()
	r := allowed[repoName]
	r.AllowedServiceAccounts = []string{"cluster-admin"}
	allowed[repoName] = r
	f = newFixture(t, allowed, files)
	pr = f.openPR()
	if out, err := f.handle(f.pullRequest(pr.Number, "opened")); err != nil || len(out.Submitted) != 1 {
		t.Fatalf("allowed service account: %+v, %v", out, err)
	}
}

// Each run gets a token of its own, scoped to the repository and to reading its contents.
func TestGitAuthTokenPerRunScoped(t *testing.T) {
	files := map[string]string{
		".tekton/a.yaml": definitionFile("a", "[pull_request]", "echo {{ git_auth_secret }}"),
		".tekton/b.yaml": definitionFile("b", "[pull_request]", "echo {{ git_auth_secret }}"),
	}
	f := newFixture(t, configured(), files)
	pr := f.openPR()
	calls := f.callsDuring(func() {
		out, err := f.handle(f.pullRequest(pr.Number, "opened"))
		if err != nil || len(out.Submitted) != 2 {
			t.Fatalf("%+v, %v", out, err)
		}
		if out.Submitted[0].Name == out.Submitted[1].Name {
			t.Fatal("same run twice")
		}
		for _, r := range out.Submitted {
			if done := f.wait(r); !strings.Contains(f.logOf(done), r.Name+"-git") {
				t.Errorf("run %s: log %q does not name its own secret", r.Name, f.logOf(done))
			}
		}
	})
	var scoped int
	for _, c := range calls {
		if c.Route != "POST /app/installations/{id}/access_tokens" {
			continue
		}
		body, _ := c.Body.(map[string]any)
		repos, _ := body["repositories"].([]any)
		perms, _ := body["permissions"].(map[string]any)
		if len(repos) == 1 && repos[0] == "widgets" && len(perms) == 1 && perms["contents"] == "read" {
			scoped++
		}
	}
	if scoped != 2 {
		t.Errorf("%d scoped token requests, want one per run: %q", scoped, routes(calls))
	}
}

// Who may do what: each kind of person against each event and command.
func TestPolicyTable(t *testing.T) {
	files := standardFiles()
	files["OWNERS"] = "reviewers:\n- reviewer\n"
	f := newFixtureWith(t, configured(), files, trigger.Options{Bots: []string{"ci-bot[bot]"}})
	f.gh.SetOrgMember("acme", "member")
	for login, perm := range map[string]string{"writer": "write", "reader": "read"} {
		if err := f.gh.SetPermission(repoName, login, perm); err != nil {
			t.Fatal(err)
		}
	}
	memberPR := f.openPR() // octocat's, a member's
	out, err := f.handle(f.pullRequest(memberPR.Number, "opened"))
	if err != nil || len(out.Submitted) != 1 {
		t.Fatalf("member's PR: %+v, %v", out, err)
	}
	checkRun := out.Submitted[0].CheckRunID
	people := []struct {
		login   string
		trusted bool
	}{
		{"acme", true}, {"member", true}, {"writer", true}, {"reviewer", true}, {"ci-bot[bot]", true},
		{"reader", false}, {"outsider", false},
	}
	for i, p := range people {
		t.Run(p.login, func(t *testing.T) {
			// Their own pull request runs, or waits.
			branch := fmt.Sprintf("b%d", i)
			if err := f.repo.CreateBranch(branch, "main"); err != nil {
				t.Fatal(err)
			}
			if _, err := f.repo.Commit(branch, "change", map[string]string{branch: "x"}); err != nil {
				t.Fatal(err)
			}
			pr, err := f.repo.OpenPullRequest(fakegithub.PullRequestSpec{Head: branch, Author: p.login})
			if err != nil {
				t.Fatal(err)
			}
			out, err := f.handle(f.pullRequest(pr.Number, "opened"))
			if err != nil || (len(out.Submitted) == 1) != p.trusted || (out.Waiting != "") == p.trusted {
				t.Errorf("their PR: %+v, %v; trusted %v", out, err, p.trusted)
			}
			// Commands on a member's pull request: trusted ones act, others are refused as such.
			for _, cmd := range []string{"/test", "/retest", "/cancel", "/ok-to-test " + memberPR.HeadSHA, "/help"} {
				out, err := f.handle(f.comment(memberPR.Number, p.login, cmd))
				if err != nil {
					t.Fatalf("%s: %v", cmd, err)
				}
				refusedAsOutsider := len(out.Refused) == 1 && strings.Contains(out.Refused[0], "for members")
				if want := !p.trusted && cmd != "/help"; refusedAsOutsider != want {
					t.Errorf("%s by %s: %+v; want refused as not trusted: %v", cmd, p.login, out, want)
				}
			}
			// The Re-run button.
			out, err = f.handle(f.receive(f.gh.SendCheckRunRerequest(context.Background(), f.hook, secret, repoName, checkRun, p.login)))
			if err != nil || (len(out.Submitted) == 1) != p.trusted {
				t.Errorf("re-run by %s: %+v, %v; trusted %v", p.login, out, err, p.trusted)
			}
		})
	}
}

// A trusted author's pull request pushed to by someone who is not waits: the head is not
// the author's code. Labeled by someone who is not trusted, it still runs: a labeler
// pushed nothing.
func TestUntrustedPusherWaitsUntrustedLabelerDoesNot(t *testing.T) {
	files := standardFiles()
	files[".tekton/label.yaml"] = strings.Replace(definitionFile("label", "[pull_request]", "echo labeled"),
		"spec:\n", "  "+`  pipelinesascode.tekton.dev/on-label: "[ok]"`+"\nspec:\n", 1)
	f := newFixture(t, configured(), files)
	pr := f.openPR()
	out, err := f.handle(f.receive(f.gh.SendPullRequest(context.Background(), f.hook, secret, repoName, pr.Number, "synchronize", fakegithub.WithSender("forkmate"))))
	if err != nil || out.Waiting == "" || !strings.Contains(out.Waiting, "forkmate") {
		t.Fatalf("push by an untrusted collaborator of the fork: %+v, %v", out, err)
	}
	out, err = f.handle(f.receive(f.gh.SendPullRequest(context.Background(), f.hook, secret, repoName, pr.Number, "labeled", fakegithub.WithSender("triager"), fakegithub.WithLabel("ok"))))
	if err != nil || out.Waiting != "" {
		t.Fatalf("labeled by someone untrusted: %+v, %v", out, err)
	}
}

// With pullRequests.skipMarkers, [skip ci] in a pull request's head commit runs nothing, at
// the cost of one read of the commit; without it the pull request runs at one read.
func TestSkipMarkersOnPullRequests(t *testing.T) {
	for _, on := range []bool{true, false} {
		f := newFixtureWith(t, configured(), standardFiles(), trigger.Options{SkipMarkers: on})
		if err := f.repo.CreateBranch("feature", "main"); err != nil {
			t.Fatal(err)
		}
		if _, err := f.repo.Commit("feature", "Typo in the docs [skip ci]", map[string]string{"README.md": "x\n"}); err != nil {
			t.Fatal(err)
		}
		pr, err := f.repo.OpenPullRequest(fakegithub.PullRequestSpec{Head: "feature", Author: "octocat"})
		if err != nil {
			t.Fatal(err)
		}
		out, err := f.handle(f.pullRequest(pr.Number, "opened"))
		if err != nil {
			t.Fatal(err)
		}
		if ran := len(out.Submitted) == 1; ran == on {
			t.Errorf("skipMarkers %v: %d runs for a [skip ci] head (%+v)", on, len(out.Submitted), out.Skipped)
		}
	}
}
