package lint

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/rigger-ci/rigger/pkg/definition"
	"github.com/rigger-ci/rigger/pkg/matcher"
)

// checkMatching compiles every on-cel-expression and on-comment of the definitions as the
// matcher does: a broken one otherwise shows only as a definition that never runs. It also
// warns about annotations an on-cel-expression makes the matcher ignore. Both prefixes are
// checked, though rigger.dev wins, since Pipelines-as-Code may read the other.
func checkMatching(files *definition.Files, defs []*definition.Definition) (definition.Errors, []string) {
	content := map[string][]byte{}
	for _, f := range files.Files {
		content[f.Path] = f.Content
	}
	var errs definition.Errors
	var warnings []string
	for _, d := range defs {
		hasCEL := ""
		for _, prefix := range []string{matcher.PrefixRigger, matcher.PrefixPaC} {
			for _, check := range []struct {
				key     string
				compile func(string) error
			}{
				{matcher.KeyOnCELExpression, matcher.CompileCEL},
				{matcher.KeyOnComment, matcher.CompileComment},
			} {
				name := prefix + check.key
				value, ok := d.Annotations[name]
				if !ok {
					continue
				}
				if check.key == matcher.KeyOnCELExpression && hasCEL == "" {
					hasCEL = name
				}
				if err := check.compile(value); err != nil {
					errs = append(errs, &definition.Error{File: d.File, Line: annotationLine(content[d.File], d.Line, name),
						Msg: fmt.Sprintf("%s: %s", name, firstLines(err))})
				}
			}
		}
		if hasCEL == "" {
			continue
		}
		for _, key := range []string{matcher.KeyOnEvent, matcher.KeyOnTargetBranch, matcher.KeyOnLabel, matcher.KeyOnPathChange, matcher.KeyOnPathChangeIgnore} {
			for _, prefix := range []string{matcher.PrefixRigger, matcher.PrefixPaC} {
				if _, ok := d.Annotations[prefix+key]; ok {
					warnings = append(warnings, fmt.Sprintf("%s:%d: warning: %s is ignored: %s decides alone",
						d.File, annotationLine(content[d.File], d.Line, prefix+key), prefix+key, hasCEL))
				}
			}
		}
	}
	return errs, warnings
}

// firstLines keeps the lines of an error that say what is wrong: CEL follows each with the
// expression and a caret, which do not read well after file:line.
func firstLines(err error) string {
	var keep []string
	for _, l := range strings.Split(err.Error(), "\n") {
		if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "|") {
			keep = append(keep, l)
		}
	}
	return strings.Join(keep, "; ")
}

// annotationLine finds the line of the key name in the YAML document that starts at
// docLine, where a reader looks for the annotation; docLine when the key is not written
// there on a line of its own (a flow mapping, or an annotation of an inlined Pipeline).
func annotationLine(content []byte, docLine int, name string) int {
	if docLine < 1 {
		docLine = 1
	}
	lines := bytes.Split(content, []byte("\n"))
	for i := docLine - 1; i < len(lines); i++ {
		l := strings.TrimSpace(string(lines[i]))
		if i > docLine-1 && strings.HasPrefix(l, "---") {
			break
		}
		for _, key := range []string{name, `"` + name + `"`, `'` + name + `'`} {
			if strings.HasPrefix(l, key+":") {
				return i + 1
			}
		}
	}
	return docLine
}
