package definition

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/tektoncd/pipeline/pkg/apis/config"
	v1 "github.com/tektoncd/pipeline/pkg/apis/pipeline/v1"

	"github.com/rigger-ci/rigger/pkg/template"
)

// Definition is one PipelineRun of .tekton/, ready to match and submit.
type Definition struct {
	// Name is metadata.name, or metadata.generateName without its trailing '-'.
	Name string
	File string
	Line int // of the document's first line
	// Annotations are the PipelineRun's, over those of the Pipeline it references from
	// .tekton/ when that one was inlined (the PipelineRun's win).
	Annotations map[string]string
	// PipelineRun is the run as written, with templates filled and in-repo Pipeline and Task
	// references inlined; not defaulted, so the cluster's own defaults apply.
	PipelineRun *v1.PipelineRun
	// Notes say what was done to it (inlining) and what Tekton warned about.
	Notes []string

	origins []origin
}

// Set is what a .tekton/ directory holds: the valid definitions, and the errors of the rest.
type Set struct {
	Definitions []*Definition
	Pipelines   map[string]*v1.Pipeline
	Tasks       map[string]*v1.Task
	Errors      Errors
	// Notes list the documents ignored (other kinds) and similar remarks, for `rigger lint`.
	Notes []string
}

// Parser turns files into definitions. Config is Tekton's configuration (defaults, feature
// flags) to validate with; nil means Tekton's defaults.
type Parser struct {
	Config *config.Config
	// Memo, when set, skips validating what validated cleanly before up to the revision.
	Memo *ValidationMemo
}

// Parse is Parser{}.Parse.
func Parse(files *Files, vars map[string]string) (*Set, error) {
	return Parser{}.Parse(files, vars)
}

// Parse decodes each file, fills the template variables into the strings it holds (never
// into its text: see template.Masked), inlines in-repo references and validates each
// PipelineRun. The returned Set always holds the good definitions; the
// error, when not nil, is the Set's Errors (type Errors), every one with its file and line.
func (p Parser) Parse(files *Files, vars map[string]string) (*Set, error) {
	set := &Set{Pipelines: map[string]*v1.Pipeline{}, Tasks: map[string]*v1.Task{}}
	cat := catalog{pipelines: map[string]*document{}, tasks: map[string]*document{}}
	var runs []*document
	masked := make([]*template.Masked, len(files.Files))
	for i, f := range files.Files {
		masked[i] = template.Mask(f.Content, vars)
		docs, errs, notes := safeDecodeFile(f.Path, masked[i])
		set.Errors = append(set.Errors, errs...)
		set.Notes = append(set.Notes, notes...)
		for _, d := range docs {
			switch d.kind {
			case KindPipelineRun:
				runs = append(runs, d)
			case KindPipeline:
				set.addNamed(cat.pipelines, d, d.pipeline.Name)
			case KindTask:
				set.addNamed(cat.tasks, d, d.task.Name)
			}
		}
	}
	for name, d := range cat.pipelines {
		set.Pipelines[name] = d.pipeline
	}
	for name, d := range cat.tasks {
		set.Tasks[name] = d.task
	}

	ctx := validationContext(p.Config)
	// A memo hit holds the warnings of each definition of a clean validation of the same
	// files up to the revision: validation is skipped and those warnings kept.
	var memoKey string
	var known [][]string
	hit := false
	if p.Memo != nil && len(set.Errors) == 0 {
		memoKey = p.Memo.key(files, masked)
		known, hit = p.Memo.valid.get(memoKey)
		hit = hit && len(known) == len(runs)
		if hit {
			p.Memo.hits.Add(1)
		}
	}
	var warnings [][]string
	names := map[string]*Definition{}
	for _, d := range runs {
		def := newDefinition(d)
		if def.Name == "" {
			set.Errors = append(set.Errors, d.errorAt("metadata", "a PipelineRun needs metadata.name or metadata.generateName"))
			continue
		}
		if first := names[def.Name]; first != nil {
			set.Errors = append(set.Errors, d.errorAt("metadata", fmt.Sprintf(
				"PipelineRun %q is already defined at %s:%d", def.Name, first.File, first.Line)))
			continue
		}
		cat.inline(def)
		before := len(def.Notes)
		if hit {
			def.Notes = append(def.Notes, known[len(set.Definitions)]...)
		} else if errs := def.safeValidate(ctx); len(errs) > 0 {
			set.Errors = append(set.Errors, errs...)
			continue
		}
		warnings = append(warnings, slices.Clone(def.Notes[before:]))
		names[def.Name] = def
		set.Definitions = append(set.Definitions, def)
	}
	slices.SortStableFunc(set.Errors, func(a, b *Error) int {
		return cmp.Or(strings.Compare(a.File, b.File), cmp.Compare(a.Line, b.Line))
	})
	if len(set.Errors) > 0 {
		return set, set.Errors
	}
	if memoKey != "" && !hit {
		p.Memo.valid.add(memoKey, warnings)
	}
	return set, nil
}

func newDefinition(d *document) *Definition {
	pr := d.run
	name := pr.Name
	if name == "" {
		name = strings.TrimRight(pr.GenerateName, "-")
	}
	return &Definition{
		Name:        name,
		File:        d.file,
		Line:        d.line(),
		Annotations: pr.Annotations,
		PipelineRun: pr,
		origins:     []origin{{doc: d}},
	}
}

// addNamed records a Pipeline or Task under its name; a second one of the same name is an
// error, as a reference to it would be ambiguous.
func (s *Set) addNamed(m map[string]*document, d *document, name string) {
	if name == "" {
		s.Errors = append(s.Errors, d.errorAt("metadata", fmt.Sprintf("a %s needs metadata.name", d.kind)))
		return
	}
	if first := m[name]; first != nil {
		s.Errors = append(s.Errors, d.errorAt("metadata.name", fmt.Sprintf(
			"%s %q is already defined at %s:%d", d.kind, name, first.file, first.line())))
		return
	}
	m[name] = d
}
