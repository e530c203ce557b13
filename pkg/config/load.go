package config

import (
	"fmt"
	"github.com/rigger-ci/rigger/pkg/retry"
	"os"
	"strings"
	"time"

	"github.com/spf13/pflag"
	"github.com/spf13/viper"
)

// envKeys maps each key to its environment variable. Explicit, because the keys are camelCase
// and a mechanical rewrite would give RIGGER_GITHUB_APIURL rather than RIGGER_GITHUB_API_URL.
var envKeys = map[string]string{
	"listen":                  "RIGGER_LISTEN",
	"executor":                "RIGGER_EXECUTOR",
	"dataDir":                 "RIGGER_DATA_DIR",
	"local.isolation":         "RIGGER_LOCAL_ISOLATION",
	"local.containerRuntime":  "RIGGER_LOCAL_CONTAINER_RUNTIME",
	"local.parallel":          "RIGGER_LOCAL_PARALLEL",
	"kubeconfig":              "RIGGER_KUBECONFIG",
	"webhook.secret":          "RIGGER_WEBHOOK_SECRET",
	"github.apiURL":           "RIGGER_GITHUB_API_URL",
	"github.token":            "RIGGER_GITHUB_TOKEN",
	"github.appID":            "RIGGER_GITHUB_APP_ID",
	"github.privateKeyFile":   "RIGGER_GITHUB_PRIVATE_KEY_FILE",
	"github.gitAuthToken":     "RIGGER_GITHUB_GIT_AUTH_TOKEN",
	"chatops.prefix":          "RIGGER_CHATOPS_PREFIX",
	"repair.interval":         "RIGGER_REPAIR_INTERVAL",
	"retry.events.baseDelay":  "RIGGER_RETRY_EVENTS_BASE_DELAY",
	"retry.events.maxDelay":   "RIGGER_RETRY_EVENTS_MAX_DELAY",
	"retry.events.deadline":   "RIGGER_RETRY_EVENTS_DEADLINE",
	"retry.github.baseDelay":  "RIGGER_RETRY_GITHUB_BASE_DELAY",
	"retry.github.maxDelay":   "RIGGER_RETRY_GITHUB_MAX_DELAY",
	"retry.github.deadline":   "RIGGER_RETRY_GITHUB_DEADLINE",
	"retry.cluster.baseDelay": "RIGGER_RETRY_CLUSTER_BASE_DELAY",
	"retry.cluster.maxDelay":  "RIGGER_RETRY_CLUSTER_MAX_DELAY",
	"retry.cluster.deadline":  "RIGGER_RETRY_CLUSTER_DEADLINE",
	"log.level":               "RIGGER_LOG_LEVEL",
	"log.format":              "RIGGER_LOG_FORMAT",
	"queue.capacity":          "RIGGER_QUEUE_CAPACITY",
	"queue.workers":           "RIGGER_QUEUE_WORKERS",
	"pullRequests.drafts":     "RIGGER_PULL_REQUESTS_DRAFTS",
}

func setDefaults(v *viper.Viper) {
	v.SetDefault("listen", ":8080")
	v.SetDefault("adminListen", "")
	v.SetDefault("webhook.previousSecrets", []string{})
	v.SetDefault("executor", "")
	v.SetDefault("dataDir", "~/.local/share/rigger")
	v.SetDefault("local.isolation", "process")
	v.SetDefault("local.containerRuntime", "")
	v.SetDefault("local.parallel", 0)
	v.SetDefault("kubeconfig", "")
	v.SetDefault("webhook.secret", "")
	v.SetDefault("github.apiURL", "https://api.github.com/")
	v.SetDefault("github.token", "")
	v.SetDefault("github.appID", 0)
	v.SetDefault("github.privateKeyFile", "")
	v.SetDefault("github.gitAuthToken", "")
	v.SetDefault("chatops.prefix", "")
	// Five minutes: a lost webhook is made good within minutes, and a repair with nothing
	// to do costs a 304 per repository, which GitHub does not count against the rate limit.
	v.SetDefault("repair.interval", 5*time.Minute)
	v.SetDefault("leaderElection", map[string]any{"enabled": false, "namespace": "", "name": "rigger",
		"leaseDuration": 15 * time.Second, "renewDeadline": 10 * time.Second, "retryPeriod": 2 * time.Second})
	for name, p := range map[string]retry.Policy{"events": DefaultRetry.Events, "github": DefaultRetry.GitHub, "cluster": DefaultRetry.Cluster} {
		v.SetDefault("retry."+name, map[string]any{"baseDelay": p.BaseDelay, "maxDelay": p.MaxDelay, "deadline": p.Deadline})
	}
	v.SetDefault("trust.bots", []string{})
	v.SetDefault("log.level", "info")
	v.SetDefault("log.format", "json")
	v.SetDefault("queue.capacity", 10000)
	v.SetDefault("queue.workers", DefaultQueueWorkers)
	v.SetDefault("pullRequests.drafts", "run")
	v.SetDefault("pullRequests.skipMarkers", false)
}

// Load reads the configuration: file (path, or RIGGER_CONFIG, or none), then environment,
// then the flags that were set. flagKeys maps flag names to config keys.
func Load(path string, flags *pflag.FlagSet, flagKeys map[string]string) (*Config, error) {
	v := viper.New()
	setDefaults(v)
	if path == "" {
		path = os.Getenv("RIGGER_CONFIG")
	}
	if path != "" {
		v.SetConfigFile(path)
		if err := v.ReadInConfig(); err != nil {
			return nil, fmt.Errorf("reading config %s: %w", path, err)
		}
	}
	for key, env := range envKeys {
		if err := v.BindEnv(key, env); err != nil {
			return nil, err
		}
	}
	if flags != nil {
		for name, key := range flagKeys {
			if f := flags.Lookup(name); f != nil && f.Changed {
				v.Set(key, f.Value.String())
			}
		}
	}
	var c Config
	if err := v.UnmarshalExact(&c); err != nil {
		return nil, fmt.Errorf("config %s: %w", orDefaults(path), err)
	}
	c.DataDir = ExpandHome(c.DataDir)
	if c.Kubeconfig == "" {
		c.Kubeconfig = os.Getenv("KUBECONFIG")
	}
	if c.Executor == "" {
		c.Executor = ExecutorLocal
		if c.ClusterConfigured() {
			c.Executor = ExecutorTekton
		}
	}
	c.Log.Format = strings.ToLower(c.Log.Format)
	return &c, nil
}

// ClusterConfigured tells whether a Kubernetes cluster is reachable by configuration: a
// kubeconfig, or the in-cluster service account.
func (c *Config) ClusterConfigured() bool {
	if c.Kubeconfig != "" {
		return true
	}
	_, err := os.Stat("/var/run/secrets/kubernetes.io/serviceaccount/token")
	return err == nil && os.Getenv("KUBERNETES_SERVICE_HOST") != ""
}

// RepositoryFor returns the configured repository with the given HTML URL or owner/name.
func (c *Config) RepositoryFor(fullName string) (Repository, bool) {
	for _, r := range c.Repositories {
		if strings.EqualFold(RepoFullName(r.URL), fullName) {
			return r, true
		}
	}
	return Repository{}, false
}

// RepoFullName is the owner/name of a repository URL.
func RepoFullName(u string) string {
	u = strings.TrimSuffix(strings.TrimSuffix(u, "/"), ".git")
	parts := strings.Split(u, "/")
	if len(parts) < 2 {
		return u
	}
	return parts[len(parts)-2] + "/" + parts[len(parts)-1]
}

func orDefaults(path string) string {
	if path == "" {
		return "(defaults and environment)"
	}
	return path
}
