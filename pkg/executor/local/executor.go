package local

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rigger-ci/rigger/pkg/executor"
	"github.com/rigger-ci/rigger/pkg/run"
)

// Isolation says how steps are kept apart from the host.
type Isolation string

const (
	// IsolationProcess runs steps as host processes (the default).
	IsolationProcess Isolation = "process"
	// IsolationContainer runs each step in its image with podman or docker.
	IsolationContainer Isolation = "container"
)

// Config configures the local executor.
type Config struct {
	// DataDir holds the run store and logs; default ~/.local/share/rigger.
	DataDir string
	// Parallel is how many task runs may run at once; default the number of CPUs.
	Parallel int
	// Isolation of steps; default IsolationProcess.
	Isolation Isolation
	// ContainerRuntime picks the runtime for IsolationContainer: "podman", "docker" or a
	// path to either; empty takes the first of podman and docker that answers.
	ContainerRuntime string
	// OnEvent, when set, receives progress events, one call at a time.
	OnEvent func(Event)
	// StreamLogs adds a LogLine event for each line a step writes.
	StreamLogs bool
	// Policies gives repositories' current concurrency limits; without it a repository's
	// limit is the one its newest waiting run was submitted under.
	Policies executor.Policies
	// Env is the environment steps start from, under what each step declares; nil means
	// CleanEnv(). It never holds Rigger's own configuration.
	Env []string
}

// Executor runs PipelineRuns on this machine. It implements executor.Executor.
type Executor struct {
	cfg        Config
	containers *ContainerRuntime // nil: steps are host processes
	store      *store
	slots      chan struct{}
	env        []string
	recovered  Recovered

	emitMu sync.Mutex

	mu       sync.Mutex
	active   map[string]*activeRun
	watchers map[*watcher]struct{}
	pending  map[string]run.Run // snapshots not yet in the store
	closed   bool

	// queueMu serializes reconciles of the queues, so two cannot start the same slot.
	queueMu sync.Mutex

	flushMu   sync.Mutex
	flushKick chan struct{}
	flushDone chan struct{}
	wg        sync.WaitGroup
	shutdown  atomic.Bool
}

type activeRun struct {
	cancel    context.CancelFunc
	cancelled atomic.Bool
	done      chan struct{}
	rec       *recorder
}

var _ executor.Executor = (*Executor)(nil)

// Recovered is what New found a previous process had left on the data directory.
type Recovered struct {
	// InterruptedRuns were running when it stopped: they are now failed, "interrupted".
	InterruptedRuns int
	// KilledProcesses were its steps' processes still running, now killed.
	KilledProcesses int
}

// Recovered says what New found a previous process had left behind.
func (e *Executor) Recovered() Recovered { return e.recovered }

// New opens the data directory; runs a previous process left running are marked failed
// with reason "interrupted".
func New(cfg Config) (*Executor, error) {
	if cfg.DataDir == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			return nil, fmt.Errorf("no data dir given and no home directory: %w", err)
		}
		cfg.DataDir = filepath.Join(home, ".local", "share", "rigger")
	}
	var containers *ContainerRuntime
	switch cfg.Isolation {
	case "", IsolationProcess:
		cfg.Isolation = IsolationProcess
	case IsolationContainer:
		rt, err := DetectContainerRuntime(context.Background(), cfg.ContainerRuntime)
		if err != nil {
			return nil, fmt.Errorf("container isolation: %w", err)
		}
		if err := rt.removeLeftovers(context.Background(), dataDirID(cfg.DataDir)); err != nil {
			return nil, fmt.Errorf("container isolation: %w", err)
		}
		containers = rt
	default:
		return nil, fmt.Errorf("unknown isolation %q (want %q or %q)", cfg.Isolation, IsolationProcess, IsolationContainer)
	}
	if cfg.Parallel <= 0 {
		cfg.Parallel = runtime.NumCPU()
	}
	if cfg.Env == nil {
		cfg.Env = CleanEnv()
	}
	st, err := openStore(cfg.DataDir)
	if err != nil {
		return nil, err
	}
	// The store is this process's alone now (it is locked), so the step processes still
	// recorded are a killed predecessor's, never a live executor's.
	killed, err := groupRecords(filepath.Join(cfg.DataDir, "groups")).killLeftovers()
	if err != nil {
		_ = st.close()
		return nil, fmt.Errorf("stopping step processes a previous Rigger left running: %w", err)
	}
	e := &Executor{
		cfg: cfg, containers: containers, store: st, slots: make(chan struct{}, cfg.Parallel), env: cfg.Env,
		recovered: Recovered{InterruptedRuns: st.interrupted, KilledProcesses: killed},
		active:    map[string]*activeRun{}, watchers: map[*watcher]struct{}{}, pending: map[string]run.Run{},
		flushKick: make(chan struct{}, 1), flushDone: make(chan struct{}),
	}
	go e.flushLoop()
	// Runs that waited when the last process stopped wait still, in the same order; those
	// with a free slot start now.
	e.Reconcile()
	return e, nil
}

