package local

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/rigger-ci/rigger/pkg/executor"
	"github.com/rigger-ci/rigger/pkg/run"
	v1 "github.com/tektoncd/pipeline/pkg/apis/pipeline/v1"
	"sigs.k8s.io/yaml"
)

func loadPR(t testing.TB, file string) *v1.PipelineRun {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", file))
	if err != nil {
		t.Fatal(err)
	}
	pr := &v1.PipelineRun{}
	if err := yaml.UnmarshalStrict(data, pr); err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	return pr
}

func newExecutor(t testing.TB, cfg Config) *Executor {
	t.Helper()
	if cfg.DataDir == "" {
		cfg.DataDir = t.TempDir()
	}
	e, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	return e
}

func request(pr *v1.PipelineRun) *executor.Request {
	return &executor.Request{
		Run:         run.Run{Identity: run.Identity{Repo: "octo/hello", SHA: "0123abcd", Definition: pr.Name, Trigger: "test"}, PullRequest: 7},
		PipelineRun: pr,
	}
}

func runToEnd(t testing.TB, e *Executor, pr *v1.PipelineRun) *run.Run {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	r, err := e.Submit(ctx, request(pr))
	if err != nil {
		t.Fatalf("submit: %v", err)
	}
	done, err := e.Wait(ctx, r.Name)
	if err != nil {
		t.Fatalf("wait: %v", err)
	}
	return done
}

func taskOf(t testing.TB, r *run.Run, name string) run.Task {
	t.Helper()
	for _, task := range r.Tasks {
		if task.Name == name {
			return task
		}
	}
	t.Fatalf("run has no task %q; tasks: %+v", name, r.Tasks)
	return run.Task{}
}

func workspaceFile(t testing.TB, e *Executor, r *run.Run, ws, file string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(e.store.runDir(r.Name), "workspace", ws, file))
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

func TestPipelineSemantics(t *testing.T) {
	t.Run("process", func(t *testing.T) {
		testPipelineSemantics(t, newExecutor(t, Config{Parallel: 4}), nil)
	})
	t.Run("container", func(t *testing.T) {
		rt := containerRuntime(t)
		e := newExecutor(t, Config{Parallel: 4, Isolation: IsolationContainer, ContainerRuntime: rt.Path})
		testPipelineSemantics(t, e, rt)
	})
}

