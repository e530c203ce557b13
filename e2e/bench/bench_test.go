// Package bench measures Rigger's core path on the e2e cluster's real apiserver and Tekton
// controller (KWOK nodes, so pods cost nothing), with the fake GitHub on loopback:
//
//	(a) events per second from signed webhook to PipelineRun created, against a plain
//	    client-go loop creating the same PipelineRuns with the same concurrency;
//	(b) p50/p99 latency of one event alone, and what Rigger adds to a bare create;
//	(c) GitHub API calls per pull request `synchronize` with an unchanged .tekton/.
//
// Both sides are measured in the same run, alternately, and reported as ratios.
package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"runtime/pprof"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/rigger-ci/rigger/e2e/framework"
	"github.com/rigger-ci/rigger/internal/fakegithub"
	"github.com/rigger-ci/rigger/pkg/config"
	pipelinev1 "github.com/tektoncd/pipeline/pkg/apis/pipeline/v1"
	tektonclient "github.com/tektoncd/pipeline/pkg/client/clientset/versioned"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/rest"
)

const definition = `apiVersion: tekton.dev/v1
kind: PipelineRun
metadata:
  name: pull-request
  annotations:
    pipelinesascode.tekton.dev/on-event: "[pull_request]"
    pipelinesascode.tekton.dev/on-target-branch: "[main]"
spec:
  params:
  - {name: revision, value: "{{ revision }}"}
  - {name: repo-url, value: "{{ repo_url }}"}
  pipelineSpec:
    params: [{name: revision}, {name: repo-url}]
    tasks:
    - name: unit
      params: [{name: revision, value: $(params.revision)}]
      taskSpec:
        params: [{name: revision}]
        steps:
        - name: test
          image: kwok.local/busybox
          script: echo testing $(params.revision)
`

