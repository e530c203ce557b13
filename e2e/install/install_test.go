// Package install installs Rigger on the e2e cluster the way a user would: the Helm chart,
// through Helm v4's Go API, with the image `make image` built and the harness imported
// (import_rigger_image in e2e/cluster/scripts/common.sh). It is a module of its own, like
// internal/installtest, because Helm v4 needs newer k8s.io modules than Rigger builds with.
//
// Run it on a cluster with real pods: make e2e-install (the cluster must be up).
package install

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"helm.sh/helm/v4/pkg/action"
	"helm.sh/helm/v4/pkg/chart/v2/loader"
	"helm.sh/helm/v4/pkg/cli"
	"helm.sh/helm/v4/pkg/kube"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/rigger-ci/rigger/internal/fakegithub"
)

const chartDir = "../../charts/rigger"

var repositories = schema.GroupVersionResource{Group: "rigger.dev", Version: "v1alpha1", Resource: "repositories"}

// TestChartInstallsRiggerThatRunsPullRequests is the spine's scenario with Rigger running as
// a pod, installed by the chart: a Repository onboards a repository, a signed webhook to the
// pod becomes a PipelineRun on real pods and a check run; two replicas take one delivery
// each and make one run and one check run; the leading pod deleted mid-run, the other
// reports the run to the end; helm uninstall leaves no Rigger object behind.
func TestChartInstallsRiggerThatRunsPullRequests(t *testing.T) {
	kubeconfig := os.Getenv("KUBECONFIG")
	image := os.Getenv("RIGGER_E2E_IMAGE")
	gateway := os.Getenv("RIGGER_E2E_POD_GATEWAY")
	if kubeconfig == "" || image == "" || gateway == "" {
		t.Fatal("KUBECONFIG, RIGGER_E2E_IMAGE and RIGGER_E2E_POD_GATEWAY must be set: run make e2e-install with the e2e cluster up (E2E_NODES=real)")
	}
	if os.Getenv("RIGGER_E2E_NODES") == "kwok" {
		t.Fatal("this test needs real pods: Rigger must run and answer /readyz")
	}
	repoRef, tag, ok := strings.Cut(image, ":")
	if !ok || strings.Contains(tag, "/") {
		t.Fatalf("RIGGER_E2E_IMAGE %q: want repository:tag", image)
	}
	rc, err := clientcmd.BuildConfigFromFlags("", kubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	kc := kubernetes.NewForConfigOrDie(rc)
	dyn := dynamic.NewForConfigOrDie(rc)
	ctx, cancel := context.WithTimeout(context.Background(), 12*time.Minute)
	defer cancel()

	// Rigger in a pod needs the apiserver. The harness's kube-apiserver listens on loopback
	// and no kube-proxy serves the kubernetes Service, so the test forwards the pod bridge's
	// gateway to it, and the pod reaches it as "kubernetes", a name its certificate holds.
	apiserver := strings.TrimPrefix(strings.TrimPrefix(rc.Host, "https://"), "http://")
	proxyPort := forward(t, net.JoinHostPort(gateway, "0"), apiserver)

	// A fake GitHub (an App installation) where Rigger's pod can reach it: on the host's
	// address on the pod bridge, never any other address.
	key, pem, err := fakegithub.NewAppKey()
	if err != nil {
		t.Fatal(err)
	}
	const appID = 4343
	fake, err := fakegithub.New(fakegithub.Options{App: &fakegithub.App{ID: appID, PublicKey: &key.PublicKey, InstallationID: 778}})
	if err != nil {
		t.Fatal(err)
	}
	if err := fake.Start(net.JoinHostPort(gateway, "0")); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = fake.Close() })
	repo, err := fake.CreateRepo("acme/installed", "main")
	if err != nil {
		t.Fatal(err)
	}
	fake.SetOrgMember("acme", "octocat")
	if _, err := repo.Commit("main", "CI", map[string]string{
		".tekton/unit.yaml": definition("unit", "echo unit ok"),
		".tekton/slow.yaml": definition("slow", "sleep 15; echo done"),
	}); err != nil {
		t.Fatal(err)
	}

	system := namespace(t, ctx, kc, "rigger-system")
	ci := namespace(t, ctx, kc, "ci-installed")

	settings := cli.New()
	settings.KubeConfig = kubeconfig
	settings.SetNamespace(system)
	cfg := action.NewConfiguration()
	if err := cfg.Init(settings.RESTClientGetter(), system, "secret"); err != nil {
		t.Fatal(err)
	}
	ch, err := loader.Load(chartDir)
	if err != nil {
		t.Fatal(err)
	}
	install := action.NewInstall(cfg)
	install.ReleaseName = "rigger"
	install.Namespace = system
	// Helm waits until the Deployment is available, which needs /readyz: the App's
	// credentials work against the fake GitHub and the apiserver answers.
	install.WaitStrategy = kube.StatusWatcherStrategy
	install.Timeout = 4 * time.Minute
	vals := map[string]any{
		"image": map[string]any{"repository": repoRef, "tag": tag, "pullPolicy": "Never"},
		"github": map[string]any{
			"apiURL": fake.APIURL(), "appID": appID, "privateKey": string(pem), "webhookSecret": "e2e-install",
		},
		"rbac":        map[string]any{"namespaces": []any{ci}},
		"hostAliases": []any{map[string]any{"ip": gateway, "hostnames": []any{"kubernetes"}}},
		// client-go's in-cluster config reads these.
		"extraEnv": []any{
			map[string]any{"name": "KUBERNETES_SERVICE_HOST", "value": "kubernetes"},
			map[string]any{"name": "KUBERNETES_SERVICE_PORT", "value": proxyPort},
		},
		"config": map[string]any{"logLevel": "debug"},
	}
	uninstalled := false
	uninstall := func() {
		if uninstalled {
			return
		}
		uninstalled = true
		u := action.NewUninstall(cfg)
		u.WaitStrategy = kube.StatusWatcherStrategy
		u.Timeout = 2 * time.Minute
		if _, err := u.Run("rigger"); err != nil {
			t.Errorf("helm uninstall: %v", err)
		}
	}
	t.Cleanup(func() {
		if t.Failed() {
			dump(t, kc, system)
		}
		uninstall()
	})
	if _, err := install.RunWithContext(ctx, ch, vals); err != nil {
		t.Fatalf("helm install: %v", err)
	}

	// The CRD came with the chart and its schema is enforced by the apiserver.
	for name, spec := range map[string]map[string]any{
		"bad-url":   {"url": "not a url"},
		"bad-limit": {"url": repo.HTMLURL(), "concurrencyLimit": int64(-1)},
		"bad-trust": {"url": repo.HTMLURL(), "trust": map[string]any{"definitionsFrom": "fork"}},
	} {
		_, err := dyn.Resource(repositories).Namespace(ci).Create(ctx, repository(ci, name, spec), metav1.CreateOptions{})
		if !apierrors.IsInvalid(err) {
			t.Errorf("Repository %s: %v, want the CRD's validation to refuse it", name, err)
		}
	}
	// One Repository onboards the repository; Rigger (the pod that leads) says it is ready.
	if _, err := dyn.Resource(repositories).Namespace(ci).Create(ctx, repository(ci, "installed",
		map[string]any{"url": repo.HTMLURL()}), metav1.CreateOptions{}); err != nil {
		t.Fatalf("creating a Repository: %v", err)
	}
	poll(t, ctx, "the Repository to be Ready", func() (bool, error) {
		u, err := dyn.Resource(repositories).Namespace(ci).Get(ctx, "installed", metav1.GetOptions{})
		if err != nil {
			return false, err
		}
		conds, _, _ := unstructured.NestedSlice(u.Object, "status", "conditions")
		for _, c := range conds {
			if m, _ := c.(map[string]any); m["type"] == "Ready" && m["status"] == "True" {
				return true, nil
			}
		}
		return false, nil
	})

	// A pull request, its webhook sent to the pod as an Ingress would: a run on real pods in
	// the Repository's namespace, and a green check run.
	pr := openPR(t, repo, "one", "octocat")
	pods := riggerPods(t, ctx, kc, system, 1)
	send(t, fake, pods[0], pr.Number, nil)
	waitForCheck(t, ctx, fake, repo.FullName(), pr.HeadSHA, "Rigger / unit", "success")
	if n := runsOf(t, ctx, dyn, ci, pr.HeadSHA); n != 2 {
		t.Errorf("%d PipelineRuns for the head, want 2 (unit and slow)", n)
	}

	// Two replicas: the same delivery sent to each pod gives one run and one check run; the
	// leading pod deleted while the slow run runs, the other reports it to the end.
	scale, err := kc.AppsV1().Deployments(system).GetScale(ctx, "rigger", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	scale.Spec.Replicas = 2
	if _, err := kc.AppsV1().Deployments(system).UpdateScale(ctx, "rigger", scale, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	pods = riggerPods(t, ctx, kc, system, 2)
	pr2 := openPR(t, repo, "two", "octocat")
	payload, err := fake.PullRequestPayload(repo.FullName(), pr2.Number, "opened")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := json.Marshal(payload)
	send(t, fake, pods[0], pr2.Number, body)
	send(t, fake, pods[1], pr2.Number, body)
	poll(t, ctx, "the slow run to start", func() (bool, error) { return runsOf(t, ctx, dyn, ci, pr2.HeadSHA) >= 2, nil })
	lease, err := kc.CoordinationV1().Leases(system).Get(ctx, "rigger", metav1.GetOptions{})
	if err != nil || lease.Spec.HolderIdentity == nil {
		t.Fatalf("the leader's Lease: %+v, %v", lease, err)
	}
	leader, _, _ := strings.Cut(*lease.Spec.HolderIdentity, "_")
	if err := kc.CoreV1().Pods(system).Delete(ctx, leader, metav1.DeleteOptions{}); err != nil {
		t.Fatalf("deleting the leading pod %s: %v", leader, err)
	}
	waitForCheck(t, ctx, fake, repo.FullName(), pr2.HeadSHA, "Rigger / slow", "success")
	if n := runsOf(t, ctx, dyn, ci, pr2.HeadSHA); n != 2 { // unit and slow, once each
		t.Errorf("%d PipelineRuns for one delivery sent to two pods, want 2 (unit and slow once each)", n)
	}
	for _, name := range []string{"Rigger / unit", "Rigger / slow"} {
		n := 0
		for _, cr := range fake.CheckRuns(repo.FullName()) {
			if cr.HeadSHA == pr2.HeadSHA && cr.Name == name {
				n++
			}
		}
		if n != 1 {
			t.Errorf("%d check runs %q for one delivery sent to two pods, want 1", n, name)
		}
	}

	// helm uninstall leaves none of Rigger's objects.
	uninstall()
	left := []string{}
	sel := metav1.ListOptions{LabelSelector: "app.kubernetes.io/instance=rigger"}
	if l, _ := kc.AppsV1().Deployments(system).List(ctx, sel); len(l.Items) > 0 {
		left = append(left, "Deployment")
	}
	if l, _ := kc.CoreV1().Services(system).List(ctx, sel); len(l.Items) > 0 {
		left = append(left, "Service")
	}
	if l, _ := kc.CoreV1().ConfigMaps(system).List(ctx, sel); len(l.Items) > 0 {
		left = append(left, "ConfigMap")
	}
	if l, _ := kc.CoreV1().ServiceAccounts(system).List(ctx, sel); len(l.Items) > 0 {
		left = append(left, "ServiceAccount")
	}
	if l, _ := kc.RbacV1().ClusterRoles().List(ctx, sel); len(l.Items) > 0 {
		left = append(left, "ClusterRole")
	}
	if l, _ := kc.RbacV1().Roles(ci).List(ctx, sel); len(l.Items) > 0 {
		left = append(left, "Role in "+ci)
	}
	if len(left) > 0 {
		t.Errorf("helm uninstall left %v", left)
	}
}

// forward listens on addr and copies every connection to target; it returns the port.
func forward(t *testing.T, addr, target string) string {
	t.Helper()
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				up, err := net.Dial("tcp", target)
				if err != nil {
					return
				}
				defer up.Close()
				go func() { _, _ = io.Copy(up, c) }()
				_, _ = io.Copy(c, up)
			}()
		}
	}()
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	return port
}

