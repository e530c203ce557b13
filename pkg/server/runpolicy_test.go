package server

import (
	"testing"

	"github.com/rigger-ci/rigger/pkg/apis/rigger/v1alpha1"
	"github.com/rigger-ci/rigger/pkg/config"
	"github.com/rigger-ci/rigger/pkg/repository"
	"go.uber.org/zap"
)

// The queue's limit and the trigger's run policy come from the same repositories: the
// queue acts only where this Rigger runs the repository, and the trigger gets the defaults.
func TestRepositoriesGiveTheQueueItsLimitAndTheTriggerItsDefaults(t *testing.T) {
	rs := repositories{repository.NewSet([]config.Repository{{Namespace: "ci-widgets", RepositorySpec: v1alpha1.RepositorySpec{
		URL: "https://github.com/acme/widgets", ConcurrencyLimit: 3, CancelInProgress: true, MaxKeepRuns: 5,
	}}}, zap.NewNop())}
	if n, ok := rs.limit("ci-widgets", "acme/widgets"); !ok || n != 3 {
		t.Errorf("limit in its namespace = %d, %t; want 3, true", n, ok)
	}
	if _, ok := rs.limit("elsewhere", "acme/widgets"); ok {
		t.Error("a namespace the repository does not run in got a limit: the queue would act on another Rigger's runs")
	}
	if _, ok := rs.limit("ci-widgets", "acme/other"); ok {
		t.Error("an unconfigured repository got a limit")
	}
	r, ok := rs.Lookup("acme/widgets")
	if !ok || r.ConcurrencyLimit != 3 || !r.CancelInProgress || r.MaxKeepRuns != 5 {
		t.Errorf("trigger's repository = %+v", r)
	}
}