// BenchmarkWebhookToPipelineRun reports the figures of the spine issue. Run it through
// `make bench` (which brings a KWOK cluster up); -benchtime=1x, since one iteration is a
// whole measured burst.
func BenchmarkWebhookToPipelineRun(b *testing.B) {
	burst := framework.EnvInt("BENCH_EVENTS", 300)                           // events per burst
	senders := framework.EnvInt("BENCH_CONCURRENCY", 32)                     // concurrent webhook senders / creating goroutines
	alone := framework.EnvInt("BENCH_ALONE", 40)                             // events measured one at a time
	rounds := framework.EnvInt("BENCH_ROUNDS", 3)                            // bursts of each side, alternating; the rates are their medians
	workers := framework.EnvInt("BENCH_WORKERS", config.DefaultQueueWorkers) // events Rigger handles at once
	c := framework.Connect(b)
	ns := c.Namespace(b)
	// Rigger gets a client of its own, as it has in its own process, through which the
	// benchmark sees the PipelineRun Rigger asks the apiserver to create: the baseline
	// creates exactly that (before Tekton's webhook fills in its defaults, which is work the
	// apiserver and the webhook do for each create).
	sent := &createdBody{}
	rc := rest.CopyConfig(c.Config)
	rc.Wrap(func(rt http.RoundTripper) http.RoundTripper { return sent.wrap(rt) })
	riggerSide := *c
	riggerSide.Tekton = tektonclient.NewForConfigOrDie(rc)
	// Each run costs about five calls (the read, the check run, its updates): three rounds
	// of 300 would spend GitHub's default hourly 5000 and measure the rate limit instead.
	// 15000 is an installation's budget on GitHub Enterprise Cloud.
	rig := riggerSide.StartRig(b, ns, framework.RigOptions{FakeAddr: "127.0.0.1:0", Workers: workers, RateLimit: 15000,
		Files: map[string]string{".tekton/pull-request.yaml": definition}})
	repo := rig.Repo
	if err := repo.CreateBranch("feature", "main"); err != nil {
		b.Fatal(err)
	}
	pr, err := repo.OpenPullRequest(fakegithub.PullRequestSpec{Title: "bench", Head: "feature"})
	if err != nil {
		b.Fatal(err)
	}
	// An outsider's pull request, for (d): its events cost calls, never PipelineRuns.
	if err := repo.CreateBranch("contrib", "main"); err != nil {
		b.Fatal(err)
	}
	if _, err := repo.Commit("contrib", "contribution", map[string]string{"c.txt": "c"}); err != nil {
		b.Fatal(err)
	}
	outsiderPR, err := repo.OpenPullRequest(fakegithub.PullRequestSpec{Title: "outsider", Head: "contrib", Author: "stranger"})
	if err != nil {
		b.Fatal(err)
	}
	const outsiderEvents = 20
	// One commit per event: a synchronize always brings a new head SHA; .tekton/ is unchanged.
	total := rounds*burst + alone + 1 + outsiderEvents + 1
	shas := make([]string, total)
	for i := range shas {
		if shas[i], err = repo.Commit("feature", fmt.Sprintf("change %d", i), map[string]string{"n.txt": strconv.Itoa(i)}); err != nil {
			b.Fatal(err)
		}
	}
	next := 0
	take := func(n int) []string { s := shas[next : next+n]; next += n; return s }
	w := newArrivals(b, c, ns)
	ctx := context.Background()
	// Payloads are built and encoded before the clock starts: that is GitHub's work, not
	// Rigger's.
	payload := func(sha string, number int) map[string]any {
		p, err := rig.Fake.PullRequestPayload(repo.FullName(), pr.Number, "synchronize",
			fakegithub.WithPayloadEdit(func(p map[string]any) {
				p["number"] = number
				prm := p["pull_request"].(map[string]any)
				prm["number"] = number
				prm["head"].(map[string]any)["sha"] = sha
			}))
		if err != nil {
			b.Fatal(err)
		}
		return p
	}
	payloads := func(shas []string, firstNumber int) [][]byte {
		out := make([][]byte, len(shas))
		for k, sha := range shas {
			if out[k], err = json.Marshal(payload(sha, firstNumber+k)); err != nil {
				b.Fatal(err)
			}
		}
		return out
	}
	send := func(body []byte) {
		d, err := rig.Fake.SendBody(ctx, rig.HookURL, rig.Secret, "pull_request", "synchronize", body)
		if err != nil || d.Status != http.StatusAccepted {
			b.Errorf("webhook: status %d, err %v, body %s", d.Status, err, d.ResponseBody)
		}
	}

	// Warm up (installation token, caches, informers) and capture the PipelineRun Rigger
	// creates: the baseline creates exactly that object.
	warm := take(1)[0]
	send(payloads([]string{warm}, 100000)[0])
	w.wait(warm, time.Minute)
	template := sent.pipelineRun(b)
	template.ObjectMeta = metav1.ObjectMeta{Labels: template.Labels, Annotations: template.Annotations}

	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		// (b) alone: one event at a time, webhook sent -> PipelineRun seen by a watch.
		var riggerAlone, createAlone []time.Duration
		aloneSHAs := take(alone)
		alonePayloads := payloads(aloneSHAs, 200000)
		for j, sha := range aloneSHAs {
			t0 := time.Now()
			send(alonePayloads[j])
			w.wait(sha, time.Minute)
			riggerAlone = append(riggerAlone, time.Since(t0))
			t0 = time.Now()
			name := fmt.Sprintf("alone-%d-%d", i, j)
			if err := createPR(c, ns, template, name); err != nil {
				b.Fatalf("client-go create: %v", err)
			}
			w.waitName(name, time.Minute)
			createAlone = append(createAlone, time.Since(t0))
		}

		// (a) bursts, alternating baseline and Rigger; (c) GitHub calls during Rigger's bursts.
		var riggerRate, loopRate []float64
		var reads, checkCreates, allCalls int
		var loopCPU, riggerCPU cpuUse
		loopAPI, riggerAPI := apiCounts{}, apiCounts{}
		for round := 0; round < rounds; round++ {
			w.settle(5 * time.Minute)
			names := make([]string, burst)
			for k := range names {
				names[k] = fmt.Sprintf("loop-%d-%d-%d", i, round, k)
			}
			// The apiserver's /metrics is read before the clock starts: it is megabytes, whose
			// cost is no side's.
			api0 := sampleAPI(c)
			cpu0, t0 := sampleCPU(), time.Now()
			var mu sync.Mutex
			var createErrs []error
			framework.Parallel(senders, len(names), func(k int) {
				err := createPR(c, ns, template, names[k])
				mu.Lock()
				defer mu.Unlock()
				if err != nil {
					createErrs = append(createErrs, err)
				}
			})
			if len(createErrs) > 0 {
				b.Fatalf("%d of %d client-go creates failed, e.g. %v", len(createErrs), len(names), createErrs[0])
			}
			for _, n := range names {
				w.waitName(n, 2*time.Minute)
			}
			loopRate = append(loopRate, float64(burst)/time.Since(t0).Seconds())
			loopCPU = loopCPU.add(sampleCPU().sub(cpu0))
			loopAPI = loopAPI.add(sampleAPI(c), api0)

			batch := take(burst)
			batchPayloads := payloads(batch, 1000*(round+1))
			w.settle(5 * time.Minute)
			rig.Fake.Reset()
			stopProfile := profileBurst(b, fmt.Sprintf("rigger-burst-%d-%d", i, round))
			api0 = sampleAPI(c)
			cpu0, t0 = sampleCPU(), time.Now()
			framework.Parallel(senders, len(batch), func(k int) { send(batchPayloads[k]) })
			for _, sha := range batch {
				w.wait(sha, 2*time.Minute)
			}
			stopProfile()
			riggerRate = append(riggerRate, float64(burst)/time.Since(t0).Seconds())
			riggerCPU = riggerCPU.add(sampleCPU().sub(cpu0))
			riggerAPI = riggerAPI.add(sampleAPI(c), api0)
			for route, n := range rig.Fake.CountsByRoute() {
				allCalls += n
				switch {
				case strings.HasPrefix(route, "GET "):
					reads += n
				case strings.HasPrefix(route, "POST ") && strings.HasSuffix(route, "/check-runs"):
					checkCreates += n
				}
			}
		}
		// (d) an outsider's pushes: the first teaches the policy who they are; each later one
		// costs the approval records (a 304) and the waiting check run.
		outsiderSHAs := take(outsiderEvents + 1)
		var outsiderCalls int
		// The bursts' runs finish and are reported meanwhile: those reports (check-run
		// updates) are not the outsider's, so they are not counted.
		w.settle(5 * time.Minute)
		outsiderCallsSince := func(before int) int {
			n := 0
			for _, c := range rig.Fake.Calls()[before:] {
				if c.Route != "PATCH /repos/{owner}/{repo}/check-runs/{id}" {
					n++
				}
			}
			return n
		}
		for k, sha := range outsiderSHAs {
			p, err := rig.Fake.PullRequestPayload(repo.FullName(), outsiderPR.Number, "synchronize",
				fakegithub.WithPayloadEdit(func(p map[string]any) { p["pull_request"].(map[string]any)["head"].(map[string]any)["sha"] = sha }))
			if err != nil {
				b.Fatal(err)
			}
			body, _ := json.Marshal(p)
			before := len(rig.Fake.Calls())
			send(body)
			waitForCalls(rig.Fake, before+2)
			time.Sleep(100 * time.Millisecond) // any further call of the event lands
			if k == 0 {
				continue
			}
			outsiderCalls += outsiderCallsSince(before)
		}
		if runs := w.count(outsiderSHAs); runs != 0 {
			b.Errorf("%d PipelineRuns for an outsider's unapproved pushes", runs)
		}

		events := float64(rounds * burst)
		ra, la := median(riggerRate), median(loopRate)
		p50r, p99r := percentile(riggerAlone, 50), percentile(riggerAlone, 99)
		p50c, p99c := percentile(createAlone, 50), percentile(createAlone, 99)
		b.ReportMetric(ra, "events/s")
		b.ReportMetric(la, "loop-creates/s")
		b.ReportMetric(ra/la, "ratio-vs-loop")
		b.ReportMetric(float64(p50r.Microseconds())/1000, "p50-ms")
		b.ReportMetric(float64(p99r.Microseconds())/1000, "p99-ms")
		b.ReportMetric(float64((p50r-p50c).Microseconds())/1000, "p50-added-ms")
		b.ReportMetric(float64(reads)/events, "gh-reads/event")
		b.ReportMetric(float64(allCalls)/events, "gh-calls/event")
		b.ReportMetric(float64(outsiderCalls)/outsiderEvents, "gh-calls/outsider-event")
		fmt.Printf(`
Rigger spine benchmark (%d rounds of %d-event bursts, %d senders, %d Rigger workers, KWOK nodes, fake GitHub on loopback)
  (a) webhook -> PipelineRun    %7.1f events/s   plain client-go loop %7.1f creates/s   ratio %.2f (goal >= 0.9)
      each round, Rigger %s; loop %s
  (b) one event alone           p50 %6.1f ms  p99 %6.1f ms   bare create p50 %6.1f ms p99 %6.1f ms   added p50 %.1f ms
  (c) GitHub calls per synchronize (unchanged .tekton/, a member's PR): %.2f reads (goal <= 1.2), %.2f check-run creates, %.2f in all until the last PipelineRun existed
  (d) GitHub calls per push to an outsider's PR, once the policy knows them: %.2f (goal <= 2), no PipelineRun
  CPU per PipelineRun during the bursts (2 cores shared by all): loop %.1f ms on the machine, %.1f ms of it in this process;
                                                                 Rigger %.1f ms on the machine, %.1f ms of it in this process (Rigger, fake GitHub, watch)
  by program, ms per PipelineRun: loop:   %s
                                  Rigger: %s
  apiserver work per PipelineRun: loop:   %s
                                  Rigger: %s
`, rounds, burst, senders, workers, ra, la, ra/la, rates(riggerRate), rates(loopRate), ms(p50r), ms(p99r), ms(p50c), ms(p99c), ms(p50r-p50c),
			float64(reads)/events, float64(checkCreates)/events, float64(allCalls)/events,
			float64(outsiderCalls)/outsiderEvents,
			ms(loopCPU.machine)/events, ms(loopCPU.self)/events, ms(riggerCPU.machine)/events, ms(riggerCPU.self)/events,
			loopCPU.breakdown(events, 8), riggerCPU.breakdown(events, 8),
			loopAPI.breakdown(events, 12), riggerAPI.breakdown(events, 12))
		checkGoals(b, ra/la, float64(reads)/events, float64(outsiderCalls)/outsiderEvents)
	}
}

