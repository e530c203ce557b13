package fakegithub

import (
	"net/http"
	"net/http/cgi"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
)

var (
	gitExecPathOnce sync.Once
	gitExecPath     string
)

// gitHTTPBackend is the path of git's smart-HTTP CGI program.
func gitHTTPBackend() string {
	gitExecPathOnce.Do(func() {
		out, err := exec.Command("git", "--exec-path").Output()
		if err == nil {
			gitExecPath = filepath.Join(strings.TrimSpace(string(out)), "git-http-backend")
		}
	})
	return gitExecPath
}

// serveGit serves /git/{owner}/{repo}.git/... read-only with git's own
// http-backend, so clones and fetches speak the real smart-HTTP protocol.
func (s *Server) serveGit(w http.ResponseWriter, r *http.Request) {
	rest := strings.TrimPrefix(r.URL.Path, "/git/")
	parts := strings.SplitN(rest, "/", 3)
	if len(parts) < 2 || !strings.HasSuffix(parts[1], ".git") ||
		s.Repo(parts[0]+"/"+strings.TrimSuffix(parts[1], ".git")) == nil {
		http.NotFound(w, r)
		return
	}
	// Pushes go through the test API, not over HTTP.
	if strings.Contains(r.URL.Path, "git-receive-pack") || r.URL.Query().Get("service") == "git-receive-pack" {
		http.Error(w, "pushing is not supported", http.StatusForbidden)
		return
	}
	backend := gitHTTPBackend()
	if backend == "" {
		http.Error(w, "git http-backend not found", http.StatusInternalServerError)
		return
	}
	h := &cgi.Handler{
		Path: backend,
		Root: "/git",
		Dir:  s.dir,
		Env: []string{
			"GIT_PROJECT_ROOT=" + s.dir,
			"GIT_HTTP_EXPORT_ALL=1",
			"GIT_CONFIG_NOSYSTEM=1",
			"GIT_CONFIG_GLOBAL=/dev/null",
		},
		InheritEnv: []string{"PATH"},
	}
	h.ServeHTTP(w, r)
}
