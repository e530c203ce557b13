package repository

import (
	"testing"
	"time"

	"github.com/rigger-ci/rigger/pkg/apis/rigger/v1alpha1"
	"github.com/rigger-ci/rigger/pkg/config"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func repo(ns, name, url string, age time.Duration) *v1alpha1.Repository {
	return &v1alpha1.Repository{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name,
		CreationTimestamp: metav1.NewTime(time.Unix(1_700_000_000, 0).Add(-age))}, Spec: v1alpha1.RepositorySpec{URL: url}}
}

// One definition per repository: the configuration's first, then the oldest resource; every
// other claim is named in its condition.
func TestResolvePicksOneAndNamesTheRest(t *testing.T) {
	static := []config.Repository{{Namespace: "ci-a", RepositorySpec: v1alpha1.RepositorySpec{URL: "https://github.com/o/a"}}}
	objs := []*v1alpha1.Repository{
		repo("team-b2", "b", "https://github.com/o/b", time.Hour),
		repo("team-b1", "b", "https://github.com/O/B/", 2*time.Hour), // oldest, the same repository
		repo("team-a", "a", "https://github.com/o/a", 3*time.Hour),   // the configuration has it
		repo("team-c", "c", "https://github.com/o/c", 0),
	}
	by, verdicts := resolve(static, objs)
	for full, ns := range map[string]string{"o/a": "ci-a", "o/b": "team-b1", "o/c": "team-c"} {
		if by[full].Namespace != ns {
			t.Errorf("%s served from %q, want %q", full, by[full].Namespace, ns)
		}
	}
	want := map[string]string{"team-a/a": v1alpha1.ReasonDuplicateURL, "team-b1/b": v1alpha1.ReasonAccepted,
		"team-b2/b": v1alpha1.ReasonDuplicateURL, "team-c/c": v1alpha1.ReasonAccepted}
	for _, v := range verdicts {
		key := v.obj.Namespace + "/" + v.obj.Name
		if v.condition.Reason != want[key] {
			t.Errorf("%s: %s (%s), want %s", key, v.condition.Reason, v.condition.Message, want[key])
		}
	}
	s := &Set{byName: by}
	if r, ok := s.For("O/B"); !ok || r.Namespace != "team-b1" {
		t.Errorf("For(O/B) = %+v, %v", r, ok)
	}
	if n := len(s.All()); n != 3 {
		t.Errorf("All() has %d repositories, want 3", n)
	}
}
