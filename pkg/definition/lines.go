package definition

import (
	"strconv"
	"strings"

	yaml "go.yaml.in/yaml/v3"
)

// pathStep is one step of a field path as Tekton's validation writes it
// (spec.pipelineSpec.tasks[0].name, spec.params[foo]): a field, or a bracketed index or key.
type pathStep struct {
	field   string
	bracket bool // [index] or [key]
}

// splitPath splits a field path into its steps. A bracketed key may contain dots.
func splitPath(path string) []pathStep {
	var steps []pathStep
	var cur strings.Builder
	flush := func() {
		if cur.Len() > 0 {
			steps = append(steps, pathStep{field: cur.String()})
			cur.Reset()
		}
	}
	for i := 0; i < len(path); i++ {
		switch c := path[i]; c {
		case '.':
			flush()
		case '[':
			flush()
			end := strings.IndexByte(path[i:], ']')
			if end < 0 {
				steps = append(steps, pathStep{field: path[i+1:], bracket: true})
				return steps
			}
			steps = append(steps, pathStep{field: path[i+1 : i+end], bracket: true})
			i += end
		default:
			cur.WriteByte(c)
		}
	}
	flush()
	return steps
}

// lineOf returns the line of the field at path under node, or the line of the deepest part of
// the path that exists (paths can name defaulted or converted fields the file does not have).
// A field's line is that of its key, where a reader looks for it.
func lineOf(node *yaml.Node, path string) int {
	line := node.Line
	for _, step := range splitPath(path) {
		next, at := child(node, step)
		if next == nil {
			break
		}
		node, line = next, at
	}
	return line
}

func child(node *yaml.Node, step pathStep) (*yaml.Node, int) {
	for node.Kind == yaml.AliasNode && node.Alias != nil {
		node = node.Alias
	}
	if node.Kind == yaml.DocumentNode && len(node.Content) > 0 {
		node = node.Content[0]
	}
	switch node.Kind {
	case yaml.MappingNode:
		if v, k := mappingValue(node, step.field); v != nil {
			return v, k.Line
		}
	case yaml.SequenceNode:
		if !step.bracket {
			return nil, 0
		}
		if i, err := strconv.Atoi(step.field); err == nil {
			if i >= 0 && i < len(node.Content) {
				return node.Content[i], node.Content[i].Line
			}
			return nil, 0
		}
		// [key] in a list means the element of that name (params[foo], tasks[build]).
		for _, el := range node.Content {
			if el.Kind == yaml.MappingNode {
				if v, _ := mappingValue(el, "name"); v != nil && v.Value == step.field {
					return el, el.Line
				}
			}
		}
	}
	return nil, 0
}

// mappingValue returns the value and key nodes of key in a mapping node.
func mappingValue(m *yaml.Node, key string) (value, keyNode *yaml.Node) {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i+1], m.Content[i]
		}
	}
	return nil, nil
}
