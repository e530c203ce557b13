package definition

import (
	"context"
	"fmt"
	"testing"
)

// benchParse parses testdata/v1 (a PipelineRun with an in-repo Task to inline) as each push
// to a pull request would: the same files, a new revision every time.
func benchParse(b *testing.B, p Parser) {
	files, err := NewLoader(0).Load(context.Background(), NewDirSource("testdata/v1"), "o", "r", "")
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		vars := map[string]string{"revision": fmt.Sprintf("%040x", i), "repo_name": "hello", "source_branch": "feature"}
		if set, err := p.Parse(files, vars); err != nil || len(set.Definitions) == 0 {
			b.Fatalf("parse: %v, %d definitions", err, len(set.Definitions))
		}
	}
}

// BenchmarkParse is the baseline: every parse validates with Tekton.
func BenchmarkParse(b *testing.B) { benchParse(b, Parser{}) }

// BenchmarkParseMemo is what the trigger does: validation remembered across revisions.
func BenchmarkParseMemo(b *testing.B) { benchParse(b, Parser{Memo: NewValidationMemo(16)}) }
