package local

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rigger-ci/rigger/pkg/run"
	v1 "github.com/tektoncd/pipeline/pkg/apis/pipeline/v1"
	"github.com/tektoncd/pipeline/pkg/reconciler/pipeline/dag"
)

// Failure reasons, as Tekton names them.
const (
	reasonFailed           = "Failed"
	reasonTaskRunTimeout   = "TaskRunTimeout"
	reasonPipelineTimeout  = "PipelineRunTimeout"
	reasonCancelled        = "Cancelled"
	reasonInvalidResultRef = "InvalidTaskResultReference"
	reasonCouldNotStart    = "TaskRunCouldNotStart"
)

// outcome is how one pipeline task ended.
type outcome struct {
	state     run.State // Succeeded, Failed or Skipped
	reason    string
	continued bool // failed, but the pipeline task has onError: continue
	results   taskResults
}

// execution is the scheduler of one run: it walks Tekton's DAG, decides what runs or is
// skipped with Tekton's rules, and hands task runs to the process runner.
type execution struct {
	plan       *plan
	rec        *recorder
	runDir     string
	workspaces map[string]string // pipeline workspace -> host directory
	volumes    []string          // the persistent claims' directories among them
	slots      chan struct{}     // executor-wide limit on task runs at once
	env        []string          // the host environment steps start from
	logPath    func(task, step string) string
	onLine     func(task, step, line string) // nil unless logs are streamed
	cancelled  *atomic.Bool
	shutdown   *atomic.Bool
	// containers, when set, runs each step in its image instead of as a host process.
	containers *ContainerRuntime
	dataDirID  string
	// groups records host step processes' groups, killed after a crash (groups.go).
	groups groupRecords

	mu       sync.Mutex
	outcomes map[string]outcome
}

// run executes the whole pipeline and returns the run's final state.
func (x *execution) run(ctx context.Context) run.Run {
	start := time.Now()
	x.rec.runStarted(start)
	pipeCtx, cancelPipe := withTimeout(ctx, x.plan.pipelineTimeout)
	defer cancelPipe()
	tasksCtx, cancelTasks := withTimeout(pipeCtx, x.plan.tasksTimeout)
	defer cancelTasks()

	x.runGraph(tasksCtx)
	tasksTimedOut := errors.Is(tasksCtx.Err(), context.DeadlineExceeded)
	if !x.cancelled.Load() && pipeCtx.Err() == nil {
		finallyCtx, cancelFinally := withTimeout(pipeCtx, x.plan.finallyTimeout)
		x.runFinally(finallyCtx)
		cancelFinally()
	} else {
		x.skipAll(x.finallyNames(), skipReason(pipeCtx, x.cancelled.Load()))
	}

	state, reason, message := run.Succeeded, "Succeeded", ""
	failed := x.failedTasks()
	switch {
	case x.shutdown.Load():
		state, reason, message = run.Failed, ReasonInterrupted, "Rigger stopped while the run was in progress"
	case x.cancelled.Load():
		state, reason, message = run.Cancelled, reasonCancelled, "the run was cancelled"
	case errors.Is(pipeCtx.Err(), context.DeadlineExceeded):
		state, reason = run.Failed, reasonPipelineTimeout
		message = fmt.Sprintf("the run timed out after %s", x.plan.pipelineTimeout)
	case tasksTimedOut:
		state, reason = run.Failed, reasonPipelineTimeout
		message = fmt.Sprintf("the tasks timed out after %s", x.plan.tasksTimeout)
	case len(failed) > 0:
		state, reason = run.Failed, reasonFailed
		message = "failed tasks: " + strings.Join(failed, ", ")
	case x.anySkipped():
		reason = "Completed"
	}
	return x.rec.runFinished(state, reason, message, time.Now())
}

func withTimeout(ctx context.Context, d time.Duration) (context.Context, context.CancelFunc) {
	if d <= 0 {
		return context.WithCancel(ctx)
	}
	return context.WithTimeout(ctx, d)
}

