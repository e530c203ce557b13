package sharding

import (
	"context"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/rigger-ci/rigger/e2e/framework"
	"github.com/rigger-ci/rigger/internal/fakegithub"
	pipelinev1 "github.com/tektoncd/pipeline/pkg/apis/pipeline/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// cpuSuite is a module of packages whose tests each do a fixed amount of CPU work (a chain
// of a million SHA-256 sums, about 0.1 s on one core of the e2e machine), not a sleep: on a node
// with fewer cores than shards, sharding cannot make such work faster, and the figures
// must show what it really gains.
func cpuSuite(packages, tests int) map[string]string {
	files := map[string]string{"go.mod": "module example.com/cpusuite\n\ngo 1.22\n"}
	for p := range packages {
		var b strings.Builder
		fmt.Fprintf(&b, "package p%d\n\nimport (\n\t\"crypto/sha256\"\n\t\"testing\"\n)\n\n", p)
		b.WriteString("func work(t *testing.T) {\n\th := sha256.Sum256([]byte(t.Name()))\n\tfor range 1_000_000 {\n\t\th = sha256.Sum256(h[:])\n\t}\n\tif h == ([32]byte{}) {\n\t\tt.Fatal(\"zero hash\")\n\t}\n}\n")
		for i := range tests {
			fmt.Fprintf(&b, "\nfunc TestWork%02d(t *testing.T) { work(t) }\n", i)
		}
		files[fmt.Sprintf("p%d/p_test.go", p)] = b.String()
	}
	return files
}

// BenchmarkShardedWallTime measures one suite's PipelineRun unsharded, then in 2 and 4 shards, on
// the e2e cluster's one node, one after another, after a run that fills the shared build
// cache (so every measured run compiles nothing). It prints the figures docs/sharding.md
// quotes; it fails only when a run fails or a shard count does not run every test once. A
// benchmark, not a test: it measures, and takes minutes. Run it on the real-pod cluster with
// E2E_NODES=real e2e/cluster/scripts/e2e.sh -run '^$' -bench ShardedWallTime -benchtime 1x ./e2e/sharding/
func BenchmarkShardedWallTime(b *testing.B) {
	t := b
	c := framework.Connect(t)
	c.RequireRealPods(t)
	ns := c.Namespace(t)
	ctx := context.Background()
	tools := newHostTools(t)
	tasks, pipes := tools.catalog(t)
	for _, task := range tasks {
		if _, err := c.Tekton.TektonV1().Tasks(ns).Create(ctx, task, metav1.CreateOptions{}); err != nil {
			t.Fatalf("task %s: %v", task.Name, err)
		}
	}
	for _, p := range pipes {
		if _, err := c.Tekton.TektonV1().Pipelines(ns).Create(ctx, p, metav1.CreateOptions{}); err != nil {
			t.Fatalf("pipeline %s: %v", p.Name, err)
		}
	}
	fake, err := fakegithub.New(fakegithub.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := fake.Start(net.JoinHostPort(c.PodGateway, "0")); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = fake.Close() })
	repo, err := fake.CreateRepo("acme/cpusuite", "main")
	if err != nil {
		t.Fatal(err)
	}
	const packages, tests = 8, 6
	sha, err := repo.Commit("main", "a CPU-bound suite", cpuSuite(packages, tests))
	if err != nil {
		t.Fatal(err)
	}

	type figure struct {
		shards         int
		total, testing time.Duration
	}
	var figures []figure
	for i, shards := range []int{1, 1, 2, 4} {
		var idx []string
		for s := range shards {
			idx = append(idx, fmt.Sprintf("%q", fmt.Sprint(s)))
		}
		pr := c.CreatePipelineRun(t, ns, fmt.Sprintf(`
metadata: {name: wall-%d-%d}
spec:
  pipelineRef: {name: go-test-sharded}
  params:
  - {name: repo-url, value: %q}
  - {name: revision, value: %q}
  - {name: shards, value: "%d"}
  - {name: shard-indices, value: [%s]}
  - {name: go-flags, value: "-count=1"}
  - {name: image, value: %q}
  workspaces:
  - name: source
    volumeClaimTemplate:
      spec:
        accessModes: [ReadWriteOnce]
        resources: {requests: {storage: 1Gi}}
`, i, shards, repo.HTMLURL(), sha, shards, strings.Join(idx, ", "), podImage))
		done := c.WaitForDone(t, ns, pr.Name, 15*time.Minute)
		if !done.IsSuccessful() {
			t.Fatalf("run %s failed: %+v", pr.Name, framework.Succeeded(done))
		}
		if log := c.StepLog(t, ns, done, "report", "rigger-test-report"); !strings.Contains(log, fmt.Sprintf("tests: %d run, %d passed", packages*tests, packages*tests)) {
			t.Fatalf("run %s did not run every test once:\n%s", pr.Name, log)
		}
		f := figure{shards: shards, total: done.Status.CompletionTime.Sub(done.Status.StartTime.Time), testing: testPhase(t, c, ns, done)}
		if i == 0 {
			t.Logf("warm-up (fills the build cache): %s", f.total.Round(time.Second))
			continue
		}
		figures = append(figures, f)
	}
	t.Logf("%d packages x %d tests of ~0.1 s CPU each, on a %s node:", packages, tests, nodeCPUs(t, c))
	t.Logf("| shards | PipelineRun wall | test tasks wall | vs unsharded |")
	for _, f := range figures {
		t.Logf("| %d | %s | %s | %.2f |", f.shards, f.total.Round(100*time.Millisecond), f.testing.Round(100*time.Millisecond),
			f.total.Seconds()/figures[0].total.Seconds())
		b.ReportMetric(f.total.Seconds()/figures[0].total.Seconds(), fmt.Sprintf("wall-%dshards/unsharded", f.shards))
	}
}

// testPhase is from the first shard's start to the last shard's end.
func testPhase(t testing.TB, c *framework.Cluster, ns string, pr *pipelinev1.PipelineRun) time.Duration {
	t.Helper()
	trs, err := c.Tekton.TektonV1().TaskRuns(ns).List(context.Background(), metav1.ListOptions{
		LabelSelector: "tekton.dev/pipelineRun=" + pr.Name + ",tekton.dev/pipelineTask=test"})
	if err != nil {
		t.Fatal(err)
	}
	var first, last time.Time
	for _, tr := range trs.Items {
		if tr.Status.StartTime == nil || tr.Status.CompletionTime == nil {
			t.Fatalf("TaskRun %s has no times", tr.Name)
		}
		if s := tr.Status.StartTime.Time; first.IsZero() || s.Before(first) {
			first = s
		}
		if e := tr.Status.CompletionTime.Time; e.After(last) {
			last = e
		}
	}
	return last.Sub(first)
}

func nodeCPUs(t testing.TB, c *framework.Cluster) string {
	nodes, err := c.Kube.CoreV1().Nodes().List(context.Background(), metav1.ListOptions{})
	if err != nil || len(nodes.Items) == 0 {
		return "?-core"
	}
	return nodes.Items[0].Status.Capacity.Cpu().String() + "-core"
}