// ContainerRuntime is the runtime steps run with, nil when they are host processes.
func (e *Executor) ContainerRuntime() *ContainerRuntime { return e.containers }

// DataDir is where runs and logs are kept.
func (e *Executor) DataDir() string { return e.cfg.DataDir }

// Submit validates the PipelineRun and starts it. The same identity twice is the same run:
// the second Submit returns the first run. An invalid PipelineRun starts nothing.
func (e *Executor) Submit(ctx context.Context, req *executor.Request) (*run.Run, error) {
	if req == nil || req.PipelineRun == nil {
		return nil, errors.New("submit: no PipelineRun in the request")
	}
	name := req.Run.Identity.Name()
	if existing, err := e.get(name); err != nil || existing != nil {
		return existing, err
	}
	pr := req.PipelineRun.DeepCopy()
	pr.Name, pr.GenerateName = name, ""
	pr.Namespace = req.Namespace
	if pr.Namespace == "" {
		pr.Namespace = "default"
	}
	p, err := prepare(ctx, pr, e.containers != nil)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", executor.ErrRejected, err)
	}

	r := req.Run
	r.Name, r.Namespace = name, pr.Namespace
	r.State, r.CreationTime, r.Tasks = run.Queued, time.Now(), nil
	r.QueuedAt, r.MaxKeepRuns = r.CreationTime, req.Policy.MaxKeepRuns
	var wait *waitingRecord
	if req.Policy.ConcurrencyLimit > 0 {
		// With a limit every run waits first and the queue starts it: one path, in one
		// order, whether a slot is free or not.
		r.Reason = run.ReasonWaiting
		wait = &waitingRecord{PipelineRun: pr, Limit: req.Policy.ConcurrencyLimit}
	}
	e.mu.Lock()
	if e.closed {
		e.mu.Unlock()
		return nil, errors.New("submit: executor is closed")
	}
	existing, created, err := e.store.create(&r, wait)
	if err != nil || !created {
		e.mu.Unlock()
		if err != nil {
			return nil, fmt.Errorf("store run: %w", err)
		}
		return e.get(existing)
	}
	if wait != nil {
		e.mu.Unlock()
		e.publish(r)
		e.reconcile(r.Repo)
		return e.get(name)
	}
	snap := e.startLocked(&r, p)
	return &snap, nil
}

// start runs r now, unless the executor is closing; it tells which.
func (e *Executor) start(r *run.Run, p *plan) bool {
	e.mu.Lock()
	if e.closed {
		e.mu.Unlock()
		return false
	}
	e.startLocked(r, p)
	return true
}

// startLocked runs r; the caller holds e.mu, which it releases.
func (e *Executor) startLocked(r *run.Run, p *plan) run.Run {
	runCtx, cancel := context.WithCancel(context.Background())
	a := &activeRun{cancel: cancel, done: make(chan struct{})}
	a.rec = newRecorder(r, e.publish, e.emit)
	e.active[r.Name] = a
	e.wg.Add(1)
	e.mu.Unlock()

	x, err := e.newExecution(p, a)
	if err != nil {
		x = nil
	}
	go e.execute(runCtx, x, a, err)
	return a.rec.snapshot()
}

func (e *Executor) newExecution(p *plan, a *activeRun) (*execution, error) {
	name := p.pr.Name
	runDir := e.store.runDir(name)
	wsDirs := map[string]string{}
	var volumes []string
	for _, b := range p.pr.Spec.Workspaces {
		dir := filepath.Join(runDir, "workspace", b.Name)
		if b.PersistentVolumeClaim != nil {
			// A claim outlives the run on a cluster, so here too: the same claim name is
			// the same directory for every run, which is how a pipeline keeps a cache (the
			// test timing history of go-test-sharded) between runs.
			dir = e.store.volumeDir(b.PersistentVolumeClaim.ClaimName)
			volumes = append(volumes, dir)
		}
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, err
		}
		wsDirs[b.Name] = dir
	}
	x := &execution{
		plan: p, rec: a.rec, runDir: runDir, workspaces: wsDirs, volumes: volumes, slots: e.slots, env: e.env,
		logPath:   func(task, step string) string { return e.store.logPath(name, task, step) },
		cancelled: &a.cancelled, shutdown: &e.shutdown, outcomes: map[string]outcome{},
	}
	if e.containers != nil {
		x.containers, x.dataDirID = e.containers, dataDirID(e.cfg.DataDir)
	} else {
		x.groups = groupRecords(filepath.Join(e.cfg.DataDir, "groups"))
	}
	if e.cfg.StreamLogs {
		x.onLine = func(task, step, line string) {
			e.emit(Event{Kind: LogLine, Run: name, Task: task, Step: step, Line: line, Time: time.Now()})
		}
	}
	return x, nil
}

