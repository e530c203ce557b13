package event

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"time"

	"github.com/google/go-github/v62/github"
)

// legacyTimeLayout is the "2018-04-25 20:42:10" form GitHub has sent for some nested objects
// (the app of a check run, for one). go-github accepts only RFC 3339 and unix seconds, so one
// such field, in an object Rigger never reads, would otherwise reject the whole delivery.
const legacyTimeLayout = "2006-01-02 15:04:05"

// parseWebHook is github.ParseWebHook with one retry: when decoding fails on a timestamp, the
// payload's timestamps in the legacy layout are rewritten to RFC 3339 and decoding is tried again.
func parseWebHook(eventType string, payload []byte) (any, error) {
	decoded, err := github.ParseWebHook(eventType, payload)
	var timeErr *time.ParseError
	if err == nil || !errors.As(err, &timeErr) {
		return decoded, err
	}
	fixed, ok := rewriteLegacyTimes(payload)
	if !ok {
		return nil, err
	}
	return github.ParseWebHook(eventType, fixed)
}

// rewriteLegacyTimes re-encodes payload with legacy-layout timestamps under *_at keys in RFC 3339.
// It reports false when nothing was rewritten, so the caller keeps the original error.
func rewriteLegacyTimes(payload []byte) ([]byte, bool) {
	dec := json.NewDecoder(bytes.NewReader(payload))
	dec.UseNumber() // keeps large ids exact through the round trip
	var doc any
	if err := dec.Decode(&doc); err != nil {
		return nil, false
	}
	if !rewriteTimes(doc) {
		return nil, false
	}
	out, err := json.Marshal(doc)
	return out, err == nil
}

func rewriteTimes(v any) bool {
	changed := false
	switch node := v.(type) {
	case map[string]any:
		for k, child := range node {
			if s, ok := child.(string); ok && strings.HasSuffix(k, "_at") {
				if t, err := time.Parse(legacyTimeLayout, s); err == nil {
					node[k] = t.UTC().Format(time.RFC3339)
					changed = true
				}
				continue
			}
			changed = rewriteTimes(child) || changed
		}
	case []any:
		for _, child := range node {
			changed = rewriteTimes(child) || changed
		}
	}
	return changed
}