// runGraph runs the DAG tasks: each as soon as its parents are done, until all are done
// or a failure stops the scheduling of new ones (running ones finish, as in Tekton).
func (x *execution) runGraph(ctx context.Context) {
	g := x.plan.graph
	done := map[string]bool{}
	started := map[string]bool{}
	finished := make(chan string)
	running := 0
	stopping := false
	for {
		for progress := !stopping && ctx.Err() == nil; progress; {
			progress = false
			candidates, err := dag.GetCandidateTasks(g, keys(done)...)
			if err != nil { // cannot happen with a graph dag.Build accepted
				stopping = true
				break
			}
			for _, name := range candidates.List() {
				if started[name] {
					continue
				}
				started[name] = true
				pt, out, skip := x.admit(name, false)
				if skip {
					x.finish(name, out)
					done[name] = true
					progress = true
					if out.state == run.Failed {
						stopping = true
					}
					continue
				}
				running++
				go func() {
					x.finish(name, x.runPipelineTask(ctx, pt))
					finished <- name
				}()
			}
		}
		if running == 0 {
			break
		}
		name := <-finished
		running--
		done[name] = true
		if out := x.outcome(name); out.state == run.Failed && !out.continued {
			stopping = true
		}
	}
	var notStarted []string
	for name := range g.Nodes {
		if !started[name] {
			notStarted = append(notStarted, name)
		}
	}
	reason := string(v1.StoppingSkip)
	if ctx.Err() != nil {
		reason = skipReason(ctx, x.cancelled.Load())
	}
	x.skipAll(notStarted, reason)
}

// runFinally runs every finally task at once, once the DAG is done.
func (x *execution) runFinally(ctx context.Context) {
	status := x.statusReplacements()
	var wg sync.WaitGroup
	for _, name := range x.finallyNames() {
		pt := applyTaskStatus(x.plan.tasks[name].DeepCopy(), status)
		pt, out, skip := x.admitTask(pt, true)
		if skip {
			x.finish(name, out)
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			x.finish(name, x.runPipelineTask(ctx, pt))
		}()
	}
	wg.Wait()
}

// admit decides whether a DAG task whose parents are done runs, following Tekton's
// skipping rules; it returns the task with its result references substituted.
func (x *execution) admit(name string, final bool) (*v1.PipelineTask, outcome, bool) {
	for _, parent := range x.plan.graph.Nodes[name].Prev {
		if out := x.outcome(parent.Key); out.state == run.Skipped && out.reason != string(v1.WhenExpressionsSkip) {
			return nil, outcome{state: run.Skipped, reason: string(v1.ParentTasksSkip)}, true
		}
	}
	return x.admitTask(x.plan.tasks[name].DeepCopy(), final)
}

func (x *execution) admitTask(pt *v1.PipelineTask, final bool) (*v1.PipelineTask, outcome, bool) {
	x.mu.Lock()
	results := map[string]taskResults{}
	for n, o := range x.outcomes {
		results[n] = o.results
	}
	x.mu.Unlock()
	pt, missingFrom := resolveResults(pt, results)
	if missingFrom != "" {
		parent := x.outcome(missingFrom)
		if final || parent.state == run.Skipped || parent.continued {
			return nil, outcome{state: run.Skipped, reason: string(v1.MissingResultsSkip)}, true
		}
		return nil, outcome{state: run.Failed, reason: reasonInvalidResultRef}, true
	}
	if !pt.When.AllowsExecution(nil) {
		return nil, outcome{state: run.Skipped, reason: string(v1.WhenExpressionsSkip)}, true
	}
	if pt.IsMatrixed() {
		for _, p := range pt.Matrix.Params {
			if p.Value.Type == v1.ParamTypeArray && len(p.Value.ArrayVal) == 0 {
				return nil, outcome{state: run.Skipped, reason: string(v1.EmptyArrayInMatrixParams)}, true
			}
		}
	}
	return pt, outcome{}, false
}

