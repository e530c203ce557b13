package matcher

import (
	"context"
	"testing"

	"github.com/rigger-ci/rigger/pkg/definition"
)

// The matching benchmarks run Select for one real pull_request delivery against one
// definition, as the trigger does per event. BenchmarkMatchAnnotations is the baseline: the
// others say what a CEL expression costs on top, compiled (cached) and evaluated per event.
func benchmarkMatch(b *testing.B, ann map[string]string) {
	ev := delivery(b, "pull_request", "opened.payload.json", nil)
	defs := []*definition.Definition{{Name: "d", Annotations: ann}}
	changed := func(context.Context) ([]string, error) { return []string{"docs/a.md", "main.go"}, nil }
	ctx := context.Background()
	if selected, _, err := Select(ctx, defs, ev, Options{}, changed); err != nil || len(selected) != 1 {
		b.Fatalf("definition does not match: %v", err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := Select(ctx, defs, ev, Options{}, changed); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkMatchAnnotations(b *testing.B) {
	benchmarkMatch(b, pac("on-event", "[pull_request]", "on-target-branch", "[master]"))
}

func BenchmarkMatchCEL(b *testing.B) {
	benchmarkMatch(b, onCEL(`event == "pull_request" && target_branch == "master"`))
}

func BenchmarkMatchCELPathChanged(b *testing.B) {
	benchmarkMatch(b, onCEL(`event == "pull_request" && "docs/**".pathChanged()`))
}

// BenchmarkMatchCELBody pays the payload's decode, once per event.
func BenchmarkMatchCELBody(b *testing.B) {
	benchmarkMatch(b, onCEL(`body.pull_request.user.login == "Codertocat"`))
}
