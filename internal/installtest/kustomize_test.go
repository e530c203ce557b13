package installtest

import (
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/kyaml/filesys"

	"github.com/rigger-ci/rigger/pkg/config"
)

// build is `kustomize build dir` through kustomize's Go API, decoded like the chart's output.
func build(t *testing.T, dir string) objects {
	t.Helper()
	k := krusty.MakeKustomizer(krusty.MakeDefaultOptions())
	m, err := k.Run(filesys.MakeFsOnDisk(), dir)
	if err != nil {
		t.Fatalf("kustomize build %s: %v", dir, err)
	}
	out, err := m.AsYaml()
	if err != nil {
		t.Fatal(err)
	}
	return decode(t, string(out))
}

// configMapOf finds the Deployment's rigger.yaml (its ConfigMap has a hash suffix) and loads
// it with Rigger's loader.
func configOf(t *testing.T, objs objects, dep *appsv1.Deployment, env map[string]string) *config.Config {
	t.Helper()
	var cmName string
	for _, v := range dep.Spec.Template.Spec.Volumes {
		if v.Name == "config" && v.ConfigMap != nil {
			cmName = v.ConfigMap.Name
		}
	}
	if !strings.HasPrefix(cmName, "rigger-config-") {
		t.Fatalf("config volume's ConfigMap %q: want the generated, hash-suffixed one", cmName)
	}
	cm := objs.get(t, "ConfigMap", "rigger-system", cmName).(*corev1.ConfigMap)
	p := filepath.Join(t.TempDir(), "rigger.yaml")
	if err := os.WriteFile(p, []byte(cm.Data["rigger.yaml"]), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"KUBECONFIG", "RIGGER_CONFIG", "RIGGER_WEBHOOK_SECRET", "RIGGER_GITHUB_TOKEN"} {
		t.Setenv(k, env[k])
	}
	cfg, err := config.Load(p, nil, nil)
	if err != nil {
		t.Fatalf("rigger.yaml does not load: %v", err)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatalf("rigger.yaml does not validate: %v", err)
	}
	return cfg
}

func TestKustomizeBase(t *testing.T) {
	objs := build(t, "../../config/default")
	objs.get(t, "CustomResourceDefinition", "", "repositories.rigger.dev")
	objs.get(t, "Namespace", "", "rigger-system")
	objs.get(t, "Service", "rigger-system", "rigger")
	objs.get(t, "ServiceAccount", "rigger-system", "rigger")
	assertRules(t, "runs", objs.get(t, "ClusterRole", "", "rigger-runs").(*rbacv1.ClusterRole).Rules, runRules)
	for _, b := range []string{"rigger-watch", "rigger-runs"} {
		crb := objs.get(t, "ClusterRoleBinding", "", b).(*rbacv1.ClusterRoleBinding)
		if s := crb.Subjects[0]; s.Name != "rigger" || s.Namespace != "rigger-system" {
			t.Errorf("%s binds %+v, want the rigger ServiceAccount in rigger-system", b, s)
		}
	}

	dep := objs.get(t, "Deployment", "rigger-system", "rigger").(*appsv1.Deployment)
	c := dep.Spec.Template.Spec.Containers[0]
	if sc := c.SecurityContext; sc == nil || !*sc.ReadOnlyRootFilesystem || *sc.AllowPrivilegeEscalation {
		t.Errorf("securityContext %+v", sc)
	}
	if c.ReadinessProbe.HTTPGet.Path != "/readyz" || c.LivenessProbe.HTTPGet.Path != "/healthz" {
		t.Errorf("probes %+v %+v", c.ReadinessProbe, c.LivenessProbe)
	}
	cfg := configOf(t, objs, dep, map[string]string{"RIGGER_WEBHOOK_SECRET": "s", "RIGGER_GITHUB_TOKEN": "t"})
	if cfg.Executor != config.ExecutorTekton || cfg.DataDir != "/var/lib/rigger" {
		t.Errorf("config %+v", cfg)
	}
	if le := cfg.LeaderElection; !le.Enabled || le.Namespace != "rigger-system" {
		t.Errorf("leader election %+v, want it on, in rigger-system", le)
	}
	leases := objs.get(t, "Role", "rigger-system", "rigger-leader").(*rbacv1.Role)
	assertRules(t, "leader", leases.Rules, map[string][]string{"coordination.k8s.io/leases": {"create", "get", "update"}})
	// The base and the chart grant the same rights.
	chart, _ := render(t, nil)
	for _, name := range []string{"rigger-watch", "rigger-runs"} {
		base := objs.get(t, "ClusterRole", "", name).(*rbacv1.ClusterRole)
		ch := chart.get(t, "ClusterRole", "", name).(*rbacv1.ClusterRole)
		want := map[string][]string{}
		for _, r := range ch.Rules {
			for _, g := range r.APIGroups {
				for _, res := range r.Resources {
					want[g+"/"+res] = append(want[g+"/"+res], r.Verbs...)
				}
			}
		}
		for k := range want {
			sort.Strings(want[k])
		}
		assertRules(t, "base "+name+" vs chart", base.Rules, want)
	}
}

