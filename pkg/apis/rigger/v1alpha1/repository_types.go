package v1alpha1

import metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

// GroupName is the API group of Rigger's custom resources and the prefix of its labels.
const GroupName = "rigger.dev"

// Repository says which GitHub repository runs its pipelines in the namespace it lives in.
// In a cluster it is a namespaced custom resource; on one machine the same spec comes from
// rigger.yaml.
//
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:scope=Namespaced,categories=rigger
// +kubebuilder:printcolumn:name="URL",type=string,JSONPath=`.spec.url`
// +kubebuilder:printcolumn:name="Concurrency",type=integer,JSONPath=`.spec.concurrencyLimit`
// +kubebuilder:printcolumn:name="Ready",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].status`
// +kubebuilder:printcolumn:name="Reason",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].reason`,priority=1
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
type Repository struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec RepositorySpec `json:"spec"`
	// +optional
	Status RepositoryStatus `json:"status,omitempty"`
}

// RepositoryList is a list of Repositories.
//
// +kubebuilder:object:root=true
type RepositoryList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []Repository `json:"items"`
}

// RepositorySpec is the part of a Repository a user writes. rigger.yaml's repositories list
// uses the same type, so the mapstructure tags name the same keys as the json tags.
type RepositorySpec struct {
	// URL is the repository's HTML URL, e.g. https://github.com/owner/repo.
	// +kubebuilder:validation:Pattern=`^https?://[^/\s]+/[^/\s]+/[^/\s]+?/?$`
	// +kubebuilder:validation:MaxLength=2048
	URL string `json:"url" mapstructure:"url"`
	// ServiceAccount runs the PipelineRuns; empty means the namespace's default.
	// +optional
	// +kubebuilder:validation:MaxLength=253
	ServiceAccount string `json:"serviceAccount,omitempty" mapstructure:"serviceAccount"`
	// ConcurrencyLimit caps how many of the repository's runs go at once; 0 is no limit.
	// +optional
	// +kubebuilder:validation:Minimum=0
	ConcurrencyLimit int `json:"concurrencyLimit,omitempty" mapstructure:"concurrencyLimit"`
	// CancelInProgress is the default of definitions without a cancel-in-progress
	// annotation: a new push to a pull request or branch cancels the older runs of the same
	// definition for it, running or waiting.
	// +optional
	CancelInProgress bool `json:"cancelInProgress,omitempty" mapstructure:"cancelInProgress"`
	// MaxKeepRuns is the default of definitions without a max-keep-runs annotation: how many
	// finished runs of a definition are kept (0: all), at most 1000.
	// +optional
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=1000
	MaxKeepRuns int `json:"maxKeepRuns,omitempty" mapstructure:"maxKeepRuns"`
	// Params are extra template variables for the repository's definitions.
	// +optional
	// +listType=map
	// +listMapKey=name
	Params []Param `json:"params,omitempty" mapstructure:"params"`
	// AllowedServiceAccounts are the service accounts, besides ServiceAccount, that a
	// definition may name. A definition naming any other is refused: a pull request must not
	// pick the identity its code runs with.
	// +optional
	// +listType=set
	AllowedServiceAccounts []string `json:"allowedServiceAccounts,omitempty" mapstructure:"allowedServiceAccounts"`
	// Trust says whose pull requests run without a member's /ok-to-test.
	// +optional
	Trust Trust `json:"trust,omitempty" mapstructure:"trust"`
	// Secrets name Secrets in the Repository's namespace that hold this repository's own
	// credentials, used instead of the ones Rigger was started with.
	// +optional
	Secrets *RepositorySecrets `json:"secrets,omitempty" mapstructure:"secrets"`
}

// MaxKeepRunsLimit bounds max-keep-runs, a repository's default and a definition's
// annotation alike: more finished runs than this are not worth their objects in etcd. (The
// CRD's validation of maxKeepRuns says the same number.)
const MaxKeepRunsLimit = 1000

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
	// +optional
	// +kubebuilder:validation:Enum=head;base
	DefinitionsFrom string `json:"definitionsFrom,omitempty" mapstructure:"definitionsFrom"`
	// TrustedUsers are logins trusted in this repository.
	// +optional
	// +listType=set
	TrustedUsers []string `json:"trustedUsers,omitempty" mapstructure:"trustedUsers"`
	// TrustedTeams are teams ("org/team-slug") whose members are trusted in this repository.
	// +optional
	// +listType=set
	TrustedTeams []string `json:"trustedTeams,omitempty" mapstructure:"trustedTeams"`
}

// Param is one named value offered to templates.
type Param struct {
	// Name is the template variable's name: {{ name }} in a definition.
	// +kubebuilder:validation:Pattern=`^[A-Za-z_][A-Za-z0-9_.-]*$`
	// +kubebuilder:validation:MaxLength=253
	Name string `json:"name" mapstructure:"name"`
	// Value replaces the variable.
	Value string `json:"value" mapstructure:"value"`
}

// RepositorySecrets points at Secrets holding one repository's credentials.
type RepositorySecrets struct {
	// WebhookSecret verifies deliveries from a webhook set on this repository (rather than
	// the GitHub App's).
	// +optional
	WebhookSecret *SecretKeyRef `json:"webhookSecret,omitempty" mapstructure:"webhookSecret"`
	// GitHubToken is a token Rigger uses for this repository instead of the App's
	// installation token: commit statuses, reading .tekton, comments.
	// +optional
	GitHubToken *SecretKeyRef `json:"githubToken,omitempty" mapstructure:"githubToken"`
}

// SecretKeyRef names one key of a Secret in the Repository's namespace.
type SecretKeyRef struct {
	// Name is the Secret's name.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	Name string `json:"name" mapstructure:"name"`
	// Key is the key within the Secret.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	Key string `json:"key" mapstructure:"key"`
}

// Condition types and reasons of a Repository.
const (
	// ConditionReady is True when Rigger has accepted the Repository and will run its events.
	ConditionReady = "Ready"
	// ReasonAccepted: the Repository is the one Rigger uses for its URL.
	ReasonAccepted = "Accepted"
	// ReasonDuplicateURL: another Repository, the oldest, already claims the same URL; this
	// one is ignored until that one goes.
	ReasonDuplicateURL = "DuplicateURL"
	// ReasonSecretMissing: a Secret named in spec.secrets cannot be read.
	ReasonSecretMissing = "SecretMissing"
)

// RepositoryStatus is what Rigger observed about a Repository.
type RepositoryStatus struct {
	// ObservedGeneration is the spec generation the status describes.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`
	// Conditions: Ready, with reason Accepted, DuplicateURL or SecretMissing.
	// +optional
	// +listType=map
	// +listMapKey=type
	Conditions []metav1.Condition `json:"conditions,omitempty"`
	// LastRuns holds the latest run of each .tekton definition.
	// +optional
	// +listType=map
	// +listMapKey=name
	LastRuns []LastRun `json:"lastRuns,omitempty"`
}

// LastRun is the latest run of one definition.
type LastRun struct {
	// Name is the .tekton definition's name (the rigger.dev/pipeline label).
	Name string `json:"name"`
	// PipelineRun is the name of the run in the Repository's namespace.
	// +optional
	PipelineRun string `json:"pipelineRun,omitempty"`
	// SHA is the commit it ran.
	// +optional
	SHA string `json:"sha,omitempty"`
	// State is where the run stands (pkg/run's states).
	// +kubebuilder:validation:Enum=queued;running;succeeded;failed;cancelled;skipped
	State string `json:"state"`
	// Time is when the run reached that state.
	// +optional
	Time metav1.Time `json:"time,omitempty"`
}
