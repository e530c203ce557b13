package event

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// FuzzParse feeds arbitrary bytes, seeded with the real fixtures, to Parse under every event
// type: it must never panic, and must answer either an event or one of its documented errors.
func FuzzParse(f *testing.F) {
	kinds := []string{"pull_request", "push", "issue_comment", "check_run", "check_suite", "ping", "installation"}
	for _, k := range kinds {
		files, _ := filepath.Glob(filepath.Join(fixtures, k, "*.json"))
		for _, file := range files {
			if payload, err := os.ReadFile(file); err == nil {
				f.Add(k, payload)
			}
		}
	}
	f.Add("pull_request", []byte(`{"pull_request":null,"repository":{"owner":null}}`))
	f.Add("check_run", []byte(`{"check_run":{"pull_requests":[null,{}]},"repository":{"name":"r","owner":{"login":"o"}}}`))
	f.Add("push", []byte(`{"commits":[null,{"added":null}],"ref":"x","repository":{"name":"r","owner":{}}}`))
	f.Fuzz(func(t *testing.T, eventType string, payload []byte) {
		ev, err := Parse(eventType, "fuzz", payload)
		switch {
		case err == nil:
			if ev == nil || string(ev.Kind) != eventType {
				t.Fatalf("nil error but event %+v for type %q", ev, eventType)
			}
			if ev.Kind != KindPing && (ev.Repo.Owner == "" || ev.Repo.Name == "") {
				t.Fatalf("accepted %s event without a repository", ev.Kind)
			}
		case errors.Is(err, ErrUnsupportedEvent):
			if Kind(eventType).Supported() {
				t.Fatalf("supported type %q reported unsupported", eventType)
			}
		case !IsMalformed(err):
			t.Fatalf("undocumented error %T: %v", err, err)
		}
	})
}
