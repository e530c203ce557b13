package installtest

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"helm.sh/helm/v4/pkg/action"
	"helm.sh/helm/v4/pkg/chart/common"
	"helm.sh/helm/v4/pkg/chart/v2/loader"
	release "helm.sh/helm/v4/pkg/release/v1"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/client-go/kubernetes/scheme"
	"sigs.k8s.io/yaml"

	"github.com/rigger-ci/rigger/pkg/config"
)

const (
	chartDir    = "../../charts/rigger"
	releaseName = "rigger"
	namespace   = "rigger-system"
)

// The e2e cluster's Kubernetes version: the chart must render for it.
var kubeVersion = &common.KubeVersion{Version: "v1.35.8", Major: "1", Minor: "35"}

func TestChartLints(t *testing.T) {
	for name, vals := range map[string]map[string]any{"defaults": nil, "everything on": everythingOn()} {
		t.Run(name, func(t *testing.T) {
			l := action.NewLint()
			l.Strict = true // warnings fail too
			l.Namespace = namespace
			l.KubeVersion = kubeVersion
			res := l.Run([]string{chartDir}, vals)
			for _, err := range res.Errors {
				t.Error(err)
			}
			for _, m := range res.Messages {
				// INFO messages (e.g. "icon is recommended") are advice, not faults.
				if m.Severity > 1 {
					t.Error(m)
				}
			}
		})
	}
}

// objects is a rendered release, decoded: typed where client-go knows the kind.
type objects map[string]runtime.Object // "Kind/namespace/name"

func (o objects) get(t *testing.T, kind, ns, name string) runtime.Object {
	t.Helper()
	obj, ok := o[kind+"/"+ns+"/"+name]
	if !ok {
		t.Fatalf("no %s %s/%s rendered; have %v", kind, ns, name, o.keys())
	}
	return obj
}

