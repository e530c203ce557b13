// Package factory holds what every command needs, injected so that tests can swap any of it.
package factory

import (
	"github.com/rigger-ci/rigger/pkg/iostreams"
)

// Factory is passed to every command constructor.
type Factory struct {
	IO *iostreams.IOStreams
	// ExecutableName is how the user called Rigger, for messages.
	ExecutableName string
}

// New returns the factory of a real process.
func New() *Factory {
	return &Factory{IO: iostreams.System(), ExecutableName: "rigger"}
}
