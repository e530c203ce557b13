package definition

import (
	"context"
	"crypto/sha1"
	"encoding/hex"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"sync"
)

// DirSource is a Source over a local directory (a checkout, or any folder with a .tekton/
// directory), so that `rigger run` and `rigger lint` need neither git nor GitHub. Blob SHAs
// are real git blob SHAs computed from the file contents, so the Loader's cache behaves as it
// does over the GitHub API.
//
// Tree ignores owner, repo and sha: it lists the directory as it is now. It walks only Dirs
// (default: .tekton), because that is all the Loader reads and a checkout's full tree (with
// vendor or node_modules) would cost a hash of every file.
type DirSource struct {
	Root string
	Dirs []string

	mu    sync.Mutex
	paths map[string]string // blob SHA -> file path, from the last Tree call
}

// NewDirSource returns a DirSource over root.
func NewDirSource(root string) *DirSource { return &DirSource{Root: root} }

// GitBlobSHA is the git object id of a blob with this content.
func GitBlobSHA(content []byte) string {
	h := sha1.New()
	h.Write([]byte("blob " + strconv.Itoa(len(content)) + "\x00"))
	h.Write(content)
	return hex.EncodeToString(h.Sum(nil))
}

// Tree implements Source.
func (d *DirSource) Tree(ctx context.Context, _, _, _ string) ([]TreeEntry, error) {
	dirs := d.Dirs
	if len(dirs) == 0 {
		dirs = []string{Dir}
	}
	var entries []TreeEntry
	paths := map[string]string{}
	for _, dir := range dirs {
		start := filepath.Join(d.Root, filepath.FromSlash(dir))
		err := filepath.WalkDir(start, func(p string, de fs.DirEntry, err error) error {
			if err != nil {
				if p == start && os.IsNotExist(err) {
					return fs.SkipDir // no .tekton/ is no definitions, not an error
				}
				return err
			}
			if err := ctx.Err(); err != nil {
				return err
			}
			rel, err := filepath.Rel(d.Root, p)
			if err != nil {
				return err
			}
			rel = filepath.ToSlash(rel)
			switch {
			case de.IsDir():
				entries = append(entries, TreeEntry{Path: rel, Type: "tree"})
			case de.Type().IsRegular():
				content, err := os.ReadFile(p)
				if err != nil {
					return err
				}
				sha := GitBlobSHA(content)
				paths[sha] = p
				entries = append(entries, TreeEntry{Path: rel, SHA: sha, Type: "blob"})
			}
			// Symlinks and other special files are skipped: git would store a symlink as a
			// blob holding its target, which is not a definition either.
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("listing %s: %w", path.Join(d.Root, dir), err)
		}
	}
	d.mu.Lock()
	d.paths = paths
	d.mu.Unlock()
	return entries, nil
}

// Blob implements Source. It serves the blobs listed by the last Tree call, and checks that
// the file still has that content.
func (d *DirSource) Blob(_ context.Context, _, _, blobSHA string) ([]byte, error) {
	d.mu.Lock()
	p, ok := d.paths[blobSHA]
	d.mu.Unlock()
	if !ok {
		return nil, fmt.Errorf("blob %s: not in the listed tree of %s", blobSHA, d.Root)
	}
	content, err := os.ReadFile(p)
	if err != nil {
		return nil, err
	}
	if GitBlobSHA(content) != blobSHA {
		return nil, fmt.Errorf("blob %s: %s changed while loading", blobSHA, p)
	}
	return content, nil
}
