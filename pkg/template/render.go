// Package template fills the Pipelines-as-Code compatible template variables ({{ revision }},
// {{ repo_url }}, ...) into the raw text of a .tekton file. It runs before YAML parsing, so a
// variable may stand anywhere in the file, exactly as users expect from files written for
// Pipelines-as-Code.
package template

import "bytes"

var (
	openDelim  = []byte("{{")
	closeDelim = []byte("}}")
)

// Render returns src with every {{ name }} (spaces inside the braces optional) whose name is
// a key of vars replaced by its value. Anything else is left byte for byte as it was: unknown
// names, Tekton's own $(params.x), and braces that do not form a variable. When src holds no
// variable at all, Render returns src itself, not a copy, so callers must not mutate the result
// if they still need src.
func Render(src []byte, vars map[string]string) []byte {
	i := bytes.Index(src, openDelim)
	if i < 0 || len(vars) == 0 {
		return src
	}
	var out []byte
	last := 0 // src[last:] is not yet copied to out
	for i >= 0 {
		end, name, ok := variableAt(src, i)
		if ok {
			if val, known := vars[string(name)]; known {
				if out == nil {
					out = make([]byte, 0, len(src)+len(src)/8)
				}
				out = append(out, src[last:i]...)
				out = append(out, val...)
				last = end
				i = indexFrom(src, end)
				continue
			}
		}
		// Not a variable we fill: move one byte on so "{{{ x }}" still finds "{{ x }}".
		i = indexFrom(src, i+1)
	}
	if out == nil {
		return src
	}
	return append(out, src[last:]...)
}

func indexFrom(src []byte, from int) int {
	if from >= len(src) {
		return -1
	}
	j := bytes.Index(src[from:], openDelim)
	if j < 0 {
		return -1
	}
	return from + j
}

// variableAt reads the variable whose "{{" starts at src[i]. It returns the index just past
// its "}}" and the trimmed name. A name is one run of characters without spaces, braces or
// line breaks; anything else between the braces means this is not a variable.
func variableAt(src []byte, i int) (end int, name []byte, ok bool) {
	j := i + len(openDelim)
	for j < len(src) && isBlank(src[j]) {
		j++
	}
	start := j
	for j < len(src) && !isBlank(src[j]) && src[j] != '{' && src[j] != '}' && src[j] != '\n' && src[j] != '\r' {
		j++
	}
	name = src[start:j]
	for j < len(src) && isBlank(src[j]) {
		j++
	}
	if len(name) == 0 || !bytes.HasPrefix(src[j:], closeDelim) {
		return 0, nil, false
	}
	return j + len(closeDelim), name, true
}

func isBlank(c byte) bool { return c == ' ' || c == '\t' }
