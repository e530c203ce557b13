package definition

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strings"

	"golang.org/x/sync/errgroup"
	"golang.org/x/sync/singleflight"
)

// File is one definition file as stored in the repository, before templating.
type File struct {
	Path    string // e.g. .tekton/pr.yaml
	SHA     string // git blob SHA
	Content []byte // shared with the cache: never modify it
}

// Files are the definition files of one commit, sorted by path.
type Files struct {
	Owner, Repo, SHA string
	Files            []File
}

// DefaultCacheBytes bounds the blob cache of NewLoader(0).
const DefaultCacheBytes = 64 << 20

// fetchConcurrency bounds parallel blob fetches of one Load: a few at a time hides the API's
// latency without bursting against its rate limits.
const fetchConcurrency = 4

// Loader reads the .tekton/ files of a commit through a Source, caching content-addressed:
// blobs by their SHA, and the list of definition files of a commit by its SHA. So a commit
// whose .tekton/ is unchanged costs one Tree call and no Blob call, and loading a commit again
// costs nothing. A Loader is safe for concurrent use, and concurrent loads of one blob fetch it
// once.
type Loader struct {
	blobs  *lru[[]byte]
	trees  *lru[[]TreeEntry]
	flight singleflight.Group
}

// NewLoader returns a Loader whose blob cache holds at most cacheBytes of content
// (DefaultCacheBytes when cacheBytes <= 0).
func NewLoader(cacheBytes int64) *Loader {
	if cacheBytes <= 0 {
		cacheBytes = DefaultCacheBytes
	}
	return &Loader{
		blobs: newLRU(cacheBytes, func(b []byte) int64 { return int64(len(b)) + 64 }),
		// Trees of definition files are small; a sixteenth of the budget keeps thousands.
		trees: newLRU(cacheBytes/16, func(es []TreeEntry) int64 {
			n := int64(64)
			for _, e := range es {
				n += int64(len(e.Path)+len(e.SHA)) + 32
			}
			return n
		}),
	}
}

// Load returns the definition files (*.yaml and *.yml anywhere under .tekton/) of commit sha.
// A repository without .tekton/ has no files and no error. Pass sha "" for a Source whose
// content is not fixed by a commit (a DirSource over a working directory): only a full commit
// SHA's file list is cached.
func (l *Loader) Load(ctx context.Context, src Source, owner, repo, sha string) (*Files, error) {
	entries, err := l.definitionEntries(ctx, src, owner, repo, sha)
	if err != nil {
		return nil, err
	}
	files := make([]File, len(entries))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(fetchConcurrency)
	for i, e := range entries {
		g.Go(func() error {
			content, err := l.blob(gctx, src, owner, repo, e.SHA)
			if err != nil {
				return fmt.Errorf("reading %s of %s/%s: %w", e.Path, owner, repo, err)
			}
			files[i] = File{Path: e.Path, SHA: e.SHA, Content: content}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	return &Files{Owner: owner, Repo: repo, SHA: sha, Files: files}, nil
}

var commitSHA = regexp.MustCompile(`^([0-9a-f]{40}|[0-9a-f]{64})$`)

func (l *Loader) definitionEntries(ctx context.Context, src Source, owner, repo, sha string) ([]TreeEntry, error) {
	cacheable := commitSHA.MatchString(sha)
	key := owner + "/" + repo + "@" + sha
	if cacheable {
		if es, ok := l.trees.get(key); ok {
			return es, nil
		}
	}
	tree, err := src.Tree(ctx, owner, repo, sha)
	if err != nil {
		return nil, fmt.Errorf("listing %s/%s at %q: %w", owner, repo, sha, err)
	}
	var es []TreeEntry
	for _, e := range tree {
		if e.Type == "blob" && IsDefinitionPath(e.Path) {
			es = append(es, e)
		}
	}
	sort.Slice(es, func(i, j int) bool { return es[i].Path < es[j].Path })
	if cacheable {
		l.trees.add(key, es)
	}
	return es, nil
}

// IsDefinitionPath tells whether a repository path is a definition file Rigger reads.
func IsDefinitionPath(p string) bool {
	return strings.HasPrefix(p, Dir+"/") && (strings.HasSuffix(p, ".yaml") || strings.HasSuffix(p, ".yml"))
}

// blob returns a blob from the cache or the source, fetching it once however many loads ask
// for it at the same time.
func (l *Loader) blob(ctx context.Context, src Source, owner, repo, sha string) ([]byte, error) {
	for attempt := 1; ; attempt++ {
		if b, ok := l.blobs.get(sha); ok {
			return b, nil
		}
		ch := l.flight.DoChan(sha, func() (any, error) {
			if b, ok := l.blobs.get(sha); ok {
				return b, nil
			}
			b, err := src.Blob(ctx, owner, repo, sha)
			if err != nil {
				return nil, err
			}
			// The cache is keyed by content: never let a wrong answer poison it.
			if got := GitBlobSHA(b); got != sha {
				return nil, fmt.Errorf("blob %s: content hashes to %s", sha, got)
			}
			l.blobs.add(sha, b)
			return b, nil
		})
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case r := <-ch:
			if r.Err != nil {
				// The load that started the fetch may have been cancelled while this one is
				// still wanted: fetch again rather than fail with someone else's cancellation.
				if isContextErr(r.Err) && ctx.Err() == nil && r.Shared && attempt < 3 {
					continue
				}
				return nil, r.Err
			}
			return r.Val.([]byte), nil
		}
	}
}

func isContextErr(err error) bool {
	return errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)
}
