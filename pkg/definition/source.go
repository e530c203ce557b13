// Package definition loads a repository's .tekton/ directory at a commit, fills template
// variables, decodes the Tekton documents in it, inlines in-repo Pipeline and Task references
// and validates the result with Tekton's own defaulting and validation. Errors name the file
// and line, and one broken file never hides the good definitions of the others.
package definition

import "context"

// Dir is where definitions live in a repository.
const Dir = ".tekton"

// TreeEntry is one entry of a git tree.
type TreeEntry struct {
	Path string // slash separated, relative to the repository root
	SHA  string // the git object SHA: for a blob, the hash of "blob <len>\x00<content>"
	Type string // "blob" or "tree"
}

// Source reads a repository's git objects: the GitHub API in the server, a directory for
// `rigger run` and `rigger lint`.
type Source interface {
	// Tree returns the whole recursive tree of commit sha.
	Tree(ctx context.Context, owner, repo, sha string) ([]TreeEntry, error)
	// Blob returns the content of the blob blobSHA.
	Blob(ctx context.Context, owner, repo, blobSHA string) ([]byte, error)
}
