// Package words counts words.
package words

import "strings"

// Count returns how often each word of s occurs, ignoring case.
func Count(s string) map[string]int {
	counts := map[string]int{}
	for _, w := range strings.Fields(strings.ToLower(s)) {
		counts[w]++
	}
	return counts
}