func (e *Executor) execute(ctx context.Context, x *execution, a *activeRun, setupErr error) {
	defer e.wg.Done()
	defer a.cancel()
	var final run.Run
	if setupErr != nil {
		final = a.rec.runFinished(run.Failed, reasonCouldNotStart, setupErr.Error(), time.Now())
	} else {
		final = x.run(ctx)
	}
	if final.State == run.Failed && final.FailedTask != "" {
		if tail, err := tailFile(e.store.logPath(final.Name, final.FailedTask, final.FailedStep), 20); err == nil {
			a.rec.change(func(r *run.Run) { r.LogTail = tail })
		}
	}
	e.flush()
	// The slot is free (the run reads finished): the next waiting run of the repository
	// starts, and finished runs beyond max-keep-runs go. Before the run leaves the active
	// set and done closes, so that whoever waits for this run sees the queue moved.
	e.reconcile(final.Repo)
	e.mu.Lock()
	delete(e.active, final.Name)
	e.mu.Unlock()
	close(a.done)
}

// Cancel stops the selected unfinished runs, killing their steps' process trees.
func (e *Executor) Cancel(ctx context.Context, sel executor.Selector) (int, error) {
	if sel.Repo == "" {
		return 0, errors.New("cancel: the selector needs a repository")
	}
	// Waiting runs first: cancelling a running one frees a slot, which must not go to a
	// waiting run that is being cancelled too.
	waiting, moved, err := e.cancelWaiting(sel)
	for repo := range moved {
		e.reconcile(repo) // the runs behind moved up
	}
	var picked []*activeRun
	for _, a := range e.activeRuns() {
		if r := a.rec.snapshot(); sel.Matches(&r) {
			picked = append(picked, a)
		}
	}
	for _, a := range picked {
		if sel.Why != "" {
			a.rec.change(func(r *run.Run) { r.CancelWhy = sel.Why })
		}
		a.cancelled.Store(true)
		a.cancel()
	}
	return waiting + len(picked), err
}

// List returns the selected runs of the store (every one the executor ran or runs).
func (e *Executor) List(ctx context.Context, namespace string, sel executor.Selector) ([]run.Run, error) {
	all, err := e.All()
	if err != nil {
		return nil, err
	}
	var out []run.Run
	for _, r := range all {
		if (namespace == "" || r.Namespace == namespace) && sel.Matches(r) {
			if live, err := e.get(r.Name); err == nil && live != nil {
				r = live
			}
			out = append(out, *r)
		}
	}
	return out, nil
}

// activeRuns lists the runs in progress. Callers must not hold e.mu while they read a
// run's recorder: the recorder publishes under its own lock and then takes e.mu.
func (e *Executor) activeRuns() []*activeRun {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := make([]*activeRun, 0, len(e.active))
	for _, a := range e.active {
		out = append(out, a)
	}
	return out
}