func (o objects) keys() []string {
	var ks []string
	for k := range o {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

func (o objects) count(kind string) int {
	n := 0
	for k := range o {
		if strings.HasPrefix(k, kind+"/") {
			n++
		}
	}
	return n
}

// render is `helm template` through Helm's Go API: an install, client-side dry run.
func render(t *testing.T, vals map[string]any) (objects, *release.Release) {
	t.Helper()
	rel, err := renderErr(vals)
	if err != nil {
		t.Fatal(err)
	}
	return decode(t, rel.Manifest), rel
}

func renderErr(vals map[string]any) (*release.Release, error) {
	ch, err := loader.Load(chartDir)
	if err != nil {
		return nil, err
	}
	install := action.NewInstall(action.NewConfiguration())
	install.DryRunStrategy = action.DryRunClient
	install.Replace = true
	install.ReleaseName = releaseName
	install.Namespace = namespace
	install.KubeVersion = kubeVersion
	r, err := install.Run(ch, vals)
	if err != nil {
		return nil, err
	}
	rel, ok := r.(*release.Release)
	if !ok {
		return nil, fmt.Errorf("install returned %T", r)
	}
	return rel, nil
}

func decode(t *testing.T, manifest string) objects {
	t.Helper()
	codecs := serializer.NewCodecFactory(scheme.Scheme).UniversalDeserializer()
	out := objects{}
	dec := utilyaml.NewYAMLReader(bufio.NewReader(strings.NewReader(manifest)))
	for {
		doc, err := dec.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if len(bytes.TrimSpace(doc)) == 0 || string(bytes.TrimSpace(doc)) == "---" {
			continue
		}
		var u unstructured.Unstructured
		if err := yaml.Unmarshal(doc, &u.Object); err != nil {
			t.Fatalf("rendered YAML does not parse: %v\n%s", err, doc)
		}
		if u.Object == nil {
			continue
		}
		var obj runtime.Object = &u
		if typed, _, err := codecs.Decode(doc, nil, nil); err == nil {
			obj = typed
		}
		key := u.GetKind() + "/" + u.GetNamespace() + "/" + u.GetName()
		if _, dup := out[key]; dup {
			t.Fatalf("%s rendered twice", key)
		}
		out[key] = obj
	}
	return out
}

func TestDefaultsRenderASecureDeployment(t *testing.T) {
	objs, rel := render(t, nil)

	dep := objs.get(t, "Deployment", namespace, "rigger").(*appsv1.Deployment)
	pod := dep.Spec.Template.Spec
	if len(pod.Containers) != 1 {
		t.Fatalf("%d containers", len(pod.Containers))
	}
	c := pod.Containers[0]
	psc := pod.SecurityContext
	if psc == nil || psc.RunAsNonRoot == nil || !*psc.RunAsNonRoot || psc.RunAsUser == nil || *psc.RunAsUser != 65532 {
		t.Errorf("pod securityContext %+v: want runAsNonRoot and the image's uid 65532", psc)
	}
	sc := c.SecurityContext
	if sc == nil || sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem ||
		sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation ||
		sc.Capabilities == nil || !slices.Equal(sc.Capabilities.Drop, []corev1.Capability{"ALL"}) {
		t.Errorf("container securityContext %+v: want read-only root, no escalation, all capabilities dropped", sc)
	}
	if c.LivenessProbe == nil || c.LivenessProbe.HTTPGet == nil || c.LivenessProbe.HTTPGet.Path != "/healthz" {
		t.Errorf("liveness probe %+v, want GET /healthz", c.LivenessProbe)
	}
	if c.ReadinessProbe == nil || c.ReadinessProbe.HTTPGet == nil || c.ReadinessProbe.HTTPGet.Path != "/readyz" {
		t.Errorf("readiness probe %+v, want GET /readyz", c.ReadinessProbe)
	}
	if c.Resources.Requests.Cpu().IsZero() || c.Resources.Requests.Memory().IsZero() {
		t.Errorf("resources %+v: want CPU and memory requests", c.Resources)
	}
	if c.Image != "rigger.local/rigger:0.1.0" {
		t.Errorf("image %q, want the chart's appVersion", c.Image)
	}
	if len(c.Ports) != 2 || c.Ports[0].ContainerPort != 8080 || c.Ports[1].ContainerPort != 9090 {
		t.Errorf("ports %+v, want rigger.yaml's listen :8080 and adminListen :9090", c.Ports)
	}
	// The probes ask the admin port: /hook's port serves /hook alone.
	if c.LivenessProbe.HTTPGet.Port.StrVal != "admin" || c.ReadinessProbe.HTTPGet.Port.StrVal != "admin" {
		t.Errorf("probes on %v and %v, want the admin port", c.LivenessProbe.HTTPGet.Port, c.ReadinessProbe.HTTPGet.Port)
	}
	if pod.ServiceAccountName != "rigger" {
		t.Errorf("serviceAccountName %q", pod.ServiceAccountName)
	}

	// Every place Rigger writes is a volume: the root filesystem is read-only.
	cfg := loadRenderedConfig(t, objs, map[string]string{"RIGGER_WEBHOOK_SECRET": "s", "RIGGER_GITHUB_TOKEN": "t"})
	writable := map[string]bool{}
	for _, m := range c.VolumeMounts {
		for _, v := range pod.Volumes {
			if v.Name == m.Name && v.EmptyDir != nil {
				writable[m.MountPath] = true
			}
		}
	}
	for _, p := range []string{"/tmp", cfg.DataDir} {
		if !writable[p] {
			t.Errorf("%s is not an emptyDir mount: Rigger could not write there", p)
		}
	}
	if cfg.Executor != config.ExecutorTekton || cfg.Listen != ":8080" {
		t.Errorf("executor %q listen %q", cfg.Executor, cfg.Listen)
	}

	// The secret and token come from the Secret the chart made, by key.
	sec := objs.get(t, "Secret", namespace, "rigger-github").(*corev1.Secret)
	if len(sec.Data["webhook-secret"]) < 32 {
		t.Errorf("generated webhook secret %q: want a long random one", sec.Data["webhook-secret"])
	}
	env := map[string]*corev1.EnvVarSource{}
	for _, e := range c.Env {
		env[e.Name] = e.ValueFrom
	}
	for name, key := range map[string]string{"RIGGER_WEBHOOK_SECRET": "webhook-secret", "RIGGER_GITHUB_TOKEN": "token", "RIGGER_GITHUB_GIT_AUTH_TOKEN": "git-auth-token"} {
		if s := env[name]; s == nil || s.SecretKeyRef == nil || s.SecretKeyRef.Name != "rigger-github" || s.SecretKeyRef.Key != key {
			t.Errorf("%s from %+v, want key %s of rigger-github", name, s, key)
		}
	}

	// Without rbac.namespaces: read-only cluster-wide, writes granted by a ClusterRole too.
	watch := objs.get(t, "ClusterRole", "", "rigger-watch").(*rbacv1.ClusterRole)
	assertRules(t, "watch", watch.Rules, map[string][]string{
		"tekton.dev/pipelineruns":        {"get", "list", "watch"},
		"tekton.dev/taskruns":            {"get", "list", "watch"},
		"rigger.dev/repositories":        {"get", "list", "watch"},
		"rigger.dev/repositories/status": {"get", "patch", "update"},
	})
	runs := objs.get(t, "ClusterRole", "", "rigger-runs").(*rbacv1.ClusterRole)
	assertRules(t, "runs", runs.Rules, runRules)
	crb := objs.get(t, "ClusterRoleBinding", "", "rigger-runs").(*rbacv1.ClusterRoleBinding)
	if crb.Subjects[0].Name != "rigger" || crb.Subjects[0].Namespace != namespace {
		t.Errorf("binding subjects %+v", crb.Subjects)
	}
	// One Role only: the Lease of the leader election, in the release's namespace.
	if objs.count("Role") != 1 {
		t.Errorf("Roles rendered with no rbac.namespaces: %v; want only the leader's", objs.keys())
	}
	leases := objs.get(t, "Role", namespace, "rigger-leader").(*rbacv1.Role)
	assertRules(t, "leader", leases.Rules, map[string][]string{"coordination.k8s.io/leases": {"create", "get", "update"}})
	for _, kind := range []string{"Ingress", "PodDisruptionBudget", "ServiceMonitor"} {
		if objs.count(kind) != 0 {
			t.Errorf("%s rendered though off by default", kind)
		}
	}
	objs.get(t, "Service", namespace, "rigger")
	objs.get(t, "ServiceAccount", namespace, "rigger")
	if !strings.Contains(rel.Info.Notes, "Subscribe to events: Pull request, Push, Issue comment, Check run, Check suite") ||
		!strings.Contains(rel.Info.Notes, "WARNING: github.appID is not set") {
		t.Errorf("NOTES.txt does not say what to set up on GitHub:\n%s", rel.Info.Notes)
	}
}

// What Rigger does in a repository's namespace, and nothing more (pkg/executor/tekton).
var runRules = map[string][]string{
	"tekton.dev/pipelineruns": {"create", "patch"},
	"/secrets":                {"create", "get", "patch"},
	"/pods":                   {"get", "list"},
	"/pods/log":               {"get"},
}

func assertRules(t *testing.T, what string, rules []rbacv1.PolicyRule, want map[string][]string) {
	t.Helper()
	got := map[string][]string{}
	for _, r := range rules {
		for _, g := range r.APIGroups {
			for _, res := range r.Resources {
				k := g + "/" + res
				got[k] = append(got[k], r.Verbs...)
				sort.Strings(got[k])
			}
		}
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("%s rules:\n got %v\nwant %v", what, got, want)
	}
}

// loadRenderedConfig writes the ConfigMap's rigger.yaml to a file and loads it with Rigger's
// own loader, which refuses unknown keys, then validates it as `rigger serve` does.
func loadRenderedConfig(t *testing.T, objs objects, env map[string]string) *config.Config {
	t.Helper()
	cm := objs.get(t, "ConfigMap", namespace, "rigger").(*corev1.ConfigMap)
	p := filepath.Join(t.TempDir(), "rigger.yaml")
	if err := os.WriteFile(p, []byte(cm.Data["rigger.yaml"]), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"KUBECONFIG", "RIGGER_CONFIG", "RIGGER_WEBHOOK_SECRET", "RIGGER_GITHUB_TOKEN", "RIGGER_GITHUB_APP_ID", "RIGGER_GITHUB_PRIVATE_KEY_FILE"} {
		t.Setenv(k, env[k])
	}
	cfg, err := config.Load(p, nil, nil)
	if err != nil {
		t.Fatalf("rendered rigger.yaml does not load: %v\n%s", err, cm.Data["rigger.yaml"])
	}
	if err := cfg.Validate(); err != nil {
		t.Fatalf("rendered rigger.yaml does not validate: %v\n%s", err, cm.Data["rigger.yaml"])
	}
	return cfg
}

func everythingOn() map[string]any {
	return map[string]any{
		"image": map[string]any{"repository": "registry.example/rigger", "digest": "sha256:" + strings.Repeat("ab", 32)},
		"rbac":  map[string]any{"namespaces": []any{"ci-a", "ci-b"}},
		"github": map[string]any{
			"appID": 12345, "existingSecret": "rigger-creds", "apiURL": "https://ghe.example/api/v3/",
			"secretKeys": map[string]any{"privateKey": "app.pem"},
		},
		"config": map[string]any{
			"logLevel": "debug", "queueWorkers": 16, "pullRequestDrafts": "skip",
			"trustBots": []any{"renovate[bot]"}, "chatopsPrefix": "rigger",
			"repositories": []any{map[string]any{
				"url": "https://github.com/octo/a", "namespace": "ci-a", "concurrencyLimit": 2,
				"trust": map[string]any{"definitionsFrom": "base", "trustedUsers": []any{"alice"}},
			}},
		},
		"ingress":             map[string]any{"enabled": true, "className": "nginx", "host": "ci.example", "tlsSecretName": "ci-tls"},
		"podDisruptionBudget": map[string]any{"enabled": true},
		"serviceMonitor":      map[string]any{"enabled": true, "labels": map[string]any{"release": "prom"}},
	}
}

func TestEverythingOnRenders(t *testing.T) {
	objs, rel := render(t, everythingOn())

	dep := objs.get(t, "Deployment", namespace, "rigger").(*appsv1.Deployment)
	pod := dep.Spec.Template.Spec
	c := pod.Containers[0]
	if c.Image != "registry.example/rigger@sha256:"+strings.Repeat("ab", 32) {
		t.Errorf("image %q, want the digest", c.Image)
	}
	// The App key is mounted where rigger.yaml says it is, from the existing Secret.
	cfg := loadRenderedConfig(t, objs, map[string]string{"RIGGER_WEBHOOK_SECRET": "s"})
	if cfg.GitHub.AppID != 12345 || cfg.GitHub.APIURL != "https://ghe.example/api/v3/" || cfg.Log.Level != "debug" ||
		cfg.Queue.Workers != 16 || cfg.PullRequests.Drafts != "skip" ||
		len(cfg.Trust.Bots) != 1 || cfg.Trust.Bots[0] != "renovate[bot]" || cfg.ChatOps.Prefix != "rigger" {
		t.Errorf("config %+v", cfg)
	}
	keyDir, keyFile := filepath.Split(cfg.GitHub.PrivateKeyFile)
	mounted := false
	for _, m := range c.VolumeMounts {
		if m.MountPath == filepath.Clean(keyDir) {
			for _, v := range pod.Volumes {
				if v.Name == m.Name && v.Secret != nil && v.Secret.SecretName == "rigger-creds" &&
					len(v.Secret.Items) == 1 && v.Secret.Items[0].Key == "app.pem" && v.Secret.Items[0].Path == keyFile {
					mounted = true
				}
			}
		}
	}
	if !mounted {
		t.Errorf("privateKeyFile %s is not the existing Secret's app.pem mounted: %+v %+v", cfg.GitHub.PrivateKeyFile, c.VolumeMounts, pod.Volumes)
	}
	r, ok := cfg.RepositoryFor("octo/a")
	if !ok || r.Namespace != "ci-a" || r.ConcurrencyLimit != 2 || r.Trust.DefinitionsFrom != "base" {
		t.Errorf("repository %+v", r)
	}
	if objs.count("Secret") != 0 {
		t.Errorf("a Secret was rendered though github.existingSecret is set")
	}

	// rbac.namespaces: the writes are granted only there.
	for _, ns := range []string{"ci-a", "ci-b"} {
		role := objs.get(t, "Role", ns, "rigger-runs").(*rbacv1.Role)
		assertRules(t, "Role in "+ns, role.Rules, runRules)
		rb := objs.get(t, "RoleBinding", ns, "rigger-runs").(*rbacv1.RoleBinding)
		if rb.Subjects[0].Namespace != namespace || rb.RoleRef.Kind != "Role" {
			t.Errorf("RoleBinding in %s: %+v", ns, rb)
		}
	}
	if _, ok := objs["ClusterRole//rigger-runs"]; ok {
		t.Errorf("the cluster-wide write ClusterRole is rendered though rbac.namespaces is set")
	}

	ing := objs.get(t, "Ingress", namespace, "rigger").(*networkingv1.Ingress)
	rule := ing.Spec.Rules[0]
	if rule.Host != "ci.example" || rule.HTTP.Paths[0].Path != "/hook" || ing.Spec.TLS[0].SecretName != "ci-tls" {
		t.Errorf("ingress %+v", ing.Spec)
	}
	pdb := objs.get(t, "PodDisruptionBudget", namespace, "rigger").(*policyv1.PodDisruptionBudget)
	if pdb.Spec.MinAvailable.IntValue() != 1 {
		t.Errorf("pdb %+v", pdb.Spec)
	}
	sm := objs.get(t, "ServiceMonitor", namespace, "rigger").(*unstructured.Unstructured)
	if sm.GetLabels()["release"] != "prom" {
		t.Errorf("ServiceMonitor labels %v", sm.GetLabels())
	}
	if !strings.Contains(rel.Info.Notes, "https://ci.example/hook") || strings.Contains(rel.Info.Notes, "WARNING") {
		t.Errorf("NOTES.txt:\n%s", rel.Info.Notes)
	}
}

func TestAppWithoutKeyIsRefused(t *testing.T) {
	_, err := renderErr(map[string]any{"github": map[string]any{"appID": 7}})
	if err == nil || !strings.Contains(err.Error(), "github.privateKey") {
		t.Fatalf("render with an App ID and no key: %v, want an error naming github.privateKey", err)
	}
}

// The chart's CRD is the generated one (make generate copies it).
func TestChartShipsTheRepositoryCRD(t *testing.T) {
	ch, err := loader.Load(chartDir)
	if err != nil {
		t.Fatal(err)
	}
	want, err := os.ReadFile("../../config/crd/rigger.dev_repositories.yaml")
	if err != nil {
		t.Fatal(err)
	}
	crds := ch.CRDObjects()
	if len(crds) != 1 || !bytes.Equal(crds[0].File.Data, want) {
		t.Fatalf("chart CRDs %d, want exactly config/crd's Repository CRD", len(crds))
	}
}

// Every value in values.yaml is in the README's table.
func TestEveryValueIsInTheREADME(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(chartDir, "values.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var vals map[string]any
	if err := yaml.Unmarshal(data, &vals); err != nil {
		t.Fatal(err)
	}
	readme, err := os.ReadFile(filepath.Join(chartDir, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range leaves("", vals) {
		if !bytes.Contains(readme, []byte("| `"+p+"` |")) {
			t.Errorf("value %s is not in charts/rigger/README.md's table", p)
		}
	}
}

// leaves lists the values a user sets: nested maps are walked, except empty ones (a map
// value such as podAnnotations) and those under a key a table row covers whole.
func leaves(prefix string, m map[string]any) []string {
	var out []string
	for k, v := range m {
		p := k
		if prefix != "" {
			p = prefix + "." + k
		}
		if sub, ok := v.(map[string]any); ok && len(sub) > 0 && !wholeRow[p] {
			out = append(out, leaves(p, sub)...)
			continue
		}
		out = append(out, p)
	}
	sort.Strings(out)
	return out
}

// Values documented as one object in the README.
var wholeRow = map[string]bool{"resources": true, "podSecurityContext": true, "securityContext": true}
