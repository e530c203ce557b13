package definition

import (
	"context"
	"fmt"

	"github.com/rigger-ci/rigger/pkg/template"
)

// Files come from the network. The YAML parser and Tekton's conversion and validation are not
// ours to prove panic-free on every input, so a panic in one file becomes that file's error
// instead of taking the server down.

func safeDecodeFile(file string, content *template.Masked) (docs []*document, errs []*Error, notes []string) {
	defer func() {
		if r := recover(); r != nil {
			docs, notes = nil, nil
			errs = []*Error{{File: file, Msg: fmt.Sprintf("cannot be read: %v", r)}}
		}
	}()
	return decodeFile(file, content)
}

func (d *Definition) safeValidate(ctx context.Context) (errs []*Error) {
	defer func() {
		if r := recover(); r != nil {
			errs = []*Error{{File: d.File, Line: d.Line, Msg: fmt.Sprintf("cannot be validated: %v", r)}}
		}
	}()
	return d.validate(ctx)
}
