package local

import (
	"context"
	"fmt"
	"os/exec"
	"runtime"
	"testing"
	"time"

	"github.com/rigger-ci/rigger/pkg/executor"
	"github.com/rigger-ci/rigger/pkg/run"
	v1 "github.com/tektoncd/pipeline/pkg/apis/pipeline/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func pipelineRun(name string, tasks []v1.PipelineTask) *v1.PipelineRun {
	return &v1.PipelineRun{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec:       v1.PipelineRunSpec{PipelineSpec: &v1.PipelineSpec{Tasks: tasks}},
	}
}

func scriptTask(name string, steps int, script string) v1.PipelineTask {
	spec := v1.TaskSpec{}
	for i := 0; i < steps; i++ {
		spec.Steps = append(spec.Steps, v1.Step{Name: fmt.Sprintf("s%d", i), Image: "busybox", Script: script})
	}
	return v1.PipelineTask{Name: name, TaskSpec: &v1.EmbeddedTask{TaskSpec: spec}}
}

func runBench(b *testing.B, e *Executor, pr *v1.PipelineRun, attempt int) *run.Run {
	ctx := context.Background()
	r, err := e.Submit(ctx, &executor.Request{
		Run:         run.Run{Identity: run.Identity{Repo: "octo/bench", Definition: pr.Name, Attempt: attempt}},
		PipelineRun: pr,
	})
	if err != nil {
		b.Fatal(err)
	}
	done, err := e.Wait(ctx, r.Name)
	if err != nil || done.State != run.Succeeded {
		b.Fatalf("run %v: %v", done, err)
	}
	return done
}

// BenchmarkStepOverhead runs a 50-step pipeline of `true` steps and compares the time per
// step with a bare fork/exec of `sh -c true` measured in the same run.
func BenchmarkStepOverhead(b *testing.B) {
	const steps = 50
	baseline := func() time.Duration {
		start := time.Now()
		for i := 0; i < steps; i++ {
			if err := exec.Command("/bin/sh", "-c", "true").Run(); err != nil {
				b.Fatal(err)
			}
		}
		return time.Since(start) / steps
	}
	e := newExecutor(b, Config{})
	pr := pipelineRun("steps", []v1.PipelineTask{scriptTask("t", steps, "true")})
	var bare, engine time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		bare += baseline()
		start := time.Now()
		runBench(b, e, pr, i)
		engine += time.Since(start) / steps
	}
	perStep := float64(engine) / float64(b.N)
	base := float64(bare) / float64(b.N)
	b.ReportMetric(base/1e6, "baseline-ms/step")
	b.ReportMetric(perStep/1e6, "rigger-ms/step")
	b.ReportMetric((perStep-base)/1e6, "overhead-ms/step")
	b.ReportMetric(perStep/base, "x-baseline")
}

// BenchmarkFanOut16 runs 16 independent tasks of one 200ms step and compares the wall time
// with one task's time times ceil(16/parallel), the time of a perfect parallel schedule.
func BenchmarkFanOut16(b *testing.B) {
	const n, taskTime = 16, 200 * time.Millisecond
	parallel := runtime.NumCPU()
	var tasks []v1.PipelineTask
	for i := 0; i < n; i++ {
		tasks = append(tasks, scriptTask(fmt.Sprintf("t%d", i), 1, "sleep 0.2"))
	}
	e := newExecutor(b, Config{Parallel: parallel})
	pr := pipelineRun("fanout", tasks)
	ideal := taskTime * time.Duration((n+parallel-1)/parallel)
	var wall time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		start := time.Now()
		runBench(b, e, pr, i)
		wall += time.Since(start)
	}
	avg := wall / time.Duration(b.N)
	b.ReportMetric(float64(parallel), "parallel")
	b.ReportMetric(float64(avg)/1e6, "wall-ms")
	b.ReportMetric(float64(ideal)/1e6, "ideal-ms")
	b.ReportMetric(float64(avg)/float64(ideal), "x-ideal")
	b.ReportMetric(float64(avg)/float64(taskTime*n), "x-serial")
}
