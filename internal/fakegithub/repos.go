package fakegithub

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// zeroSHA is what GitHub sends as "before" when a branch is created.
const zeroSHA = "0000000000000000000000000000000000000000"

// emptyTreeSHA is git's well-known empty tree; diffing a root commit against
// it lists every file as added, as GitHub does.
const emptyTreeSHA = "4b825dc642cb6eb9a060e54bf8d69288fbee4904"

// Repo is one repository of the fake: a bare git repository on disk plus
// the GitHub-side state (pull requests, check runs, comments, ...) kept by
// the Server under its lock.
type Repo struct {
	s             *Server
	Owner         string
	Name          string
	DefaultBranch string
	ID            int64
	dir           string

	// writeMu serialises ref updates so that two commits on one branch from
	// concurrent tests both land, one after the other.
	writeMu sync.Mutex

	// objects memoizes git answers about immutable objects (by full SHA), so the fake
	// answers in microseconds as GitHub does, not in the milliseconds of a git process:
	// benchmarks then measure Rigger, not the fake.
	objects sync.Map
}

// FullName is "owner/name".
func (r *Repo) FullName() string { return r.Owner + "/" + r.Name }

// CloneURL is the HTTP URL git can clone the repository from.
func (r *Repo) CloneURL() string { return r.s.URL() + "/git/" + r.FullName() + ".git" }

// HTMLURL is the repository's web address on the fake.
func (r *Repo) HTMLURL() string { return r.s.URL() + "/" + r.FullName() }

// APIURL is the repository's REST address on the fake.
func (r *Repo) APIURL() string { return r.s.URL() + "/repos/" + r.FullName() }

// Dir is the bare repository's path on disk.
func (r *Repo) Dir() string { return r.dir }

func (r *Repo) git(stdin []byte, args ...string) ([]byte, error) {
	return runGit(r.dir, stdin, nil, args...)
}

// CreateRepo makes an empty bare repository "owner/name" whose default
// branch is defaultBranch ("main" when empty).
func (s *Server) CreateRepo(fullName, defaultBranch string) (*Repo, error) {
	owner, name, ok := strings.Cut(fullName, "/")
	if !ok || !validName(owner) || !validName(name) {
		return nil, fmt.Errorf("fakegithub: repository name %q is not owner/name", fullName)
	}
	if defaultBranch == "" {
		defaultBranch = "main"
	}
	s.mu.Lock()
	if _, exists := s.repos[strings.ToLower(fullName)]; exists {
		s.mu.Unlock()
		return nil, fmt.Errorf("fakegithub: repository %s already exists", fullName)
	}
	r := &Repo{s: s, Owner: owner, Name: name, DefaultBranch: defaultBranch, ID: s.newID(),
		dir: filepath.Join(s.dir, owner, name+".git")}
	s.repos[strings.ToLower(fullName)] = r
	s.state[r] = newRepoState()
	s.mu.Unlock()

	if err := os.MkdirAll(r.dir, 0o755); err != nil {
		return nil, err
	}
	if _, err := runGit(r.dir, nil, nil, "init", "--bare", "--quiet", "--initial-branch="+defaultBranch); err != nil {
		return nil, err
	}
	// GitHub serves any reachable commit by SHA; CI clones fetch exactly one.
	for _, kv := range [][2]string{{"uploadpack.allowAnySHA1InWant", "true"}, {"http.receivepack", "false"}} {
		if _, err := r.git(nil, "config", kv[0], kv[1]); err != nil {
			return nil, err
		}
	}
	return r, nil
}

// Repo returns the repository "owner/name", or nil.
func (s *Server) Repo(fullName string) *Repo {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.repos[strings.ToLower(fullName)]
}

func validName(s string) bool {
	if s == "" || s == "." || s == ".." || len(s) > 100 {
		return false
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
			return false
		}
	}
	return true
}

// resolveCommit turns a branch, tag or (short) SHA into a full commit SHA.
func (r *Repo) resolveCommit(ref string) (string, error) {
	return r.resolve(ref, "commit")
}

// resolveTree turns a commit or tree SHA (or a ref) into a tree SHA.
func (r *Repo) resolveTree(ref string) (string, error) {
	return r.resolve(ref, "tree")
}

var errNoObject = errors.New("no such object")

