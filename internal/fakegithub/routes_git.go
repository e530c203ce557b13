package fakegithub

import (
	"encoding/base64"
	"net/http"
	"path"
	"strings"
	"time"
)

// base64Wrapped encodes like GitHub's blob and contents APIs: standard
// base64 broken into lines of 60 characters, each ending in "\n".
func base64Wrapped(b []byte) string {
	enc := base64.StdEncoding.EncodeToString(b)
	var sb strings.Builder
	for len(enc) > 60 {
		sb.WriteString(enc[:60])
		sb.WriteByte('\n')
		enc = enc[60:]
	}
	sb.WriteString(enc)
	sb.WriteByte('\n')
	return sb.String()
}

func (s *Server) getTree(w http.ResponseWriter, r *http.Request) {
	repo, ok := s.withRepo(w, r)
	if !ok {
		return
	}
	tree, err := repo.resolveTree(r.PathValue("sha"))
	if err != nil {
		writeError(w, http.StatusNotFound, "Not Found")
		return
	}
	recursive := r.URL.Query().Get("recursive")
	entries, err := repo.lsTree(tree, recursive != "" && recursive != "0" && recursive != "false")
	if err != nil {
		writeError(w, http.StatusInternalServerError, "Server Error")
		return
	}
	items := make([]obj, 0, len(entries))
	for _, e := range entries {
		item := obj{"path": e.Path, "mode": e.Mode, "type": e.Type, "sha": e.SHA}
		switch e.Type {
		case "blob":
			item["size"] = e.Size
			item["url"] = repo.APIURL() + "/git/blobs/" + e.SHA
		case "tree":
			item["url"] = repo.APIURL() + "/git/trees/" + e.SHA
		}
		items = append(items, item)
	}
	writeJSON(w, http.StatusOK, obj{
		"sha": tree, "url": repo.APIURL() + "/git/trees/" + tree, "tree": items, "truncated": false,
	})
}

func (s *Server) getBlob(w http.ResponseWriter, r *http.Request) {
	repo, ok := s.withRepo(w, r)
	if !ok {
		return
	}
	sha := r.PathValue("sha")
	content, err := repo.catBlob(sha)
	if err != nil {
		writeError(w, http.StatusNotFound, "Not Found")
		return
	}
	if strings.Contains(r.Header.Get("Accept"), ".raw") {
		w.Header().Set("Content-Type", "application/vnd.github.raw; charset=utf-8")
		_, _ = w.Write(content)
		return
	}
	writeJSON(w, http.StatusOK, obj{
		"sha": sha, "node_id": "B_" + sha, "size": len(content),
		"url": repo.APIURL() + "/git/blobs/" + sha, "content": base64Wrapped(content), "encoding": "base64",
	})
}

func (s *Server) getContents(w http.ResponseWriter, r *http.Request) {
	repo, ok := s.withRepo(w, r)
	if !ok {
		return
	}
	ref := r.URL.Query().Get("ref")
	if ref == "" {
		ref = repo.DefaultBranch
	}
	commit, err := repo.resolveCommit(ref)
	if err != nil {
		writeErrorDoc(w, http.StatusNotFound, "No commit found for the ref "+ref, docsURL)
		return
	}
	p := strings.Trim(r.PathValue("path"), "/")
	entries, err := repo.lsTree(commit, false, p)
	if err != nil || p == "" || len(entries) != 1 || entries[0].Path != p {
		writeError(w, http.StatusNotFound, "Not Found")
		return
	}
	e := entries[0]
	if e.Type == "tree" {
		children, err := repo.lsTree(commit, false, p+"/")
		if err != nil {
			writeError(w, http.StatusInternalServerError, "Server Error")
			return
		}
		list := make([]obj, 0, len(children))
		for _, c := range children {
			list = append(list, repo.contentJSON(c, ref))
		}
		writeJSON(w, http.StatusOK, list)
		return
	}
	item := repo.contentJSON(e, ref)
	if e.Type == "blob" {
		content, err := repo.catBlob(e.SHA)
		if err != nil {
			writeError(w, http.StatusInternalServerError, "Server Error")
			return
		}
		if strings.Contains(r.Header.Get("Accept"), ".raw") {
			w.Header().Set("Content-Type", "application/vnd.github.raw; charset=utf-8")
			_, _ = w.Write(content)
			return
		}
		item["content"], item["encoding"] = base64Wrapped(content), "base64"
	}
	writeJSON(w, http.StatusOK, item)
}

func (repo *Repo) contentJSON(e treeEntry, ref string) obj {
	typ := map[string]string{"blob": "file", "tree": "dir", "commit": "submodule"}[e.Type]
	if e.Mode == "120000" {
		typ = "symlink"
	}
	size := e.Size
	if size < 0 {
		size = 0
	}
	self := repo.APIURL() + "/contents/" + e.Path + "?ref=" + ref
	gitURL := repo.APIURL() + "/git/" + map[bool]string{true: "trees", false: "blobs"}[e.Type == "tree"] + "/" + e.SHA
	htmlURL := repo.HTMLURL() + "/blob/" + ref + "/" + e.Path
	var download any
	if e.Type == "blob" {
		download = repo.s.URL() + "/raw/" + repo.FullName() + "/" + ref + "/" + e.Path
	}
	return obj{
		"type": typ, "name": path.Base(e.Path), "path": e.Path, "sha": e.SHA, "size": size,
		"url": self, "git_url": gitURL, "html_url": htmlURL, "download_url": download,
		"_links": obj{"self": self, "git": gitURL, "html": htmlURL},
	}
}

