//go:build !js

package batch

import "fmt"

// UsageError is a request refused before any computing: a bad parameter
// or input, named by its command-line flag ("--eps 0: must be positive
// and finite"). The CLI exits with status 2 on it; the notebook API
// answers 400 Bad Request.
type UsageError struct{ Msg string }

func (e UsageError) Error() string { return e.Msg }

func usage(format string, args ...any) error {
	return UsageError{fmt.Sprintf(format, args...)}
}

// MaxSteps bounds sampler and bridge steps (--steps): a time grid of that
// many entries, far more than any sampler needs (the discrete DDPM chain
// has 1000). The CLI's bound (cmd/otplay limits) is the same.
const MaxSteps = 100_000
