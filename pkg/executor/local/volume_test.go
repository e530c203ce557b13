package local

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rigger-ci/rigger/pkg/run"
)

func TestPersistentClaimOutlivesTheRun(t *testing.T) {
	t.Run("process", func(t *testing.T) {
		testPersistentClaim(t, newExecutor(t, Config{}), "")
	})
	t.Run("container", func(t *testing.T) {
		rt := containerRuntime(t)
		e := newExecutor(t, Config{Isolation: IsolationContainer, ContainerRuntime: rt.Path})
		testPersistentClaim(t, e, testImage(t, rt))
	})
}

// testPersistentClaim runs the same pipeline twice; with an image, its steps run in it.
func testPersistentClaim(t *testing.T, e *Executor, image string) {
	for i, want := range []string{"1", "2"} {
		pr := loadPR(t, "volume.yaml")
		pr.Name = pr.Name + "-" + want // two runs
		if image != "" {
			useImage(pr, image)
		}
		r := runToEnd(t, e, pr)
		if r.State != run.Succeeded {
			t.Fatalf("run %d: %s %s", i, r.State, r.Message)
		}
		if got := strings.TrimSpace(workspaceFile(t, e, r, "scratch", "cache-count")); got != want {
			t.Errorf("run %d saw %s run(s) in the claim, want %s", i, got, want)
		}
		if got := workspaceFile(t, e, r, "scratch", "runs"); got != "run\n" {
			t.Errorf("run %d: the template workspace kept %q from before", i, got)
		}
	}
	if _, err := os.Stat(filepath.Join(e.cfg.DataDir, "volumes", "rigger-cache", "runs")); err != nil {
		t.Errorf("the claim's data is not under the data directory: %v", err)
	}
}

func TestBadClaimNameIsRefused(t *testing.T) {
	e := newExecutor(t, Config{})
	pr := loadPR(t, "volume.yaml")
	pr.Spec.Workspaces[0].PersistentVolumeClaim.ClaimName = "../../etc"
	if _, err := e.Submit(t.Context(), request(pr)); err == nil || !strings.Contains(err.Error(), "claimName") {
		t.Errorf("submit: %v, want the claim name refused", err)
	}
}
