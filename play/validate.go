package play

import (
	"context"
	"fmt"
	"time"

	"github.com/otplay/otplay/compute"
	"github.com/otplay/otplay/compute/conformance"
)

// ValidatePath is the route of the conformance page.
const ValidatePath = "/validate"

// ValidateSchema is the URL state of /validate: the backend, and whether
// to run the full suite (sizes up to 4097 in every dimension; slow on the
// wasm CPU reference) or the quick one (the default, as otplay validate
// --quick).
var ValidateSchema = Schema{
	{Name: "full", Label: "Run the full suite", Group: "Suite", Kind: KindChoice, Default: "no", Choices: []string{"no", "yes"}, Help: "run the full suite instead of the quick one"},
	ComputeParam,
}

// ValidateTours are the /validate page's presets.
var ValidateTours = []Tour{
	{Name: "The quick suite", Query: "",
		Caption: "Every compute operation of the browser's backend against the float64 CPU reference, on sizes 1, 65 and 4097. A failure names the operation and its error."},
	{Name: "The full suite", Query: "full=yes",
		Caption: "All sizes and dimensions, as otplay validate runs natively. It takes a minute or more on a software GPU."},
	{Name: "The CPU backend", Query: "backend=cpu",
		Caption: "The same checks on the wasm CPU backend. They pass trivially in float64, which shows what the tolerances measure."},
}

func init() {
	Register(Page{
		Path:    ValidatePath,
		Title:   "Validate",
		Summary: "Runs the compute conformance suite on this browser's backend: every kernel against independent float64 references, with the float32 tolerances.",
		Schema:  ValidateSchema,
		Tours:   ValidateTours,
	})
}

// Validate is the typed state of /validate.
type Validate struct {
	Full    bool // the full suite (else the quick one)
	Backend string
}

// ParseValidate reads the typed state from a decoded /validate state.
func ParseValidate(st State) (Validate, error) {
	return Validate{Full: st.String("full") == "yes", Backend: st.String("backend")}, nil
}

// State encodes the typed state as URL state.
func (v Validate) State() (State, error) {
	full := "no"
	if v.Full {
		full = "yes"
	}
	return ValidateSchema.Make(map[string]string{"full": full, "backend": v.Backend})
}

// Suite names the suite the state runs: "quick" or "full".
func (v Validate) Suite() string {
	if v.Full {
		return "full"
	}
	return "quick"
}

// ValidateCheck is one check's outcome as /validate publishes it.
type ValidateCheck struct {
	Op     string  `json:"op"`
	Case   string  `json:"case"`
	MaxErr float64 `json:"maxErr"` // -1 where the error is NaN or infinite (JSON has neither)
	Tol    float64 `json:"tol"`
	Pass   bool    `json:"pass"`
	Error  string  `json:"error,omitempty"`
	// MS is the check's wall time in milliseconds: on a software adapter
	// (SwiftShader, lavapipe) mostly the compilation of its kernels.
	MS float64 `json:"ms"`
}

// ValidateFrame is the suite's outcome: every check in order, the count
// of failures and the wall time.
type ValidateFrame struct {
	Checks []ValidateCheck `json:"checks"`
	Failed int             `json:"failed"`
	TimeMS float64         `json:"timeMs"`
}

// Finished is always true: the suite runs once, in Start.
func (f ValidateFrame) Finished() bool { return true }

// CheckProgress is the Progress of check k of total (1-based) named name
// in the suite ("quick" or "full"): "Running the quick conformance suite
// against the float64 CPU: check k of total: name", k-1 of total done.
func CheckProgress(suite string, k, total int, name string) Progress {
	return Progress{Phase: fmt.Sprintf("Running the %s conformance suite against the float64 CPU: check %d of %d: %s", suite, k, total, name),
		Done: k - 1, Total: total, Unit: "checks done"}
}

// Start runs the whole suite on b (conformance.Run), reporting each check
// as it begins (CheckProgress), and returns a run whose every Step gives
// the outcome. ctx is not consulted between checks (each is short).
func (v Validate) Start(ctx context.Context, b compute.Backend, progress func(Progress)) (Run[ValidateFrame], error) {
	start := time.Now()
	opts := conformance.Options{Quick: !v.Full}
	if progress != nil {
		progress = yielding(progress)
		opts.Progress = func(k, total int, name string) { progress(CheckProgress(v.Suite(), k, total, name)) }
	}
	rs := conformance.Run(b, opts)
	f := ValidateFrame{Failed: conformance.Failed(rs), TimeMS: float64(time.Since(start)) / float64(time.Millisecond)}
	for _, c := range rs {
		vc := ValidateCheck{Op: c.Op, Case: c.Case, MaxErr: c.MaxErr, Tol: c.Tol, Pass: c.Pass, MS: millis(int64(c.Time))}
		if c.Err != nil {
			vc.Error = c.Err.Error()
		}
		if vc.MaxErr != vc.MaxErr || vc.MaxErr > 1e300 || vc.MaxErr < -1e300 {
			vc.MaxErr = -1
		}
		f.Checks = append(f.Checks, vc)
	}
	return validateRun(f), nil
}

// validateRun is a finished suite.
type validateRun ValidateFrame

func (r validateRun) Step(ctx context.Context, k int, playing bool) (ValidateFrame, error) {
	return ValidateFrame(r), nil
}

func (r validateRun) Close() {}
