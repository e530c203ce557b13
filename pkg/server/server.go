// Package server wires Rigger's parts into `rigger serve`: the webhook endpoint feeds a
// bounded queue, the queue feeds the trigger, the trigger feeds the executor, and the
// executor's watch feeds the reporter. It also serves /healthz, /readyz and /metrics.
package server

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/rigger-ci/rigger/pkg/config"
	"github.com/rigger-ci/rigger/pkg/definition"
	"github.com/rigger-ci/rigger/pkg/event"
	"github.com/rigger-ci/rigger/pkg/executor"
	"github.com/rigger-ci/rigger/pkg/github"
	"github.com/rigger-ci/rigger/pkg/matcher"
	"github.com/rigger-ci/rigger/pkg/policy"
	"github.com/rigger-ci/rigger/pkg/queue"
	"github.com/rigger-ci/rigger/pkg/reporter"
	"github.com/rigger-ci/rigger/pkg/repository"
	"github.com/rigger-ci/rigger/pkg/retry"
	"github.com/rigger-ci/rigger/pkg/trigger"
	"github.com/rigger-ci/rigger/pkg/webhook"
	"go.uber.org/zap"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/dynamic"
)

// Deps are the parts that differ between deployments and tests; New builds the rest.
type Deps struct {
	Executor executor.Executor
	// ExecutorName labels metrics: tekton or local.
	ExecutorName string
	// ClusterCheck answers /readyz for the executor's side (nil: always ready).
	ClusterCheck func(context.Context) error
	// Discovery and Dynamic, when set, let Rigger serve the cluster's Repository resources
	// besides the configured repositories.
	Discovery discovery.DiscoveryInterface
	Dynamic   dynamic.Interface
	// Lead, when set, runs work only while this replica leads (see pkg/leader): following
	// runs, reporting and repair. Nil: this replica always leads.
	Lead func(ctx context.Context, work func(ctx context.Context)) error
	// Registry receives the metrics; nil makes a new one.
	Registry *prometheus.Registry
	// GitHubRetry, when set, replaces the configuration's retry.github for the GitHub
	// client's retries of one request. Tests shorten it to see outages without waiting minutes.
	GitHubRetry github.RetryPolicy
}

// Server is a running Rigger.
type Server struct {
	cfg     *config.Config
	log     *zap.Logger
	gh      *github.Client
	exec    executor.Executor
	rep     *reporter.Reporter
	trig    *trigger.Trigger
	queue   *queue.Queue[*event.Event]
	hook    *webhook.Handler
	reg     *prometheus.Registry
	m       *metrics
	deps    Deps
	ready   readiness
	retries retry.Policy
	leading atomic.Bool
	repos   *repository.Set
	// unrepaired is true until this Rigger's first repair has handed every open pull
	// request's head to the trigger: until then a delivery may be the redelivery of an
	// event a killed Rigger was handling, whose check run it may have made (see intake).
	unrepaired atomic.Bool
}

