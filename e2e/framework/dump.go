package framework

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"knative.dev/pkg/apis"
	"sigs.k8s.io/yaml"
)

// Dump logs what a failed test needs to be understood without rerunning it: the namespace's
// PipelineRuns, TaskRuns, pods (with their containers' log tails) and events, and the tails
// of the control plane components' logs.
func (c *Cluster) Dump(t testing.TB, ns string) {
	t.Helper()
	ctx := context.Background()
	var b strings.Builder
	fmt.Fprintf(&b, "==== dump of namespace %s\n", ns)
	if prs, err := c.Tekton.TektonV1().PipelineRuns(ns).List(ctx, metav1.ListOptions{}); err == nil {
		for i := range prs.Items {
			pr := prs.Items[i]
			pr.ManagedFields = nil
			y, _ := yaml.Marshal(pr)
			fmt.Fprintf(&b, "---- PipelineRun %s\n%s", pr.Name, y)
		}
	}
	if trs, err := c.Tekton.TektonV1().TaskRuns(ns).List(ctx, metav1.ListOptions{}); err == nil {
		for _, tr := range trs.Items {
			fmt.Fprintf(&b, "---- TaskRun %s: %s\n", tr.Name, describeCondition(tr.Status.GetCondition(apis.ConditionSucceeded)))
			for _, s := range tr.Status.Steps {
				if s.Terminated != nil {
					fmt.Fprintf(&b, "     step %s: exit %d %s\n", s.Name, s.Terminated.ExitCode, s.Terminated.Reason)
				}
			}
		}
	}
	if pods, err := c.Kube.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{}); err == nil {
		for _, p := range pods.Items {
			fmt.Fprintf(&b, "---- Pod %s phase=%s node=%s ip=%s\n", p.Name, p.Status.Phase, p.Spec.NodeName, p.Status.PodIP)
			for _, cs := range append(p.Status.InitContainerStatuses, p.Status.ContainerStatuses...) {
				fmt.Fprintf(&b, "     container %s: %s\n", cs.Name, containerState(cs.State))
				if c.Nodes == "real" {
					if logs, err := c.podLog(ns, p.Name, cs.Name, 20); err == nil && logs != "" {
						fmt.Fprintf(&b, "%s\n", indent(logs, "       | "))
					}
				}
			}
		}
	}
	if evs, err := c.Kube.CoreV1().Events(ns).List(ctx, metav1.ListOptions{}); err == nil {
		sort.Slice(evs.Items, func(i, j int) bool { return evs.Items[i].LastTimestamp.Before(&evs.Items[j].LastTimestamp) })
		b.WriteString("---- events\n")
		for _, e := range evs.Items {
			fmt.Fprintf(&b, "     %s %s/%s %s: %s\n", e.Type, e.InvolvedObject.Kind, e.InvolvedObject.Name, e.Reason, e.Message)
		}
	}
	if c.LogsDir != "" {
		for _, comp := range []string{"tekton-controller", "tekton-webhook", "kubelet", "kube-controller-manager", "kwok"} {
			if tail := tailFile(filepath.Join(c.LogsDir, comp+".log"), 15); tail != "" {
				fmt.Fprintf(&b, "---- %s log tail\n%s\n", comp, indent(tail, "       | "))
			}
		}
	}
	t.Log(b.String())
}

func containerState(st corev1.ContainerState) string {
	switch {
	case st.Waiting != nil:
		return "waiting: " + st.Waiting.Reason + " " + st.Waiting.Message
	case st.Running != nil:
		return "running"
	case st.Terminated != nil:
		return fmt.Sprintf("terminated: exit %d %s %s", st.Terminated.ExitCode, st.Terminated.Reason, st.Terminated.Message)
	}
	return "unknown"
}

func indent(s, prefix string) string {
	return prefix + strings.ReplaceAll(strings.TrimRight(s, "\n"), "\n", "\n"+prefix)
}

func tailFile(path string, n int) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