// The goals this benchmark states, checked. The rate ratio moves by a quarter between runs on a
// shared 2-core machine; a miss is reported, as it is the figure the project steers by.
func checkGoals(b *testing.B, ratio, readsPerEvent, callsPerOutsiderEvent float64) {
	if ratio < 0.9 {
		b.Errorf("burst ratio %.2f is below the goal of 0.9", ratio)
	}
	if readsPerEvent > 1.2 {
		b.Errorf("%.2f GitHub reads per synchronize, goal <= 1.2", readsPerEvent)
	}
	if callsPerOutsiderEvent > 2 {
		b.Errorf("%.2f GitHub calls per outsider event, goal <= 2", callsPerOutsiderEvent)
	}
	if callsPerOutsiderEvent < 1 {
		// Each must at least post its waiting check run: fewer calls mean the events were
		// not handled in time (a rate limit spent, say), and the figure measures nothing.
		b.Errorf("%.2f GitHub calls per outsider event: the events were not handled", callsPerOutsiderEvent)
	}
}

// profileBurst writes a CPU profile of this process (Rigger, the fake GitHub, the watch)
// for one of Rigger's timed bursts to $BENCH_PROFILE_DIR/name.pprof, when that is set: the
// CPU that decides figure (a), without the setup and the settling around it.
func profileBurst(b *testing.B, name string) (stop func()) {
	dir := os.Getenv("BENCH_PROFILE_DIR")
	if dir == "" {
		return func() {}
	}
	f, err := os.Create(filepath.Join(dir, name+".pprof"))
	if err != nil {
		b.Fatal(err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		b.Fatalf("profiling the burst (run without -cpuprofile): %v", err)
	}
	return func() { pprof.StopCPUProfile(); f.Close() }
}

// waitForCalls waits until the fake GitHub has seen n calls, or ten seconds.
func waitForCalls(f *fakegithub.Server, n int) {
	for deadline := time.Now().Add(10 * time.Second); len(f.Calls()) < n && time.Now().Before(deadline); {
		time.Sleep(5 * time.Millisecond)
	}
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// cpuUse is CPU time spent: by the whole machine (every core, from /proc/stat), by this
// process, which holds Rigger, the fake GitHub and the benchmark's own clients, and by each
// program on the machine (the apiserver, etcd, Tekton's controller and webhook, KWOK...), by
// command name.
type cpuUse struct {
	machine, self time.Duration
	byCommand     map[string]time.Duration
}

func (a cpuUse) add(b cpuUse) cpuUse {
	return cpuUse{a.machine + b.machine, a.self + b.self, mergeCommands(a.byCommand, b.byCommand, 1)}
}
func (a cpuUse) sub(b cpuUse) cpuUse {
	return cpuUse{a.machine - b.machine, a.self - b.self, mergeCommands(a.byCommand, b.byCommand, -1)}
}

func mergeCommands(a, b map[string]time.Duration, sign time.Duration) map[string]time.Duration {
	out := map[string]time.Duration{}
	for k, v := range a {
		out[k] += v
	}
	for k, v := range b {
		out[k] += sign * v
	}
	return out
}

// breakdown is the programs that spent the most CPU, per PipelineRun, largest first.
func (a cpuUse) breakdown(events float64, top int) string {
	type kv struct {
		name string
		d    time.Duration
	}
	var all []kv
	for k, v := range a.byCommand {
		if v > 0 {
			all = append(all, kv{k, v})
		}
	}
	sort.Slice(all, func(i, j int) bool { return all[i].d > all[j].d })
	var parts []string
	for i, e := range all {
		if i == top {
			break
		}
		parts = append(parts, fmt.Sprintf("%s %.1f", e.name, ms(e.d)/events))
	}
	return strings.Join(parts, ", ")
}

func sampleCPU() cpuUse {
	var u cpuUse
	if data, err := os.ReadFile("/proc/stat"); err == nil {
		// cpu  user nice system idle iowait irq softirq steal ... (in 1/100 s)
		f := strings.Fields(strings.SplitN(string(data), "\n", 2)[0])
		for _, i := range []int{1, 2, 3, 6, 7, 8} {
			if i < len(f) {
				n, _ := strconv.ParseInt(f[i], 10, 64)
				u.machine += time.Duration(n) * 10 * time.Millisecond
			}
		}
	}
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) == nil {
		u.self = time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	}
	u.byCommand = cpuByCommand()
	return u
}

// cpuByCommand sums utime+stime of every live process by its command name (/proc/PID/stat).
// A process that exits between two samples drops out; the cluster's programs live throughout.
func cpuByCommand() map[string]time.Duration {
	out := map[string]time.Duration{}
	dirs, _ := os.ReadDir("/proc")
	for _, d := range dirs {
		if _, err := strconv.Atoi(d.Name()); err != nil {
			continue
		}
		data, err := os.ReadFile("/proc/" + d.Name() + "/stat")
		if err != nil {
			continue
		}
		// pid (comm) state ppid ... utime(14) stime(15), counting from 1; comm may hold spaces.
		open, closing := strings.IndexByte(string(data), '('), strings.LastIndexByte(string(data), ')')
		if open < 0 || closing < open {
			continue
		}
		f := strings.Fields(string(data[closing+1:]))
		if len(f) < 13 {
			continue
		}
		ut, _ := strconv.ParseInt(f[11], 10, 64)
		st, _ := strconv.ParseInt(f[12], 10, 64)
		out[string(data[open+1:closing])] += time.Duration(ut+st) * 10 * time.Millisecond
	}
	return out
}

// settle waits until Tekton has finished every PipelineRun of the namespace, so that each
// timed round starts on a quiet cluster instead of competing with the last round's runs.
// It follows the watch: listing a namespace of a thousand runs every second would load the
// apiserver between rounds more than the rounds themselves.
func (a *arrivals) settle(timeout time.Duration) {
	deadline := time.Now().Add(timeout)
	stop := time.AfterFunc(timeout, func() { a.mu.Lock(); a.cond.Broadcast(); a.mu.Unlock() })
	defer stop.Stop()
	a.mu.Lock()
	for len(a.running) > 0 {
		if time.Now().After(deadline) {
			a.mu.Unlock()
			a.b.Fatalf("%d PipelineRuns still running after %s", len(a.running), timeout)
		}
		a.cond.Wait()
	}
	a.mu.Unlock()
	time.Sleep(2 * time.Second) // let Rigger's reports of the last completions go out
}

func createPR(c *framework.Cluster, ns string, template *pipelinev1.PipelineRun, name string) error {
	pr := template.DeepCopy()
	pr.Name, pr.Namespace = name, ns
	pr.Labels = map[string]string{"bench": "loop"}
	_, err := c.Tekton.TektonV1().PipelineRuns(ns).Create(context.Background(), pr, metav1.CreateOptions{})
	return err
}

// arrivals watches the namespace's PipelineRuns and remembers when each appeared, by name
// and by the commit Rigger labelled it with.
type arrivals struct {
	b      *testing.B
	mu     sync.Mutex
	cond   *sync.Cond
	byName map[string]*pipelinev1.PipelineRun
	bySHA  map[string]*pipelinev1.PipelineRun
	// running holds the runs seen but not yet done, so that settling needs no lists.
	running map[string]bool
}

func newArrivals(b *testing.B, c *framework.Cluster, ns string) *arrivals {
	a := &arrivals{b: b, byName: map[string]*pipelinev1.PipelineRun{}, bySHA: map[string]*pipelinev1.PipelineRun{}, running: map[string]bool{}}
	a.cond = sync.NewCond(&a.mu)
	followRuns(b, c, ns, a.add)
	return a
}

// followRuns hands fn every PipelineRun of ns as it is now and each time it changes, until
// the benchmark ends. It lists once, then watches; when the apiserver ends the watch (it
// drops watchers that fall behind in a burst, and this process is busiest in Rigger's), it
// watches again from the last version it saw, as client-go's reflector does, and lists again
// only when that version is gone. A list of a namespace of a thousand runs in a timed burst
// would cost the apiserver more than the burst's creates, on whichever side it fell.
func followRuns(b *testing.B, c *framework.Cluster, ns string, fn func(*pipelinev1.PipelineRun)) {
	ctx, cancel := context.WithCancel(context.Background())
	b.Cleanup(cancel)
	runs := c.Tekton.TektonV1().PipelineRuns(ns)
	go func() {
		version := ""
		for ctx.Err() == nil {
			if version == "" {
				list, err := runs.List(ctx, metav1.ListOptions{})
				if err != nil {
					time.Sleep(200 * time.Millisecond)
					continue
				}
				for i := range list.Items {
					fn(&list.Items[i])
				}
				version = list.ResourceVersion
			}
			wi, err := runs.Watch(ctx, metav1.ListOptions{ResourceVersion: version, AllowWatchBookmarks: true})
			if apierrors.IsResourceExpired(err) || apierrors.IsGone(err) {
				version = ""
				continue
			} else if err != nil {
				time.Sleep(200 * time.Millisecond)
				continue
			}
			for ev := range wi.ResultChan() {
				switch ev.Type {
				case watch.Added, watch.Modified, watch.Deleted, watch.Bookmark:
					pr, ok := ev.Object.(*pipelinev1.PipelineRun)
					if !ok {
						continue
					}
					version = pr.ResourceVersion
					if ev.Type == watch.Added || ev.Type == watch.Modified {
						fn(pr)
					}
				case watch.Error:
					if status, ok := ev.Object.(*metav1.Status); ok && status.Code == http.StatusGone {
						version = ""
					}
				}
			}
			wi.Stop()
		}
	}()
}

// add records a PipelineRun the first time it is seen, and whether it is still running.
func (a *arrivals) add(pr *pipelinev1.PipelineRun) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if pr.IsDone() {
		if a.running[pr.Name] {
			delete(a.running, pr.Name)
			a.cond.Broadcast()
		}
	} else if a.byName[pr.Name] == nil {
		a.running[pr.Name] = true
	}
	if a.byName[pr.Name] != nil {
		return
	}
	a.byName[pr.Name] = pr
	if sha := pr.Labels["rigger.dev/sha"]; sha != "" {
		a.bySHA[sha] = pr
	}
	a.cond.Broadcast()
}

