package event

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

const fixtures = "../../testdata/github-webhooks"

// fixtureFiles lists the payload files of one event folder; a folder without files fails the
// test so that a moved testdata directory cannot make the table silently empty.
func fixtureFiles(t *testing.T, eventType string) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(fixtures, eventType, "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no fixtures for %s: %v", eventType, err)
	}
	return files
}

func TestParseFixtures(t *testing.T) {
	checks := map[Kind]func(*testing.T, *Event, raw){
		KindPullRequest: checkPullRequest,
		KindPush:        checkPush,
		KindComment:     checkComment,
		KindCheckRun:    checkCheckRun,
		KindCheckSuite:  checkCheckSuite,
		KindPing:        func(*testing.T, *Event, raw) {},
	}
	for kind, check := range checks {
		for _, file := range fixtureFiles(t, string(kind)) {
			t.Run(string(kind)+"/"+filepath.Base(file), func(t *testing.T) {
				payload, err := os.ReadFile(file)
				if err != nil {
					t.Fatal(err)
				}
				ev, err := Parse(string(kind), "delivery-"+filepath.Base(file), payload)
				if err != nil {
					t.Fatalf("Parse: %v", err)
				}
				m := decodeRaw(t, payload)
				checkCommon(t, ev, m, kind, "delivery-"+filepath.Base(file))
				check(t, ev, m)
			})
		}
	}
}

func checkCommon(t *testing.T, ev *Event, m raw, kind Kind, delivery string) {
	t.Helper()
	owner := m.str("repository", "owner", "login")
	want := Repo{
		ID:            m.num("repository", "id"),
		Owner:         owner,
		Name:          m.str("repository", "name"),
		CloneURL:      m.str("repository", "clone_url"),
		HTMLURL:       m.str("repository", "html_url"),
		DefaultBranch: m.str("repository", "default_branch"),
		Private:       m.boolean("repository", "private"),
	}
	if ev.Repo != want {
		t.Errorf("Repo = %+v, want %+v", ev.Repo, want)
	}
	if full := m.str("repository", "full_name"); m.at("repository") != nil && !strings.HasPrefix(ev.Key(), full) {
		t.Errorf("Key() = %q, want it to start with full_name %q", ev.Key(), full)
	}
	if ev.Kind != kind || ev.DeliveryID != delivery || ev.Action != m.str("action") {
		t.Errorf("Kind/DeliveryID/Action = %q/%q/%q, want %q/%q/%q", ev.Kind, ev.DeliveryID, ev.Action, kind, delivery, m.str("action"))
	}
	if ev.Sender != m.str("sender", "login") || ev.SenderID != m.num("sender", "id") {
		t.Errorf("Sender = %q (%d), want %q (%d)", ev.Sender, ev.SenderID, m.str("sender", "login"), m.num("sender", "id"))
	}
	if ev.InstallationID != m.num("installation", "id") {
		t.Errorf("InstallationID = %d, want %d", ev.InstallationID, m.num("installation", "id"))
	}
}

// wantPullRequest reads the fields Rigger keeps from a pull request object of a payload.
func wantPullRequest(pr raw) *PullRequest {
	want := &PullRequest{
		Number:            int(pr.num("number")),
		Title:             pr.str("title"),
		Draft:             pr.boolean("draft"),
		HeadSHA:           pr.str("head", "sha"),
		BaseSHA:           pr.str("base", "sha"),
		HeadBranch:        pr.str("head", "ref"),
		BaseBranch:        pr.str("base", "ref"),
		HeadRepoURL:       pr.str("head", "repo", "html_url"),
		HeadRepoCloneURL:  pr.str("head", "repo", "clone_url"),
		Author:            pr.str("user", "login"),
		AuthorAssociation: pr.str("author_association"),
		HTMLURL:           pr.str("html_url"),
		State:             pr.str("state"),
		Merged:            pr.boolean("merged"),
	}
	for _, l := range pr.list("labels") {
		if obj, ok := l.(map[string]any); ok {
			want.Labels = append(want.Labels, raw(obj).str("name"))
		}
	}
	return want
}

