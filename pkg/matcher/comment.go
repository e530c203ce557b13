package matcher

import (
	"fmt"
	"regexp"
	"strings"
)

// regexpsCached bounds the compiled on-comment expressions kept, as celProgramsCached does.
const regexpsCached = 512

type compiledRegexp struct {
	re  *regexp.Regexp
	err error
}

var commentRegexps = newBoundedCache[compiledRegexp](regexpsCached)

// CompileComment compiles an on-comment regular expression as Match does (Go's RE2 syntax).
func CompileComment(expr string) error { return compileComment(expr).err }

func compileComment(expr string) compiledRegexp {
	return commentRegexps.get(expr, func(expr string) compiledRegexp {
		re, err := regexp.Compile(expr)
		return compiledRegexp{re: re, err: err}
	})
}

// matchComment applies on-comment to a new comment the way Pipelines-as-Code does: the
// expression is not anchored (write ^ and $ for that), and the comment is trimmed of
// surrounding blanks first, so ^ and $ are the text's first and last characters.
func matchComment(expr, name, action, body string) (Result, bool) {
	c := compileComment(expr)
	if c.err != nil {
		return no("%s %q does not compile: %v", name, expr, c.err), false
	}
	if action != "created" {
		return no("comment was %s; %s runs on new comments only", action, name), false
	}
	if !c.re.MatchString(strings.TrimSpace(body)) {
		return no("comment %s does not match %s %q", quoteShort(body), name, expr), false
	}
	return Result{Matched: true, Reason: fmt.Sprintf("comment matches %s %q", name, expr)}, true
}

// quoteShort quotes the start of a comment for a reason: comments can be pages long.
func quoteShort(s string) string {
	s = strings.TrimSpace(s)
	if r := []rune(s); len(r) > 60 {
		s = string(r[:60]) + "…"
	}
	return fmt.Sprintf("%q", s)
}