// Wait blocks until the named run is finished, and returns it. A waiting run is waited for
// through its start.
func (e *Executor) Wait(ctx context.Context, name string) (*run.Run, error) {
	for {
		r, err := e.get(name)
		if err != nil || r == nil || !r.Waiting() {
			break
		}
		select {
		case <-time.After(20 * time.Millisecond):
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	e.mu.Lock()
	a := e.active[name]
	e.mu.Unlock()
	if a != nil {
		select {
		case <-a.done:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	r, err := e.get(name)
	if err == nil && r == nil {
		return nil, fmt.Errorf("no run named %q", name)
	}
	return r, err
}

// Get returns the named run, or nil and no error when there is none. Local run names are
// unique on their own; a namespace, when given, must match the run's.
func (e *Executor) Get(ctx context.Context, namespace, name string) (*run.Run, error) {
	r, err := e.get(name)
	if r != nil && namespace != "" && r.Namespace != namespace {
		return nil, nil
	}
	return r, err
}

func (e *Executor) get(name string) (*run.Run, error) {
	e.mu.Lock()
	if a := e.active[name]; a != nil {
		e.mu.Unlock()
		snap := a.rec.snapshot()
		return &snap, nil
	}
	e.mu.Unlock()
	return e.store.get(name)
}

// SetCheckRunID records in the store the check run that reports on a run made without one.
func (e *Executor) SetCheckRunID(ctx context.Context, r *run.Run, id int64) error {
	e.flush()
	stored, err := e.store.get(r.Name)
	if err != nil || stored == nil {
		return err
	}
	stored.CheckRunID = id
	return e.store.putAll([]*run.Run{stored})
}

// MarkReported records in the store that GitHub shows the run's final state.
func (e *Executor) MarkReported(ctx context.Context, r run.Run) error {
	e.flush()
	stored, err := e.store.get(r.Name)
	if err != nil || stored == nil {
		return err
	}
	stored.Reported = r.State
	return e.store.putAll([]*run.Run{stored})
}

// All returns every run in the store, finished or not.
func (e *Executor) All() ([]*run.Run, error) {
	e.flush()
	return e.store.list()
}

// LogPath is the file that holds a step's log.
func (e *Executor) LogPath(r *run.Run, task, step string) string {
	return e.store.logPath(r.Name, task, step)
}

// WorkspaceDir is where a run's workspace ws was, for a volumeClaimTemplate or emptyDir
// binding: what the run left there (test reports) can be read after it ended.
func (e *Executor) WorkspaceDir(r *run.Run, ws string) string {
	return filepath.Join(e.store.runDir(r.Name), "workspace", ws)
}

// LogTail returns the last lines of a step's log.
func (e *Executor) LogTail(ctx context.Context, r *run.Run, task, step string, lines int) (string, error) {
	if r == nil {
		return "", errors.New("log tail: no run")
	}
	return tailFile(e.store.logPath(r.Name, task, step), lines)
}

// Close stops running runs, which are recorded as interrupted, and closes the store.
func (e *Executor) Close() error {
	e.mu.Lock()
	if e.closed {
		e.mu.Unlock()
		return nil
	}
	e.closed = true
	e.shutdown.Store(true)
	for _, a := range e.active {
		a.cancel()
	}
	e.mu.Unlock()
	e.wg.Wait()
	e.flush()
	close(e.flushKick)
	<-e.flushDone
	return e.store.close()
}

func (e *Executor) emit(ev Event) {
	if e.cfg.OnEvent == nil {
		return
	}
	e.emitMu.Lock()
	defer e.emitMu.Unlock()
	e.cfg.OnEvent(ev)
}

// publish takes a new snapshot of a run: watchers get it, and the store gets it soon.
func (e *Executor) publish(r run.Run) {
	e.mu.Lock()
	e.pending[r.Name] = r
	for w := range e.watchers {
		w.offer(r)
	}
	e.mu.Unlock()
	select {
	case e.flushKick <- struct{}{}:
	default:
	}
}

// flushInterval is the least time between two background writes of run states.
const flushInterval = 100 * time.Millisecond

// flushLoop writes snapshots to the store in the background, many in one transaction,
// so that a step's cost does not include a disk sync.
func (e *Executor) flushLoop() {
	defer close(e.flushDone)
	for range e.flushKick {
		e.flush()
		// Batch the changes of the next moment into one transaction: an intermediate state
		// lost in a crash costs nothing, as the restart marks the run interrupted anyway.
		time.Sleep(flushInterval)
	}
}

// flush writes the pending snapshots. Flushes are serialized and each takes the latest
// snapshots, so an older state never overwrites a newer one.
func (e *Executor) flush() {
	e.flushMu.Lock()
	defer e.flushMu.Unlock()
	e.mu.Lock()
	batch := make([]*run.Run, 0, len(e.pending))
	for _, r := range e.pending {
		batch = append(batch, &r)
	}
	e.pending = map[string]run.Run{}
	e.mu.Unlock()
	if len(batch) == 0 {
		return
	}
	if err := e.store.putAll(batch); err != nil {
		e.emit(Event{Kind: RunFinished, Run: batch[0].Name, State: run.Failed, Reason: "StoreError: " + err.Error(), Time: time.Now()})
	}
}

// tailFile returns the last n lines of a file, reading at most its last 1 MiB.
func tailFile(path string, n int) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	const window = 1 << 20
	info, err := f.Stat()
	if err != nil {
		return "", err
	}
	off := info.Size() - window
	if off < 0 {
		off = 0
	}
	data, err := io.ReadAll(io.NewSectionReader(f, off, info.Size()-off))
	if err != nil {
		return "", err
	}
	text := strings.TrimRight(string(data), "\n")
	if n <= 0 || text == "" {
		return "", nil
	}
	lines := strings.Split(text, "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n") + "\n", nil
}
