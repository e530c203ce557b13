package fakegithub

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// treeEntry is one line of `git ls-tree -l`.
type treeEntry struct {
	Mode string
	Type string // blob, tree or commit (submodule)
	SHA  string
	Size int64 // -1 for trees and submodules
	Path string
}

func (r *Repo) lsTree(treeish string, recursive bool, paths ...string) ([]treeEntry, error) {
	key := "ls-tree\x00" + treeish + "\x00" + strconv.FormatBool(recursive) + "\x00" + strings.Join(paths, "\x00")
	if v, ok := r.objects.Load(key); ok {
		return v.([]treeEntry), nil
	}
	entries, err := r.runLsTree(treeish, recursive, paths...)
	if err == nil && isFullSHA(treeish) {
		r.objects.Store(key, entries)
	}
	return entries, err
}

func (r *Repo) runLsTree(treeish string, recursive bool, paths ...string) ([]treeEntry, error) {
	args := []string{"ls-tree", "-z", "-l", "--full-tree"}
	if recursive {
		args = append(args, "-r", "-t")
	}
	args = append(args, treeish, "--")
	args = append(args, paths...)
	out, err := r.git(nil, args...)
	if err != nil {
		return nil, err
	}
	var entries []treeEntry
	for _, rec := range splitNul(out) {
		meta, path, ok := strings.Cut(rec, "\t")
		f := strings.Fields(meta)
		if !ok || len(f) != 4 {
			return nil, fmt.Errorf("fakegithub: unexpected ls-tree line %q", rec)
		}
		size := int64(-1)
		if f[3] != "-" {
			size, _ = strconv.ParseInt(f[3], 10, 64)
		}
		entries = append(entries, treeEntry{Mode: f[0], Type: f[1], SHA: f[2], Size: size, Path: path})
	}
	return entries, nil
}

// catBlob returns a blob's bytes; it fails when sha is not a blob.
func (r *Repo) catBlob(sha string) ([]byte, error) {
	if !validObjectName(sha) {
		return nil, errNoObject
	}
	key := "blob\x00" + sha
	if v, ok := r.objects.Load(key); ok {
		return v.([]byte), nil
	}
	out, err := r.git(nil, "cat-file", "blob", sha)
	if err != nil {
		return nil, errNoObject
	}
	if isFullSHA(sha) {
		r.objects.Store(key, out)
	}
	return out, nil
}

// ReadFile returns a file's content at ref, as a test would check it.
func (r *Repo) ReadFile(ref, path string) (string, error) {
	sha, err := r.resolveCommit(ref)
	if err != nil {
		return "", err
	}
	entries, err := r.lsTree(sha, false, path)
	if err != nil || len(entries) != 1 || entries[0].Type != "blob" {
		return "", fmt.Errorf("fakegithub: %s has no file %s at %s", r.FullName(), path, ref)
	}
	b, err := r.catBlob(entries[0].SHA)
	return string(b), err
}

// commitInfo is what GitHub shows of a commit.
type commitInfo struct {
	SHA, Tree                     string
	Parents                       []string
	AuthorName, AuthorEmail       string
	AuthorDate                    time.Time
	CommitterName, CommitterEmail string
	CommitterDate                 time.Time
	Message                       string
}

func (r *Repo) commitInfo(sha string) (commitInfo, error) {
	out, err := r.git(nil, "show", "-s", "--format=%H%x00%T%x00%P%x00%an%x00%ae%x00%aI%x00%cn%x00%ce%x00%cI%x00%B", sha, "--")
	if err != nil {
		return commitInfo{}, err
	}
	f := strings.SplitN(string(out), "\x00", 10)
	if len(f) != 10 {
		return commitInfo{}, fmt.Errorf("fakegithub: unexpected git show output for %s", sha)
	}
	ad, _ := time.Parse(time.RFC3339, f[5])
	cd, _ := time.Parse(time.RFC3339, f[8])
	return commitInfo{
		SHA: f[0], Tree: f[1], Parents: strings.Fields(f[2]),
		AuthorName: f[3], AuthorEmail: f[4], AuthorDate: ad.UTC(),
		CommitterName: f[6], CommitterEmail: f[7], CommitterDate: cd.UTC(),
		Message: strings.TrimRight(f[9], "\n"),
	}, nil
}

// fileChange is one file of a diff the way GitHub lists it.
type fileChange struct {
	Filename         string
	PreviousFilename string
	Status           string // added, removed, modified, renamed, changed
	SHA              string // blob after the change (before it, for removals)
	Additions        int
	Deletions        int
}

// diff lists the files that differ between two commits or trees; from may
// be empty for "everything in to".
func (r *Repo) diff(from, to string) ([]fileChange, error) {
	if from == "" {
		from = emptyTreeSHA
	}
	raw, err := r.git(nil, "diff-tree", "-r", "-z", "-M", "--no-abbrev", "--raw", from, to)
	if err != nil {
		return nil, err
	}
	var changes []fileChange
	byPath := map[string]int{}
	fields := splitNul(raw)
	for i := 0; i < len(fields); i++ {
		meta := strings.Fields(strings.TrimPrefix(fields[i], ":"))
		if len(meta) != 5 || i+1 >= len(fields) {
			return nil, fmt.Errorf("fakegithub: unexpected diff-tree record %q", fields[i])
		}
		c := fileChange{SHA: meta[3], Filename: fields[i+1]}
		i++
		switch meta[4][0] {
		case 'A':
			c.Status = "added"
		case 'D':
			c.Status, c.SHA = "removed", meta[2]
		case 'M':
			c.Status = "modified"
		case 'R':
			if i+1 >= len(fields) {
				return nil, fmt.Errorf("fakegithub: truncated rename record")
			}
			c.Status, c.PreviousFilename, c.Filename = "renamed", c.Filename, fields[i+1]
			i++
		default:
			c.Status = "changed"
		}
		byPath[c.Filename] = len(changes)
		changes = append(changes, c)
	}
	num, err := r.git(nil, "diff-tree", "-r", "-z", "-M", "--numstat", from, to)
	if err != nil {
		return nil, err
	}
	fields = splitNul(num)
	for i := 0; i < len(fields); i++ {
		parts := strings.SplitN(fields[i], "\t", 3)
		if len(parts) != 3 {
			continue
		}
		path := parts[2]
		if path == "" && i+2 < len(fields) { // rename: old and new names follow
			path = fields[i+2]
			i += 2
		}
		if idx, ok := byPath[path]; ok {
			changes[idx].Additions, _ = strconv.Atoi(parts[0]) // "-" for binary stays 0
			changes[idx].Deletions, _ = strconv.Atoi(parts[1])
		}
	}
	return changes, nil
}

// mergeBase is the commit GitHub diffs a pull request against.
func (r *Repo) mergeBase(a, b string) (string, error) {
	out, err := r.git(nil, "merge-base", a, b)
	if err != nil {
		return "", err
	}
	return strings.TrimSpace(string(out)), nil
}

// commitsBetween lists commits reachable from to but not from, oldest first,
// at most limit of them (GitHub's push payload keeps 20).
func (r *Repo) commitsBetween(from, to string, limit int) ([]string, error) {
	args := []string{"rev-list", "--reverse", to}
	if from != "" && from != zeroSHA {
		args = append(args, "^"+from)
	} else {
		args = append(args, "--max-count=1")
	}
	out, err := r.git(nil, args...)
	if err != nil {
		return nil, err
	}
	shas := strings.Fields(string(out))
	if len(shas) > limit {
		shas = shas[len(shas)-limit:]
	}
	return shas, nil
}
