// Package v1alpha1 holds Rigger's API types (group rigger.dev). They are plain data: the logic
// that acts on them lives in other packages.
package v1alpha1

import metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

// GroupName is the API group of Rigger's custom resources and the prefix of its labels.
const GroupName = "rigger.dev"

// Repository says which GitHub repository runs its pipelines in the namespace it lives in.
// In a cluster it is a namespaced custom resource; on one machine the same spec comes from
// rigger.yaml.
type Repository struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`
	Spec              RepositorySpec `json:"spec"`
}

// RepositorySpec is the part of a Repository a user writes.
type RepositorySpec struct {
	// URL is the repository's HTML URL, e.g. https://github.com/owner/repo.
	URL string `json:"url" mapstructure:"url"`
	// ServiceAccount runs the PipelineRuns; empty means the namespace's default.
	ServiceAccount string `json:"serviceAccount,omitempty" mapstructure:"serviceAccount"`
	// ConcurrencyLimit caps how many of the repository's runs go at once; 0 is no limit.
	ConcurrencyLimit int `json:"concurrencyLimit,omitempty" mapstructure:"concurrencyLimit"`
	// Params are extra template variables for the repository's definitions.
	Params []Param `json:"params,omitempty" mapstructure:"params"`
}

// Param is one named value offered to templates.
type Param struct {
	Name  string `json:"name" mapstructure:"name"`
	Value string `json:"value" mapstructure:"value"`
}