// count is how many of the shas have a PipelineRun.
func (a *arrivals) count(shas []string) int {
	a.mu.Lock()
	defer a.mu.Unlock()
	n := 0
	for _, sha := range shas {
		if a.bySHA[sha] != nil {
			n++
		}
	}
	return n
}

func (a *arrivals) wait(sha string, timeout time.Duration) *pipelinev1.PipelineRun {
	return a.waitIn(a.bySHA, sha, timeout)
}

func (a *arrivals) waitName(name string, timeout time.Duration) *pipelinev1.PipelineRun {
	return a.waitIn(a.byName, name, timeout)
}

func (a *arrivals) waitIn(m map[string]*pipelinev1.PipelineRun, key string, timeout time.Duration) *pipelinev1.PipelineRun {
	deadline := time.Now().Add(timeout)
	stop := time.AfterFunc(timeout, func() { a.mu.Lock(); a.cond.Broadcast(); a.mu.Unlock() })
	defer stop.Stop()
	a.mu.Lock()
	defer a.mu.Unlock()
	for m[key] == nil {
		if time.Now().After(deadline) {
			a.b.Fatalf("no PipelineRun for %s appeared in the watch within %s", key, timeout)
		}
		a.cond.Wait()
	}
	return m[key]
}

func rates(xs []float64) string {
	parts := make([]string, len(xs))
	for i, x := range xs {
		parts[i] = fmt.Sprintf("%.1f", x)
	}
	return strings.Join(parts, " ") + "/s"
}