// testPipelineSemantics runs the Tekton semantics table on e; with rt, every step runs in
// the test image and no container may be left behind.
func testPipelineSemantics(t *testing.T, e *Executor, rt *ContainerRuntime) {
	// stopped checks that a step stopped for a timeout left nothing running: on the host its
	// child process, in a container the container.
	stopped := func(t *testing.T, r *run.Run, pidFile string) {
		if rt == nil {
			assertDead(t, workspaceFile(t, e, r, "shared", pidFile))
		}
	}
	for _, tc := range []struct {
		file   string
		state  run.State
		tasks  map[string]run.State
		reason map[string]string
		check  func(t *testing.T, r *run.Run)
	}{{
		file:  "results.yaml",
		state: run.Succeeded,
		tasks: map[string]run.State{"produce": run.Succeeded, "consume": run.Succeeded},
		check: func(t *testing.T, r *run.Run) {
			got := workspaceFile(t, e, r, "shared", "out.txt")
			want := "hello rigger -a -b example.test consume\nenv hello rigger\n"
			if got != want {
				t.Errorf("out.txt = %q, want %q", got, want)
			}
		},
	}, {
		file:  "when.yaml",
		state: run.Succeeded,
		tasks: map[string]run.State{"gate": run.Skipped, "after-gate": run.Succeeded, "uses-gate": run.Skipped, "after-uses-gate": run.Skipped},
		reason: map[string]string{
			"gate":            string(v1.WhenExpressionsSkip),
			"uses-gate":       string(v1.MissingResultsSkip),
			"after-uses-gate": string(v1.ParentTasksSkip),
		},
	}, {
		file:   "finally.yaml",
		state:  run.Failed,
		tasks:  map[string]run.State{"build": run.Failed, "test": run.Skipped, "report": run.Succeeded},
		reason: map[string]string{"test": string(v1.StoppingSkip)},
		check: func(t *testing.T, r *run.Run) {
			if got := workspaceFile(t, e, r, "shared", "report.txt"); got != "Failed Failed\n" {
				t.Errorf("finally saw %q, want the build's and the pipeline's status Failed", got)
			}
			build := taskOf(t, r, "build")
			if build.Steps[0].ExitCode != 2 || build.Steps[1].State != run.Skipped {
				t.Errorf("build steps = %+v, want compile exit 2 and never skipped", build.Steps)
			}
			if r.FailedTask != "build" || r.FailedStep != "compile" || !strings.Contains(r.LogTail, "error: it broke") {
				t.Errorf("failure = %s/%s %q, want build/compile with its log tail", r.FailedTask, r.FailedStep, r.LogTail)
			}
		},
	}, {
		file:  "retries.yaml",
		state: run.Failed,
		tasks: map[string]run.State{"flaky": run.Succeeded, "hopeless": run.Failed},
		check: func(t *testing.T, r *run.Run) {
			if got := workspaceFile(t, e, r, "shared", "attempts"); got != "0\n1\n2\n" {
				t.Errorf("flaky attempts = %q, want 3 attempts with retry counts 0,1,2", got)
			}
			if got := workspaceFile(t, e, r, "shared", "hopeless"); got != "x\nx\n" {
				t.Errorf("hopeless ran %q, want twice (retries: 1)", got)
			}
		},
	}, {
		file:   "timeout.yaml",
		state:  run.Failed,
		tasks:  map[string]run.State{"slow": run.Failed},
		reason: map[string]string{"slow": reasonTaskRunTimeout},
		check: func(t *testing.T, r *run.Run) {
			if d := taskOf(t, r, "slow").Duration(); d > 10*time.Second {
				t.Errorf("timed-out task ran %s, want about its 1s timeout", d)
			}
			stopped(t, r, "child.pid")
		},
	}, {
		file:  "matrix.yaml",
		state: run.Succeeded,
		tasks: map[string]run.State{"build[0]": run.Succeeded, "build[3]": run.Succeeded, "collect": run.Succeeded},
		check: func(t *testing.T, r *run.Run) {
			for _, f := range []string{"linux-amd64", "linux-arm64", "darwin-amd64", "darwin-arm64"} {
				workspaceFile(t, e, r, "shared", f)
			}
			if got := workspaceFile(t, e, r, "shared", "count"); got != "4\n" {
				t.Errorf("collect got %q results, want 4", got)
			}
		},
	}, {
		file:  "onerror.yaml",
		state: run.Succeeded,
		tasks: map[string]run.State{"lint": run.Succeeded},
		check: func(t *testing.T, r *run.Run) {
			steps := taskOf(t, r, "lint").Steps
			if steps[0].ExitCode != 3 || steps[1].State != run.Succeeded {
				t.Errorf("steps = %+v, want exit 3 then the next step run", steps)
			}
			if got := workspaceFile(t, e, r, "shared", "pwd"); !strings.HasSuffix(got, "/workspace/sub/dir\n") {
				t.Errorf("relative workingDir ran in %q", got)
			}
		},
	}} {
		t.Run(tc.file, func(t *testing.T) {
			pr := loadPR(t, tc.file)
			if rt != nil {
				useImage(pr, testImage(t, rt))
			}
			r := runToEnd(t, e, pr)
			if rt != nil {
				assertNoContainers(t, rt, e.DataDir())
			}
			if r.State != tc.state {
				t.Errorf("run state = %s (%s: %s), want %s", r.State, r.Reason, r.Message, tc.state)
			}
			for name, want := range tc.tasks {
				if got := taskOf(t, r, name); got.State != want {
					t.Errorf("task %s = %s (%s %s), want %s", name, got.State, got.Reason, got.Message, want)
				}
			}
			for name, want := range tc.reason {
				if got := taskOf(t, r, name).Reason; got != want {
					t.Errorf("task %s reason = %q, want %q", name, got, want)
				}
			}
			if tc.check != nil {
				tc.check(t, r)
			}
		})
	}
}

