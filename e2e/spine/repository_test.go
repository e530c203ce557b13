package spine

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/rigger-ci/rigger/e2e/framework"
	"github.com/rigger-ci/rigger/pkg/apis/rigger/v1alpha1"
	"github.com/rigger-ci/rigger/pkg/repository"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/dynamic"
	"sigs.k8s.io/yaml"
)

// installRepositoryCRD applies config/crd's Repository CRD (server-side, as kubectl would)
// and waits for it to be served.
func installRepositoryCRD(t *testing.T, c *framework.Cluster, dyn dynamic.Interface) {
	t.Helper()
	b, err := os.ReadFile("../../config/crd/rigger.dev_repositories.yaml")
	if err != nil {
		t.Fatal(err)
	}
	js, err := yaml.YAMLToJSON(b)
	if err != nil {
		t.Fatal(err)
	}
	crds := schema.GroupVersionResource{Group: "apiextensions.k8s.io", Version: "v1", Resource: "customresourcedefinitions"}
	force := true
	if _, err := dyn.Resource(crds).Patch(context.Background(), "repositories.rigger.dev", types.ApplyPatchType, js,
		metav1.PatchOptions{FieldManager: "rigger-e2e", Force: &force}); err != nil {
		t.Fatalf("applying the Repository CRD: %v", err)
	}
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(200 * time.Millisecond) {
		if _, err := c.Kube.Discovery().ServerResourcesForGroupVersion("rigger.dev/v1alpha1"); err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("the Repository CRD is not served after 30s")
		}
	}
}

func createRepository(t *testing.T, dyn dynamic.Interface, ns, name, url string) {
	t.Helper()
	r := &v1alpha1.Repository{TypeMeta: metav1.TypeMeta{APIVersion: "rigger.dev/v1alpha1", Kind: "Repository"},
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}, Spec: v1alpha1.RepositorySpec{URL: url}}
	u, err := runtime.DefaultUnstructuredConverter.ToUnstructured(r)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := dyn.Resource(repository.GVR).Namespace(ns).Create(context.Background(), &unstructured.Unstructured{Object: u}, metav1.CreateOptions{}); err != nil {
		t.Fatalf("creating Repository %s/%s: %v", ns, name, err)
	}
}

func readyCondition(t *testing.T, dyn dynamic.Interface, ns, name string) *metav1.Condition {
	u, err := dyn.Resource(repository.GVR).Namespace(ns).Get(context.Background(), name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var r v1alpha1.Repository
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(u.Object, &r); err != nil {
		t.Fatal(err)
	}
	return meta.FindStatusCondition(r.Status.Conditions, v1alpha1.ConditionReady)
}

// A team onboards with one Repository object: Rigger serves it, runs its pull requests in
// the Repository's namespace, and a second Repository claiming the same URL is told so in
// its status rather than silently picked or ignored.
func TestRepositoryResourceOnboardsAndDuplicatesAreNamed(t *testing.T) {
	c := framework.Connect(t)
	c.RequireRealPods(t)
	dyn := dynamic.NewForConfigOrDie(c.Config)
	installRepositoryCRD(t, c, dyn)
	ns, other := c.Namespace(t), c.Namespace(t)
	rig := c.StartRig(t, ns, framework.RigOptions{FromCluster: true, Files: map[string]string{
		".tekton/unit.yaml": busyboxDefinition("unit", "echo unit ok"),
	}})
	createRepository(t, dyn, ns, "widgets", rig.Repo.HTMLURL())
	time.Sleep(1100 * time.Millisecond) // creation times are in seconds: the second is younger
	createRepository(t, dyn, other, "widgets-again", rig.Repo.HTMLURL())

	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(200 * time.Millisecond) {
		first, second := readyCondition(t, dyn, ns, "widgets"), readyCondition(t, dyn, other, "widgets-again")
		if first != nil && second != nil {
			if first.Status != metav1.ConditionTrue || second.Status != metav1.ConditionFalse || second.Reason != v1alpha1.ReasonDuplicateURL {
				t.Fatalf("conditions: first %+v, second %+v", first, second)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no Ready conditions after 30s: %+v %+v", first, second)
		}
	}

	pr := rig.OpenPullRequest(t, "feature", "onboarded", map[string]string{"a.txt": "a\n"})
	if _, err := rig.Fake.SendPullRequest(context.Background(), rig.HookURL, rig.Secret, rig.Repo.FullName(), pr.Number, "opened"); err != nil {
		t.Fatal(err)
	}
	done := waitForRunOf(t, c, ns, pr.HeadSHA)
	if done.Namespace != ns {
		t.Fatalf("the run went to %s, want the Repository's namespace %s", done.Namespace, ns)
	}
	if cr := waitForCheckRun(t, rig, pr.HeadSHA, "Rigger / unit", "completed"); cr.Conclusion != "success" {
		t.Fatalf("check run concluded %q", cr.Conclusion)
	}
	// The Repository's status shows the definition's last run.
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(200 * time.Millisecond) {
		u, err := dyn.Resource(repository.GVR).Namespace(ns).Get(context.Background(), "widgets", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		var r v1alpha1.Repository
		if err := runtime.DefaultUnstructuredConverter.FromUnstructured(u.Object, &r); err != nil {
			t.Fatal(err)
		}
		if l := r.Status.LastRuns; len(l) == 1 && l[0].Name == "unit" && l[0].PipelineRun == done.Name && l[0].State == "succeeded" && l[0].SHA == pr.HeadSHA {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("Repository status.lastRuns = %+v, want unit's run %s succeeded", r.Status.LastRuns, done.Name)
		}
	}
}
