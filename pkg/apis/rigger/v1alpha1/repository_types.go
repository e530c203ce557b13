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
	// CancelInProgress is the default of definitions without a cancel-in-progress
	// annotation: a new push to a pull request or branch cancels the older runs of the same
	// definition for it, running or waiting.
	CancelInProgress bool `json:"cancelInProgress,omitempty" mapstructure:"cancelInProgress"`
	// MaxKeepRuns is the default of definitions without a max-keep-runs annotation: how many
	// finished runs of a definition are kept (0: all). At most MaxKeepRunsLimit.
	MaxKeepRuns int `json:"maxKeepRuns,omitempty" mapstructure:"maxKeepRuns"`
	// Params are extra template variables for the repository's definitions.
	Params []Param `json:"params,omitempty" mapstructure:"params"`
	// AllowedServiceAccounts are the service accounts, besides ServiceAccount, that a
	// definition may name. A definition naming any other is refused: a pull request must not
	// pick the identity its code runs with.
	AllowedServiceAccounts []string `json:"allowedServiceAccounts,omitempty" mapstructure:"allowedServiceAccounts"`
	// Trust says whose pull requests run without a member's /ok-to-test.
	Trust Trust `json:"trust,omitempty" mapstructure:"trust"`
}

// Where an approved outsider's pull request takes its definitions from.
const (
	// DefinitionsFromHead runs the .tekton/ of the pull request's head (the default).
	DefinitionsFromHead = "head"
	// DefinitionsFromBase runs the target branch's .tekton/, so an outsider cannot change
	// what runs, only the code it runs on.
	DefinitionsFromBase = "base"
)

// Trust is a repository's trust policy. Trusted without it: the repository's owner, members
// of its organization, collaborators with write permission or more, the approvers and
// reviewers of the default branch's OWNERS file, and the bots of Rigger's configuration.
type Trust struct {
	// DefinitionsFrom is head or base: where an approved outsider's pull request takes its
	// definitions from. Empty means head.
	DefinitionsFrom string `json:"definitionsFrom,omitempty" mapstructure:"definitionsFrom"`
	// TrustedUsers are logins trusted in this repository.
	TrustedUsers []string `json:"trustedUsers,omitempty" mapstructure:"trustedUsers"`
	// TrustedTeams are teams ("org/team-slug") whose members are trusted in this repository.
	TrustedTeams []string `json:"trustedTeams,omitempty" mapstructure:"trustedTeams"`
}

// Param is one named value offered to templates.
type Param struct {
	Name  string `json:"name" mapstructure:"name"`
	Value string `json:"value" mapstructure:"value"`
}
