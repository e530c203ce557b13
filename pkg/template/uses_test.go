package template

import "testing"

func TestUses(t *testing.T) {
	cases := []struct {
		src  string
		want bool
	}{
		{"secretName: {{ git_auth_secret }}", true},
		{"secretName: {{git_auth_secret}}", true},
		{"secretName: {{ git_auth_secret_x }}", false},
		{"# git_auth_secret is not used here", false},
		{"{{ revision }} {{{ git_auth_secret }}", true},
		{"", false},
	}
	for _, c := range cases {
		if got := Uses([]byte(c.src), GitAuthSecret); got != c.want {
			t.Errorf("Uses(%q) = %v, want %v", c.src, got, c.want)
		}
	}
}
