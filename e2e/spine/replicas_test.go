package spine

import (
	"context"
	"encoding/json"
	"sync"
	"testing"
	"time"

	"github.com/rigger-ci/rigger/e2e/framework"
	pipelinev1 "github.com/tektoncd/pipeline/pkg/apis/pipeline/v1"
)

// Two replicas: both take webhooks, one leads. The same delivery sent to both gives one
// PipelineRun and one check run; the leader stopped mid-run (a pod deleted) hands over, and
// the run is still reported to the end.
func TestTwoReplicasOneRunOneCheckRunAndFailover(t *testing.T) {
	c := framework.Connect(t)
	c.RequireRealPods(t)
	ns := c.Namespace(t)
	rig := c.StartRig(t, ns, framework.RigOptions{Leader: true, Files: map[string]string{
		".tekton/slow.yaml": busyboxDefinition("slow", "sleep 8; echo done"),
	}})
	a := &framework.Replica{Server: rig.Server, HookURL: rig.HookURL, Stop: rig.Stop}
	b := rig.StartReplica(t)
	leaderOf := func() *framework.Replica {
		for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
			switch {
			case a.Server.Leading():
				return a
			case b.Server.Leading():
				return b
			}
		}
		t.Fatal("no replica leads after 30s")
		return nil
	}
	lead := leaderOf()

	pr := rig.OpenPullRequest(t, "feature", "two replicas", map[string]string{"a.txt": "a\n"})
	payload, err := rig.Fake.PullRequestPayload(rig.Repo.FullName(), pr.Number, "opened")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := json.Marshal(payload)
	var wg sync.WaitGroup
	for _, url := range []string{a.HookURL, b.HookURL} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if d, err := rig.Fake.SendBody(context.Background(), url, rig.Secret, "pull_request", "opened", body); err != nil || d.Status != 202 {
				t.Errorf("delivery to %s: %d %v", url, d.Status, err)
			}
		}()
	}
	wg.Wait()
	byName := waitForRuns(t, c, ns, pr.HeadSHA, 1)
	run := byName["slow"]
	c.WaitForPipelineRun(t, ns, run.Name, 2*time.Minute, "the step to start", func(p *pipelinev1.PipelineRun) bool {
		return p.Status.StartTime != nil
	})

	// The leader goes, as its pod would be deleted; the other leads and reports the rest.
	lead.Stop()
	c.WaitForDone(t, ns, run.Name, 3*time.Minute)
	cr := waitForCheckRun(t, rig, pr.HeadSHA, "Rigger / slow", "completed")
	if cr.Conclusion != "success" {
		t.Fatalf("check run concluded %q after the failover", cr.Conclusion)
	}
	if runs := runsOf(t, c, ns, pr.HeadSHA); len(runs) != 1 {
		t.Errorf("%d PipelineRuns for one delivery sent to two replicas, want 1", len(runs))
	}
	n := 0
	for _, cr := range checkRunsOn(rig, pr.HeadSHA) {
		if cr.Name == "Rigger / slow" {
			n++
		}
	}
	if n != 1 {
		t.Errorf("%d check runs for one delivery sent to two replicas, want 1: %+v", n, checkRunsOn(rig, pr.HeadSHA))
	}
}
