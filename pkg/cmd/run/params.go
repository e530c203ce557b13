package run

import (
	"context"
	"fmt"
	"strings"

	prresources "github.com/rigger-ci/rigger/internal/tektonreconciler/pipelinerun/resources"
	"github.com/rigger-ci/rigger/pkg/definition"
	v1 "github.com/tektoncd/pipeline/pkg/apis/pipeline/v1"
)

// Param is one --param name=value.
type Param struct{ Name, Value string }

// ParseParams reads --param flags. A name given twice keeps its last value.
func ParseParams(flags []string) ([]Param, error) {
	var out []Param
	index := map[string]int{}
	for _, f := range flags {
		name, value, ok := strings.Cut(f, "=")
		name = strings.TrimSpace(name)
		if !ok || name == "" {
			return nil, fmt.Errorf("--param %q: want name=value", f)
		}
		if i, dup := index[name]; dup {
			out[i].Value = value
			continue
		}
		index[name] = len(out)
		out = append(out, Param{Name: name, Value: value})
	}
	return out, nil
}

// applyParams sets the params on the PipelineRun (spec.params), over the values the file
// gives. A param the pipeline declares as an array takes a comma-separated list. As in
// Tekton, a param the pipeline does not declare is allowed (and unused).
func applyParams(pr *v1.PipelineRun, params []Param) error {
	declared := map[string]v1.ParamType{}
	if ps := pr.Spec.PipelineSpec; ps != nil {
		for _, p := range ps.Params {
			declared[p.Name] = p.Type
		}
	}
	for _, p := range params {
		var val v1.ParamValue
		switch declared[p.Name] {
		case v1.ParamTypeArray:
			val = v1.ParamValue{Type: v1.ParamTypeArray, ArrayVal: strings.Split(p.Value, ",")}
		case v1.ParamTypeObject:
			return fmt.Errorf("--param %s: object params cannot be set from the command line", p.Name)
		default:
			val = *v1.NewStructuredValues(p.Value)
		}
		replaced := false
		for i := range pr.Spec.Params {
			if pr.Spec.Params[i].Name == p.Name {
				pr.Spec.Params[i].Value, replaced = val, true
			}
		}
		if !replaced {
			pr.Spec.Params = append(pr.Spec.Params, v1.Param{Name: p.Name, Value: val})
		}
	}
	return nil
}

// checkParams does what Tekton does before it starts a PipelineRun: every param without a
// default is given, with the declared type. The error names the definition's file and line.
func checkParams(ctx context.Context, def *definition.Definition, pr *v1.PipelineRun) error {
	if pr.Spec.PipelineSpec == nil {
		return nil // a pipeline from a resolver: the executor knows it only once resolved
	}
	pr = pr.DeepCopy()
	pr.SetDefaults(ctx)
	ps := pr.Spec.PipelineSpec
	fail := func(err error) error {
		return &definition.Error{File: def.File, Line: def.Line, Msg: fmt.Sprintf("PipelineRun %q: %v", def.Name, err)}
	}
	if err := prresources.ValidateRequiredParametersProvided(&ps.Params, &pr.Spec.Params); err != nil {
		return fail(fmt.Errorf("%w (give it with --param name=value)", err))
	}
	if err := prresources.ValidateParamTypesMatching(ps, pr); err != nil {
		return fail(err)
	}
	if err := prresources.ValidateObjectParamRequiredKeys(ps.Params, pr.Spec.Params); err != nil {
		return fail(err)
	}
	return nil
}

// CheckParams checks the params of definitions as they are written (no --param), for
// `rigger lint`: a required param without a value fails every run of the definition.
func CheckParams(ctx context.Context, defs []*definition.Definition) definition.Errors {
	var errs definition.Errors
	for _, d := range defs {
		if err := checkParams(ctx, d, d.PipelineRun); err != nil {
			errs = append(errs, err.(*definition.Error))
		}
	}
	return errs
}