func definition(name, script string) string {
	return `apiVersion: tekton.dev/v1
kind: PipelineRun
metadata:
  name: ` + name + `
  annotations:
    pipelinesascode.tekton.dev/on-event: "[pull_request]"
    pipelinesascode.tekton.dev/on-target-branch: "[main]"
spec:
  pipelineSpec:
    tasks:
    - name: main
      taskSpec:
        steps:
        - name: main
          image: rigger.local/busybox:1.35
          script: ` + script + `
`
}

func openPR(t *testing.T, repo *fakegithub.Repo, branch, author string) fakegithub.PullRequest {
	t.Helper()
	if err := repo.CreateBranch(branch, "main"); err != nil {
		t.Fatal(err)
	}
	if _, err := repo.Commit(branch, "change "+branch, map[string]string{branch + ".txt": branch}); err != nil {
		t.Fatal(err)
	}
	pr, err := repo.OpenPullRequest(fakegithub.PullRequestSpec{Head: branch, Author: author})
	if err != nil {
		t.Fatal(err)
	}
	return pr
}

// riggerPods waits for n ready Rigger pods and returns their addresses (ip:8080).
func riggerPods(t *testing.T, ctx context.Context, kc kubernetes.Interface, ns string, n int) []string {
	t.Helper()
	var out []string
	poll(t, ctx, fmt.Sprintf("%d ready Rigger pods", n), func() (bool, error) {
		pods, err := kc.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{LabelSelector: "app.kubernetes.io/name=rigger"})
		if err != nil {
			return false, err
		}
		out = nil
		for _, p := range pods.Items {
			for _, c := range p.Status.Conditions {
				if c.Type == corev1.PodReady && c.Status == corev1.ConditionTrue && p.DeletionTimestamp == nil {
					out = append(out, net.JoinHostPort(p.Status.PodIP, "8080"))
				}
			}
		}
		return len(out) == n, nil
	})
	return out
}