// New builds a server from configuration.
func New(cfg *config.Config, log *zap.Logger, deps Deps) (*Server, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	reg := deps.Registry
	if reg == nil {
		reg = prometheus.NewRegistry()
		reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	}
	githubRetry := deps.GitHubRetry
	if githubRetry == (github.RetryPolicy{}) {
		githubRetry = github.RetryPolicy{BaseDelay: cfg.Retry.GitHub.BaseDelay, MaxDelay: cfg.Retry.GitHub.MaxDelay, Deadline: cfg.Retry.GitHub.Deadline}
	}
	gh, err := github.New(github.Config{
		APIURL: cfg.GitHub.APIURL, Token: cfg.GitHub.Token, AppID: cfg.GitHub.AppID, PrivateKeyFile: cfg.GitHub.PrivateKeyFile,
		RunToken: cfg.GitHub.GitAuthToken,
		Retry:    githubRetry,
	}, log.Named("github"), reg)
	if err != nil {
		return nil, err
	}
	s := &Server{cfg: cfg, log: log, gh: gh, exec: deps.Executor, reg: reg, deps: deps,
		// An event whose handling fails (GitHub or the cluster away) is tried again until
		// retry.events' deadline, in order with the rest of its pull request's events.
		retries: cfg.Retry.Events,
		repos:   repository.NewSet(cfg.Repositories, log.Named("repositories")),
	}
	opts := reporter.Options{Logs: deps.Executor, Logger: log,
		Masked: nonEmpty(append([]string{cfg.Webhook.Secret, cfg.GitHub.Token, cfg.GitHub.GitAuthToken}, cfg.Webhook.PreviousSecrets...)...)}
	if ss, ok := deps.Executor.(reporter.SecretSource); ok {
		opts.Secrets = ss
	}
	s.rep = reporter.New(gh, opts)
	// The executor's queue asks the repositories (rigger.yaml's and the Repository
	// resources) for a repository's limit each time it reconciles, rather than trusting the
	// limit a waiting run was created under.
	if p, ok := deps.Executor.(interface{ SetPolicies(executor.Policies) }); ok {
		p.SetPolicies(repositories{s.repos}.limit)
	}
	s.trig = trigger.New(gh, definition.NewLoader(definition.DefaultCacheBytes), deps.Executor, s.rep,
		repositories{s.repos},
		trigger.Options{
			Matcher:        matcher.Options{SkipDrafts: cfg.PullRequests.Drafts == "skip"},
			SkipMarkers:    cfg.PullRequests.SkipMarkers,
			Bots:           cfg.Trust.Bots,
			CommandPrefix:  cfg.ChatOps.Prefix,
			MakesCheckRuns: func() bool { return deps.Lead == nil || s.leading.Load() },
		},
		log.Named("trigger"))
	s.queue = queue.New(cfg.Queue.Capacity, cfg.Queue.Workers, s.handle, queue.WithLogger(log.Named("queue")))
	s.m = newMetrics(reg, func() float64 { return float64(s.queue.Depth()) })
	wm, err := webhook.NewMetrics(reg)
	if err != nil {
		return nil, err
	}
	s.hook, err = webhook.New(webhook.Config{Secrets: append([]string{cfg.Webhook.Secret}, cfg.Webhook.PreviousSecrets...),
		Enqueuer: intake{s}, Logger: log.Named("webhook"), Metrics: wm})
	if err != nil {
		return nil, err
	}
	s.unrepaired.Store(cfg.Repair.Interval > 0)
	s.ready = readiness{checks: map[string]func(context.Context) error{"github": gh.Check}}
	if deps.ClusterCheck != nil {
		s.ready.checks["cluster"] = deps.ClusterCheck
	}
	if sy, ok := deps.Executor.(synced); ok {
		// Not ready before the executor has read every run: until then a redelivery could
		// not be told from a new event without asking the apiserver.
		s.ready.checks["runs"] = func(context.Context) error {
			// A replica that does not lead reads runs from the apiserver, and is ready.
			if s.leading.Load() && !sy.Synced() {
				return errors.New("the executor has not loaded the runs yet")
			}
			return nil
		}
	}
	return s, nil
}

// intake hands the webhook's events to the queue. Before the first repair, a delivery
// may be GitHub's redelivery of one a killed Rigger was handling when it died (its 202 was
// lost with it), after that Rigger made the run's check run and before it made the run:
// such a delivery looks for that check run, as repair does, instead of making a second.
// Once repair has handed out every open head, a later delivery for a pull request is
// handled after repair's event for it (the queue keeps a pull request's events in order),
// which has made the run or adopted the check run already.
type intake struct{ s *Server }

func (in intake) Enqueue(ev *event.Event) error {
	if in.s.unrepaired.Load() {
		ev.AdoptCheckRuns = true
	}
	return in.s.queue.Enqueue(ev)
}

// Handler is the HTTP surface: POST /hook, /healthz, /readyz, /metrics.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle(webhook.Path, s.hook)
	s.admin(mux)
	return mux
}

// admin adds /healthz, /readyz and /metrics to mux.
func (s *Server) admin(mux *http.ServeMux) {
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("ok\n")) })
	mux.HandleFunc("/readyz", s.ready.serve)
	mux.Handle("/metrics", promhttp.HandlerFor(s.reg, promhttp.HandlerOpts{Registry: s.reg}))
}

