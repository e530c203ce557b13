package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spf13/pflag"
)

func writeConfig(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "rigger.yaml")
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestLoadPrecedenceFlagsOverEnvOverFile(t *testing.T) {
	p := writeConfig(t, `
listen: ":9000"
webhook: {secret: from-file}
github: {token: file-token, apiURL: "http://127.0.0.1:1/api/v3/"}
log: {level: debug}
repositories:
- url: https://github.com/octo/hello
  namespace: ci-hello
  serviceAccount: builder
`)
	t.Setenv("KUBECONFIG", "")
	t.Setenv("RIGGER_WEBHOOK_SECRET", "from-env")
	t.Setenv("RIGGER_LISTEN", ":9100")
	fs := pflag.NewFlagSet("serve", pflag.ContinueOnError)
	fs.String("listen", ":8080", "")
	if err := fs.Parse([]string{"--listen=127.0.0.1:9200"}); err != nil {
		t.Fatal(err)
	}
	c, err := Load(p, fs, map[string]string{"listen": "listen"})
	if err != nil {
		t.Fatal(err)
	}
	if c.Listen != "127.0.0.1:9200" {
		t.Errorf("listen = %q, want the flag's value", c.Listen)
	}
	if c.Webhook.Secret != "from-env" {
		t.Errorf("webhook.secret = %q, want the environment's value", c.Webhook.Secret)
	}
	if c.GitHub.Token != "file-token" || c.Log.Level != "debug" || c.Log.Format != "json" {
		t.Errorf("file values or defaults lost: %+v", c)
	}
	r, ok := c.RepositoryFor("Octo/Hello")
	if !ok || r.Namespace != "ci-hello" || r.ServiceAccount != "builder" {
		t.Errorf("repository mapping = %+v, %v", r, ok)
	}
	if c.Executor != ExecutorLocal {
		t.Errorf("executor = %q with no cluster configured, want local", c.Executor)
	}
	if err := c.Validate(); err != nil {
		t.Errorf("valid config rejected: %v", err)
	}
}

func TestUnknownKeyIsNamed(t *testing.T) {
	p := writeConfig(t, "webhook: {secret: s, secrte: typo}\n")
	_, err := Load(p, nil, nil)
	if err == nil || !strings.Contains(err.Error(), "secrte") {
		t.Fatalf("want an error naming the unknown key secrte, got %v", err)
	}
}

func TestExecutorDefaultsToTektonWithAKubeconfig(t *testing.T) {
	t.Setenv("KUBECONFIG", "/tmp/some-kubeconfig")
	c, err := Load("", nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.Executor != ExecutorTekton || c.Kubeconfig != "/tmp/some-kubeconfig" {
		t.Fatalf("executor=%q kubeconfig=%q", c.Executor, c.Kubeconfig)
	}
}

func TestValidateNamesWhatIsMissing(t *testing.T) {
	t.Setenv("KUBECONFIG", "")
	c, err := Load(writeConfig(t, "repositories: [{url: https://github.com/a/b}]\n"), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = c.Validate()
	for _, want := range []string{"webhook.secret", "RIGGER_GITHUB_TOKEN", "repositories[0] (https://github.com/a/b): namespace"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("validation error %v does not mention %q", err, want)
		}
	}
}

func TestLocalExecutorSettings(t *testing.T) {
	t.Setenv("RIGGER_LOCAL_ISOLATION", "container")
	t.Setenv("RIGGER_LOCAL_CONTAINER_RUNTIME", "podman")
	c, err := Load(writeConfig(t, "local: {parallel: 3}\n"), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.Local.Isolation != "container" || c.Local.ContainerRuntime != "podman" || c.Local.Parallel != 3 {
		t.Errorf("local = %+v, want container with podman, 3 at once", c.Local)
	}

	t.Setenv("RIGGER_LOCAL_ISOLATION", "vm")
	c, err = Load("", nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Validate(); err == nil || !strings.Contains(err.Error(), `local.isolation: "vm"`) {
		t.Errorf("validation error %v does not name local.isolation", err)
	}
}

// rigger.yaml's repositories are the Repository resource's spec: every field a Repository
// has, trust and secret references included, loads from the file under the same key.
func TestRepositoryEntryTakesTheResourceSpec(t *testing.T) {
	p := writeConfig(t, `
webhook: {secret: s}
github: {token: t}
repositories:
- url: https://github.com/octo/hello
  namespace: ci-hello
  concurrencyLimit: 3
  params: [{name: team, value: platform}]
  trust:
    definitionsFrom: base
    trustedUsers: [alice]
    trustedTeams: [octo/reviewers]
  secrets:
    githubToken: {name: hello-token, key: token}
    webhookSecret: {name: hello-hook, key: secret}
`)
	t.Setenv("KUBECONFIG", "")
	c, err := Load(p, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	r, ok := c.RepositoryFor("octo/hello")
	if !ok {
		t.Fatal("repository not loaded")
	}
	if r.ConcurrencyLimit != 3 || len(r.Params) != 1 || r.Params[0].Value != "platform" {
		t.Errorf("spec fields lost: %+v", r.RepositorySpec)
	}
	if r.Trust.DefinitionsFrom != "base" || r.Trust.TrustedUsers[0] != "alice" || r.Trust.TrustedTeams[0] != "octo/reviewers" {
		t.Errorf("trust = %+v", r.Trust)
	}
	if r.Secrets == nil || r.Secrets.GitHubToken.Name != "hello-token" || r.Secrets.WebhookSecret.Key != "secret" {
		t.Errorf("secrets = %+v", r.Secrets)
	}

	_, err = Load(writeConfig(t, "repositories:\n- url: https://github.com/o/r\n  namespace: n\n  trust: {trustedUser: [x]}\n"), nil, nil)
	if err == nil || !strings.Contains(strings.ToLower(err.Error()), "trusteduser") {
		t.Errorf("a misspelt trust key loaded without error: %v", err)
	}
}

// The retry figures: deadlines by default, each field settable in the file or environment,
// the rest keeping its default.
func TestRetryFigures(t *testing.T) {
	p := writeConfig(t, "webhook: {secret: s}\ngithub: {token: t}\nretry: {github: {maxDelay: 10s}}\n")
	t.Setenv("RIGGER_RETRY_EVENTS_DEADLINE", "30m")
	c, err := Load(p, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	if c.Retry.Events.Deadline != 30*time.Minute || c.Retry.Events.BaseDelay != DefaultRetry.Events.BaseDelay {
		t.Errorf("events = %+v", c.Retry.Events)
	}
	if c.Retry.GitHub.MaxDelay != 10*time.Second || c.Retry.GitHub.Deadline != DefaultRetry.GitHub.Deadline {
		t.Errorf("github = %+v", c.Retry.GitHub)
	}
	if c.Retry.Cluster != DefaultRetry.Cluster || c.Repair.Interval != 5*time.Minute {
		t.Errorf("cluster = %+v, repair = %+v", c.Retry.Cluster, c.Repair)
	}
	c.Retry.Cluster.Deadline = -time.Second
	if err := c.Validate(); err == nil || !strings.Contains(err.Error(), "retry.cluster") {
		t.Errorf("a negative deadline: %v", err)
	}
}
