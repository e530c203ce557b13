package definition

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"sync/atomic"

	"github.com/rigger-ci/rigger/pkg/template"
)

// ValidationMemo remembers which .tekton/ contents validated cleanly, so that each new
// commit of a pull request does not pay for Tekton's validation again (on a small
// definition it is four fifths of parsing: Tekton compiles regular expressions as it goes).
//
// The key is the files as rendered, except that the variable which changes with every
// commit (revision) is written as zeros of the same length: revisions are hexadecimal
// strings of a fixed length, and no Tekton rule tells one from another, so a run that
// differs only in them validates the same. A PipelineRun
// whose other variables differ (another branch, another sender) is validated anew.
type ValidationMemo struct {
	valid *lru[[][]string] // key -> the warnings of each definition, in order
	hits  atomic.Int64
}

// Hits counts the parses whose validation the memo saved.
func (m *ValidationMemo) Hits() int64 { return m.hits.Load() }

// NewValidationMemo remembers up to entries clean validations.
func NewValidationMemo(entries int) *ValidationMemo {
	return &ValidationMemo{valid: newLRU[[][]string](int64(entries), func([][]string) int64 { return 1 })}
}

// perCommit are the variables whose values change with each commit of the same pull request.
// (The git credentials Secret is named per run after parsing, so it is not one of them.)
var perCommit = map[string]bool{template.Revision: true}

// key is the memo key of files masked with their variables' values: each file's masked text
// and the values of its placeholders, those of perCommit written as zeros.
func (m *ValidationMemo) key(files *Files, masked []*template.Masked) string {
	h := sha256.New()
	for i, f := range files.Files {
		h.Write([]byte(f.Path))
		h.Write([]byte{0})
		h.Write(masked[i].Text)
		h.Write([]byte{0})
		for n, v := range masked[i].Values {
			if perCommit[masked[i].Names[n]] {
				v = zeroHex(v)
			}
			h.Write([]byte(v))
			h.Write([]byte{0})
		}
		h.Write([]byte{1})
	}
	return hex.EncodeToString(h.Sum(nil))
}

// zeroHex writes the hexadecimal digits of s as zeros: "rigger-git-3fa9" -> "rigger-git-0000".
// Only a run of at least 7 digits counts, so that words such as "cafe" or "add" stay.
func zeroHex(s string) string {
	var b strings.Builder
	run := 0
	flush := func(end int) {
		if run >= 7 {
			b.WriteString(strings.Repeat("0", run))
		} else {
			b.WriteString(s[end-run : end])
		}
		run = 0
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') {
			run++
			continue
		}
		flush(i)
		b.WriteByte(c)
	}
	flush(len(s))
	return b.String()
}
