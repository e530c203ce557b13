package fakegithub

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"
)

const (
	docsURL        = "https://docs.github.com/rest"
	maxRequestBody = 10 << 20
	// commitsCatchAll serves every /commits/{ref}/... route because refs
	// may contain slashes, which go-github does not escape.
	commitsCatchAll = "GET /repos/{owner}/{repo}/commits/{ref...}"
)

// Route templates of the endpoints under /commits/, as Calls reports them.
const (
	RouteGetCommit      = "GET /repos/{owner}/{repo}/commits/{sha}"
	RouteListCheckRuns  = "GET /repos/{owner}/{repo}/commits/{ref}/check-runs"
	RouteListStatuses   = "GET /repos/{owner}/{repo}/commits/{ref}/statuses"
	RouteCombinedStatus = "GET /repos/{owner}/{repo}/commits/{ref}/status"
)

type ctxKey int

const (
	ctxLogin ctxKey = iota
	ctxBody
)

// loginOf is who the request acts as.
func loginOf(r *http.Request) string {
	l, _ := r.Context().Value(ctxLogin).(string)
	return l
}

// statusRecorder keeps the status code for the call record.
type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (w *statusRecorder) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusRecorder) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// ServeHTTP serves the REST API and, under /git/, the repositories.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	// GitHub Enterprise clients put the API under /api/v3.
	if p, ok := strings.CutPrefix(r.URL.Path, "/api/v3/"); ok {
		r.URL.Path = "/" + p
		r.URL.RawPath = ""
	}
	if strings.HasPrefix(r.URL.Path, "/git/") {
		s.serveGit(w, r)
		return
	}
	// Like GitHub, a repository's web address clones too: /{owner}/{repo}[.git]/info/refs...
	if p, ok := htmlGitPath(r.URL.Path); ok {
		r.URL.Path, r.URL.RawPath = p, ""
		s.serveGit(w, r)
		return
	}
	start := time.Now()
	_, pattern := s.mux.Handler(r)
	route := pattern
	if route == commitsCatchAll {
		route, _ = commitsRoute(commitsRef(r.URL.Path), r.URL.Path)
	}
	w.Header().Set("X-GitHub-Request-Id", requestID())
	w.Header().Set("X-GitHub-Media-Type", "github.v3; format=json")
	rec := &statusRecorder{ResponseWriter: w}

	body, err := io.ReadAll(http.MaxBytesReader(rec, r.Body, maxRequestBody))
	call := Call{Method: r.Method, Path: r.URL.Path, Query: r.URL.Query(), Route: route, Time: start}
	defer func() {
		call.Status = rec.status
		s.record(call)
	}()
	if err != nil {
		writeError(rec, http.StatusRequestEntityTooLarge, "Request body too large")
		return
	}
	if len(body) > 0 && r.Method != http.MethodGet {
		var decoded any
		if json.Unmarshal(body, &decoded) != nil {
			writeError(rec, http.StatusBadRequest, "Problems parsing JSON")
			return
		}
		call.Body = decoded
	}
	if route == "" {
		writeError(rec, http.StatusNotFound, "Not Found")
		return
	}
	if f, ok := s.takeFault(route, call); ok {
		call.Fault = true
		if !f.afterServing {
			s.writeFault(rec, f)
			return
		}
		// Served into a recorder nobody reads; the client gets the fault.
		answered := rec
		rec = &statusRecorder{ResponseWriter: httptest.NewRecorder()}
		defer func() {
			s.writeFault(answered, f)
			rec = answered // what the call is recorded with
		}()
	}
	login, ok := s.authenticate(rec, r, route)
	if !ok {
		return
	}
	call.Login = login
	if route != "GET /rate_limit" && !s.consumeRate(rec) {
		return
	}
	ctx := context.WithValue(r.Context(), ctxLogin, login)
	ctx = context.WithValue(ctx, ctxBody, body)
	r = r.WithContext(ctx)
	r.Body = io.NopCloser(bytes.NewReader(body))
	if r.Method != http.MethodGet {
		s.mux.ServeHTTP(rec, r)
		return
	}
	// Like GitHub, every GET answer carries an ETag, and a request whose If-None-Match names
	// the current one gets 304 and no body.
	buf := httptest.NewRecorder()
	s.mux.ServeHTTP(buf, r)
	for k, v := range buf.Header() {
		rec.Header()[k] = v
	}
	if buf.Code == http.StatusOK {
		sum := sha256.Sum256(buf.Body.Bytes())
		etag := `"` + hex.EncodeToString(sum[:16]) + `"`
		rec.Header().Set("ETag", etag)
		if r.Header.Get("If-None-Match") == etag {
			rec.Header().Del("Content-Type")
			rec.WriteHeader(http.StatusNotModified)
			return
		}
	}
	rec.WriteHeader(buf.Code)
	_, _ = rec.Write(buf.Body.Bytes())
}

