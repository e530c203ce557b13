// Package exitcode says what a command's exit status means: 0 success, 1 a run or check
// failed, 2 a usage or validation error (nothing was started).
package exitcode

const (
	OK     = 0
	Failed = 1
	Usage  = 2
)

// Error carries the exit code a command wants; Err (optional) is printed.
type Error struct {
	Code int
	Err  error
}

func (e *Error) Error() string {
	if e.Err == nil {
		return "exit status"
	}
	return e.Err.Error()
}

func (e *Error) Unwrap() error { return e.Err }
