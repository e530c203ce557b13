package fakegithub

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/google/go-github/v62/github"
)

type received struct {
	header http.Header
	event  any
}

// receiver validates each webhook with go-github as Rigger would.
func receiver(t *testing.T, secret string) (*httptest.Server, func() []received) {
	var mu sync.Mutex
	var got []received
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := github.ValidatePayload(r, []byte(secret))
		if err != nil {
			http.Error(w, err.Error(), http.StatusUnauthorized)
			return
		}
		ev, err := github.ParseWebHook(github.WebHookType(r), body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		mu.Lock()
		got = append(got, received{header: r.Header.Clone(), event: ev})
		mu.Unlock()
		w.WriteHeader(http.StatusAccepted)
		_, _ = io.WriteString(w, "ok")
	}))
	t.Cleanup(srv.Close)
	return srv, func() []received {
		mu.Lock()
		defer mu.Unlock()
		return append([]received(nil), got...)
	}
}

func TestSendPullRequestAndRedeliver(t *testing.T) {
	key, _ := appKey(t)
	s := newServer(t, Options{App: &App{ID: 5, PublicKey: &key.PublicKey, InstallationID: 99}})
	repo, pr := seedRepo(t, s)
	hook, got := receiver(t, "s3cret")
	ctx := context.Background()

	newSHA, err := repo.PushToPullRequest(pr.Number, "fix", map[string]string{"fix.txt": "x"})
	if err != nil {
		t.Fatal(err)
	}
	d, err := s.SendPullRequest(ctx, hook.URL, "s3cret", "acme/widgets", pr.Number, "synchronize")
	if err != nil || d.Status != http.StatusAccepted {
		t.Fatalf("delivery = %+v, %v", d, err)
	}
	ev := got()[0].event.(*github.PullRequestEvent)
	p := ev.GetPullRequest()
	if ev.GetAction() != "synchronize" || ev.GetNumber() != pr.Number || ev.GetBefore() != pr.HeadSHA || ev.GetAfter() != newSHA ||
		p.GetHead().GetSHA() != newSHA || p.GetHead().GetRef() != "feature/x" || p.GetBase().GetRef() != "main" ||
		p.GetUser().GetLogin() != "contributor" || ev.GetSender().GetLogin() != "contributor" ||
		ev.GetInstallation().GetID() != 99 || ev.GetRepo().GetCloneURL() != repo.CloneURL() ||
		ev.GetRepo().GetDefaultBranch() != "main" || p.Labels[0].GetName() != "kind/feature" || p.GetChangedFiles() != 5 {
		t.Fatalf("event = %+v\npull request = %+v", ev, p)
	}
	if _, err := s.SendPullRequest(ctx, hook.URL, "wrong", "acme/widgets", pr.Number, "opened"); err != nil {
		t.Fatal(err)
	}
	if n := len(got()); n != 1 {
		t.Fatalf("a bad signature was accepted (%d received)", n)
	}
	again, err := s.Redeliver(ctx, d.ID)
	if err != nil || !again.Redelivery {
		t.Fatal(err)
	}
	all := got()
	if len(all) != 2 || all[1].header.Get("X-GitHub-Delivery") != d.ID || all[0].header.Get("X-GitHub-Event") != "pull_request" {
		t.Fatalf("redelivery headers = %v", all[1].header)
	}
	ds := s.Deliveries()
	if len(ds) != 3 || ds[0].ID == ds[1].ID || ds[1].Status != http.StatusUnauthorized {
		t.Fatalf("deliveries = %+v", ds)
	}
	if _, err := s.SendPullRequest(ctx, hook.URL, "s3cret", "acme/widgets", pr.Number, "no_such_action"); err == nil {
		t.Fatal("an action without a fixture was sent")
	}
}

func TestSendPushAndIssueComment(t *testing.T) {
	s := newServer(t, Options{})
	repo, pr := seedRepo(t, s)
	hook, got := receiver(t, "k")
	ctx := context.Background()
	before, _ := repo.BranchSHA("main")
	for i, msg := range []string{"one", "two"} {
		if _, err := repo.Commit("main", msg, map[string]string{"n.txt": msg}); err != nil {
			t.Fatal(err, i)
		}
	}
	after, _ := repo.BranchSHA("main")
	if _, err := s.SendPush(ctx, hook.URL, "k", "acme/widgets", "main", before); err != nil {
		t.Fatal(err)
	}
	push := got()[0].event.(*github.PushEvent)
	if push.GetRef() != "refs/heads/main" || push.GetBefore() != before || push.GetAfter() != after ||
		len(push.Commits) != 2 || push.GetHeadCommit().GetMessage() != "two" || push.GetHeadCommit().GetID() != after ||
		push.Commits[0].Added[0] != "n.txt" || push.GetRepo().GetFullName() != "acme/widgets" {
		t.Fatalf("push = %+v", push)
	}

	if err := s.SetPermission("acme/widgets", "reviewer", "write"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.SendIssueComment(ctx, hook.URL, "k", "acme/widgets", pr.Number, "reviewer", "/retest"); err != nil {
		t.Fatal(err)
	}
	ic := got()[1].event.(*github.IssueCommentEvent)
	if ic.GetAction() != "created" || ic.GetComment().GetBody() != "/retest" || ic.GetComment().GetUser().GetLogin() != "reviewer" ||
		ic.GetComment().GetAuthorAssociation() != "COLLABORATOR" || ic.GetIssue().GetNumber() != pr.Number ||
		!ic.GetIssue().IsPullRequest() || ic.GetSender().GetLogin() != "reviewer" || ic.Installation != nil {
		t.Fatalf("issue_comment = %+v", ic)
	}
	if cs := s.Comments("acme/widgets", pr.Number); len(cs) != 1 || cs[0].ID != ic.GetComment().GetID() {
		t.Fatalf("comment state = %+v", cs)
	}
}
