package definition

import (
	"fmt"
	"strings"

	v1 "github.com/tektoncd/pipeline/pkg/apis/pipeline/v1"
)

// origin says which document a part of an inlined PipelineRun came from, so that a
// validation error's field path leads back to the file and line the user wrote it at.
type origin struct {
	prefix    string    // field path in the PipelineRun, e.g. spec.pipelineSpec
	doc       *document // where that part was written
	docPrefix string    // its path in that document, e.g. spec
}

// catalog holds the Pipelines and Tasks of .tekton/ by name.
type catalog struct {
	pipelines map[string]*document
	tasks     map[string]*document
}

// inline replaces a PipelineRun's pipelineRef, and its pipeline's taskRefs, by the specs of
// the Pipeline and Tasks of the same name in .tekton/. References through a resolver (remote,
// bundle, hub, git, cluster) or to names .tekton/ does not hold are left for Tekton to resolve.
func (c catalog) inline(def *Definition) {
	spec := &def.PipelineRun.Spec
	if ref := spec.PipelineRef; ref != nil && ref.Resolver == "" {
		if p := c.pipelines[ref.Name]; p != nil && spec.PipelineSpec == nil {
			spec.PipelineSpec = p.pipeline.Spec.DeepCopy()
			spec.PipelineRef = nil
			def.origins = append(def.origins, origin{prefix: "spec.pipelineSpec", doc: p, docPrefix: "spec"})
			def.Annotations = mergeAnnotations(p.pipeline.Annotations, def.Annotations)
			def.Notes = append(def.Notes, fmt.Sprintf("pipeline %q inlined from %s", ref.Name, p.file))
		}
	}
	if spec.PipelineSpec == nil {
		return
	}
	c.inlineTasks(def, spec.PipelineSpec.Tasks, "spec.pipelineSpec.tasks")
	c.inlineTasks(def, spec.PipelineSpec.Finally, "spec.pipelineSpec.finally")
}

func (c catalog) inlineTasks(def *Definition, tasks []v1.PipelineTask, path string) {
	for i := range tasks {
		pt := &tasks[i]
		ref := pt.TaskRef
		if ref == nil || ref.Resolver != "" || pt.TaskSpec != nil || (ref.Kind != "" && ref.Kind != v1.NamespacedTaskKind) {
			continue
		}
		t := c.tasks[ref.Name]
		if t == nil {
			continue
		}
		pt.TaskSpec = &v1.EmbeddedTask{TaskSpec: *t.task.Spec.DeepCopy()}
		pt.TaskRef = nil
		def.origins = append(def.origins, origin{prefix: fmt.Sprintf("%s[%d].taskSpec", path, i), doc: t, docPrefix: "spec"})
	}
}

func mergeAnnotations(under, over map[string]string) map[string]string {
	if len(under) == 0 {
		return over
	}
	out := make(map[string]string, len(under)+len(over))
	for k, v := range under {
		out[k] = v
	}
	for k, v := range over {
		out[k] = v
	}
	return out
}

// locate returns the file and line of a field path of the definition's PipelineRun: in the
// document the field was inlined from when it was, else in the PipelineRun's own document.
func (d *Definition) locate(path string) (string, int) {
	best := -1
	for i, o := range d.origins {
		if hasPathPrefix(path, o.prefix) && (best < 0 || len(o.prefix) > len(d.origins[best].prefix)) {
			best = i
		}
	}
	if best < 0 {
		return d.File, d.Line
	}
	o := d.origins[best]
	rest := strings.TrimPrefix(path, o.prefix)
	return o.doc.file, lineOf(o.doc.root, o.docPrefix+rest)
}

func hasPathPrefix(path, prefix string) bool {
	if prefix == "" {
		return true
	}
	if !strings.HasPrefix(path, prefix) {
		return false
	}
	rest := path[len(prefix):]
	return rest == "" || rest[0] == '.' || rest[0] == '['
}
