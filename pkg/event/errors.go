package event

import (
	"errors"
	"fmt"
)

// ErrUnsupportedEvent is returned by Parse for event types Rigger does not act on. It is not a
// fault of the sender: the webhook answers 202 and drops the delivery.
var ErrUnsupportedEvent = errors.New("unsupported event type")

// MalformedError reports a payload that cannot be decoded or lacks a field Rigger needs. The
// webhook answers 400: GitHub's redelivery of the same bytes would fail the same way.
type MalformedError struct {
	EventType string
	Reason    string
	Err       error // the decoding error, when there is one
}

func (e *MalformedError) Error() string {
	msg := fmt.Sprintf("malformed %s payload: %s", e.EventType, e.Reason)
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return msg
}

func (e *MalformedError) Unwrap() error { return e.Err }

// IsMalformed tells whether err (or an error it wraps) is a *MalformedError.
func IsMalformed(err error) bool {
	var m *MalformedError
	return errors.As(err, &m)
}
