package definition

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"

	"github.com/rigger-ci/rigger/pkg/template"
	v1 "github.com/tektoncd/pipeline/pkg/apis/pipeline/v1"
	"github.com/tektoncd/pipeline/pkg/apis/pipeline/v1beta1"
	yaml "go.yaml.in/yaml/v3"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// The kinds Rigger reads from .tekton/.
const (
	KindPipelineRun = "PipelineRun"
	KindPipeline    = "Pipeline"
	KindTask        = "Task"

	apiV1      = "tekton.dev/v1"
	apiV1beta1 = "tekton.dev/v1beta1"
)

// document is one YAML document of a file, decoded into Tekton's v1 type of its kind.
type document struct {
	file string
	root *yaml.Node // the document's top mapping, for lines of field paths
	kind string

	run      *v1.PipelineRun
	pipeline *v1.Pipeline
	task     *v1.Task
}

func (d *document) line() int { return d.root.Line }

func (d *document) errorAt(path, msg string) *Error {
	return &Error{File: d.file, Line: lineOf(d.root, path), Msg: msg}
}

// decodeFile splits a file into its documents and decodes the Tekton ones, filling the
// template variables of masked into the parsed strings (see template.Masked). A YAML syntax
// error ends the file there: the documents before it are kept.
func decodeFile(file string, masked *template.Masked) (docs []*document, errs []*Error, notes []string) {
	content := masked.Text
	dec := yaml.NewDecoder(bytes.NewReader(content))
	for n := 1; ; n++ {
		var node yaml.Node
		err := dec.Decode(&node)
		if errors.Is(err, io.EOF) {
			return docs, errs, notes
		}
		if err != nil {
			e := yamlError(file, err)
			// At the end of the stream the parser points past the last line.
			e.Line = min(e.Line, lineCount(content))
			return docs, append(errs, e), notes
		}
		if node.Kind != yaml.DocumentNode || len(node.Content) == 0 {
			continue
		}
		fill(&node, masked, map[*yaml.Node]bool{})
		root := node.Content[0]
		if root.Kind == yaml.ScalarNode && root.Tag == "!!null" {
			continue // an empty document, e.g. between two "---"
		}
		if root.Kind != yaml.MappingNode {
			notes = append(notes, fmt.Sprintf("%s:%d: document %d is not an object, ignored", file, root.Line, n))
			continue
		}
		doc := &document{file: file, root: root}
		apiVersion, kind := scalar(root, "apiVersion"), scalar(root, "kind")
		if !isTektonKind(apiVersion, kind) {
			notes = append(notes, fmt.Sprintf("%s:%d: %s %s is not a Tekton PipelineRun, Pipeline or Task, ignored",
				file, root.Line, apiVersion, kind))
			continue
		}
		doc.kind = kind
		if e := doc.decode(apiVersion); e != nil {
			errs = append(errs, e)
			continue
		}
		docs = append(docs, doc)
	}
}

// fill writes the template values into every scalar of n that holds a placeholder, keys
// included. Such a scalar becomes a string whatever its value looks like ("true", "42"), as
// the author wrote text there; each node is visited once, so an alias cannot fill twice.
func fill(n *yaml.Node, masked *template.Masked, seen map[*yaml.Node]bool) {
	if n == nil || seen[n] {
		return
	}
	seen[n] = true
	if n.Kind == yaml.ScalarNode {
		if v, ok := masked.Fill(n.Value); ok {
			n.Value, n.Tag = v, "!!str"
			if n.Style&(yaml.LiteralStyle|yaml.FoldedStyle|yaml.DoubleQuotedStyle|yaml.SingleQuotedStyle) == 0 {
				n.Style = yaml.DoubleQuotedStyle
			}
		}
		return
	}
	for _, c := range n.Content {
		fill(c, masked, seen)
	}
	fill(n.Alias, masked, seen)
}

func isTektonKind(apiVersion, kind string) bool {
	if apiVersion != apiV1 && apiVersion != apiV1beta1 {
		return false
	}
	return kind == KindPipelineRun || kind == KindPipeline || kind == KindTask
}

func scalar(m *yaml.Node, key string) string {
	if v, _ := mappingValue(m, key); v != nil && v.Kind == yaml.ScalarNode {
		return v.Value
	}
	return ""
}

