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
	"net"
	"os"
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

func TestChartInstallsAReadyRigger(t *testing.T) {
	kubeconfig := os.Getenv("KUBECONFIG")
	image := os.Getenv("RIGGER_E2E_IMAGE")
	gateway := os.Getenv("RIGGER_E2E_POD_GATEWAY")
	if kubeconfig == "" || image == "" || gateway == "" {
		t.Fatal("KUBECONFIG, RIGGER_E2E_IMAGE and RIGGER_E2E_POD_GATEWAY must be set: run make e2e-install with the e2e cluster up (E2E_NODES=real)")
	}
	// Rigger in a pod needs the apiserver. The harness's kube-apiserver listens on 127.0.0.1
	// and there is no kube-proxy behind the kubernetes Service, so the harness must say where
	// pods reach it (an address on the pod bridge, host:port, in the serving certificate).
	apiserver := os.Getenv("RIGGER_E2E_APISERVER_FOR_PODS")
	apiHost, apiPort, err := net.SplitHostPort(apiserver)
	if err != nil {
		t.Fatalf("RIGGER_E2E_APISERVER_FOR_PODS=%q: want host:port where pods reach kube-apiserver (%v)", apiserver, err)
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
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()

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
		"rbac": map[string]any{"namespaces": []any{ci}},
		// client-go's in-cluster config reads these.
		"extraEnv": []any{
			map[string]any{"name": "KUBERNETES_SERVICE_HOST", "value": apiHost},
			map[string]any{"name": "KUBERNETES_SERVICE_PORT", "value": apiPort},
		},
		// The Repository resource below is what a cluster install uses; until Rigger watches
		// Repositories it reads the same spec from rigger.yaml.
		"config": map[string]any{"logLevel": "debug", "repositories": []any{
			map[string]any{"url": repo.HTMLURL(), "namespace": ci},
		}},
	}
	t.Cleanup(func() {
		if t.Failed() {
			dump(t, kc, system)
		}
		u := action.NewUninstall(cfg)
		u.WaitStrategy = kube.StatusWatcherStrategy
		u.Timeout = 2 * time.Minute
		if _, err := u.Run("rigger"); err != nil {
			t.Logf("helm uninstall: %v", err)
		}
	})
	if _, err := install.RunWithContext(ctx, ch, vals); err != nil {
		t.Fatalf("helm install: %v", err)
	}

	dep, err := kc.AppsV1().Deployments(system).Get(ctx, "rigger", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if dep.Status.ReadyReplicas != 1 {
		t.Fatalf("Deployment has %d ready replicas after helm's wait, want 1", dep.Status.ReadyReplicas)
	}

	// The CRD came with the chart and its schema is enforced by the apiserver.
	good := repository(ci, "installed", map[string]any{"url": repo.HTMLURL(), "concurrencyLimit": int64(2),
		"trust": map[string]any{"definitionsFrom": "base", "trustedUsers": []any{"octocat"}}})
	if _, err := dyn.Resource(repositories).Namespace(ci).Create(ctx, good, metav1.CreateOptions{}); err != nil {
		t.Fatalf("creating a Repository: %v", err)
	}
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

	// Still ready with the Repository in place: Rigger did not fall over.
	err = wait.PollUntilContextTimeout(ctx, 2*time.Second, time.Minute, true, func(ctx context.Context) (bool, error) {
		d, err := kc.AppsV1().Deployments(system).Get(ctx, "rigger", metav1.GetOptions{})
		return err == nil && d.Status.ReadyReplicas == 1 && d.Status.UpdatedReplicas == 1, err
	})
	if err != nil {
		t.Fatalf("Deployment not ready after the Repository was created: %v", err)
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
