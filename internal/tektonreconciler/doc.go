// Package tektonreconciler holds copies of the parts of Tekton's reconciler packages
// (github.com/tektoncd/pipeline v1.15.1, Apache-2.0, headers kept) that the local executor and
// `rigger run` call: parameter, context, workspace and result substitution, and the pipeline
// run's parameter validation. They are copied, not imported, because Tekton's
// pkg/reconciler/pipelinerun/resources and pkg/reconciler/taskrun/resources also hold the
// remote resolution, trusted-resources and pod-building code, which link sigstore and with it
// the AWS, Azure, GCP and Vault KMS clients (215 packages, about half of Rigger's binary),
// none of which Rigger runs.
//
// The copies are the upstream files with only what would pull those packages in taken out or
// replaced by the few lines it used (tekton_internal.go, resultrefresolution.go). When the
// Tekton version in go.mod changes, copy the upstream files again:
//
//	pkg/reconciler/pipelinerun/resources/{apply,validate_params}.go -> pipelinerun/resources/
//	pkg/reconciler/taskrun/resources/{apply,validate_params}.go     -> taskrun/resources/
//	pkg/internal/resultref/resultref.go                              -> taskrun/resources/
//
// copy_test.go checks that every function in the copies is token for token the one in the
// Tekton version go.mod names (apart from the replaced references), so a Tekton upgrade that
// changes one fails there; the local executor's tests (pkg/executor/local) run the
// semantics end to end.
package tektonreconciler
