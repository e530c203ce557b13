// Package repository holds the repositories Rigger serves: those listed in its configuration
// and, in a cluster, its Repository resources (repositories.rigger.dev), one Go type for
// both. Each repository has one definition: two Repository resources claiming one URL, or a
// resource claiming a configured URL, are not picked between silently; the older claim
// stands and the other's Ready condition says why it is not used.
package repository

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/rigger-ci/rigger/pkg/apis/rigger/v1alpha1"
	"github.com/rigger-ci/rigger/pkg/config"
	"github.com/rigger-ci/rigger/pkg/run"
	"go.uber.org/zap"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/dynamic/dynamicinformer"
	"k8s.io/client-go/tools/cache"
)

// GVR is the Repository resource.
var GVR = schema.GroupVersionResource{Group: v1alpha1.GroupName, Version: "v1alpha1", Resource: "repositories"}

// Set is the repositories Rigger serves. Safe for concurrent use.
type Set struct {
	static []config.Repository
	log    *zap.Logger

	mu     sync.RWMutex
	byName map[string]config.Repository // lower-case owner/name -> its one definition
	// objs are the accepted Repository resources, by the same key, and dyn writes their
	// status; both are set while Watch runs.
	objs map[string]*v1alpha1.Repository
	dyn  dynamic.Interface
}

// NewSet starts from the configured repositories.
func NewSet(static []config.Repository, log *zap.Logger) *Set {
	s := &Set{static: static, log: log}
	s.byName, _ = resolve(static, nil)
	return s
}

// For returns the repository owner/name, if Rigger serves it.
func (s *Set) For(fullName string) (config.Repository, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	r, ok := s.byName[strings.ToLower(fullName)]
	return r, ok
}

// All returns every repository Rigger serves, in name order.
func (s *Set) All() []config.Repository {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make([]config.Repository, 0, len(s.byName))
	for _, r := range s.byName {
		out = append(out, r)
	}
	slices.SortFunc(out, func(a, b config.Repository) int { return strings.Compare(a.URL, b.URL) })
	return out
}

// verdict is what resolve decided of one Repository resource.
type verdict struct {
	obj       *v1alpha1.Repository
	condition metav1.Condition
}

// resolve picks one definition per repository: the configuration's, then the oldest
// Repository resource's; the others get a condition naming what stands instead.
func resolve(static []config.Repository, objs []*v1alpha1.Repository) (map[string]config.Repository, []verdict) {
	by := map[string]config.Repository{}
	owner := map[string]string{}
	for _, r := range static {
		key := strings.ToLower(config.RepoFullName(r.URL))
		by[key], owner[key] = r, "Rigger's configuration (rigger.yaml)"
	}
	slices.SortFunc(objs, func(a, b *v1alpha1.Repository) int {
		if c := a.CreationTimestamp.Compare(b.CreationTimestamp.Time); c != 0 {
			return c
		}
		return strings.Compare(a.Namespace+"/"+a.Name, b.Namespace+"/"+b.Name)
	})
	var verdicts []verdict
	for _, o := range objs {
		key := strings.ToLower(config.RepoFullName(o.Spec.URL))
		c := metav1.Condition{Type: v1alpha1.ConditionReady, ObservedGeneration: o.Generation}
		if first, taken := owner[key]; taken {
			c.Status, c.Reason = metav1.ConditionFalse, v1alpha1.ReasonDuplicateURL
			c.Message = fmt.Sprintf("%s is already claimed by %s; this Repository is not used", o.Spec.URL, first)
		} else {
			by[key], owner[key] = config.Repository{Namespace: o.Namespace, RepositorySpec: o.Spec}, "Repository "+o.Namespace+"/"+o.Name
			c.Status, c.Reason = metav1.ConditionTrue, v1alpha1.ReasonAccepted
			c.Message = "runs of " + o.Spec.URL + " go to namespace " + o.Namespace
		}
		verdicts = append(verdicts, verdict{obj: o, condition: c})
	}
	return by, verdicts
}

// Watch follows the cluster's Repository resources until ctx ends. While leading() says so,
// it writes each one's Ready condition. A cluster without the CRD serves the configured
// repositories only.
func (s *Set) Watch(ctx context.Context, disc discovery.DiscoveryInterface, dyn dynamic.Interface, leading func() bool) error {
	if _, err := disc.ServerResourcesForGroupVersion(GVR.GroupVersion().String()); err != nil {
		s.log.Info("Repository resources are not installed; serving the configured repositories", zap.Error(err))
		return nil
	}
	factory := dynamicinformer.NewDynamicSharedInformerFactory(dyn, 10*time.Minute)
	inf := factory.ForResource(GVR)
	changed := make(chan struct{}, 1)
	kick := func(any) {
		select {
		case changed <- struct{}{}:
		default:
		}
	}
	if _, err := inf.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc: kick, UpdateFunc: func(_, o any) { kick(o) }, DeleteFunc: kick,
	}); err != nil {
		return err
	}
	factory.Start(ctx.Done())
	factory.WaitForCacheSync(ctx.Done())
	tick := time.NewTicker(time.Minute) // a leader that arrives writes what its predecessor left
	defer tick.Stop()
	for {
		s.refresh(ctx, inf.Lister(), dyn, leading())
		select {
		case <-ctx.Done():
			return nil
		case <-changed:
		case <-tick.C:
		}
	}
}

