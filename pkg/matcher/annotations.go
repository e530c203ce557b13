// Package matcher decides which .tekton definitions run for an event, reading the
// Pipelines-as-Code compatible annotations (pipelinesascode.tekton.dev/<key>) and Rigger's
// own (rigger.dev/<key>) with the same meaning.
package matcher

import "strings"

// The annotation prefixes Rigger reads. When both carry a key, rigger.dev wins.
const (
	PrefixRigger = "rigger.dev/"
	PrefixPaC    = "pipelinesascode.tekton.dev/"
)

// Annotation keys, without prefix.
const (
	KeyOnEvent            = "on-event"
	KeyOnTargetBranch     = "on-target-branch"
	KeyOnPathChange       = "on-path-change"
	KeyOnPathChangeIgnore = "on-path-change-ignore"
	KeyOnCELExpression    = "on-cel-expression"
	KeyOnComment          = "on-comment"
	KeyOnLabel            = "on-label"
)

// lookup returns the value of key under either prefix, rigger.dev first.
func lookup(annotations map[string]string, key string) (value, name string, ok bool) {
	if v, ok := annotations[PrefixRigger+key]; ok {
		return v, PrefixRigger + key, true
	}
	if v, ok := annotations[PrefixPaC+key]; ok {
		return v, PrefixPaC + key, true
	}
	return "", "", false
}

// ParseList reads an annotation list the way Pipelines-as-Code files write them:
// "[pull_request, push]", "push", `["main", 'release-*']`. Items are trimmed of blanks and
// quotes, empty items dropped, and "&#44;" stands for a comma inside an item (a glob such as
// "release-{1&#44;2}").
func ParseList(value string) []string {
	value = strings.TrimSpace(value)
	if strings.HasPrefix(value, "[") && strings.HasSuffix(value, "]") {
		value = value[1 : len(value)-1]
	}
	var items []string
	for _, item := range strings.Split(value, ",") {
		item = strings.Trim(strings.TrimSpace(item), `"'`)
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		items = append(items, strings.ReplaceAll(item, "&#44;", ","))
	}
	return items
}
