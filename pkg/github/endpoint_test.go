package github

import "testing"

func TestRouteOfNamesTemplatesNotRawPaths(t *testing.T) {
	cases := []struct{ base, path, want string }{
		{"/", "/repos/acme/widgets/git/trees/0123abcd", "/repos/{owner}/{repo}/git/trees/{sha}"},
		{"/api/v3/", "/api/v3/repos/acme/widgets/git/blobs/ff00", "/repos/{owner}/{repo}/git/blobs/{sha}"},
		{"/", "/repos/acme/widgets/pulls/12/files", "/repos/{owner}/{repo}/pulls/{number}/files"},
		{"/", "/repos/acme/widgets/check-runs/99", "/repos/{owner}/{repo}/check-runs/{check_run_id}"},
		{"/", "/repos/acme/widgets/issues/comments/7", "/repos/{owner}/{repo}/issues/comments/{comment_id}"},
		{"/", "/app/installations/42/access_tokens", "/app/installations/{installation_id}/access_tokens"},
		{"/", "/rate_limit", "/rate_limit"},
		{"/", "/repos/acme/widgets/contents/secret/path", otherRoute},
		{"/", "/repos//widgets/git/trees/x", otherRoute},
	}
	for _, c := range cases {
		if got := routeOf(c.base, c.path); got != c.want {
			t.Errorf("routeOf(%q, %q) = %q, want %q", c.base, c.path, got, c.want)
		}
	}
}

func TestSafeToRetryCoversRiggersWritesOnly(t *testing.T) {
	cases := []struct {
		method, route string
		want          bool
	}{
		{"GET", "/repos/{owner}/{repo}/git/trees/{sha}", true},
		{"POST", "/repos/{owner}/{repo}/check-runs", false},
		{"PATCH", "/repos/{owner}/{repo}/check-runs/{check_run_id}", true},
		{"POST", "/repos/{owner}/{repo}/statuses/{sha}", true},
		{"POST", "/repos/{owner}/{repo}/issues/{number}/comments", true},
		{"POST", otherRoute, false},
		{"PATCH", otherRoute, false},
	}
	for _, c := range cases {
		if got := safeToRetry(c.method, c.route); got != c.want {
			t.Errorf("safeToRetry(%s %s) = %v, want %v", c.method, c.route, got, c.want)
		}
	}
}