func (s *Set) refresh(ctx context.Context, lister cache.GenericLister, dyn dynamic.Interface, writeStatus bool) {
	items, err := lister.List(labels.Everything())
	if err != nil {
		s.log.Warn("listing Repository resources", zap.Error(err))
		return
	}
	objs := make([]*v1alpha1.Repository, 0, len(items))
	for _, it := range items {
		u, ok := it.(*unstructured.Unstructured)
		if !ok {
			continue
		}
		var r v1alpha1.Repository
		if err := runtime.DefaultUnstructuredConverter.FromUnstructured(u.Object, &r); err != nil {
			s.log.Warn("a Repository resource does not decode", zap.String("name", u.GetNamespace()+"/"+u.GetName()), zap.Error(err))
			continue
		}
		objs = append(objs, &r)
	}
	by, verdicts := resolve(s.static, objs)
	accepted := map[string]*v1alpha1.Repository{}
	for _, v := range verdicts {
		if v.condition.Status == metav1.ConditionTrue {
			accepted[strings.ToLower(config.RepoFullName(v.obj.Spec.URL))] = v.obj
		}
	}
	s.mu.Lock()
	s.byName, s.objs, s.dyn = by, accepted, dyn
	s.mu.Unlock()
	if !writeStatus {
		return
	}
	for _, v := range verdicts {
		cur := meta.FindStatusCondition(v.obj.Status.Conditions, v.condition.Type)
		if cur != nil && cur.Status == v.condition.Status && cur.Reason == v.condition.Reason &&
			cur.Message == v.condition.Message && cur.ObservedGeneration == v.condition.ObservedGeneration {
			continue // compare before writing
		}
		o := v.obj.DeepCopy()
		meta.SetStatusCondition(&o.Status.Conditions, v.condition)
		o.Status.ObservedGeneration = o.Generation
		u, err := runtime.DefaultUnstructuredConverter.ToUnstructured(o)
		if err != nil {
			continue
		}
		if _, err := dyn.Resource(GVR).Namespace(o.Namespace).UpdateStatus(ctx, &unstructured.Unstructured{Object: u}, metav1.UpdateOptions{}); err != nil {
			s.log.Warn("writing a Repository's status", zap.String("name", o.Namespace+"/"+o.Name), zap.Error(err))
		}
	}
}

// maxLastRuns bounds a Repository's status: one entry per definition, the most recent kept.
const maxLastRuns = 50

// RecordRun keeps r, a finished run, as its definition's last run in the status of the
// Repository resource that serves its repository (nothing for a configured repository). A
// write that loses to another (a conflict) is dropped: the next run's record brings the
// status up to date, and the runs themselves are the truth.
func (s *Set) RecordRun(ctx context.Context, r run.Run) error {
	s.mu.RLock()
	o, dyn := s.objs[strings.ToLower(r.Repo)], s.dyn
	s.mu.RUnlock()
	if o == nil || dyn == nil || o.Namespace != r.Namespace {
		return nil
	}
	entry := v1alpha1.LastRun{Name: r.Definition, PipelineRun: r.Name, SHA: r.SHA, State: string(r.State),
		Time: metav1.NewTime(r.CompletionTime)}
	o = o.DeepCopy()
	i := slices.IndexFunc(o.Status.LastRuns, func(l v1alpha1.LastRun) bool { return l.Name == r.Definition })
	switch {
	case i >= 0 && o.Status.LastRuns[i].PipelineRun == entry.PipelineRun && o.Status.LastRuns[i].State == entry.State:
		return nil // compare before writing
	case i >= 0:
		o.Status.LastRuns[i] = entry
	default:
		o.Status.LastRuns = append(o.Status.LastRuns, entry)
	}
	slices.SortFunc(o.Status.LastRuns, func(a, b v1alpha1.LastRun) int { return b.Time.Compare(a.Time.Time) })
	o.Status.LastRuns = o.Status.LastRuns[:min(len(o.Status.LastRuns), maxLastRuns)]
	u, err := runtime.DefaultUnstructuredConverter.ToUnstructured(o)
	if err != nil {
		return err
	}
	_, err = dyn.Resource(GVR).Namespace(o.Namespace).UpdateStatus(ctx, &unstructured.Unstructured{Object: u}, metav1.UpdateOptions{})
	if apierrors.IsConflict(err) || apierrors.IsNotFound(err) {
		return nil
	}
	return err
}
