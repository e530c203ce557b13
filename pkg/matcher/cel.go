package matcher

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/bmatcuk/doublestar/v4"
	"github.com/google/cel-go/cel"
	"github.com/google/cel-go/common"
	"github.com/google/cel-go/common/ast"
	"github.com/google/cel-go/common/types"
	"github.com/google/cel-go/common/types/ref"
	"github.com/google/cel-go/common/types/traits"
	"github.com/google/cel-go/interpreter"

	"github.com/rigger-ci/rigger/pkg/event"
)

// Limits on on-cel-expression, which anyone who can open a pull request writes and the
// server evaluates on every webhook.
const (
	// celMaxExpressionBytes bounds the text the parser reads; real expressions are a few
	// lines.
	celMaxExpressionBytes = 16 << 10
	// celCostLimit bounds an evaluation's cost in cel-go's units (about one per operation or
	// element visited): generous for expressions over a payload and a few thousand changed
	// files, a hard stop for nested comprehensions that would run for seconds or more. It is
	// Kubernetes' per-expression limit for the CEL it runs on behalf of users.
	celCostLimit = 1_000_000
	// celProgramsCached bounds the compiled expressions kept; each distinct expression of a
	// repository's definitions takes one.
	celProgramsCached = 512
)

// celTimeout stops an evaluation that the cost model underestimates (a variable for tests).
var celTimeout = time.Second

// pathChangedOverload is the pathChanged function the "glob".pathChanged() macro calls,
// with the event's changed paths as its second argument.
const pathChangedOverload = "rigger_path_changed_string_list"

// changedPathsVar holds the changed paths for pathChanged. Its name starts with '@', which
// the parser does not accept in an identifier: an expression cannot read or shadow it.
const changedPathsVar = "@changed_paths"

// celEnv declares Pipelines-as-Code's CEL variables, with its types (maps of dyn), so that
// expressions written for it compile here too.
var celEnv = sync.OnceValues(func() (*cel.Env, error) {
	str, dynMap := cel.StringType, cel.MapType(cel.StringType, cel.DynType)
	return cel.NewEnv(
		cel.Variable("event", str),
		cel.Variable("event_type", str),
		cel.Variable("event_title", str),
		cel.Variable("target_branch", str),
		cel.Variable("source_branch", str),
		cel.Variable("target_url", str),
		cel.Variable("source_url", str),
		cel.Variable("body", dynMap),
		cel.Variable("headers", dynMap),
		cel.Variable("files", dynMap),
		cel.Variable(changedPathsVar, cel.ListType(str)),
		cel.Function("pathChanged", cel.Overload(pathChangedOverload,
			[]*cel.Type{str, cel.ListType(str)}, cel.BoolType, cel.BinaryBinding(pathChanged))),
		// "glob".pathChanged() is a macro rather than a member function because a function's
		// binding is fixed when the program is built, and the program is built once per
		// expression, not once per event: the macro passes the event's paths as an argument.
		cel.Macros(cel.ReceiverMacro("pathChanged", 0, func(eh cel.MacroExprFactory, target ast.Expr, _ []ast.Expr) (ast.Expr, *common.Error) {
			return eh.NewCall("pathChanged", target, eh.NewIdent(changedPathsVar)), nil
		})),
		cel.ParserExpressionSizeLimit(celMaxExpressionBytes),
	)
})

// celProgram is one compiled on-cel-expression, or why it does not compile.
type celProgram struct {
	prg cel.Program
	err error
	// keepRefsHeads: the expression compares with a "refs/heads/..." literal, so a push's
	// branches stay full refs (as in Pipelines-as-Code); otherwise they are short names.
	keepRefsHeads bool
	// readsLabels: the expression reads event_type or a labels field, so it is evaluated on
	// a labeled event (Pipelines-as-Code's rule; others would run again on every label).
	readsLabels bool
	// readsFiles: the expression reads files or calls pathChanged, so the changed files are
	// fetched, before the evaluation's clock starts; otherwise they are not fetched at all.
	readsFiles bool
}

var celPrograms = newBoundedCache[*celProgram](celProgramsCached)

// CompileCEL compiles an on-cel-expression as Match does; the error says why it cannot run.
// Compiled expressions are cached by their text.
func CompileCEL(expr string) error { return compileCEL(expr).err }

func compileCEL(expr string) *celProgram { return celPrograms.get(expr, compileCELUncached) }

func compileCELUncached(expr string) *celProgram {
	env, err := celEnv()
	if err != nil {
		return &celProgram{err: err}
	}
	checked, iss := env.Compile(expr)
	if iss != nil && iss.Err() != nil {
		return &celProgram{err: iss.Err()}
	}
	switch out := checked.OutputType(); out.Kind() {
	case types.BoolKind, types.DynKind, types.AnyKind:
	default:
		return &celProgram{err: fmt.Errorf("expression evaluates to %s, not bool", out)}
	}
	prg, err := env.Program(checked,
		cel.CostLimit(celCostLimit),
		cel.InterruptCheckFrequency(100),
		cel.CostTrackerOptions(interpreter.OverloadCostTracker(pathChangedOverload, pathChangedCost)),
	)
	if err != nil {
		return &celProgram{err: err}
	}
	p := &celProgram{prg: prg}
	ast.MatchDescendants(ast.NavigateAST(checked.NativeRep()), func(e ast.NavigableExpr) bool {
		switch e.Kind() {
		case ast.LiteralKind:
			if s, ok := e.AsLiteral().Value().(string); ok && strings.Contains(s, "refs/heads/") {
				p.keepRefsHeads = true
			}
		case ast.IdentKind:
			p.readsLabels = p.readsLabels || e.AsIdent() == "event_type"
			p.readsFiles = p.readsFiles || e.AsIdent() == "files" || e.AsIdent() == changedPathsVar
		case ast.SelectKind:
			p.readsLabels = p.readsLabels || isLabelsField(e.AsSelect().FieldName())
		case ast.CallKind:
			if c := e.AsCall(); c.FunctionName() == "_[_]" && len(c.Args()) == 2 && c.Args()[1].Kind() == ast.LiteralKind {
				s, _ := c.Args()[1].AsLiteral().Value().(string)
				p.readsLabels = p.readsLabels || isLabelsField(s)
			}
		}
		return false
	})
	return p
}