// send posts a pull request's opened webhook (body, or a fresh payload when nil) to a pod.
func send(t *testing.T, fake *fakegithub.Server, pod string, number int, body []byte) {
	t.Helper()
	url := "http://" + pod + "/hook"
	var d fakegithub.Delivery
	var err error
	if body == nil {
		d, err = fake.SendPullRequest(context.Background(), url, "e2e-install", "acme/installed", number, "opened")
	} else {
		d, err = fake.SendBody(context.Background(), url, "e2e-install", "pull_request", "opened", body)
	}
	if err != nil || d.Status != 202 {
		t.Fatalf("webhook to %s: %d %v %s", pod, d.Status, err, d.ResponseBody)
	}
}

func waitForCheck(t *testing.T, ctx context.Context, fake *fakegithub.Server, repo, sha, name, conclusion string) {
	t.Helper()
	poll(t, ctx, "check run "+name+" to conclude "+conclusion, func() (bool, error) {
		for _, cr := range fake.CheckRuns(repo) {
			if cr.HeadSHA == sha && cr.Name == name && cr.Status == "completed" {
				if cr.Conclusion != conclusion {
					return false, fmt.Errorf("check run %s concluded %s: %s", name, cr.Conclusion, cr.Output.Title)
				}
				return true, nil
			}
		}
		return false, nil
	})
}

