package framework

import (
	"context"
	"sync"
	"testing"
	"time"

	pipelinev1 "github.com/tektoncd/pipeline/pkg/apis/pipeline/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/watch"
)

// Runs is a namespace's PipelineRuns as a watch keeps them: a test of a thousand runs
// reads them here rather than listing the namespace again and again.
type Runs struct {
	mu     sync.Mutex
	byName map[string]*pipelinev1.PipelineRun
}

// FollowRuns lists the namespace's PipelineRuns, then watches them until the test ends;
// when the apiserver ends the watch (it drops watchers that fall behind, or goes away),
// it lists again and watches anew.
func (c *Cluster) FollowRuns(t testing.TB, ns string) *Runs {
	rs := &Runs{byName: map[string]*pipelinev1.PipelineRun{}}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	t.Cleanup(func() { cancel(); <-done })
	go func() {
		defer close(done)
		for ctx.Err() == nil {
			lctx, lcancel := context.WithTimeout(ctx, 30*time.Second)
			list, err := c.Tekton.TektonV1().PipelineRuns(ns).List(lctx, metav1.ListOptions{})
			lcancel()
			if err != nil {
				time.Sleep(500 * time.Millisecond)
				continue
			}
			rs.mu.Lock()
			clear(rs.byName)
			for i := range list.Items {
				rs.byName[list.Items[i].Name] = &list.Items[i]
			}
			rs.mu.Unlock()
			w, err := c.Tekton.TektonV1().PipelineRuns(ns).Watch(ctx, metav1.ListOptions{ResourceVersion: list.ResourceVersion})
			if err != nil {
				continue
			}
			for ev := range w.ResultChan() {
				pr, ok := ev.Object.(*pipelinev1.PipelineRun)
				if !ok {
					continue
				}
				rs.mu.Lock()
				if ev.Type == watch.Deleted {
					delete(rs.byName, pr.Name)
				} else {
					rs.byName[pr.Name] = pr
				}
				rs.mu.Unlock()
			}
			w.Stop()
		}
	}()
	return rs
}

// All is every PipelineRun seen, as last seen.
func (rs *Runs) All() []*pipelinev1.PipelineRun {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	out := make([]*pipelinev1.PipelineRun, 0, len(rs.byName))
	for _, pr := range rs.byName {
		out = append(out, pr)
	}
	return out
}
