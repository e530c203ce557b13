// Package greet says hello.
package greet

import "strings"

// Hello greets name, or the world when name is blank.
func Hello(name string) string {
	name = strings.TrimSpace(name)
	if name == "" {
		name = "world"
	}
	return "Hello, " + name + "!"
}
