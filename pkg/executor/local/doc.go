// Package local is Rigger's embedded executor: it runs a Tekton v1 PipelineRun on this
// machine, each step a host process or a container, with Tekton's own semantics. Defaulting, validation,
// the task DAG and variable substitution are Tekton's code (the substitution copied into
// internal/tektonreconciler, to leave out the cloud SDKs its package links); this package adds the parts a
// cluster would otherwise provide: a scheduler (engine.go), a process runner (process.go)
// and a durable store of runs and logs (store.go).
//
// Layout of the data directory:
//
//	<dataDir>/rigger.db                          runs and their states (bbolt)
//	<dataDir>/runs/<run>/workspace/<ws>          one directory per pipeline workspace
//	<dataDir>/runs/<run>/taskruns/<taskrun>/     results and scripts of one task run
//	<dataDir>/runs/<run>/logs/<task>/<step>.log  step logs (stdout and stderr)
//	<dataDir>/volumes/<claimName>/               a persistentVolumeClaim workspace: kept
//	                                             between runs, as the claim is on a cluster
//
// With process isolation steps run on the host: a step's image, compute resources and
// security context describe a container and have no meaning for a host process, so they are
// not used. With container isolation (container.go) each step runs in its image through
// podman or docker, with the run directory mounted at its host path. Everything else that
// cannot be honoured (sidecars, volumes, step actions, unresolved references, ...) is
// refused by validation with the name of the field.
package local