// assertDead checks that the process whose pid is in pidText is gone.
func assertDead(t *testing.T, pidText string) {
	t.Helper()
	pid, err := strconv.Atoi(strings.TrimSpace(pidText))
	if err != nil {
		t.Fatalf("pid file: %v", err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for syscall.Kill(pid, 0) == nil {
		if time.Now().After(deadline) {
			t.Fatalf("child process %d still runs after its step was stopped", pid)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestBadInputStartsNothing(t *testing.T) {
	e := newExecutor(t, Config{})
	for file, want := range map[string]string{
		"invalid/missing-param.yaml": "revision",
		"invalid/cycle.yaml":         "cycle",
		"invalid/unknown-task.yaml":  "nowhere",
		"invalid/sidecar.yaml":       "spec.pipelineSpec.tasks[0].taskSpec.sidecars",
		"invalid/taskref.yaml":       "git-clone",
		"invalid/task-param.yaml":    `"needed"`,
	} {
		t.Run(file, func(t *testing.T) {
			_, err := e.Submit(context.Background(), request(loadPR(t, file)))
			if err == nil || !strings.Contains(err.Error(), want) {
				t.Fatalf("submit error = %v, want one naming %s", err, want)
			}
		})
	}
	runs, err := e.All()
	if err != nil || len(runs) != 0 {
		t.Errorf("store holds %d runs (%v) after bad input, want none", len(runs), err)
	}
	if entries, _ := os.ReadDir(filepath.Join(e.DataDir(), "runs")); len(entries) != 0 {
		t.Errorf("run directories were made for bad input: %v", entries)
	}
}

func TestSubmitIsIdempotent(t *testing.T) {
	e := newExecutor(t, Config{})
	first := runToEnd(t, e, loadPR(t, "onerror.yaml"))
	again, err := e.Submit(context.Background(), request(loadPR(t, "onerror.yaml")))
	if err != nil {
		t.Fatal(err)
	}
	if again.Name != first.Name || again.State != run.Succeeded {
		t.Errorf("second submit = %s %s, want the first run %s, finished", again.Name, again.State, first.Name)
	}
	if got, _ := e.Get(context.Background(), "", first.Name); got == nil || got.State != run.Succeeded {
		t.Errorf("Get = %+v", got)
	}
	if tail, err := e.LogTail(context.Background(), first, "lint", "still-runs", 5); err != nil || tail != "" {
		t.Errorf("log tail of a silent step = %q, %v", tail, err)
	}
}

func TestCancelStopsTheStep(t *testing.T) {
	t.Run("process", func(t *testing.T) { testCancel(t, Config{}, nil) })
	t.Run("container", func(t *testing.T) {
		rt := containerRuntime(t)
		testCancel(t, Config{Isolation: IsolationContainer, ContainerRuntime: rt.Path}, rt)
	})
}

// testCancel cancels a run while its step waits on a child: the run ends cancelled with its
// finally task skipped, and nothing of the step is left, neither the child process on the
// host nor, with rt, the container.
func testCancel(t *testing.T, cfg Config, rt *ContainerRuntime) {
	var events []Event
	cfg.OnEvent = func(ev Event) { events = append(events, ev) }
	e := newExecutor(t, cfg)
	pr := loadPR(t, "cancel.yaml")
	if rt != nil {
		useImage(pr, testImage(t, rt))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	r, err := e.Submit(ctx, request(pr))
	if err != nil {
		t.Fatal(err)
	}
	pidFile := filepath.Join(e.store.runDir(r.Name), "workspace", "shared", "child.pid")
	for {
		if data, err := os.ReadFile(pidFile); err == nil && strings.HasSuffix(string(data), "\n") {
			break
		}
		if ctx.Err() != nil {
			t.Fatal("step never started")
		}
		time.Sleep(10 * time.Millisecond)
	}
	n, err := e.Cancel(ctx, executor.Selector{Repo: "octo/hello", PullRequest: 7})
	if err != nil || n != 1 {
		t.Fatalf("cancel = %d, %v; want 1 run", n, err)
	}
	done, err := e.Wait(ctx, r.Name)
	if err != nil {
		t.Fatal(err)
	}
	if done.State != run.Cancelled || taskOf(t, done, "cleanup").State != run.Skipped {
		t.Errorf("run = %s, cleanup = %s; want cancelled, finally skipped", done.State, taskOf(t, done, "cleanup").State)
	}
	if rt == nil {
		data, _ := os.ReadFile(pidFile)
		assertDead(t, string(data))
	} else {
		assertNoContainers(t, rt, e.DataDir())
	}
	if events[0].Kind != RunStarted || events[len(events)-1].Kind != RunFinished || events[len(events)-1].State != run.Cancelled {
		t.Errorf("events run from %v to %v", events[0], events[len(events)-1])
	}
}

func TestRestartMarksRunningRunsInterrupted(t *testing.T) {
	dir := t.TempDir()
	st, err := openStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	running := &run.Run{Identity: run.Identity{Repo: "octo/hello", SHA: "1"}, Name: "left-running", State: run.Running,
		Tasks: []run.Task{{Name: "build", State: run.Running, Steps: []run.Step{{Name: "compile", State: run.Running}}}}}
	finished := &run.Run{Identity: run.Identity{Repo: "octo/hello", SHA: "2"}, Name: "finished", State: run.Succeeded}
	for _, r := range []*run.Run{running, finished} {
		if _, _, err := st.create(r); err != nil {
			t.Fatal(err)
		}
	}
	if err := st.close(); err != nil {
		t.Fatal(err)
	}

	e := newExecutor(t, Config{DataDir: dir})
	got, err := e.Get(context.Background(), "", "left-running")
	if err != nil || got == nil {
		t.Fatalf("get: %v %v", got, err)
	}
	if got.State != run.Failed || got.Reason != ReasonInterrupted || got.Tasks[0].State != run.Failed || got.Tasks[0].Steps[0].State != run.Failed {
		t.Errorf("after restart: %+v, want failed/interrupted down to the step", got)
	}
	if other, _ := e.Get(context.Background(), "", "finished"); other.State != run.Succeeded {
		t.Errorf("a finished run changed to %s", other.State)
	}
	if _, err := New(Config{DataDir: dir}); err == nil || !strings.Contains(err.Error(), "in use") {
		t.Errorf("second executor on the same data dir: %v, want in use", err)
	}
}
