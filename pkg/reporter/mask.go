package reporter

import (
	"sort"
	"strings"
)

// MinSecretLen is the shortest value a Masker hides: masking "a" or "true" would shred
// the log without protecting anything.
const MinSecretLen = 4

// Mask replaces each secret occurrence.
const Mask = "***"

// Masker hides secret values in text shown on GitHub.
type Masker struct {
	values []string // longest first, so a secret containing another is hidden whole
}

// NewMasker builds a masker for the values of the Secrets a run uses. A multi-line value
// (a key, a kubeconfig) is also masked line by line, as a log prints it.
func NewMasker(values ...string) *Masker {
	seen := map[string]bool{}
	var out []string
	add := func(v string) {
		if len(v) >= MinSecretLen && !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	for _, v := range values {
		add(v)
		add(strings.TrimSpace(v))
		if strings.Contains(v, "\n") {
			for _, line := range strings.Split(v, "\n") {
				add(strings.TrimSpace(line))
			}
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return len(out[i]) > len(out[j]) })
	return &Masker{values: out}
}

// Mask returns s with every occurrence of every secret replaced. A nil Masker masks
// nothing.
func (m *Masker) Mask(s string) string {
	if m == nil {
		return s
	}
	for _, v := range m.values {
		if strings.Contains(s, v) {
			s = strings.ReplaceAll(s, v, Mask)
		}
	}
	return s
}
