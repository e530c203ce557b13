package definition

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
)

// countingSource counts the calls that reach a real DirSource.
type countingSource struct {
	Source
	trees, blobs atomic.Int64
	// beforeBlob, when set, runs before each Blob call reaches the source.
	beforeBlob func()
}

func (c *countingSource) Tree(ctx context.Context, owner, repo, sha string) ([]TreeEntry, error) {
	c.trees.Add(1)
	return c.Source.Tree(ctx, owner, repo, sha)
}

func (c *countingSource) Blob(ctx context.Context, owner, repo, sha string) ([]byte, error) {
	c.blobs.Add(1)
	if c.beforeBlob != nil {
		c.beforeBlob()
	}
	return c.Source.Blob(ctx, owner, repo, sha)
}

const (
	commitA = "1111111111111111111111111111111111111111"
	commitB = "2222222222222222222222222222222222222222"
)

func TestLoadReadsOnlyDefinitionFiles(t *testing.T) {
	files, err := NewLoader(0).Load(context.Background(), NewDirSource("testdata/v1"), "o", "r", "")
	if err != nil {
		t.Fatal(err)
	}
	var paths []string
	for _, f := range files.Files {
		paths = append(paths, f.Path)
	}
	want := ".tekton/pipelines/build.yaml .tekton/pull-request.yaml .tekton/push.yml .tekton/tasks/unit.yaml"
	if got := strings.Join(paths, " "); got != want {
		t.Errorf("files %q, want %q (sorted, yaml and yml only)", got, want)
	}
}

func TestLoadCachesByContent(t *testing.T) {
	src := &countingSource{Source: NewDirSource("testdata/v1")}
	l := NewLoader(0)
	ctx := context.Background()
	first, err := l.Load(ctx, src, "o", "r", commitA)
	if err != nil {
		t.Fatal(err)
	}
	if src.trees.Load() != 1 || src.blobs.Load() != 4 {
		t.Fatalf("first load: %d tree and %d blob calls, want 1 and 4", src.trees.Load(), src.blobs.Load())
	}

	if _, err := l.Load(ctx, src, "o", "r", commitA); err != nil {
		t.Fatal(err)
	}
	if src.trees.Load() != 1 || src.blobs.Load() != 4 {
		t.Errorf("same commit again: %d tree and %d blob calls, want no new call", src.trees.Load(), src.blobs.Load())
	}

	second, err := l.Load(ctx, src, "o", "r", commitB)
	if err != nil {
		t.Fatal(err)
	}
	if src.trees.Load() != 2 || src.blobs.Load() != 4 {
		t.Errorf("new commit, same .tekton/: %d tree and %d blob calls, want 2 and 4", src.trees.Load(), src.blobs.Load())
	}
	if len(second.Files) != len(first.Files) || string(second.Files[0].Content) != string(first.Files[0].Content) {
		t.Errorf("cached load differs from the first")
	}

	// Without a commit SHA the tree is read every time (a working directory can change).
	l.Load(ctx, src, "o", "r", "")
	l.Load(ctx, src, "o", "r", "")
	if src.trees.Load() != 4 || src.blobs.Load() != 4 {
		t.Errorf("working directory loads: %d tree and %d blob calls, want 4 and 4", src.trees.Load(), src.blobs.Load())
	}
}

func TestLoadChangedFileFetchesOnlyIt(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, ".tekton/a.yaml", "a: 1\n")
	write(t, dir, ".tekton/b.yaml", "b: 1\n")
	src := &countingSource{Source: NewDirSource(dir)}
	l := NewLoader(0)
	if _, err := l.Load(context.Background(), src, "o", "r", commitA); err != nil {
		t.Fatal(err)
	}
	write(t, dir, ".tekton/b.yaml", "b: 2\n")
	files, err := l.Load(context.Background(), src, "o", "r", commitB)
	if err != nil {
		t.Fatal(err)
	}
	if src.blobs.Load() != 3 {
		t.Errorf("%d blob calls, want 3 (2, then only the changed file)", src.blobs.Load())
	}
	if string(files.Files[1].Content) != "b: 2\n" {
		t.Errorf("got %q", files.Files[1].Content)
	}
}

