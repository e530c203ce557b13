package github

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"testing"
)

func TestPullRequestFilesFollowsEveryPage(t *testing.T) {
	var srv *apiServer
	srv = newAPIServer(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Query().Get("page") {
		case "", "1":
			w.Header().Set("Link", fmt.Sprintf(`<%s/repos/acme/widgets/pulls/5/files?per_page=100&page=2>; rel="next", <%s/repos/acme/widgets/pulls/5/files?per_page=100&page=2>; rel="last"`, srv.URL, srv.URL))
			fmt.Fprint(w, `[{"filename":"a.go","status":"modified"},{"filename":"new.go","previous_filename":"old.go","status":"renamed"}]`)
		case "2":
			fmt.Fprint(w, `[{"filename":".tekton/pr.yaml","status":"added"}]`)
		default:
			t.Errorf("unexpected page %q", r.URL.Query().Get("page"))
		}
	})
	c, _ := newTokenClient(t, srv.URL)
	got, err := c.PullRequestFiles(context.Background(), "acme", "widgets", 5)
	if err != nil {
		t.Fatal(err)
	}
	want := []ChangedFile{{"a.go", "modified", ""}, {"new.go", "renamed", "old.go"}, {".tekton/pr.yaml", "added", ""}}
	if !slices.Equal(got, want) {
		t.Errorf("files = %v, want %v", got, want)
	}
	if calls := srv.Calls(); len(calls) != 2 || calls[0].Query != "per_page=100" {
		t.Errorf("calls = %+v", calls)
	}
}

func TestCollaboratorPermission(t *testing.T) {
	srv := newAPIServer(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/repos/acme/widgets/collaborators/ghost/permission" {
			http.Error(w, `{"message":"Not Found"}`, http.StatusNotFound)
			return
		}
		fmt.Fprint(w, `{"permission":"write","user":{"login":"octocat"}}`)
	})
	c, _ := newTokenClient(t, srv.URL)
	for user, want := range map[string]string{"octocat": "write", "ghost": "none"} {
		got, err := c.CollaboratorPermission(context.Background(), "acme", "widgets", user)
		if err != nil || got != want {
			t.Errorf("permission of %s = %q, %v; want %q", user, got, err, want)
		}
	}
}
