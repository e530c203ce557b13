// Package installtest tests what installs Rigger on a cluster: the Helm chart (charts/rigger)
// and the kustomize base (config/). It is a module of its own because Helm v4 and kustomize
// require newer k8s.io modules than the ones Rigger and Tekton v1.15.1 build with; in the
// main module they would move those for a test-only dependency. It reaches Rigger's own
// config loader through a replace directive, so a rendered rigger.yaml is checked by the
// code that reads it in the pod.
package installtest
