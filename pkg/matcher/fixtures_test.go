package matcher

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"github.com/rigger-ci/rigger/pkg/event"
)

const fixtures = "../../testdata/github-webhooks"

// delivery parses a real webhook payload as the webhook handler does, with the headers
// GitHub sends. edit, when set, changes the decoded payload first (to make a real payload
// show a case the fixtures lack, such as a comment on a pull request).
func delivery(t testing.TB, eventType, file string, edit func(map[string]any)) *event.Event {
	t.Helper()
	payload, err := os.ReadFile(filepath.Join(fixtures, eventType, file))
	if err != nil {
		t.Fatal(err)
	}
	if edit != nil {
		var m map[string]any
		if err := json.Unmarshal(payload, &m); err != nil {
			t.Fatal(err)
		}
		edit(m)
		if payload, err = json.Marshal(m); err != nil {
			t.Fatal(err)
		}
	}
	ev, err := event.Parse(eventType, "delivery-1", payload)
	if err != nil {
		t.Fatalf("%s/%s: %v", eventType, file, err)
	}
	ev.Headers = http.Header{}
	ev.Headers.Set("X-GitHub-Event", eventType)
	ev.Headers.Set("X-GitHub-Delivery", "delivery-1")
	ev.Headers.Set("User-Agent", "GitHub-Hookshot/044aadd")
	return ev
}

// obj walks a decoded payload to the object at path.
func obj(m map[string]any, path ...string) map[string]any {
	for _, p := range path {
		m = m[p].(map[string]any)
	}
	return m
}

// onPullRequest makes an issue_comment payload's issue a pull request, as GitHub marks it,
// and fills the pull request as the trigger does before matching a comment.
func onPullRequest(t testing.TB, file string, edit func(map[string]any)) *event.Event {
	ev := delivery(t, "issue_comment", file, func(m map[string]any) {
		obj(m, "issue")["pull_request"] = map[string]any{"url": "https://api.github.com/repos/Codertocat/Hello-World/pulls/1"}
		if edit != nil {
			edit(m)
		}
	})
	if !ev.IsPullRequest {
		t.Fatal("comment fixture is not on a pull request; the comment tests would be vacuous")
	}
	ev.PullRequest = &event.PullRequest{Number: ev.IssueNumber, BaseBranch: "master", HeadBranch: "changes", Title: "Update the README"}
	return ev
}