var pipelineRuns = schema.GroupVersionResource{Group: "tekton.dev", Version: "v1", Resource: "pipelineruns"}

func runsOf(t *testing.T, ctx context.Context, dyn dynamic.Interface, ns, sha string) int {
	t.Helper()
	l, err := dyn.Resource(pipelineRuns).Namespace(ns).List(ctx, metav1.ListOptions{LabelSelector: "rigger.dev/sha=" + sha})
	if err != nil {
		t.Fatal(err)
	}
	return len(l.Items)
}

func poll(t *testing.T, ctx context.Context, what string, cond func() (bool, error)) {
	t.Helper()
	if err := wait.PollUntilContextTimeout(ctx, 500*time.Millisecond, 3*time.Minute, true, func(context.Context) (bool, error) { return cond() }); err != nil {
		t.Fatalf("waiting for %s: %v", what, err)
	}
}

func repository(ns, name string, spec map[string]any) *unstructured.Unstructured {
	return &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "rigger.dev/v1alpha1", "kind": "Repository",
		"metadata": map[string]any{"name": name, "namespace": ns},
		"spec":     spec,
	}}
}

// namespace creates a namespace named prefix-<random> and deletes it when the test ends.
func namespace(t *testing.T, ctx context.Context, kc kubernetes.Interface, prefix string) string {
	t.Helper()
	b := make([]byte, 3)
	_, _ = rand.Read(b)
	name := prefix + "-" + hex.EncodeToString(b)
	if _, err := kc.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = kc.CoreV1().Namespaces().Delete(context.Background(), name, metav1.DeleteOptions{})
	})
	return name
}