func median(xs []float64) float64 {
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	if len(s) == 0 {
		return 0
	}
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func percentile(ds []time.Duration, p int) time.Duration {
	s := append([]time.Duration(nil), ds...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	if len(s) == 0 {
		return 0
	}
	i := (len(s)*p + 99) / 100
	if i > 0 {
		i--
	}
	return s[i]
}

// apiCounts are the apiserver's own counters, from its /metrics: requests by verb and
// resource, admission webhook calls by webhook and operation, and watch events sent by kind.
// They say what the cluster was asked to do, whoever asked.
type apiCounts map[string]float64

// counted are the metrics sampled, and the labels that name a series in the breakdown.
var counted = map[string][]string{
	"apiserver_request_total":                                      {"verb", "resource", "subresource"},
	"apiserver_admission_webhook_admission_duration_seconds_count": {"name", "operation"},
	"apiserver_watch_events_total":                                 {"resource"},
	"apiserver_terminated_watchers_total":                          {"resource"},
}

func sampleAPI(c *framework.Cluster) apiCounts {
	out := apiCounts{}
	raw, err := c.Kube.CoreV1().RESTClient().Get().AbsPath("/metrics").DoRaw(context.Background())
	if err != nil {
		return out
	}
	for _, line := range strings.Split(string(raw), "\n") {
		open := strings.IndexByte(line, '{')
		closing := strings.LastIndexByte(line, '}')
		if open < 0 || closing < open {
			continue
		}
		keep, ok := counted[line[:open]]
		if !ok {
			continue
		}
		v, err := strconv.ParseFloat(strings.TrimSpace(line[closing+1:]), 64)
		if err != nil {
			continue
		}
		labels := map[string]string{}
		for _, kv := range strings.Split(line[open+1:closing], ",") {
			if k, val, ok := strings.Cut(kv, "="); ok {
				labels[k] = strings.Trim(val, `"`)
			}
		}
		key := strings.TrimPrefix(line[:open], "apiserver_")
		key = strings.TrimSuffix(strings.TrimSuffix(key, "_total"), "_duration_seconds_count")
		for _, l := range keep {
			if labels[l] != "" {
				key += " " + labels[l]
			}
		}
		out[key] += v
	}
	return out
}

// add adds the counts from since to now into a.
func (a apiCounts) add(now, since apiCounts) apiCounts {
	for k, v := range now {
		if d := v - since[k]; d > 0 {
			a[k] += d
		}
	}
	return a
}

func (a apiCounts) breakdown(events float64, top int) string {
	keys := make([]string, 0, len(a))
	for k := range a {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return a[keys[i]] > a[keys[j]] })
	var parts []string
	for i, k := range keys {
		if i == top {
			break
		}
		parts = append(parts, fmt.Sprintf("%s %.2f", k, a[k]/events))
	}
	return strings.Join(parts, ", ")
}

// createdBody keeps the body of the first PipelineRun create sent through its transport.
type createdBody struct {
	mu   sync.Mutex
	body []byte
}

func (c *createdBody) wrap(next http.RoundTripper) http.RoundTripper {
	return roundTripFunc(func(req *http.Request) (*http.Response, error) {
		if req.Method == http.MethodPost && strings.HasSuffix(req.URL.Path, "/pipelineruns") && req.GetBody != nil {
			if body, err := req.GetBody(); err == nil {
				data, _ := io.ReadAll(body)
				c.mu.Lock()
				if c.body == nil {
					c.body = data
				}
				c.mu.Unlock()
			}
		}
		return next.RoundTrip(req)
	})
}

func (c *createdBody) pipelineRun(b *testing.B) *pipelinev1.PipelineRun {
	c.mu.Lock()
	defer c.mu.Unlock()
	var pr pipelinev1.PipelineRun
	if err := json.Unmarshal(c.body, &pr); err != nil {
		b.Fatalf("the PipelineRun Rigger sent (%d bytes): %v", len(c.body), err)
	}
	return &pr
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }
