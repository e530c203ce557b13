package greet

import "testing"

func TestHello(t *testing.T) {
	for name, want := range map[string]string{
		"Rigger": "Hello, Rigger!",
		"  Ada ": "Hello, Ada!",
		"":       "Hello, world!",
		" \t":    "Hello, world!",
	} {
		if got := Hello(name); got != want {
			t.Errorf("Hello(%q) = %q, want %q", name, got, want)
		}
	}
}