func (r *Repo) resolve(ref, kind string) (string, error) {
	if !validObjectName(ref) {
		return "", errNoObject
	}
	key := "resolve\x00" + ref + "\x00" + kind
	if v, ok := r.objects.Load(key); ok {
		return v.(string), nil
	}
	out, err := r.git(nil, "rev-parse", "--verify", "--quiet", ref+"^{"+kind+"}")
	if err != nil {
		return "", errNoObject // not remembered: the object may be created later
	}
	sha := strings.TrimSpace(string(out))
	if isFullSHA(ref) {
		r.objects.Store(key, sha)
	}
	return sha, nil
}

// isFullSHA tells a full object name (immutable) from a ref (which moves).
func isFullSHA(s string) bool {
	if len(s) != 40 {
		return false
	}
	for _, c := range s {
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// BranchSHA is the commit a branch points at.
func (r *Repo) BranchSHA(branch string) (string, error) {
	return r.resolveCommit("refs/heads/" + branch)
}

// CreateBranch starts branch name at from (a branch or SHA).
func (r *Repo) CreateBranch(name, from string) error {
	r.writeMu.Lock()
	defer r.writeMu.Unlock()
	sha, err := r.resolveCommit(from)
	if err != nil {
		return fmt.Errorf("fakegithub: %s: %q is not a commit", r.FullName(), from)
	}
	if _, err := r.git(nil, "check-ref-format", "--branch", name); err != nil {
		return err
	}
	_, err = r.git(nil, "update-ref", "refs/heads/"+name, sha, zeroSHA)
	return err
}

// Commit writes files (path -> content) and removes deletions on top of
// branch and returns the new commit's SHA. A branch that does not exist yet
// is started as a root commit only while the repository has no commits.
func (r *Repo) Commit(branch, message string, files map[string]string, deletions ...string) (string, error) {
	r.writeMu.Lock()
	defer r.writeMu.Unlock()
	return r.commitLocked("refs/heads/"+branch, message, files, deletions)
}

func (r *Repo) commitLocked(ref, message string, files map[string]string, deletions []string) (string, error) {
	parent, err := r.resolveCommit(ref)
	if err != nil {
		if out, _ := r.git(nil, "for-each-ref", "--count=1", "refs/heads/"); len(out) > 0 {
			return "", fmt.Errorf("fakegithub: %s: branch %s does not exist; CreateBranch first", r.FullName(), ref)
		}
		parent = ""
	}
	index, cleanup, err := r.tempIndex()
	if err != nil {
		return "", err
	}
	defer cleanup()
	env := []string{"GIT_INDEX_FILE=" + index}
	if parent != "" {
		if _, err := runGit(r.dir, nil, env, "read-tree", parent); err != nil {
			return "", err
		}
	}
	var info strings.Builder
	paths := make([]string, 0, len(files))
	for p := range files {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	for _, p := range paths {
		out, err := r.git([]byte(files[p]), "hash-object", "-w", "--stdin")
		if err != nil {
			return "", err
		}
		fmt.Fprintf(&info, "100644 %s\t%s\x00", strings.TrimSpace(string(out)), p)
	}
	for _, p := range deletions {
		fmt.Fprintf(&info, "0 %s\t%s\x00", zeroSHA, p)
	}
	if info.Len() > 0 {
		if _, err := runGit(r.dir, []byte(info.String()), env, "update-index", "-z", "--index-info"); err != nil {
			return "", err
		}
	}
	treeOut, err := runGit(r.dir, nil, env, "write-tree")
	if err != nil {
		return "", err
	}
	args := []string{"commit-tree", strings.TrimSpace(string(treeOut)), "-F", "-"}
	if parent != "" {
		args = append(args, "-p", parent)
	}
	return r.newCommit(ref, parent, []byte(message), args)
}

// newCommit runs commit-tree with args and moves ref from old to the result.
func (r *Repo) newCommit(ref, old string, message []byte, args []string) (string, error) {
	out, err := r.git(message, args...)
	if err != nil {
		return "", err
	}
	sha := strings.TrimSpace(string(out))
	if old == "" {
		old = zeroSHA
	}
	if _, err := r.git(nil, "update-ref", ref, sha, old); err != nil {
		return "", err
	}
	r.index(sha)
	return sha, nil
}

// index answers, at commit time, what the API will be asked about a new commit (its tree,
// recursively), the way GitHub has it indexed: reads of the commit then cost no git
// process. Best effort: a failure only leaves the answers to be computed on demand.
func (r *Repo) index(commit string) {
	tree, err := r.resolve(commit, "tree")
	if err != nil {
		return
	}
	_, _ = r.resolve(commit, "commit")
	_, _ = r.resolve(tree, "tree")
	_, _ = r.lsTree(tree, true)
}

func (r *Repo) tempIndex() (string, func(), error) {
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", nil, err
	}
	path := filepath.Join(r.dir, "index-"+hex.EncodeToString(b[:]))
	return path, func() { os.Remove(path) }, nil
}

// mergeBranches makes a real merge commit of head into base, as GitHub's
// merge button does, and fails on conflicts.
func (r *Repo) mergeBranches(base, headSHA, message string) (string, error) {
	r.writeMu.Lock()
	defer r.writeMu.Unlock()
	baseSHA, err := r.BranchSHA(base)
	if err != nil {
		return "", fmt.Errorf("fakegithub: base branch %s: %w", base, err)
	}
	out, err := r.git(nil, "merge-tree", "--write-tree", "--no-messages", baseSHA, headSHA)
	if err != nil {
		return "", fmt.Errorf("fakegithub: merge conflict: %w", err)
	}
	tree, _, _ := strings.Cut(strings.TrimSpace(string(out)), "\n")
	return r.newCommit("refs/heads/"+base, baseSHA, []byte(message),
		[]string{"commit-tree", tree, "-p", baseSHA, "-p", headSHA, "-F", "-"})
}

// setRef points ref at sha unconditionally (used for refs/pull/N/head).
func (r *Repo) setRef(ref, sha string) error {
	_, err := r.git(nil, "update-ref", ref, sha)
	return err
}

// CreateBranches starts each named branch at from with one commit of its own that writes
// its files (path -> content), all in one git process: a test that opens a thousand pull
// requests makes their branches in a second rather than in ten thousand git commands. It
// returns each branch's commit.
func (r *Repo) CreateBranches(from string, branches map[string]map[string]string) (map[string]string, error) {
	r.writeMu.Lock()
	defer r.writeMu.Unlock()
	base, err := r.resolveCommit(from)
	if err != nil {
		return nil, fmt.Errorf("fakegithub: %s: %q is not a commit", r.FullName(), from)
	}
	names := make([]string, 0, len(branches))
	for name := range branches {
		if _, err := r.git(nil, "check-ref-format", "--branch", name); err != nil {
			return nil, err
		}
		names = append(names, name)
	}
	sort.Strings(names)
	var in bytes.Buffer
	now := time.Now().Unix()
	data := func(s string) { fmt.Fprintf(&in, "data %d\n%s\n", len(s), s) }
	for i, name := range names {
		fmt.Fprintf(&in, "commit refs/heads/%s\nmark :%d\n", name, i+1)
		fmt.Fprintf(&in, "author Rigger Test <test@rigger.dev> %d +0000\ncommitter Rigger Test <test@rigger.dev> %d +0000\n", now, now)
		data("change on " + name)
		fmt.Fprintf(&in, "from %s\n", base)
		paths := make([]string, 0, len(branches[name]))
		for p := range branches[name] {
			paths = append(paths, p)
		}
		sort.Strings(paths)
		for _, p := range paths {
			path := p
			if strings.ContainsAny(p, " \"\n\\") {
				path = strconv.Quote(p) // fast-import reads C-style quoted paths
			}
			fmt.Fprintf(&in, "M 100644 inline %s\n", path)
			data(branches[name][p])
		}
		in.WriteString("\n")
	}
	marks := filepath.Join(r.dir, "marks-"+strconv.FormatInt(time.Now().UnixNano(), 36))
	defer os.Remove(marks)
	if _, err := r.git(in.Bytes(), "fast-import", "--quiet", "--export-marks="+marks); err != nil {
		return nil, err
	}
	b, err := os.ReadFile(marks)
	if err != nil {
		return nil, err
	}
	out := make(map[string]string, len(names))
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		mark, sha, ok := strings.Cut(line, " ")
		n, err := strconv.Atoi(strings.TrimPrefix(mark, ":"))
		if !ok || err != nil || n < 1 || n > len(names) {
			return nil, fmt.Errorf("fakegithub: unexpected fast-import mark %q", line)
		}
		out[names[n-1]] = sha
	}
	if len(out) != len(names) {
		return nil, fmt.Errorf("fakegithub: fast-import made %d of %d branches", len(out), len(names))
	}
	return out, nil
}
