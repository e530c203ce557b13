// Package v1alpha1 holds Rigger's API types (group rigger.dev). They are plain data: the logic
// that acts on them lives in other packages. zz_generated.deepcopy.go and the CRD under
// config/crd are generated from these files by `make generate` (controller-gen).
//
// +kubebuilder:object:generate=true
// +groupName=rigger.dev
package v1alpha1
