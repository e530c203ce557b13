package fakegithub

import (
	"hash/fnv"
	"net/http"
	"strings"
)

// routes registers every REST endpoint; the pattern is the route template
// the call records carry.
func (s *Server) routes() {
	h := map[string]http.HandlerFunc{
		"GET /rate_limit": s.getRateLimit,

		"GET /repos/{owner}/{repo}/git/trees/{sha}":    s.getTree,
		"GET /repos/{owner}/{repo}/git/blobs/{sha}":    s.getBlob,
		"GET /repos/{owner}/{repo}/git/commits/{sha}":  s.getGitCommit,
		"GET /repos/{owner}/{repo}/contents/{path...}": s.getContents,
		commitsCatchAll: s.serveCommits,

		"GET /repos/{owner}/{repo}/pulls":                s.listPulls,
		"GET /repos/{owner}/{repo}/pulls/{number}":       s.getPull,
		"GET /repos/{owner}/{repo}/pulls/{number}/files": s.listPullFiles,

		"POST /repos/{owner}/{repo}/check-runs":       s.createCheckRun,
		"PATCH /repos/{owner}/{repo}/check-runs/{id}": s.updateCheckRun,
		"GET /repos/{owner}/{repo}/check-runs/{id}":   s.getCheckRun,
		"POST /repos/{owner}/{repo}/statuses/{sha}":   s.createStatus,

		"GET /repos/{owner}/{repo}/issues/{number}/comments":         s.listComments,
		"POST /repos/{owner}/{repo}/issues/{number}/comments":        s.createComment,
		"PATCH /repos/{owner}/{repo}/issues/comments/{id}":           s.editComment,
		"POST /repos/{owner}/{repo}/issues/comments/{id}/reactions":  s.createReaction,
		"GET /repos/{owner}/{repo}/issues/{number}/labels":           s.listLabels,
		"POST /repos/{owner}/{repo}/issues/{number}/labels":          s.addLabels,
		"DELETE /repos/{owner}/{repo}/issues/{number}/labels":        s.removeAllLabels,
		"DELETE /repos/{owner}/{repo}/issues/{number}/labels/{name}": s.removeLabel,
		"GET /repos/{owner}/{repo}/collaborators/{user}/permission":  s.getPermission,
		"GET /orgs/{org}/members/{user}":                             s.getOrgMember,
		"GET /orgs/{org}/teams/{slug}/memberships/{user}":            s.getTeamMembership,
		"GET /user":                              s.getUser,
		"GET /repos/{owner}/{repo}/installation": s.getRepoInstallation,
		"GET /app":                               s.getApp,
		"POST /app/installations/{id}/access_tokens": s.createAccessToken,
	}
	for pattern, fn := range h {
		s.mux.HandleFunc(pattern, fn)
	}
}

// repoOf is the repository a /repos/{owner}/{repo}/ request names, or nil.
func (s *Server) repoOf(r *http.Request) *Repo {
	return s.Repo(r.PathValue("owner") + "/" + r.PathValue("repo"))
}

// withRepo answers 404 for unknown repositories, as GitHub does.
func (s *Server) withRepo(w http.ResponseWriter, r *http.Request) (*Repo, bool) {
	repo := s.repoOf(r)
	if repo == nil {
		writeError(w, http.StatusNotFound, "Not Found")
		return nil, false
	}
	return repo, true
}

// userID gives every login a stable id, as GitHub users have.
func userID(login string) int64 {
	h := fnv.New32a()
	h.Write([]byte(strings.ToLower(login)))
	return int64(h.Sum32()%90_000_000) + 10_000_000
}

// userJSON is GitHub's simple user object.
func userJSON(base, login string) obj {
	typ := "User"
	if strings.HasSuffix(login, "[bot]") {
		typ = "Bot"
	}
	return obj{
		"login":      login,
		"id":         userID(login),
		"node_id":    "U_" + login,
		"avatar_url": base + "/avatars/" + login,
		"url":        base + "/users/" + login,
		"html_url":   base + "/" + login,
		"type":       typ,
		"site_admin": false,
	}
}

// repoJSON is GitHub's repository object for r.
func (r *Repo) repoJSON() obj {
	base := r.s.URL()
	return obj{
		"id":             r.ID,
		"node_id":        "R_" + r.FullName(),
		"name":           r.Name,
		"full_name":      r.FullName(),
		"private":        false,
		"owner":          userJSON(base, r.Owner),
		"html_url":       r.HTMLURL(),
		"url":            r.APIURL(),
		"clone_url":      r.CloneURL(),
		"git_url":        r.CloneURL(),
		"ssh_url":        r.CloneURL(),
		"svn_url":        r.HTMLURL(),
		"default_branch": r.DefaultBranch,
		"fork":           false,
		"visibility":     "public",
	}
}