// httpServer is an http.Server with the timeouts an endpoint open to the internet needs: a
// client that sends its headers or body slowly, or never reads the answer, cannot hold a
// connection for long.
func httpServer(h http.Handler) *http.Server {
	return &http.Server{Handler: h,
		ReadHeaderTimeout: 10 * time.Second,
		// GitHub's largest payload (25 MiB) on a slow link still arrives within a minute.
		ReadTimeout:    time.Minute,
		WriteTimeout:   30 * time.Second,
		IdleTimeout:    2 * time.Minute,
		MaxHeaderBytes: 64 << 10,
	}
}

// GitHub is the server's GitHub client (benchmarks count its calls).
func (s *Server) GitHub() *github.Client { return s.gh }

// Run serves on ln (or cfg.Listen when ln is nil) and follows runs until ctx ends, then
// stops taking webhooks and finishes the events it accepted.
func (s *Server) Run(ctx context.Context, ln net.Listener) error {
	if ln == nil {
		var err error
		if ln, err = net.Listen("tcp", s.cfg.Listen); err != nil {
			return fmt.Errorf("listen %s: %w", s.cfg.Listen, err)
		}
	}
	srv := httpServer(s.Handler())
	var adminSrv *http.Server
	if s.cfg.AdminListen != "" {
		// /hook alone faces the internet; health and metrics answer on their own address.
		hook := http.NewServeMux()
		hook.Handle(webhook.Path, s.hook)
		srv.Handler = hook
		admin := http.NewServeMux()
		s.admin(admin)
		adminSrv = httpServer(admin)
		adminLn, err := net.Listen("tcp", s.cfg.AdminListen)
		if err != nil {
			return fmt.Errorf("listen %s (adminListen): %w", s.cfg.AdminListen, err)
		}
		go func() { _ = adminSrv.Serve(adminLn) }()
		defer adminSrv.Close()
		s.log.Info("rigger admin endpoints", zap.String("addr", adminLn.Addr().String()))
	}
	var wg sync.WaitGroup
	watchCtx, stopWatch := context.WithCancel(context.WithoutCancel(ctx))
	defer stopWatch()
	if s.deps.Discovery != nil && s.deps.Dynamic != nil {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := s.repos.Watch(watchCtx, s.deps.Discovery, s.deps.Dynamic, s.Leading); err != nil {
				s.log.Error("watching Repository resources failed", zap.Error(err))
			}
		}()
	}
	// Following runs, reporting and repair are the leader's; every replica takes webhooks.
	wg.Add(1)
	go func() {
		defer wg.Done()
		if s.deps.Lead == nil {
			s.lead(watchCtx)
			return
		}
		if err := s.deps.Lead(watchCtx, s.lead); err != nil {
			s.log.Error("leader election failed", zap.Error(err))
		}
	}()
	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(ln) }()
	s.log.Info("rigger serving", zap.String("addr", ln.Addr().String()), zap.String("executor", s.deps.ExecutorName))

	var err error
	select {
	case <-ctx.Done():
	case err = <-serveErr:
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	_ = srv.Shutdown(shutdownCtx)
	if qerr := s.queue.Shutdown(shutdownCtx); qerr != nil {
		s.log.Warn("events left unhandled at shutdown", zap.Error(qerr))
	}
	stopWatch()
	wg.Wait()
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	return err
}

// Leading tells whether this replica leads (always, without leader election, once running).
func (s *Server) Leading() bool { return s.leading.Load() }

// lead follows runs, reports them and repairs until ctx ends (this replica stops leading).
func (s *Server) lead(ctx context.Context) {
	s.leading.Store(true)
	defer s.leading.Store(false)
	var wg sync.WaitGroup
	reports := newReports(s)
	if s.cfg.Repair.Interval > 0 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			newRepairer(s, s.cfg.Repair.Interval).run(ctx)
		}()
	}
	wg.Add(2)
	go func() {
		defer wg.Done()
		reports.run(ctx)
	}()
	go func() {
		defer wg.Done()
		if err := s.exec.Watch(ctx, reports.offer); err != nil {
			s.log.Error("watching runs failed", zap.Error(err))
		}
	}()
	wg.Wait()
}

