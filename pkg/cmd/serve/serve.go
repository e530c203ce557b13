// Package serve is `rigger serve`: the webhook server.
package serve

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/rigger-ci/rigger/pkg/cmd/factory"
	"github.com/rigger-ci/rigger/pkg/config"
	"github.com/rigger-ci/rigger/pkg/executor/local"
	"github.com/rigger-ci/rigger/pkg/executor/tekton"
	"github.com/rigger-ci/rigger/pkg/leader"
	"github.com/rigger-ci/rigger/pkg/logging"
	"github.com/rigger-ci/rigger/pkg/server"
	"github.com/spf13/cobra"
	tektonclient "github.com/tektoncd/pipeline/pkg/client/clientset/versioned"
	"go.uber.org/zap"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
)

// flagKeys maps serve's flags to configuration keys.
var flagKeys = map[string]string{
	"listen": "listen", "executor": "executor", "data-dir": "dataDir", "kubeconfig": "kubeconfig",
	"github-api-url": "github.apiURL", "log-level": "log.level", "log-format": "log.format",
}

// NewCmd returns `rigger serve`.
func NewCmd(f *factory.Factory) *cobra.Command {
	var configPath string
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Receive GitHub webhooks and run the matching .tekton pipelines",
		Long: `Serve GitHub webhooks on POST /hook. For each pull_request or push event of a configured
repository, Rigger loads the .tekton/ definitions at the event's commit, runs those that match
and reports each run as a check run (GitHub App) or commit status (token).

Configuration comes from rigger.yaml (--config or RIGGER_CONFIG), RIGGER_* environment
variables and flags, in that order of increasing precedence.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := config.Load(configPath, cmd.Flags(), flagKeys)
			if err != nil {
				return err
			}
			log, err := logging.New(cfg.Log.Level, cfg.Log.Format, f.IO.ErrOut)
			if err != nil {
				return err
			}
			defer func() { _ = log.Sync() }()
			deps, closeExec, err := executorFor(cfg, log)
			if err != nil {
				return err
			}
			defer closeExec()
			srv, err := server.New(cfg, log, deps)
			if err != nil {
				return err
			}
			ctx, stop := signal.NotifyContext(cmd.Context(), syscall.SIGINT, syscall.SIGTERM)
			defer stop()
			return srv.Run(ctx, nil)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&configPath, "config", "", "configuration file (default: $RIGGER_CONFIG)")
	fl.String("listen", ":8080", "address to serve webhooks, health and metrics on")
	fl.String("executor", "", "where runs go: tekton (default with a cluster) or local")
	fl.String("data-dir", "~/.local/share/rigger", "local executor state")
	fl.String("kubeconfig", "", "kubeconfig file (default: $KUBECONFIG, or in-cluster)")
	fl.String("github-api-url", "https://api.github.com/", "GitHub REST API base URL")
	fl.String("log-level", "info", "debug, info, warn or error")
	fl.String("log-format", "json", "json or console")
	return cmd
}

func executorFor(cfg *config.Config, log *zap.Logger) (server.Deps, func(), error) {
	switch cfg.Executor {
	case config.ExecutorTekton:
		rc, err := restConfig(cfg.Kubeconfig)
		if err != nil {
			return server.Deps{}, nil, err
		}
		kube, err := kubernetes.NewForConfig(rc)
		if err != nil {
			return server.Deps{}, nil, err
		}
		tk, err := tektonclient.NewForConfig(rc)
		if err != nil {
			return server.Deps{}, nil, err
		}
		check := func(ctx context.Context) error {
			_, err := kube.Discovery().RESTClient().Get().AbsPath("/readyz").DoRaw(ctx)
			return err
		}
		ex := tekton.New(kube, tk, log.Named("tekton"))
		ex.Retry = cfg.Retry.Cluster
		dyn, err := dynamic.NewForConfig(rc)
		if err != nil {
			return server.Deps{}, nil, err
		}
		deps := server.Deps{Executor: ex, ExecutorName: "tekton", ClusterCheck: check, Discovery: kube.Discovery(), Dynamic: dyn}
		if le := cfg.LeaderElection; le.Enabled {
			ns := le.Namespace
			if ns == "" {
				b, err := os.ReadFile("/var/run/secrets/kubernetes.io/serviceaccount/namespace")
				if err != nil {
					return server.Deps{}, nil, fmt.Errorf("leaderElection.namespace is not set and the pod's namespace is unknown: %w", err)
				}
				ns = strings.TrimSpace(string(b))
			}
			lc := leader.Config{Namespace: ns, Name: le.Name, LeaseDuration: le.LeaseDuration, RenewDeadline: le.RenewDeadline, RetryPeriod: le.RetryPeriod}
			deps.Lead = func(ctx context.Context, work func(context.Context)) error {
				return leader.Run(ctx, kube, lc, log.Named("leader"), work)
			}
		}
		return deps, func() {}, nil
	default:
		ex, err := local.New(local.Config{DataDir: cfg.DataDir, Parallel: cfg.Local.Parallel,
			Isolation: local.Isolation(cfg.Local.Isolation), ContainerRuntime: cfg.Local.ContainerRuntime})
		if err != nil {
			return server.Deps{}, nil, err
		}
		if r := ex.Recovered(); r.InterruptedRuns > 0 || r.KilledProcesses > 0 {
			log.Warn("a previous Rigger stopped with runs in progress: they are reported interrupted, and their step processes were stopped",
				zap.Int("interruptedRuns", r.InterruptedRuns), zap.Int("killedProcesses", r.KilledProcesses))
		}
		return server.Deps{Executor: ex, ExecutorName: "local"}, func() { _ = ex.Close() }, nil
	}
}

func restConfig(kubeconfig string) (*rest.Config, error) {
	var rc *rest.Config
	var err error
	if kubeconfig != "" {
		rc, err = clientcmd.BuildConfigFromFlags("", kubeconfig)
	} else {
		rc, err = rest.InClusterConfig()
	}
	if err != nil {
		return nil, fmt.Errorf("cluster configuration: %w", err)
	}
	// Bursts of webhooks turn into bursts of creates: client-go's default 5 QPS would be the
	// bottleneck, not the apiserver.
	rc.QPS, rc.Burst = 500, 1000
	return rc, nil
}
