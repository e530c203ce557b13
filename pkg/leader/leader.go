// Package leader runs work on one replica at a time. Every replica of Rigger takes webhooks
// and starts runs (their names make that safe twice over), but following runs, reporting to
// GitHub and repairing are one replica's job: two would report each change twice. The
// replica that holds a coordination.k8s.io Lease does them; when it stops or dies another
// takes the Lease within its duration and, reading every run again, reports what was missed.
package leader

import (
	"context"
	"fmt"
	"os"
	"time"

	"go.uber.org/zap"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/rand"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/leaderelection"
	"k8s.io/client-go/tools/leaderelection/resourcelock"
)

// Config names the Lease and times the election.
type Config struct {
	Namespace, Name string
	// LeaseDuration is how long a dead leader's Lease holds off the others, RenewDeadline
	// how long a leader keeps trying to renew before it stops, RetryPeriod how often all try.
	LeaseDuration, RenewDeadline, RetryPeriod time.Duration
}

// Identity is this replica's name in the Lease: the pod's (its hostname) and a random part,
// so that a restarted pod of the same name is not taken for its predecessor.
func Identity() string {
	host, _ := os.Hostname()
	return host + "_" + rand.String(6)
}

// Run campaigns for the Lease until ctx ends; while this replica leads, work runs with a
// context that ends when it stops leading. After losing the Lease it campaigns again. A
// graceful stop releases the Lease, so another replica takes over at once.
func Run(ctx context.Context, kube kubernetes.Interface, cfg Config, log *zap.Logger, work func(ctx context.Context)) error {
	id := Identity()
	lock := &resourcelock.LeaseLock{
		LeaseMeta:  metav1.ObjectMeta{Namespace: cfg.Namespace, Name: cfg.Name},
		Client:     kube.CoordinationV1(),
		LockConfig: resourcelock.ResourceLockConfig{Identity: id},
	}
	for ctx.Err() == nil {
		le, err := leaderelection.NewLeaderElector(leaderelection.LeaderElectionConfig{
			Lock:            lock,
			LeaseDuration:   cfg.LeaseDuration,
			RenewDeadline:   cfg.RenewDeadline,
			RetryPeriod:     cfg.RetryPeriod,
			ReleaseOnCancel: true,
			Name:            cfg.Name,
			Callbacks: leaderelection.LeaderCallbacks{
				OnStartedLeading: func(lctx context.Context) {
					log.Info("leading: following runs, reporting and repairing", zap.String("identity", id))
					work(lctx)
				},
				OnStoppedLeading: func() { log.Info("no longer leading", zap.String("identity", id)) },
				OnNewLeader: func(leader string) {
					if leader != id {
						log.Info("another replica leads", zap.String("leader", leader))
					}
				},
			},
		})
		if err != nil {
			return fmt.Errorf("leader election: %w", err)
		}
		le.Run(ctx) // returns when leadership is lost or ctx ends
	}
	return nil
}