// serveCommits dispatches the /commits/{ref}/... family.
func (s *Server) serveCommits(w http.ResponseWriter, r *http.Request) {
	repo, ok := s.withRepo(w, r)
	if !ok {
		return
	}
	route, ref := commitsRoute(r.PathValue("ref"), r.URL.Path)
	switch route {
	case RouteGetCommit:
		s.getCommit(w, r, repo, ref)
	case RouteListCheckRuns:
		s.listCheckRunsForRef(w, r, repo, ref)
	case RouteListStatuses:
		s.listStatuses(w, r, repo, ref)
	case RouteCombinedStatus:
		s.combinedStatus(w, r, repo, ref)
	default:
		writeError(w, http.StatusNotFound, "Not Found")
	}
}

func (s *Server) getCommit(w http.ResponseWriter, r *http.Request, repo *Repo, ref string) {
	sha, err := repo.resolveCommit(ref)
	if err != nil {
		writeErrorDoc(w, http.StatusUnprocessableEntity, "No commit found for SHA: "+ref, docsURL)
		return
	}
	info, err := repo.commitInfo(sha)
	if err != nil {
		writeError(w, http.StatusInternalServerError, "Server Error")
		return
	}
	parent := ""
	if len(info.Parents) > 0 {
		parent = info.Parents[0]
	}
	changes, err := repo.diff(parent, sha)
	if err != nil {
		writeError(w, http.StatusInternalServerError, "Server Error")
		return
	}
	parents := make([]obj, 0, len(info.Parents))
	for _, p := range info.Parents {
		parents = append(parents, obj{"sha": p, "url": repo.APIURL() + "/commits/" + p, "html_url": repo.HTMLURL() + "/commit/" + p})
	}
	files, adds, dels := repo.filesJSON(changes, sha)
	writeJSON(w, http.StatusOK, obj{
		"sha":      sha,
		"node_id":  "C_" + sha,
		"url":      repo.APIURL() + "/commits/" + sha,
		"html_url": repo.HTMLURL() + "/commit/" + sha,
		"commit": obj{
			"author":        obj{"name": info.AuthorName, "email": info.AuthorEmail, "date": info.AuthorDate.Format(time.RFC3339)},
			"committer":     obj{"name": info.CommitterName, "email": info.CommitterEmail, "date": info.CommitterDate.Format(time.RFC3339)},
			"message":       info.Message,
			"tree":          obj{"sha": info.Tree, "url": repo.APIURL() + "/git/trees/" + info.Tree},
			"url":           repo.APIURL() + "/git/commits/" + sha,
			"comment_count": 0,
			"verification":  obj{"verified": false, "reason": "unsigned", "signature": nil, "payload": nil},
		},
		"author":    nil,
		"committer": nil,
		"parents":   parents,
		"stats":     obj{"total": adds + dels, "additions": adds, "deletions": dels},
		"files":     files,
	})
}

// filesJSON is GitHub's list of changed files, with totals.
func (repo *Repo) filesJSON(changes []fileChange, ref string) ([]obj, int, int) {
	files := make([]obj, 0, len(changes))
	adds, dels := 0, 0
	for _, c := range changes {
		f := obj{
			"sha": c.SHA, "filename": c.Filename, "status": c.Status,
			"additions": c.Additions, "deletions": c.Deletions, "changes": c.Additions + c.Deletions,
			"blob_url":     repo.HTMLURL() + "/blob/" + ref + "/" + c.Filename,
			"raw_url":      repo.HTMLURL() + "/raw/" + ref + "/" + c.Filename,
			"contents_url": repo.APIURL() + "/contents/" + c.Filename + "?ref=" + ref,
		}
		if c.PreviousFilename != "" {
			f["previous_filename"] = c.PreviousFilename
		}
		files = append(files, f)
		adds += c.Additions
		dels += c.Deletions
	}
	return files, adds, dels
}

// getGitCommit is GET /repos/{owner}/{repo}/git/commits/{sha}: the commit object.
func (s *Server) getGitCommit(w http.ResponseWriter, r *http.Request) {
	repo, ok := s.withRepo(w, r)
	if !ok {
		return
	}
	info, err := repo.commitInfo(r.PathValue("sha"))
	if err != nil {
		writeError(w, http.StatusNotFound, "Not Found")
		return
	}
	parents := make([]obj, 0, len(info.Parents))
	for _, p := range info.Parents {
		parents = append(parents, obj{"sha": p, "url": repo.APIURL() + "/git/commits/" + p})
	}
	writeJSON(w, http.StatusOK, obj{
		"sha": info.SHA, "node_id": "C_" + info.SHA, "url": repo.APIURL() + "/git/commits/" + info.SHA,
		"message":   info.Message,
		"tree":      obj{"sha": info.Tree, "url": repo.APIURL() + "/git/trees/" + info.Tree},
		"author":    obj{"name": info.AuthorName, "email": info.AuthorEmail, "date": info.AuthorDate.Format(time.RFC3339)},
		"committer": obj{"name": info.CommitterName, "email": info.CommitterEmail, "date": info.CommitterDate.Format(time.RFC3339)},
		"parents":   parents,
	})
}
