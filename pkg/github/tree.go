package github

import (
	"context"
	"encoding/base64"
	"fmt"
	"path"

	gh "github.com/google/go-github/v62/github"
	"github.com/rigger-ci/rigger/pkg/definition"
)

// TreeEntry is one file or directory of a git tree, as the definition loader reads it.
type TreeEntry = definition.TreeEntry

// The Client is the definition loader's source in the server.
var _ definition.Source = (*Client)(nil)

// definitionsDir is the directory Rigger reads definitions from; when GitHub truncates a
// large repository's tree, only this part is walked.
const definitionsDir = definition.Dir

// Tree lists the tree at sha recursively, in one call when GitHub can. A tree too large
// for one answer comes back truncated; then Rigger walks the root and the .tekton
// subtree only, which is all it reads.
func (i *Installation) Tree(ctx context.Context, owner, repo, sha string) ([]TreeEntry, error) {
	t, _, err := i.gh.Git.GetTree(ctx, owner, repo, sha, true)
	if err != nil {
		return nil, fmt.Errorf("github: tree %s of %s/%s: %w", sha, owner, repo, err)
	}
	if !t.GetTruncated() {
		return entries("", t.Entries), nil
	}
	root, _, err := i.gh.Git.GetTree(ctx, owner, repo, sha, false)
	if err != nil {
		return nil, fmt.Errorf("github: tree %s of %s/%s: %w", sha, owner, repo, err)
	}
	out := entries("", root.Entries)
	for _, e := range root.Entries {
		if e.GetPath() == definitionsDir && e.GetType() == "tree" {
			sub, err := i.walk(ctx, owner, repo, e.GetSHA(), definitionsDir)
			if err != nil {
				return nil, err
			}
			out = append(out, sub...)
		}
	}
	return out, nil
}

// walk lists a subtree under prefix: recursively in one call, or directory by directory
// when even the subtree is truncated.
func (i *Installation) walk(ctx context.Context, owner, repo, sha, prefix string) ([]TreeEntry, error) {
	t, _, err := i.gh.Git.GetTree(ctx, owner, repo, sha, true)
	if err != nil {
		return nil, fmt.Errorf("github: tree %s (%s) of %s/%s: %w", sha, prefix, owner, repo, err)
	}
	if !t.GetTruncated() {
		return entries(prefix, t.Entries), nil
	}
	t, _, err = i.gh.Git.GetTree(ctx, owner, repo, sha, false)
	if err != nil {
		return nil, fmt.Errorf("github: tree %s (%s) of %s/%s: %w", sha, prefix, owner, repo, err)
	}
	out := entries(prefix, t.Entries)
	for _, e := range t.Entries {
		if e.GetType() == "tree" {
			sub, err := i.walk(ctx, owner, repo, e.GetSHA(), path.Join(prefix, e.GetPath()))
			if err != nil {
				return nil, err
			}
			out = append(out, sub...)
		}
	}
	return out, nil
}

func entries(prefix string, in []*gh.TreeEntry) []TreeEntry {
	out := make([]TreeEntry, 0, len(in))
	for _, e := range in {
		p := e.GetPath()
		if prefix != "" {
			p = path.Join(prefix, p)
		}
		out = append(out, TreeEntry{Path: p, SHA: e.GetSHA(), Type: e.GetType()})
	}
	return out
}

// Blob returns a blob's content. Blobs are addressed by SHA, so callers may cache the
// answer for ever.
func (i *Installation) Blob(ctx context.Context, owner, repo, blobSHA string) ([]byte, error) {
	b, _, err := i.gh.Git.GetBlob(ctx, owner, repo, blobSHA)
	if err != nil {
		return nil, fmt.Errorf("github: blob %s of %s/%s: %w", blobSHA, owner, repo, err)
	}
	switch b.GetEncoding() {
	case "base64":
		data, err := base64.StdEncoding.DecodeString(stripNewlines(b.GetContent()))
		if err != nil {
			return nil, fmt.Errorf("github: blob %s of %s/%s: bad base64: %w", blobSHA, owner, repo, err)
		}
		return data, nil
	case "utf-8", "":
		return []byte(b.GetContent()), nil
	default:
		return nil, fmt.Errorf("github: blob %s of %s/%s: unknown encoding %q", blobSHA, owner, repo, b.GetEncoding())
	}
}

// stripNewlines drops the line breaks GitHub puts in base64 content every 60 characters.
func stripNewlines(s string) string {
	out := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		if s[i] != '\n' && s[i] != '\r' {
			out = append(out, s[i])
		}
	}
	return string(out)
}