// commitsRoute names the endpoint a /commits/{ref...} path reaches.
func commitsRoute(ref, path string) (route, trimmedRef string) {
	for _, suffix := range []struct{ s, route string }{
		{"/check-runs", RouteListCheckRuns},
		{"/statuses", RouteListStatuses},
		{"/status", RouteCombinedStatus},
	} {
		if t, ok := strings.CutSuffix(ref, suffix.s); ok && t != "" {
			return suffix.route, t
		}
	}
	if strings.HasSuffix(path, "/") {
		return "", ref
	}
	return RouteGetCommit, ref
}

// commitsRef is the part of a /repos/{owner}/{repo}/commits/ path after
// "commits/", before ServeMux has parsed it.
func commitsRef(path string) string {
	parts := strings.SplitN(path, "/", 6)
	if len(parts) < 6 {
		return ""
	}
	return parts[5]
}

func requestID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return fmt.Sprintf("%04X:%04X:%06X:%06X:%08X",
		binary.BigEndian.Uint16(b[0:]), binary.BigEndian.Uint16(b[2:]),
		binary.BigEndian.Uint32(b[4:])&0xFFFFFF, binary.BigEndian.Uint32(b[8:])&0xFFFFFF,
		binary.BigEndian.Uint32(b[12:]))
}

// decodeBody reads the request's JSON body into v; it answers 400 itself
// and returns false when the body is not valid for v.
func decodeBody(w http.ResponseWriter, r *http.Request, v any) bool {
	body, _ := r.Context().Value(ctxBody).([]byte)
	if len(bytes.TrimSpace(body)) == 0 {
		body = []byte("{}")
	}
	if err := json.Unmarshal(body, v); err != nil {
		writeError(w, http.StatusBadRequest, "Problems parsing JSON")
		return false
	}
	return true
}

// writeJSON answers with v as GitHub does: JSON, UTF-8.
func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		writeError(w, http.StatusInternalServerError, "Server Error")
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// writeError answers with GitHub's error body.
func writeError(w http.ResponseWriter, status int, message string) {
	writeErrorDoc(w, status, message, docsURL)
}

func writeErrorDoc(w http.ResponseWriter, status int, message, doc string) {
	writeJSON(w, status, obj{"message": message, "documentation_url": doc, "status": fmt.Sprint(status)})
}

// validationError is GitHub's 422 with the offending field named.
func validationError(w http.ResponseWriter, resource, field, code string) {
	writeJSON(w, http.StatusUnprocessableEntity, obj{
		"message":           "Validation Failed",
		"errors":            []obj{{"resource": resource, "field": field, "code": code}},
		"documentation_url": docsURL,
		"status":            "422",
	})
}

// obj is a JSON object in a response.
type obj = map[string]any

// htmlGitPath maps a smart-HTTP request on a repository's web address to its /git/ path.
func htmlGitPath(path string) (string, bool) {
	parts := strings.SplitN(strings.TrimPrefix(path, "/"), "/", 3)
	if len(parts) < 3 || parts[0] == "repos" || parts[0] == "git" {
		return "", false
	}
	if rest := parts[2]; rest != "info/refs" && rest != "git-upload-pack" && rest != "git-receive-pack" {
		return "", false
	}
	return "/git/" + parts[0] + "/" + strings.TrimSuffix(parts[1], ".git") + ".git/" + parts[2], true
}