func isLabelsField(name string) bool { return name == "labels" || name == "pull_request_labels" }

// pathChanged tells whether a changed path matches the glob, with the same globs as
// on-path-change (doublestar: * stays within a directory, ** crosses them).
func pathChanged(glob, paths ref.Val) ref.Val {
	pattern, ok := glob.Value().(string)
	if !ok || !doublestar.ValidatePattern(pattern) {
		return types.NewErr("pathChanged: invalid glob %q", glob.Value())
	}
	it := paths.(traits.Iterable).Iterator()
	for it.HasNext() == types.True {
		if p, ok := it.Next().Value().(string); ok {
			if matched, _ := doublestar.Match(pattern, p); matched {
				return types.True
			}
		}
	}
	return types.False
}

// pathChangedCost counts one unit per changed path: the cost limit would otherwise see one
// call where there are thousands of glob matches.
func pathChangedCost(args []ref.Val, _ ref.Val) *uint64 {
	n := uint64(1)
	if len(args) == 2 {
		if s, ok := args[1].(traits.Sizer); ok {
			n += uint64(s.Size().(types.Int))
		}
	}
	return &n
}

// celVars are the variables of one event, shared by the definitions matched against it:
// body and headers are made once, when the first expression reads them.
type celVars struct {
	ev      *event.Event
	files   *eventFiles
	body    any
	headers map[string]any
}

func (v *celVars) bodyValue() any {
	if v.body == nil {
		m := map[string]any{}
		if len(v.ev.Raw) > 0 {
			if err := json.Unmarshal(v.ev.Raw, &m); err != nil {
				v.body = types.NewErr("body: %v", err)
				return v.body
			}
		}
		v.body = m
	}
	return v.body
}

// headersValue has the delivery's headers under lower-case names, one value each (the
// first), as Pipelines-as-Code gives them.
func (v *celVars) headersValue() any {
	if v.headers == nil {
		v.headers = make(map[string]any, len(v.ev.Headers))
		for k, vals := range v.ev.Headers {
			if len(vals) > 0 {
				v.headers[strings.ToLower(k)] = vals[0]
			}
		}
	}
	return v.headers
}

func filesValue(c Changes) map[string]any {
	files := map[string]any{"all": nonNil(c.All)}
	if !c.pathsOnly {
		files["added"], files["deleted"] = nonNil(c.Added), nonNil(c.Deleted)
		files["modified"], files["renamed"] = nonNil(c.Modified), nonNil(c.Renamed)
	}
	return files
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// activation is the variables for one evaluation: plain values for the event's facts, lazy
// ones for what costs a decode.
func (v *celVars) activation(p *celProgram, eventName string, changes Changes) map[string]any {
	ev := v.ev
	eventType := string(ev.Kind)
	if ev.Kind == event.KindPullRequest && ev.Action == "labeled" {
		eventType = "pull_request_labeled" // what Pipelines-as-Code calls it
	}
	var target, source, title string
	targetURL, sourceURL := ev.Repo.HTMLURL, ev.Repo.HTMLURL
	if pr := ev.PullRequest; pr != nil {
		target, source, title = pr.BaseBranch, pr.HeadBranch, pr.Title
		if pr.HeadRepoURL != "" {
			sourceURL = pr.HeadRepoURL
		}
	} else {
		target, title = ev.Ref, ev.HeadCommitMessage
		if !p.keepRefsHeads {
			target = strings.TrimPrefix(target, "refs/heads/")
		}
		source = target
	}
	vars := map[string]any{
		"event":         eventName,
		"event_type":    eventType,
		"event_title":   title,
		"target_branch": target,
		"source_branch": source,
		"target_url":    targetURL,
		"source_url":    sourceURL,
		"body":          func() any { return v.bodyValue() },
		"headers":       func() any { return v.headersValue() },
	}
	if p.readsFiles {
		vars["files"] = filesValue(changes)
		vars[changedPathsVar] = nonNil(changes.All)
	}
	return vars
}

// evalCEL evaluates a compiled expression for the event. The error is only the changed
// files fetch's; every other failure is a reason not to match.
func (v *celVars) evalCEL(ctx context.Context, p *celProgram, name, eventName string) (Result, error) {
	if p.err != nil {
		return no("%s does not compile: %v", name, p.err), nil
	}
	var changes Changes
	if p.readsFiles {
		var err error
		if changes, err = v.files.get(ctx); err != nil {
			return Result{}, err
		}
	}
	ctx, cancel := context.WithTimeout(ctx, celTimeout)
	defer cancel()
	out, _, err := p.prg.ContextEval(ctx, v.activation(p, eventName, changes))
	if err != nil {
		if changes.pathsOnly && strings.Contains(err.Error(), "no such key") {
			return no("%s cannot be evaluated: %v (only files.all is known for this event)", name, err), nil
		}
		return no("%s cannot be evaluated: %v", name, err), nil
	}
	b, ok := out.(types.Bool)
	switch {
	case !ok:
		return no("%s evaluates to %s, not bool", name, out.Type().TypeName()), nil
	case b == types.False:
		return no("%s is false", name), nil
	}
	return Result{Matched: true, Reason: name + " is true"}, nil
}
