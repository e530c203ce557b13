package github

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"testing"
)

func TestTreeInOneCallWhenNotTruncated(t *testing.T) {
	srv := newAPIServer(t, func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `{"sha":"c0","truncated":false,"tree":[
			{"path":".tekton","type":"tree","sha":"t1","mode":"040000"},
			{"path":".tekton/pr.yaml","type":"blob","sha":"b1","mode":"100644"}]}`)
	})
	c, _ := newTokenClient(t, srv.URL)
	got, err := c.Tree(context.Background(), "acme", "widgets", "c0")
	if err != nil {
		t.Fatal(err)
	}
	want := []TreeEntry{entry(".tekton", "t1", "tree"), entry(".tekton/pr.yaml", "b1", "blob")}
	if !slices.Equal(got, want) {
		t.Errorf("tree = %+v, want %+v", got, want)
	}
	if calls := srv.Calls(); len(calls) != 1 || calls[0].Query != "recursive=1" {
		t.Errorf("want one recursive call, got %+v", calls)
	}
}

func TestTruncatedTreeFallsBackToWalkingTekton(t *testing.T) {
	// The root is too big for one recursive answer, and so is .tekton: Rigger must list
	// the root, then .tekton, then .tekton/tasks, directory by directory.
	trees := map[string]string{
		"c0?recursive=1": `{"sha":"c0","truncated":true,"tree":[{"path":"a","type":"blob","sha":"x"}]}`,
		"c0":             `{"sha":"c0","truncated":false,"tree":[{"path":"README.md","type":"blob","sha":"r"},{"path":"src","type":"tree","sha":"s"},{"path":".tekton","type":"tree","sha":"t1"}]}`,
		"t1?recursive=1": `{"sha":"t1","truncated":true,"tree":[]}`,
		"t1":             `{"sha":"t1","truncated":false,"tree":[{"path":"pr.yaml","type":"blob","sha":"b1"},{"path":"tasks","type":"tree","sha":"t2"}]}`,
		"t2?recursive=1": `{"sha":"t2","truncated":false,"tree":[{"path":"build.yaml","type":"blob","sha":"b2"}]}`,
	}
	srv := newAPIServer(t, func(w http.ResponseWriter, r *http.Request) {
		key := r.URL.Path[len("/repos/acme/widgets/git/trees/"):]
		if r.URL.RawQuery != "" {
			key += "?" + r.URL.RawQuery
		}
		body, ok := trees[key]
		if !ok {
			http.Error(w, `{"message":"Not Found"}`, http.StatusNotFound)
			return
		}
		fmt.Fprint(w, body)
	})
	c, _ := newTokenClient(t, srv.URL)
	got, err := c.Tree(context.Background(), "acme", "widgets", "c0")
	if err != nil {
		t.Fatal(err)
	}
	want := []TreeEntry{
		entry("README.md", "r", "blob"), entry("src", "s", "tree"), entry(".tekton", "t1", "tree"),
		entry(".tekton/pr.yaml", "b1", "blob"), entry(".tekton/tasks", "t2", "tree"),
		entry(".tekton/tasks/build.yaml", "b2", "blob"),
	}
	if !slices.Equal(got, want) {
		t.Errorf("tree =\n%+v\nwant\n%+v", got, want)
	}
	if n := len(srv.Calls()); n != 5 {
		t.Errorf("server saw %d calls, want 5", n)
	}
}

func TestBlobDecodesBothEncodings(t *testing.T) {
	srv := newAPIServer(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/repos/acme/widgets/git/blobs/plain" {
			fmt.Fprint(w, `{"sha":"plain","encoding":"utf-8","content":"kind: PipelineRun\n"}`)
			return
		}
		fmt.Fprint(w, `{"sha":"b64","encoding":"base64","content":"a2luZDog\nUGlwZWxpbmVSdW4K\n"}`)
	})
	c, _ := newTokenClient(t, srv.URL)
	for _, sha := range []string{"plain", "b64"} {
		got, err := c.Blob(context.Background(), "acme", "widgets", sha)
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != "kind: PipelineRun\n" {
			t.Errorf("blob %s = %q", sha, got)
		}
	}
}

func entry(path, sha, typ string) TreeEntry { return TreeEntry{Path: path, SHA: sha, Type: typ} }