func checkPullRequest(t *testing.T, ev *Event, m raw) {
	want := wantPullRequest(m.sub("pull_request"))
	if want.Number == 0 || want.HeadSHA == "" {
		t.Fatalf("fixture has no PR number or head sha; test would be vacuous")
	}
	if !reflect.DeepEqual(ev.PullRequest, want) {
		t.Errorf("PullRequest = %+v\nwant %+v", ev.PullRequest, want)
	}
	if ev.SHA != want.HeadSHA || ev.Ref != refOf(want.BaseBranch) {
		t.Errorf("SHA/Ref = %q/%q, want %q/%q", ev.SHA, ev.Ref, want.HeadSHA, refOf(want.BaseBranch))
	}
	if ev.Label != m.str("label", "name") {
		t.Errorf("Label = %q, want the payload's label.name %q", ev.Label, m.str("label", "name"))
	}
}

func checkPush(t *testing.T, ev *Event, m raw) {
	var files []string
	seen := map[string]bool{}
	for _, c := range m.list("commits") {
		commit := raw(c.(map[string]any))
		for _, key := range []string{"added", "modified", "removed"} {
			for _, f := range commit.list(key) {
				if s := f.(string); !seen[s] {
					seen[s] = true
					files = append(files, s)
				}
			}
		}
	}
	if !reflect.DeepEqual(ev.ChangedFiles, files) {
		t.Errorf("ChangedFiles = %q, want %q", ev.ChangedFiles, files)
	}
	if ev.SHA != m.str("after") || ev.Ref != m.str("ref") || ev.Deleted != m.boolean("deleted") {
		t.Errorf("SHA/Ref/Deleted = %q/%q/%v, want %q/%q/%v", ev.SHA, ev.Ref, ev.Deleted, m.str("after"), m.str("ref"), m.boolean("deleted"))
	}
	if ev.HeadCommitMessage != m.str("head_commit", "message") {
		t.Errorf("HeadCommitMessage = %q, want %q", ev.HeadCommitMessage, m.str("head_commit", "message"))
	}
	if ev.PullRequest != nil || ev.Comment != nil || ev.CheckRun != nil {
		t.Errorf("push event carries PR/comment/check run: %+v", ev)
	}
}

func checkComment(t *testing.T, ev *Event, m raw) {
	want := &IssueComment{
		ID:                m.num("comment", "id"),
		Body:              m.str("comment", "body"),
		Author:            m.str("comment", "user", "login"),
		AuthorAssociation: m.str("comment", "author_association"),
	}
	if created, err := time.Parse(time.RFC3339, m.str("comment", "created_at")); err == nil {
		want.CreatedAt = created
	} else {
		t.Errorf("fixture comment has no created_at: %v", err)
	}
	if !reflect.DeepEqual(ev.Comment, want) {
		t.Errorf("Comment = %+v, want %+v", ev.Comment, want)
	}
	isPR := m.at("issue", "pull_request") != nil
	if ev.IssueNumber != int(m.num("issue", "number")) || ev.IsPullRequest != isPR {
		t.Errorf("IssueNumber/IsPullRequest = %d/%v, want %d/%v", ev.IssueNumber, ev.IsPullRequest, m.num("issue", "number"), isPR)
	}
	if ev.SHA != "" {
		t.Errorf("SHA = %q, want empty (looked up by the trigger)", ev.SHA)
	}
}

// checkChecksTarget checks the PR and ref of a check_run or check_suite event.
func checkChecksTarget(t *testing.T, ev *Event, prs []any, headBranch string) {
	t.Helper()
	if len(prs) == 0 {
		if ev.PullRequest != nil || ev.Ref != refOf(headBranch) {
			t.Errorf("PullRequest/Ref = %+v/%q, want nil/%q", ev.PullRequest, ev.Ref, refOf(headBranch))
		}
		return
	}
	want := wantPullRequest(raw(prs[0].(map[string]any)))
	if !reflect.DeepEqual(ev.PullRequest, want) || ev.Ref != refOf(want.BaseBranch) {
		t.Errorf("PullRequest/Ref = %+v/%q\nwant %+v/%q", ev.PullRequest, ev.Ref, want, refOf(want.BaseBranch))
	}
}

