package definition

import (
	"github.com/tektoncd/pipeline/pkg/apis/pipeline/v1beta1"
)

// Tekton's v1beta1 to v1 conversion drops the deprecated `bundle` field of pipelineRef and
// taskRef, which would turn a bundle reference into a reference by name to an object in the
// cluster. These rewrite it, before conversion, as the equivalent reference through Tekton's
// bundles resolver, which is what v1 writes for it.

func bundleRefsOfRun(pr *v1beta1.PipelineRun) {
	if ref := pr.Spec.PipelineRef; ref != nil && ref.Bundle != "" {
		ref.ResolverRef = bundleResolver(ref.Bundle, ref.Name, "pipeline")
		ref.Bundle, ref.Name = "", ""
	}
	if ps := pr.Spec.PipelineSpec; ps != nil {
		bundleRefsOfPipeline(ps)
	}
}

func bundleRefsOfPipeline(ps *v1beta1.PipelineSpec) {
	for _, tasks := range [][]v1beta1.PipelineTask{ps.Tasks, ps.Finally} {
		for i := range tasks {
			if ref := tasks[i].TaskRef; ref != nil && ref.Bundle != "" {
				kind := "task"
				ref.ResolverRef = bundleResolver(ref.Bundle, ref.Name, kind)
				ref.Bundle, ref.Name = "", ""
			}
		}
	}
}

func bundleResolver(bundle, name, kind string) v1beta1.ResolverRef {
	str := func(n, v string) v1beta1.Param {
		return v1beta1.Param{Name: n, Value: v1beta1.ParamValue{Type: v1beta1.ParamTypeString, StringVal: v}}
	}
	return v1beta1.ResolverRef{
		Resolver: "bundles",
		Params:   v1beta1.Params{str("bundle", bundle), str("name", name), str("kind", kind)},
	}
}
