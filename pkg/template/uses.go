package template

import "bytes"

// Uses reports whether src holds the variable {{ name }}, so a caller can skip the cost of a
// value nobody asks for (a git token is a GitHub call).
func Uses(src []byte, name string) bool {
	for i := bytes.Index(src, openDelim); i >= 0; i = indexFrom(src, i+1) {
		if _, n, ok := variableAt(src, i); ok && string(n) == name {
			return true
		}
	}
	return false
}