// dump logs what explains a Rigger that did not become ready: its pods, their log tails
// and the namespace's events.
func dump(t *testing.T, kc kubernetes.Interface, ns string) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	pods, err := kc.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Logf("listing pods: %v", err)
		return
	}
	for _, p := range pods.Items {
		t.Logf("pod %s: phase %s, conditions %+v", p.Name, p.Status.Phase, p.Status.Conditions)
		for _, cs := range p.Status.ContainerStatuses {
			t.Logf("  container %s: ready %v, restarts %d, state %+v", cs.Name, cs.Ready, cs.RestartCount, cs.State)
		}
		tail := int64(40)
		logs, err := kc.CoreV1().Pods(ns).GetLogs(p.Name, &corev1.PodLogOptions{TailLines: &tail}).DoRaw(ctx)
		t.Logf("  log tail (%v):\n%s", err, logs)
	}
	events, err := kc.CoreV1().Events(ns).List(ctx, metav1.ListOptions{})
	if err == nil {
		for _, e := range events.Items {
			t.Logf("event %s %s: %s", e.InvolvedObject.Name, e.Reason, e.Message)
		}
	}
}

// The kustomize base applies to the same apiserver: every object passes the apiserver's
// validation and admission in a server-side dry run, as `kubectl apply -k` would send them.
func TestKustomizeBaseServerSideDryRun(t *testing.T) {
	kubectl := os.Getenv("RIGGER_E2E_KUBECTL")
	kubeconfig := os.Getenv("KUBECONFIG")
	if kubectl == "" || kubeconfig == "" {
		t.Fatal("RIGGER_E2E_KUBECTL and KUBECONFIG must be set: run make e2e-install with the e2e cluster up")
	}
	rc, err := clientcmd.BuildConfigFromFlags("", kubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	kc := kubernetes.NewForConfigOrDie(rc)
	ctx := context.Background()
	// A dry run creates nothing, the base's namespace included, and its namespaced objects
	// need the namespace to exist.
	if _, err := kc.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "rigger-system"}}, metav1.CreateOptions{}); err == nil {
		t.Cleanup(func() {
			_ = kc.CoreV1().Namespaces().Delete(context.Background(), "rigger-system", metav1.DeleteOptions{})
		})
	} else if !apierrors.IsAlreadyExists(err) {
		t.Fatal(err)
	}
	out, err := exec.Command(kubectl, "--kubeconfig", kubeconfig, "apply", "-k", "../../config/default",
		"--server-side", "--dry-run=server", "-o", "name").CombinedOutput()
	if err != nil {
		t.Fatalf("kubectl apply -k config/default --server-side --dry-run=server: %v\n%s", err, out)
	}
	for _, want := range []string{"customresourcedefinition.apiextensions.k8s.io/repositories.rigger.dev",
		"deployment.apps/rigger", "service/rigger", "clusterrole.rbac.authorization.k8s.io/rigger-watch",
		"role.rbac.authorization.k8s.io/rigger-leader"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("the dry run did not apply %s:\n%s", want, out)
		}
	}
}
