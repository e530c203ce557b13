package template

import (
	"bytes"
	"testing"
)

// FuzzRender checks on arbitrary text that Render never panics, never modifies its input, and
// changes nothing when no known variable can be present.
func FuzzRender(f *testing.F) {
	for _, s := range []string{"{{ revision }}", "{{{revision}}}", "{{", "}}{{ a }}", "x: {{ repo_url }}/{{ foo }}", "{{\trevision\t}}"} {
		f.Add([]byte(s))
	}
	vars := map[string]string{"revision": "R", "repo_url": "{{ revision }}"}
	f.Fuzz(func(t *testing.T, src []byte) {
		orig := bytes.Clone(src)
		out := Render(src, vars)
		if !bytes.Equal(src, orig) {
			t.Fatalf("Render modified its input")
		}
		if got := Render(src, map[string]string{"not-present-anywhere": "x"}); !bytes.Contains(src, []byte("not-present-anywhere")) && !bytes.Equal(got, src) {
			t.Fatalf("Render changed %q to %q with no known variable", src, got)
		}
		if !bytes.Contains(src, []byte("{{")) && !bytes.Equal(out, src) {
			t.Fatalf("Render changed %q without braces", src)
		}
	})
}

// FuzzMask checks that filling a masked text gives what rendering the text gives: masking
// changes where values go in, never which values or where they stand.
func FuzzMask(f *testing.F) {
	for _, s := range []string{"{{ revision }}", "{{{revision}}}", "a: {{ repo_url }}\n{{ x }}", "rgrvar0_0_ {{revision}}"} {
		f.Add([]byte(s), "v")
	}
	f.Fuzz(func(t *testing.T, src []byte, val string) {
		vars := map[string]string{"revision": val, "repo_url": "{{ revision }}"}
		m := Mask(src, vars)
		got, _ := m.Fill(string(m.Text))
		if want := string(Render(src, vars)); got != want {
			t.Fatalf("Fill(Mask(%q)) = %q, Render = %q", src, got, want)
		}
	})
}