func checkCheckRun(t *testing.T, ev *Event, m raw) {
	want := &CheckRunRef{
		ID:         m.num("check_run", "id"),
		Name:       m.str("check_run", "name"),
		ExternalID: m.str("check_run", "external_id"),
		HeadSHA:    m.str("check_run", "head_sha"),
	}
	if want.ID == 0 || want.HeadSHA == "" {
		t.Fatal("fixture has no check run id or head sha; test would be vacuous")
	}
	if !reflect.DeepEqual(ev.CheckRun, want) || ev.SHA != want.HeadSHA {
		t.Errorf("CheckRun/SHA = %+v/%q, want %+v/%q", ev.CheckRun, ev.SHA, want, want.HeadSHA)
	}
	checkChecksTarget(t, ev, m.list("check_run", "pull_requests"), m.str("check_run", "check_suite", "head_branch"))
}

func checkCheckSuite(t *testing.T, ev *Event, m raw) {
	if ev.SHA == "" || ev.SHA != m.str("check_suite", "head_sha") {
		t.Errorf("SHA = %q, want %q", ev.SHA, m.str("check_suite", "head_sha"))
	}
	checkChecksTarget(t, ev, m.list("check_suite", "pull_requests"), m.str("check_suite", "head_branch"))
}

func TestParseUnsupportedFixtures(t *testing.T) {
	entries, err := os.ReadDir(fixtures)
	if err != nil {
		t.Fatal(err)
	}
	tested := 0
	for _, e := range entries {
		if !e.IsDir() || Kind(e.Name()).Supported() {
			continue
		}
		for _, file := range fixtureFiles(t, e.Name()) {
			payload, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			ev, err := Parse(e.Name(), "d", payload)
			if !errors.Is(err, ErrUnsupportedEvent) || ev != nil {
				t.Errorf("%s: Parse = %v, %v; want ErrUnsupportedEvent", file, ev, err)
			}
			tested++
		}
	}
	if tested == 0 {
		t.Fatal("no unsupported fixtures found")
	}
}

func TestParseMalformed(t *testing.T) {
	cases := []struct {
		kind    Kind
		payload string
		reason  string
	}{
		{KindPush, `{"ref": 42}`, "cannot decode"},
		{KindPullRequest, `not json`, "cannot decode"},
		{KindPullRequest, `null`, "empty payload"},
		{KindCheckRun, `{"check_run":{"started_at":"yesterday"}}`, "cannot decode"},
		{KindPullRequest, `{"repository":{"name":"r","owner":{"login":"o"}}}`, "pull_request"},
		{KindComment, `{"repository":{"name":"r","owner":{"login":"o"}},"issue":{"number":1}}`, "issue or comment"},
		{KindCheckRun, `{"repository":{"name":"r","owner":{"login":"o"}}}`, "check_run"},
		{KindCheckSuite, `{"repository":{"name":"r"}}`, "repository"},
		{KindPush, `{"repository":{"name":"r","owner":{"name":"o"}}}`, "ref"},
	}
	for _, c := range cases {
		ev, err := Parse(string(c.kind), "d", []byte(c.payload))
		var m *MalformedError
		if !errors.As(err, &m) || ev != nil || !IsMalformed(err) {
			t.Errorf("%s %s: Parse = %v, %v; want *MalformedError", c.kind, c.payload, ev, err)
			continue
		}
		if m.EventType != string(c.kind) || !strings.Contains(err.Error(), c.reason) {
			t.Errorf("%s %s: error %q, want type %s and reason %q", c.kind, c.payload, err, c.kind, c.reason)
		}
	}
}

func TestParsePushOwnerFallsBackToName(t *testing.T) {
	ev, err := Parse("push", "d", []byte(`{"ref":"refs/tags/v1","after":"abc","repository":{"name":"r","owner":{"name":"o"}}}`))
	if err != nil {
		t.Fatal(err)
	}
	if ev.Repo.FullName() != "o/r" || ev.Ref != "refs/tags/v1" || ev.SHA != "abc" {
		t.Errorf("got repo %q ref %q sha %q", ev.Repo.FullName(), ev.Ref, ev.SHA)
	}
}