// runPipelineTask runs a pipeline task: one task run, or one per matrix combination, all
// at once within the parallelism limit.
func (x *execution) runPipelineTask(ctx context.Context, pt *v1.PipelineTask) outcome {
	if !pt.IsMatrixed() {
		out := x.runTaskRun(ctx, pt, pt.Name, pt.Params)
		out.continued = out.state == run.Failed && pt.OnError == v1.PipelineTaskContinue
		return out
	}
	combos := pt.Matrix.FanOut()
	outs := make([]outcome, len(combos))
	var wg sync.WaitGroup
	for i, combo := range combos {
		wg.Add(1)
		go func() {
			defer wg.Done()
			params := append(append(v1.Params{}, pt.Params...), combo...)
			outs[i] = x.runTaskRun(ctx, pt, fmt.Sprintf("%s[%d]", pt.Name, i), params)
		}()
	}
	wg.Wait()
	agg := outcome{state: run.Succeeded, results: matrixResults(outs)}
	for _, o := range outs {
		if o.state == run.Failed {
			agg.state, agg.reason = run.Failed, o.reason
		}
	}
	agg.continued = agg.state == run.Failed && pt.OnError == v1.PipelineTaskContinue
	return agg
}

// matrixResults gathers a string result of every combination into one array result, as
// Tekton does for matrixed tasks.
func matrixResults(outs []outcome) taskResults {
	agg := taskResults{}
	if len(outs) == 0 {
		return agg
	}
	for name, v := range outs[0].results {
		if v.Type != v1.ParamTypeString {
			continue
		}
		var vals []string
		for _, o := range outs {
			r, ok := o.results[name]
			if !ok {
				vals = nil
				break
			}
			vals = append(vals, r.StringVal)
		}
		if vals != nil {
			agg[name] = v1.ResultValue{Type: v1.ParamTypeArray, ArrayVal: vals}
		}
	}
	return agg
}

// runTaskRun runs one task run, again after a failure as many times as the pipeline task
// allows retries, each attempt within the task's timeout.
func (x *execution) runTaskRun(ctx context.Context, pt *v1.PipelineTask, name string, params v1.Params) outcome {
	select {
	case x.slots <- struct{}{}:
		defer func() { <-x.slots }()
	case <-ctx.Done():
		return outcome{state: run.Failed, reason: skipReason(ctx, x.cancelled.Load())}
	}
	var out outcome
	for attempt := 0; ; attempt++ {
		out = x.attempt(ctx, pt, name, params, attempt)
		if out.state == run.Succeeded || attempt >= pt.Retries || ctx.Err() != nil {
			return out
		}
	}
}