// handle is the queue's worker: one event through the trigger, retried with backoff while
// it fails, so an outage delays runs rather than losing them.
func (s *Server) handle(ctx context.Context, ev *event.Event) {
	if ev.InstallationID != 0 {
		s.gh.RememberInstallation(ev.Repo.Owner, ev.Repo.Name, ev.InstallationID)
	}
	log := s.log.With(zap.String("delivery", ev.DeliveryID), zap.String("event", string(ev.Kind)),
		zap.String("repo", ev.Repo.FullName()), zap.String("sha", ev.SHA))
	start := time.Now()
	var out *trigger.Outcome
	err := s.retries.Do(ctx, func(ctx context.Context) (bool, error) {
		var err error
		if out, err = s.trig.Handle(ctx, ev); err != nil {
			log.Warn("handling the event failed; will retry", zap.Error(err))
		}
		return true, err
	})
	s.m.latency.WithLabelValues(string(ev.Kind)).Observe(time.Since(start).Seconds())
	if err != nil {
		s.m.handled.WithLabelValues(string(ev.Kind), "failed").Inc()
		log.Error("gave up on the event", zap.Duration("after", time.Since(start)), zap.Error(err))
		return
	}
	s.m.runs.WithLabelValues(s.deps.ExecutorName).Add(float64(len(out.Submitted)))
	result := "submitted"
	switch {
	case out.Ignored != "":
		result = "ignored"
	case out.Waiting != "":
		result = "waiting"
	case len(out.Commands) > 0 || len(out.Refused) > 0:
		result = "command"
	case len(out.Submitted) == 0 && len(out.Existing) > 0:
		result = "duplicate"
	case len(out.Submitted) == 0 && out.Cancelled > 0:
		result = "cancelled"
	case len(out.Submitted) == 0:
		result = "no_match"
	}
	s.m.handled.WithLabelValues(string(ev.Kind), result).Inc()
	log.Info("event handled", zap.String("result", result), zap.Int("submitted", len(out.Submitted)),
		zap.Int("existing", len(out.Existing)), zap.Int("skipped", len(out.Skipped)),
		zap.Int("definition_errors", len(out.Errors)), zap.Int("cancelled", out.Cancelled),
		zap.String("ignored", out.Ignored), zap.String("waiting", out.Waiting), zap.Strings("commands", out.Commands),
		zap.Strings("refused", out.Refused), zap.Duration("took", time.Since(start)))
}

func nonEmpty(values ...string) []string {
	var out []string
	for _, v := range values {
		if v != "" {
			out = append(out, v)
		}
	}
	return out
}

// repositories adapts the configured repositories to the trigger's lookup.
type repositories struct{ set *repository.Set }

func (rs repositories) Lookup(fullName string) (trigger.Repository, bool) {
	r, ok := rs.set.For(fullName)
	if !ok {
		return trigger.Repository{}, false
	}
	params := make(map[string]string, len(r.Params))
	for _, p := range r.Params {
		params[p.Name] = p.Value
	}
	return trigger.Repository{
		Namespace: r.Namespace, ServiceAccount: r.ServiceAccount, Params: params,
		AllowedServiceAccounts: r.AllowedServiceAccounts,
		DefinitionsFrom:        r.Trust.DefinitionsFrom,
		Trust:                  policy.Settings{Users: r.Trust.TrustedUsers, Teams: r.Trust.TrustedTeams},
		ConcurrencyLimit:       r.ConcurrencyLimit,
		CancelInProgress:       r.CancelInProgress,
		MaxKeepRuns:            r.MaxKeepRuns,
	}, true
}

// limit is the configured concurrency limit of a repository, for the executor's queue;
// false for a repository this Rigger does not run in that namespace.
func (rs repositories) limit(namespace, fullName string) (int, bool) {
	r, ok := rs.set.For(fullName)
	return r.ConcurrencyLimit, ok && r.Namespace == namespace
}
