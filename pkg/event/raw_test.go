package event

import (
	"os"
	"path/filepath"
	"testing"
)

// TestParseKeepsRawPayload checks that an event carries the very bytes it was parsed from,
// without a copy: CEL's `body` reads them, and the hot path must not pay for a copy.
func TestParseKeepsRawPayload(t *testing.T) {
	for _, kind := range []string{"pull_request", "push", "issue_comment"} {
		file := fixtureFiles(t, kind)[0]
		payload, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		ev, err := Parse(kind, "d", payload)
		if err != nil {
			t.Fatalf("%s: %v", filepath.Base(file), err)
		}
		if len(ev.Raw) != len(payload) || &ev.Raw[0] != &payload[0] {
			t.Errorf("%s: Raw is not the payload parsed", kind)
		}
	}
}

// TestParseLabel checks the label of labeled and unlabeled events, which on-label matches.
func TestParseLabel(t *testing.T) {
	for file, want := range map[string]string{"labeled.payload.json": "bug", "unlabeled.payload.json": "bug", "opened.payload.json": ""} {
		payload, err := os.ReadFile(filepath.Join(fixtures, "pull_request", file))
		if err != nil {
			t.Fatal(err)
		}
		ev, err := Parse("pull_request", "d", payload)
		if err != nil {
			t.Fatal(err)
		}
		if ev.Label != want {
			t.Errorf("%s: Label = %q, want %q", file, ev.Label, want)
		}
	}
}