// attempt runs the steps of one task run attempt, in order, each as a host process or in
// its container.
func (x *execution) attempt(ctx context.Context, pt *v1.PipelineTask, name string, params v1.Params, attempt int) outcome {
	trName := fmt.Sprintf("%s-%s", x.plan.pr.Name, pathSafe(name))
	dir := filepath.Join(x.runDir, "taskruns", pathSafe(name), fmt.Sprintf("attempt-%d", attempt))
	resultsDir := filepath.Join(dir, "results")
	taskCtx, cancel := withTimeout(ctx, durationOf(pt.Timeout))
	defer cancel()

	fail := func(reason, message string) outcome {
		x.rec.taskFinished(name, run.Failed, reason, message, attempt, time.Now())
		return outcome{state: run.Failed, reason: reason}
	}
	if err := os.MkdirAll(resultsDir, 0o755); err != nil {
		return fail(reasonCouldNotStart, err.Error())
	}
	spec, err := renderTask(taskCtx, taskRunInput{
		pt: pt, params: params, name: trName, namespace: x.plan.pr.Namespace, retry: attempt,
		workspaces: x.workspaces, resultsDir: resultsDir,
	})
	if err != nil {
		return fail(reasonCouldNotStart, err.Error())
	}
	stepNames := make([]string, len(spec.Steps))
	for i, s := range spec.Steps {
		stepNames[i] = stepName(s.Name, i)
	}
	x.rec.taskStarted(name, stepNames, attempt, time.Now())

	failedReason := ""
	for i := range spec.Steps {
		step := &spec.Steps[i]
		if failedReason != "" {
			x.rec.stepFinished(name, i, run.Skipped, 0, time.Now())
			continue
		}
		code, reason := x.runStep(taskCtx, name, stepNames[i], i, attempt, step, dir)
		if code == 0 {
			continue
		}
		if step.OnError == v1.Continue && reason == "" {
			continue
		}
		if reason == "" {
			reason = reasonFailed
		}
		failedReason = reason
		x.rec.failedAt(name, stepNames[i])
	}
	if failedReason != "" {
		return fail(failedReason, "")
	}
	results, err := readResults(spec.Results, resultsDir)
	if err != nil {
		return fail(reasonFailed, err.Error())
	}
	x.rec.taskFinished(name, run.Succeeded, "Succeeded", "", attempt, time.Now())
	return outcome{state: run.Succeeded, results: results}
}

// runStep runs one step and returns its exit code, and a reason when it was stopped
// rather than failing by itself.
func (x *execution) runStep(ctx context.Context, task, name string, i, attempt int, step *v1.Step, taskDir string) (int32, string) {
	stepCtx, cancel := withTimeout(ctx, durationOf(step.Timeout))
	defer cancel()
	now := time.Now()
	x.rec.stepStarted(task, i, now)
	ps := processSpec{
		Script: step.Script, Command: step.Command, Args: step.Args,
		Env:       stepEnv(x.env, step),
		Dir:       x.workingDir(step.WorkingDir),
		ScriptDir: filepath.Join(taskDir, "scripts"),
		LogPath:   x.logPath(task, name),
		Groups:    x.groups,
	}
	if x.onLine != nil {
		ps.OnLine = func(line string) { x.onLine(task, name, line) }
	}
	var err error
	if x.containers != nil {
		ps, err = x.inContainer(ps, step, containerName(x.dataDirID, x.plan.pr.Name, task, attempt, name))
	} else {
		err = os.MkdirAll(ps.Dir, 0o755)
	}
	if err != nil {
		appendLog(ps.LogPath, "rigger: "+err.Error()+"\n")
		x.rec.stepFinished(task, i, run.Failed, -1, time.Now())
		return -1, reasonCouldNotStart
	}
	res, err := runProcess(stepCtx, ps)
	if err != nil {
		appendLog(ps.LogPath, "rigger: "+err.Error()+"\n")
		x.rec.stepFinished(task, i, run.Failed, res.ExitCode, time.Now())
		return -1, reasonCouldNotStart
	}
	state, reason := run.Succeeded, ""
	if res.ExitCode != 0 {
		state = run.Failed
	}
	if res.Killed {
		state = run.Failed
		switch {
		case x.cancelled.Load() || x.shutdown.Load():
			state, reason = run.Cancelled, reasonCancelled
		case errors.Is(ctx.Err(), context.DeadlineExceeded) || errors.Is(stepCtx.Err(), context.DeadlineExceeded):
			reason = reasonTaskRunTimeout
			if !errors.Is(ctx.Err(), context.DeadlineExceeded) {
				reason = "StepTimeout"
			}
		default:
			reason = reasonPipelineTimeout
		}
	}
	x.rec.stepFinished(task, i, state, res.ExitCode, time.Now())
	return res.ExitCode, reason
}