// decode fills the v1 object of the document, converting v1beta1 with Tekton's own conversion.
func (d *document) decode(apiVersion string) *Error {
	var raw any
	if err := d.root.Decode(&raw); err != nil {
		return yamlError(d.file, err)
	}
	js, err := json.Marshal(raw)
	if err != nil {
		return &Error{File: d.file, Line: d.line(), Msg: fmt.Sprintf("not a valid object: %v", err)}
	}
	ctx := context.Background()
	switch {
	case apiVersion == apiV1 && d.kind == KindPipelineRun:
		d.run = &v1.PipelineRun{}
		return d.unmarshal(js, d.run)
	case apiVersion == apiV1 && d.kind == KindPipeline:
		d.pipeline = &v1.Pipeline{}
		return d.unmarshal(js, d.pipeline)
	case apiVersion == apiV1 && d.kind == KindTask:
		d.task = &v1.Task{}
		return d.unmarshal(js, d.task)
	case d.kind == KindPipelineRun:
		var old v1beta1.PipelineRun
		if e := d.unmarshal(js, &old); e != nil {
			return e
		}
		bundleRefsOfRun(&old)
		d.run = &v1.PipelineRun{}
		return d.converted(old.ConvertTo(ctx, d.run), &d.run.TypeMeta)
	case d.kind == KindPipeline:
		var old v1beta1.Pipeline
		if e := d.unmarshal(js, &old); e != nil {
			return e
		}
		bundleRefsOfPipeline(&old.Spec)
		d.pipeline = &v1.Pipeline{}
		return d.converted(old.ConvertTo(ctx, d.pipeline), &d.pipeline.TypeMeta)
	default:
		var old v1beta1.Task
		if e := d.unmarshal(js, &old); e != nil {
			return e
		}
		d.task = &v1.Task{}
		return d.converted(old.ConvertTo(ctx, d.task), &d.task.TypeMeta)
	}
}

func (d *document) converted(err error, tm interface{ SetGroupVersionKind(gvk schemaGVK) }) *Error {
	if err != nil {
		return &Error{File: d.file, Line: d.line(), Msg: fmt.Sprintf("converting %s to %s: %v", apiV1beta1, apiV1, err)}
	}
	tm.SetGroupVersionKind(schemaGVK{Group: "tekton.dev", Version: "v1", Kind: d.kind})
	return nil
}

// unmarshal decodes JSON into a Tekton type; a type mismatch names the field, which gives the
// line.
func (d *document) unmarshal(js []byte, obj any) *Error {
	err := json.Unmarshal(js, obj)
	if err == nil {
		return nil
	}
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) && te.Field != "" {
		return d.errorAt(te.Field, fmt.Sprintf("%s: cannot use a %s here, want %s", te.Field, te.Value, te.Type))
	}
	return &Error{File: d.file, Line: d.line(), Msg: err.Error()}
}

var yamlLine = regexp.MustCompile(`line (\d+): (.*)`)

// parserProblems are the messages of the YAML parser (as opposed to its scanner). The parser
// reports their line counted from 0 (the scanner from 1), so they need one added.
var parserProblems = map[string]bool{
	"did not find expected ',' or ']'":       true,
	"did not find expected ',' or '}'":       true,
	"did not find expected '-' indicator":    true,
	"did not find expected <document start>": true,
	"did not find expected <stream-start>":   true,
	"did not find expected key":              true,
	"did not find expected node content":     true,
	"found duplicate %TAG directive":         true,
	"found duplicate %YAML directive":        true,
	"found incompatible YAML document":       true,
	"found undefined tag handle":             true,
}

// yamlError keeps the parser's line: "yaml: line 3: mapping values are not allowed ...".
func yamlError(file string, err error) *Error {
	var te *yaml.TypeError
	msgs := []string{err.Error()}
	if errors.As(err, &te) && len(te.Errors) > 0 {
		msgs = te.Errors
	}
	if m := yamlLine.FindStringSubmatch(msgs[0]); m != nil {
		line, _ := strconv.Atoi(m[1])
		if parserProblems[m[2]] && !errors.As(err, &te) {
			line++
		}
		return &Error{File: file, Line: line, Msg: "invalid YAML: " + m[2]}
	}
	return &Error{File: file, Msg: "invalid YAML: " + msgs[0]}
}

type schemaGVK = schema.GroupVersionKind

func lineCount(content []byte) int {
	n := bytes.Count(content, []byte("\n"))
	if len(content) > 0 && content[len(content)-1] != '\n' {
		n++
	}
	return n
}