func TestKustomizeExampleOverlay(t *testing.T) {
	objs := build(t, "../../config/overlays/example")
	if _, ok := objs["ClusterRole//rigger-runs"]; ok {
		t.Error("the overlay keeps the cluster-wide write ClusterRole")
	}
	if _, ok := objs["ClusterRoleBinding//rigger-runs"]; ok {
		t.Error("the overlay keeps the cluster-wide write ClusterRoleBinding")
	}
	assertRules(t, "Role in ci-hello", objs.get(t, "Role", "ci-hello", "rigger-runs").(*rbacv1.Role).Rules, runRules)
	rb := objs.get(t, "RoleBinding", "ci-hello", "rigger-runs").(*rbacv1.RoleBinding)
	if s := rb.Subjects[0]; s.Namespace != "rigger-system" {
		t.Errorf("RoleBinding subject %+v", s)
	}
	objs.get(t, "Repository", "ci-hello", "hello")

	dep := objs.get(t, "Deployment", "rigger-system", "rigger").(*appsv1.Deployment)
	c := dep.Spec.Template.Spec.Containers[0]
	if c.Image != "registry.example.com/rigger:v0.1.0" {
		t.Errorf("image %q", c.Image)
	}
	cfg := configOf(t, objs, dep, map[string]string{"RIGGER_WEBHOOK_SECRET": "s"})
	mounted := false
	for _, m := range c.VolumeMounts {
		if m.Name == "github" && filepath.Join(m.MountPath, "private-key.pem") == cfg.GitHub.PrivateKeyFile {
			mounted = true
		}
	}
	if cfg.GitHub.AppID == 0 || !mounted {
		t.Errorf("App %d, key %s mounted: %v", cfg.GitHub.AppID, cfg.GitHub.PrivateKeyFile, mounted)
	}
}

// The Argo CD example names the chart's real path and only values the chart has.
func TestArgoCDApplication(t *testing.T) {
	objs := decode(t, mustRead(t, "../../config/argocd/application.yaml"))
	app := objs.get(t, "Application", "argocd", "rigger")
	u := app.(interface{ UnstructuredContent() map[string]any }).UnstructuredContent()
	src := u["spec"].(map[string]any)["source"].(map[string]any)
	if src["path"] != "charts/rigger" {
		t.Fatalf("source.path %v", src["path"])
	}
	vals := src["helm"].(map[string]any)["valuesObject"].(map[string]any)
	// Rendering fails on a value the chart's templates cannot use, and lint flags unknowns.
	if _, err := renderErr(vals); err != nil {
		t.Fatalf("the chart does not render with the Application's values: %v", err)
	}
	known := map[string]bool{}
	data := mustRead(t, filepath.Join(chartDir, "README.md"))
	for _, p := range leaves("", vals) {
		for q := p; q != ""; q = parent(q) {
			if strings.Contains(data, "| `"+q+"` |") {
				known[p] = true
			}
		}
		if !known[p] {
			t.Errorf("the Application sets %s, which the chart does not have", p)
		}
	}
}

func parent(p string) string {
	i := strings.LastIndex(p, ".")
	if i < 0 {
		return ""
	}
	return p[:i]
}

func mustRead(t *testing.T, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
