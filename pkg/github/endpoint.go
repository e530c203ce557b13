package github

import "strings"

// routes are the REST routes Rigger calls. Metrics and retry decisions name a request by
// its route, never by its raw path: repository names and SHAs in labels would grow the
// metric series without bound.
var routes = []string{
	"/app",
	"/app/installations/{installation_id}/access_tokens",
	"/rate_limit",
	"/repos/{owner}/{repo}/installation",
	"/repos/{owner}/{repo}/git/trees/{sha}",
	"/repos/{owner}/{repo}/git/blobs/{sha}",
	"/repos/{owner}/{repo}/git/commits/{sha}",
	"/repos/{owner}/{repo}/pulls",
	"/repos/{owner}/{repo}/pulls/{number}",
	"/repos/{owner}/{repo}/pulls/{number}/files",
	"/repos/{owner}/{repo}/check-runs",
	"/repos/{owner}/{repo}/check-runs/{check_run_id}",
	"/repos/{owner}/{repo}/statuses/{sha}",
	"/repos/{owner}/{repo}/issues/{number}/comments",
	"/repos/{owner}/{repo}/issues/comments/{comment_id}",
	"/repos/{owner}/{repo}/collaborators/{username}/permission",
	"/repos/{owner}/{repo}/issues/comments/{comment_id}/reactions",
	"/repos/{owner}/{repo}/commits/{ref}/check-runs",
	"/repos/{owner}/{repo}/contents/{path}",
	"/orgs/{org}/teams/{team_slug}/memberships/{username}",
	"/orgs/{org}/members/{username}",
	"/user",
}

// otherRoute names any path not in routes.
const otherRoute = "{other}"

// splitRoutes holds routes split into segments, once.
var splitRoutes = func() [][]string {
	out := make([][]string, len(routes))
	for i, r := range routes {
		out[i] = strings.Split(strings.Trim(r, "/"), "/")
	}
	return out
}()

// routeOf returns the route template of an API path, given the API's base path
// ("/" on github.com, "/api/v3/" on GitHub Enterprise).
func routeOf(basePath, path string) string {
	rel := strings.TrimPrefix(path, strings.TrimSuffix(basePath, "/"))
	segs := strings.Split(strings.Trim(rel, "/"), "/")
	for i, tmpl := range splitRoutes {
		if matchRoute(tmpl, segs) {
			return routes[i]
		}
	}
	return otherRoute
}

func matchRoute(tmpl, segs []string) bool {
	if len(tmpl) != len(segs) {
		return false
	}
	for i, t := range tmpl {
		if strings.HasPrefix(t, "{") {
			if segs[i] == "" {
				return false
			}
			continue
		}
		if t != segs[i] {
			return false
		}
	}
	return true
}

// endpoint is "METHOD /route", the label of an API call.
func endpoint(method, route string) string { return method + " " + route }

// safeToRetry reports whether a request may be sent again after GitHub may have acted on
// it (a 5xx or a broken connection): idempotent methods, and the writes Rigger makes,
// whose repetition is harmless (a status or check run update sets the same state again).
// Creating a check run is not among them: done twice it leaves a second check run, queued
// for good; the reporter looks for the first (by its external ID) before it creates again.
func safeToRetry(method, route string) bool {
	switch method {
	case "GET", "HEAD", "OPTIONS", "PUT", "DELETE":
		return true
	}
	switch endpoint(method, route) {
	case "PATCH /repos/{owner}/{repo}/check-runs/{check_run_id}",
		"POST /repos/{owner}/{repo}/statuses/{sha}",
		"POST /repos/{owner}/{repo}/issues/{number}/comments",
		"PATCH /repos/{owner}/{repo}/issues/comments/{comment_id}",
		"POST /app/installations/{installation_id}/access_tokens":
		return true
	}
	return false
}
