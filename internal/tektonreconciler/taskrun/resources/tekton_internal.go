/*
Copyright 2019 The Tekton Authors

Licensed under the Apache License, Version 2.0 (the "License");
you may not use this file except in compliance with the License.
You may obtain a copy of the License at

    http://www.apache.org/licenses/LICENSE-2.0

Unless required by applicable law or agreed to in writing, software
distributed under the License is distributed on an "AS IS" BASIS,
WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
See the License for the specific language governing permissions and
limitations under the License.
*/

package resources

// What the copied apply.go needs from Tekton packages that are internal or heavy to link.

import (
	"fmt"
	"github.com/tektoncd/pipeline/pkg/list"

	v1 "github.com/tektoncd/pipeline/pkg/apis/pipeline/v1"
)

// From github.com/tektoncd/pipeline/internal/artifactref (internal to Tekton's module).
const (
	stepArtifactPathPattern = `step.artifacts.path`
	taskArtifactPathPattern = `artifacts.path`
)

// podStepName mirrors pkg/pod.StepName: importing pkg/pod links the pod builder and, through it,
// every cloud provider's registry credential helper.
func podStepName(name string, i int) string {
	if name != "" {
		return "step-" + name
	}
	return fmt.Sprintf("step-unnamed-%d", i)
}

// MissingKeysObjectParamNames is pkg/reconciler/taskrun.MissingKeysObjectParamNames, used by
// the pipeline run's ValidateObjectParamRequiredKeys; that package is the whole TaskRun
// reconciler.
func MissingKeysObjectParamNames(paramSpecs []v1.ParamSpec, params v1.Params) map[string][]string {
	neededKeys := make(map[string][]string)
	providedKeys := make(map[string][]string)

	for _, spec := range paramSpecs {
		if spec.Type == v1.ParamTypeObject {
			// collect required keys from properties section
			for key := range spec.Properties {
				neededKeys[spec.Name] = append(neededKeys[spec.Name], key)
			}

			// collect provided keys from default
			if spec.Default != nil && spec.Default.ObjectVal != nil {
				for key := range spec.Default.ObjectVal {
					providedKeys[spec.Name] = append(providedKeys[spec.Name], key)
				}
			}
		}
	}

	// collect provided keys from run level value
	for _, p := range params {
		if p.Value.Type == v1.ParamTypeObject {
			for key := range p.Value.ObjectVal {
				providedKeys[p.Name] = append(providedKeys[p.Name], key)
			}
		}
	}

	return findMissingKeys(neededKeys, providedKeys)
}

func findMissingKeys(neededKeys, providedKeys map[string][]string) map[string][]string {
	missings := map[string][]string{}
	for p, keys := range providedKeys {
		if _, ok := neededKeys[p]; !ok {
			// Ignore any missing objects - this happens when object param is provided with default
			continue
		}
		missedKeys := list.DiffLeft(neededKeys[p], keys)
		if len(missedKeys) != 0 {
			missings[p] = missedKeys
		}
	}

	return missings
}
