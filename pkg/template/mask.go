package template

import (
	"bytes"
	"strconv"
	"strings"
)

// Masked is a .tekton file whose variables are held apart from its text until the text is
// parsed. Values that come from an event (a branch name, a title, a comment) are written by
// whoever opened the pull request; pasted into the text before parsing, a value holding a
// newline, a colon or a quote could add fields to the definition or change the ones it has.
// Mask puts a placeholder where each known variable stands, a run of letters, digits and
// underscores that YAML reads as plain text wherever it is, so the file parses to the
// structure its author wrote whatever the values are; Fill then writes the values into the
// parsed strings, where they can only ever be text.
type Masked struct {
	// Text is the file with every known {{ variable }} replaced by its placeholder.
	Text []byte
	// Values are the values of the placeholders, in the order they stand in the file.
	Values []string
	// Names are the variables' names, in the same order.
	Names []string

	prefix   string
	replacer *strings.Replacer
}

// Mask replaces each {{ name }} of src whose name is a key of vars by a placeholder (see
// Masked). Anything else stays byte for byte as it was, as with Render.
func Mask(src []byte, vars map[string]string) *Masked {
	m := &Masked{Text: src}
	if len(vars) == 0 || !bytes.Contains(src, openDelim) {
		return m
	}
	type spot struct {
		start, end int
		name       string
	}
	var spots []spot
	for i := bytes.Index(src, openDelim); i >= 0; {
		end, name, ok := variableAt(src, i)
		if ok {
			if _, known := vars[string(name)]; known {
				spots = append(spots, spot{i, end, string(name)})
				i = indexFrom(src, end)
				continue
			}
		}
		i = indexFrom(src, i+1)
	}
	if len(spots) == 0 {
		return m
	}
	m.prefix = placeholderPrefix(src, vars)
	out := make([]byte, 0, len(src)+len(spots)*8)
	pairs := make([]string, 0, 2*len(spots))
	last := 0
	for n, s := range spots {
		ph := m.prefix + strconv.Itoa(n) + "_"
		out = append(append(out, src[last:s.start]...), ph...)
		last = s.end
		m.Values = append(m.Values, vars[s.name])
		m.Names = append(m.Names, s.name)
		pairs = append(pairs, ph, vars[s.name])
	}
	m.Text = append(out, src[last:]...)
	m.replacer = strings.NewReplacer(pairs...)
	return m
}

// Fill writes the values into s, a string of the parsed file, and says whether s held a
// placeholder. It replaces in one pass: a value that looks like a placeholder stays as it is.
func (m *Masked) Fill(s string) (string, bool) {
	if m == nil || m.replacer == nil || !strings.Contains(s, m.prefix) {
		return s, false
	}
	return m.replacer.Replace(s), true
}

// placeholderPrefix is a prefix found neither in the text nor in any value, so a placeholder
// can only be one Mask wrote. The terminating "_" of each placeholder keeps "_1_" and "_10_"
// apart.
func placeholderPrefix(src []byte, vars map[string]string) string {
	for n := 0; ; n++ {
		p := "rgrvar" + strconv.Itoa(n) + "_"
		clash := bytes.Contains(src, []byte(p))
		for _, v := range vars {
			clash = clash || strings.Contains(v, p)
		}
		if !clash {
			return p
		}
	}
}
