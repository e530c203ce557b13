// Package pipelines is Rigger's catalog of Tekton Tasks and Pipelines: plain Tekton v1 files
// that Rigger, Pipelines-as-Code or tkn can use as they are. A repository uses them by
// copying them into its .tekton/ and referring to them by name (taskRef, pipelineRef), which
// Rigger inlines; FS holds them for tools and tests.
package pipelines

import "embed"

// FS holds every catalog file: tasks/*.yaml and pipelines/*.yaml.
//
//go:embed tasks/*.yaml pipelines/*.yaml
var FS embed.FS
