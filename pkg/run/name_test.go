package run

import (
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/util/validation"
)

func TestNameIsStableAndDistinctPerIdentity(t *testing.T) {
	base := Identity{Repo: "octo/hello", SHA: "0123456789abcdef0123456789abcdef01234567", Definition: "pull-request", Trigger: "pull_request"}
	if base.Name() != base.Name() {
		t.Fatal("the same identity gave two names")
	}
	if !strings.HasPrefix(base.Name(), "pull-request-") {
		t.Errorf("name %q does not start with the definition's name", base.Name())
	}
	variants := []Identity{base, base, base, base, base}
	variants[1].SHA = "1123456789abcdef0123456789abcdef01234567"
	variants[2].Definition = "push"
	variants[3].Trigger = "retest"
	variants[4].Attempt = 1
	seen := map[string]int{}
	for i, v := range variants {
		if j, dup := seen[v.Name()]; dup {
			t.Errorf("identities %d and %d share the name %s", i, j, v.Name())
		}
		seen[v.Name()] = i
	}
}

func TestNameIsAValidLabelValueAndDNSName(t *testing.T) {
	for _, def := range []string{"", "Build & Test!!", strings.Repeat("very-long-definition-name-", 10), "日本語", "--x--"} {
		n := Identity{Repo: "a/b", SHA: "c", Definition: def}.Name()
		if errs := validation.IsDNS1123Label(n); len(errs) > 0 {
			t.Errorf("definition %q: name %q is not a DNS label: %v", def, n, errs)
		}
		if errs := validation.IsValidLabelValue(n); len(errs) > 0 {
			t.Errorf("definition %q: name %q is not a label value: %v", def, n, errs)
		}
	}
}
