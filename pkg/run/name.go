package run

import (
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"strings"
)

// maxNameLen keeps run names usable as Kubernetes label values (Tekton labels TaskRuns and
// pods with the PipelineRun's name), which cap at 63 characters.
const maxNameLen = 63

// Name is the name of the run with this identity, whichever executor runs it: the
// definition's name and a hash of the whole identity. The same identity always gives the same
// name, so submitting it twice finds the first run instead of starting a second build.
func (id Identity) Name() string {
	h := sha256.New()
	for _, part := range []string{id.Repo, id.SHA, id.Definition, id.Trigger, strconv.Itoa(id.Attempt)} {
		h.Write([]byte(part))
		h.Write([]byte{0})
	}
	sum := hex.EncodeToString(h.Sum(nil))[:10]
	prefix := dnsLabel(id.Definition, maxNameLen-len(sum)-1)
	if prefix == "" {
		return "run-" + sum
	}
	return prefix + "-" + sum
}

// dnsLabel lowercases s and keeps letters and digits, folding anything else into single
// dashes, at most max characters.
func dnsLabel(s string, max int) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			b.WriteRune(r)
		case b.Len() > 0 && !strings.HasSuffix(b.String(), "-"):
			b.WriteByte('-')
		}
	}
	out := b.String()
	if len(out) > max {
		out = out[:max]
	}
	return strings.Trim(out, "-")
}