// workingDir is where a step runs: the run's workspace root, as /workspace is in a pod,
// or the step's workingDir, relative to that root when it is relative.
func (x *execution) workingDir(dir string) string {
	root := filepath.Join(x.runDir, "workspace")
	if dir == "" {
		return root
	}
	if filepath.IsAbs(dir) {
		return dir
	}
	return filepath.Join(root, dir)
}

// stepEnv is the host environment with the step's variables on top.
func stepEnv(base []string, step *v1.Step) []string {
	env := make([]string, 0, len(base)+len(step.Env))
	env = append(env, base...)
	for _, e := range step.Env {
		env = append(env, e.Name+"="+e.Value)
	}
	return env
}

// stepName is a step's name, or Tekton's name for an unnamed one.
func stepName(name string, i int) string {
	if name != "" {
		return name
	}
	return fmt.Sprintf("unnamed-%d", i)
}

func (x *execution) finish(name string, out outcome) {
	x.mu.Lock()
	x.outcomes[name] = out
	x.mu.Unlock()
	switch out.state {
	case run.Skipped:
		x.rec.taskSkipped(name, out.reason, time.Now())
	case run.Failed:
		if out.reason == reasonInvalidResultRef {
			x.rec.taskFinished(name, run.Failed, out.reason, "a result it uses was not produced", 0, time.Now())
		}
	}
}

func (x *execution) outcome(name string) outcome {
	x.mu.Lock()
	defer x.mu.Unlock()
	return x.outcomes[name]
}

func (x *execution) skipAll(names []string, reason string) {
	sort.Strings(names)
	for _, n := range names {
		if x.outcome(n).state == "" {
			x.finish(n, outcome{state: run.Skipped, reason: reason})
		}
	}
}

func (x *execution) finallyNames() []string {
	var names []string
	for _, pt := range x.plan.spec.Finally {
		names = append(names, pt.Name)
	}
	return names
}

// failedTasks are the tasks that fail the run: failed, and not onError: continue.
func (x *execution) failedTasks() []string {
	x.mu.Lock()
	defer x.mu.Unlock()
	var names []string
	for n, o := range x.outcomes {
		if o.state == run.Failed && !o.continued {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	return names
}

func (x *execution) anySkipped() bool {
	x.mu.Lock()
	defer x.mu.Unlock()
	for _, o := range x.outcomes {
		if o.state == run.Skipped {
			return true
		}
	}
	return false
}

// statusReplacements are the values of $(tasks.X.status) and $(tasks.status) for finally
// tasks, with Tekton's words.
func (x *execution) statusReplacements() map[string]string {
	x.mu.Lock()
	defer x.mu.Unlock()
	r := map[string]string{}
	failed, skipped := false, false
	for _, pt := range x.plan.spec.Tasks {
		o := x.outcomes[pt.Name]
		status := "None"
		switch o.state {
		case run.Succeeded:
			status = "Succeeded"
		case run.Failed:
			status, failed = "Failed", true
		default:
			skipped = true
		}
		r[fmt.Sprintf("tasks.%s.status", pt.Name)] = status
	}
	switch {
	case failed:
		r["tasks.status"] = "Failed"
	case skipped:
		r["tasks.status"] = "Completed"
	default:
		r["tasks.status"] = "Succeeded"
	}
	return r
}

// skipReason says why a task did not start once ctx ended.
func skipReason(ctx context.Context, cancelled bool) string {
	switch {
	case cancelled:
		return string(v1.GracefullyCancelledSkip)
	case errors.Is(ctx.Err(), context.DeadlineExceeded):
		return string(v1.TasksTimedOutSkip)
	}
	return string(v1.StoppingSkip)
}

func keys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}

// pathSafe makes a task run name usable as a file name.
func pathSafe(s string) string {
	return strings.NewReplacer("/", "_", "[", "-", "]", "").Replace(s)
}

func appendLog(path, text string) {
	_ = os.MkdirAll(filepath.Dir(path), 0o755)
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return
	}
	defer f.Close()
	_, _ = f.WriteString(text)
}
