package definition

import (
	"fmt"
	"strings"
)

// Error is a problem in a definition file, at a line (1-based; 0 when the file as a whole is
// at fault). Rigger shows it to users, e.g. in a failed check run, as "file:line: msg".
type Error struct {
	File string
	Line int
	Msg  string
}

func (e *Error) Error() string {
	if e.Line <= 0 {
		return e.File + ": " + e.Msg
	}
	return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg)
}

// Errors are all the problems found in a set of files, in file and line order.
type Errors []*Error

func (es Errors) Error() string {
	lines := make([]string, len(es))
	for i, e := range es {
		lines[i] = e.Error()
	}
	return strings.Join(lines, "\n")
}