func TestConcurrentLoadsFetchEachBlobOnce(t *testing.T) {
	const loads = 8
	var treesDone sync.WaitGroup
	treesDone.Add(loads)
	src := &countingSource{Source: NewDirSource("testdata/v1")}
	// Hold every blob fetch until all loads have listed their trees, so that all of them want
	// the same blobs at the same time.
	allListed := make(chan struct{})
	go func() { treesDone.Wait(); close(allListed) }()
	src.beforeBlob = func() { <-allListed }
	l := NewLoader(0)
	var wg sync.WaitGroup
	errs := make(chan error, loads)
	for i := range loads {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sha := fmt.Sprintf("%040x", i+1)
			// Each load gets its own view of the tree count, then waits in Blob.
			_, err := l.Load(context.Background(), &listedSource{countingSource: src, listed: &treesDone}, "o", "r", sha)
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if n := src.blobs.Load(); n != 4 {
		t.Errorf("%d blob calls for %d concurrent loads of 4 files, want 4", n, loads)
	}
}

// listedSource signals when its Tree call is done.
type listedSource struct {
	*countingSource
	listed *sync.WaitGroup
}

func (s *listedSource) Tree(ctx context.Context, owner, repo, sha string) ([]TreeEntry, error) {
	defer s.listed.Done()
	return s.countingSource.Tree(ctx, owner, repo, sha)
}

func TestBlobCacheIsBounded(t *testing.T) {
	c := newLRU(100, func(b []byte) int64 { return int64(len(b)) })
	c.add("a", make([]byte, 40))
	c.add("b", make([]byte, 40))
	c.get("a") // a is now more recent than b
	c.add("c", make([]byte, 40))
	if _, ok := c.get("b"); ok {
		t.Error("least recently used entry kept over the bound")
	}
	if _, ok := c.get("a"); !ok {
		t.Error("recently used entry evicted")
	}
	c.add("huge", make([]byte, 101))
	if _, ok := c.get("huge"); ok || c.len() != 2 {
		t.Errorf("entry larger than the cache was kept (len %d)", c.len())
	}
}

func TestLoadRejectsWrongBlobContent(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, ".tekton/a.yaml", "a: 1\n")
	src := &lyingSource{Source: NewDirSource(dir)}
	_, err := NewLoader(0).Load(context.Background(), src, "o", "r", commitA)
	if err == nil || !strings.Contains(err.Error(), "hashes to") {
		t.Fatalf("err %v, want a hash mismatch", err)
	}
}

type lyingSource struct{ Source }

func (lyingSource) Blob(context.Context, string, string, string) ([]byte, error) {
	return []byte("something else"), nil
}

func TestLoadWithoutTektonDir(t *testing.T) {
	files, err := NewLoader(0).Load(context.Background(), NewDirSource(t.TempDir()), "o", "r", "")
	if err != nil || len(files.Files) != 0 {
		t.Fatalf("files %v, err %v; want none and no error", files, err)
	}
}

func TestLoadSourceError(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, ".tekton/a.yaml", "a: 1\n")
	src := NewDirSource(dir)
	if _, err := src.Tree(context.Background(), "", "", ""); err != nil {
		t.Fatal(err)
	}
	os.Remove(filepath.Join(dir, ".tekton/a.yaml"))
	_, err := src.Blob(context.Background(), "", "", GitBlobSHA([]byte("a: 1\n")))
	if !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("err %v, want not exist", err)
	}
}

func TestGitBlobSHAMatchesGit(t *testing.T) {
	git, err := exec.LookPath("git")
	if err != nil {
		t.Skip("git not installed")
	}
	for _, content := range []string{"", "hello\n", strings.Repeat("x", 5000)} {
		cmd := exec.Command(git, "hash-object", "--stdin")
		cmd.Stdin = strings.NewReader(content)
		out, err := cmd.Output()
		if err != nil {
			t.Fatal(err)
		}
		if want, got := strings.TrimSpace(string(out)), GitBlobSHA([]byte(content)); got != want {
			t.Errorf("GitBlobSHA(%d bytes) = %s, git says %s", len(content), got, want)
		}
	}
}

func write(t *testing.T, root, rel, content string) {
	t.Helper()
	p := filepath.Join(root, filepath.FromSlash(rel))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}
