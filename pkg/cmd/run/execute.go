package run

import (
	"context"
	"errors"
	"fmt"

	"github.com/rigger-ci/rigger/pkg/cmd/exitcode"
	"github.com/rigger-ci/rigger/pkg/cmd/factory"
	"github.com/rigger-ci/rigger/pkg/executor"
	"github.com/rigger-ci/rigger/pkg/executor/local"
	runmodel "github.com/rigger-ci/rigger/pkg/run"
)

// maxAttempts bounds the search for a fresh run name: each `rigger run` of one commit is a
// new attempt, as the executor keeps the earlier ones.
const maxAttempts = 100000

// execute submits the planned runs to the local executor, shows their progress, waits for
// them and prints the summary. Ctrl-C cancels them.
func (o *options) execute(ctx context.Context, f *factory.Factory, c *Checkout, p *runPlan) error {
	dataDir, err := expandHome(o.dataDir)
	if err != nil {
		return usage("%v", err)
	}
	out := f.IO.Out
	prog := newProgress(out, f.IO.OutTTY)
	ex, err := local.New(local.Config{DataDir: dataDir, Parallel: o.parallel,
		Isolation: local.Isolation(o.isolation), ContainerRuntime: o.runtime, OnEvent: prog.handle, StreamLogs: o.logs,
		Env: local.UserEnv()})
	if err != nil {
		return usage("%v", err)
	}
	defer ex.Close()

	ctx, stop := signalContext(ctx)
	defer stop()
	how := "as host processes"
	if rt := ex.ContainerRuntime(); rt != nil {
		how = "in their images with " + rt.Name
	}
	fmt.Fprintf(out, "Running %d pipeline(s) of %s at %s: steps run %s (isolation %s), data in %s\n",
		len(p.runs), c.Root, short(c.Revision), how, o.isolation, dataDir)
	for _, r := range p.runs {
		fmt.Fprintf(out, "  %s (%s)\n", r.def.Name, r.def.File)
	}
	prog.startTicker()

	var submitted []*planned
	for _, r := range p.runs {
		if err := freshName(ctx, ex, r.req); err != nil {
			prog.close()
			return cancelAll(ex, c, submitted, usage("%v", err))
		}
		prog.expect(r.req.Run.Name, r.def.Name)
		if _, err := ex.Submit(ctx, r.req); err != nil {
			prog.close()
			return cancelAll(ex, c, submitted, usage("%s:%d: %s: %v", r.def.File, r.def.Line, r.def.Name, err))
		}
		submitted = append(submitted, r)
	}

	results, cancelled := wait(ctx, ex, c, submitted)
	prog.close()
	printSummary(out, results, o.logs)
	printTestSummaries(out, ex, results)
	failed := 0
	for _, r := range results {
		if r.Run.State != runmodel.Succeeded {
			failed++
		}
	}
	switch {
	case cancelled:
		return &exitcode.Error{Code: exitcode.Failed, Err: errCancelled}
	case failed > 0:
		return &exitcode.Error{Code: exitcode.Failed, Err: fmt.Errorf("%d of %d pipeline runs failed", failed, len(results))}
	}
	fmt.Fprintf(out, "\n%d pipeline run(s) succeeded.\n", len(results))
	return nil
}

// freshName picks the first attempt whose run name the executor does not know yet.
func freshName(ctx context.Context, ex *local.Executor, req *executor.Request) error {
	for attempt := 0; attempt < maxAttempts; attempt++ {
		nameRequest(req, attempt)
		existing, err := ex.Get(ctx, "", req.Run.Name)
		if err != nil {
			return err
		}
		if existing == nil {
			return nil
		}
	}
	return errors.New("too many earlier runs of this commit; use another --data-dir")
}

// wait waits for every run to finish. When ctx ends first (Ctrl-C), it cancels them all and
// waits for the cancellation to land, so the summary shows where each one stopped.
func wait(ctx context.Context, ex *local.Executor, c *Checkout, runs []*planned) ([]finished, bool) {
	cancelled := false
	results := make([]finished, 0, len(runs))
	for _, p := range runs {
		r, err := ex.Wait(ctx, p.req.Run.Name)
		if err != nil && ctx.Err() != nil {
			cancelled = true
			_, _ = ex.Cancel(context.Background(), executor.Selector{Repo: c.FullName()})
			r, err = ex.Wait(context.Background(), p.req.Run.Name)
		}
		if err != nil {
			r = &runmodel.Run{Identity: p.req.Run.Identity, Name: p.req.Run.Name, State: runmodel.Failed, Reason: "Unknown", Message: err.Error()}
		}
		results = append(results, finished{Pipeline: p.def.Name, File: p.def.File, Run: r})
	}
	return results, cancelled
}

// cancelAll stops runs already started when a later one cannot be, so that a validation
// error leaves nothing running.
func cancelAll(ex *local.Executor, c *Checkout, started []*planned, err error) error {
	if len(started) == 0 {
		return err
	}
	_, _ = ex.Cancel(context.Background(), executor.Selector{Repo: c.FullName()})
	for _, p := range started {
		_, _ = ex.Wait(context.Background(), p.req.Run.Name)
	}
	return err
}

func short(sha string) string {
	if len(sha) > 12 {
		return sha[:12]
	}
	return sha
}
