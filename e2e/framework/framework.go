// Package framework gives Rigger's end-to-end tests a real cluster to work in: a fresh
// namespace per test, clients, waits on PipelineRun conditions, step logs, and a dump of
// everything useful when a test fails. It needs the cluster of e2e/cluster (`make e2e`
// starts it); without one it fails the test loudly rather than skipping.
package framework

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	tektonclient "github.com/tektoncd/pipeline/pkg/client/clientset/versioned"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
)

// Cluster is the e2e cluster as the tests see it.
type Cluster struct {
	Kubeconfig string
	Config     *rest.Config
	Kube       kubernetes.Interface
	Tekton     tektonclient.Interface
	// Nodes is "real" (pods run in containers) or "kwok" (simulated pods).
	Nodes string
	// PodGateway is the host's address on the pod bridge: a server that pods must reach
	// listens there (and on loopback), never on any other address.
	PodGateway string
	// LogsDir holds the control plane components' logs.
	LogsDir string
}

// Connect returns the cluster named by KUBECONFIG, or fails the test with the reason.
func Connect(t testing.TB) *Cluster {
	t.Helper()
	kc := os.Getenv("KUBECONFIG")
	if kc == "" {
		t.Fatal("KUBECONFIG is not set: run the e2e tests with `make e2e`, which starts the cluster")
	}
	cfg, err := clientcmd.BuildConfigFromFlags("", kc)
	if err != nil {
		t.Fatalf("loading kubeconfig %s: %v", kc, err)
	}
	cfg.QPS, cfg.Burst = 200, 400
	c := &Cluster{
		Kubeconfig: kc, Config: cfg,
		Kube:       kubernetes.NewForConfigOrDie(cfg),
		Tekton:     tektonclient.NewForConfigOrDie(cfg),
		Nodes:      envOr("RIGGER_E2E_NODES", "real"),
		PodGateway: envOr("RIGGER_E2E_POD_GATEWAY", "10.88.0.1"),
		LogsDir:    os.Getenv("RIGGER_E2E_LOGS"),
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := c.Kube.Discovery().RESTClient().Get().AbsPath("/readyz").DoRaw(ctx); err != nil {
		t.Fatalf("the e2e cluster at %s is not ready: %v", cfg.Host, err)
	}
	return c
}

// RequireRealPods fails the test when pods are simulated: what it checks needs containers.
func (c *Cluster) RequireRealPods(t testing.TB) {
	t.Helper()
	if c.Nodes != "real" {
		t.Fatalf("this test needs real pods, but the cluster runs E2E_NODES=%s", c.Nodes)
	}
}

// Namespace creates a fresh namespace for the test, waits for its default ServiceAccount,
// dumps its state if the test fails, and deletes it at the end.
func (c *Cluster) Namespace(t testing.TB) string {
	t.Helper()
	ctx := context.Background()
	ns := "e2e-" + sanitize(t.Name(), 40) + "-" + randSuffix()
	if _, err := c.Kube.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{
		ObjectMeta: metav1.ObjectMeta{Name: ns, Labels: map[string]string{"rigger.dev/e2e": "true"}},
	}, metav1.CreateOptions{}); err != nil {
		t.Fatalf("creating namespace %s: %v", ns, err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			c.Dump(t, ns)
		}
		if os.Getenv("KEEP_NAMESPACES") == "" {
			_ = c.Kube.CoreV1().Namespaces().Delete(context.Background(), ns, metav1.DeleteOptions{})
		}
	})
	// The ServiceAccount controller creates "default"; pods cannot be admitted before it.
	err := wait.PollUntilContextTimeout(ctx, 100*time.Millisecond, 60*time.Second, true, func(ctx context.Context) (bool, error) {
		_, err := c.Kube.CoreV1().ServiceAccounts(ns).Get(ctx, "default", metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			return false, nil
		}
		return err == nil, err
	})
	if err != nil {
		t.Fatalf("namespace %s: default ServiceAccount never appeared: %v", ns, err)
	}
	return ns
}

// EnvInt is the positive integer in the environment variable name, or def: the sizes a
// benchmark or a volume test may be run with.
func EnvInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}

// Parallel calls fn(0..n-1) from at most workers goroutines at once, and waits for all.
func Parallel(workers, n int, fn func(int)) {
	var wg sync.WaitGroup
	work := make(chan int)
	for range min(workers, max(n, 1)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := range work {
				fn(k)
			}
		}()
	}
	for k := range n {
		work <- k
	}
	close(work)
	wg.Wait()
}

func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}

func randSuffix() string {
	b := make([]byte, 3)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// sanitize turns a test name into a DNS label fragment.
func sanitize(s string, max int) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			b.WriteRune(r)
		default:
			if b.Len() > 0 && !strings.HasSuffix(b.String(), "-") {
				b.WriteByte('-')
			}
		}
	}
	out := strings.Trim(b.String(), "-")
	if len(out) > max {
		out = strings.Trim(out[:max], "-")
	}
	if out == "" {
		out = "test"
	}
	return out
}
