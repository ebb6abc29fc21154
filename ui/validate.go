package ui

import (
	"fmt"
	"strconv"
	"time"

	"github.com/maxence-charriere/go-app/v10/pkg/app"
	"github.com/otplay/otplay/compute/conformance"
)

// ValidatePath is the route of the in-browser conformance page.
const ValidatePath = "/validate"

// ValidateSchema is the URL state of /validate: the backend, and whether
// to run the full suite (sizes up to 4097 in every dimension; slow on the
// wasm CPU reference) or the quick one (the default, as otplay validate
// --quick).
var ValidateSchema = Schema{
	{Name: "full", Label: "Run the full suite", Group: "Suite", Kind: KindChoice, Default: "no", Choices: []string{"no", "yes"}, Help: "run the full suite instead of the quick one"},
	computeParam,
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
		New:     func() app.Composer { return &ValidatePage{} },
	})
}

// ValidateCheck is one row of the published /validate result.
type ValidateCheck struct {
	Op     string  `json:"op"`
	Case   string  `json:"case"`
	MaxErr float64 `json:"maxErr"`
	Tol    float64 `json:"tol"`
	Pass   bool    `json:"pass"`
	Error  string  `json:"error,omitempty"`
}

// ValidateResult is what /validate publishes as window.otplayResult.
type ValidateResult struct {
	Page    string          `json:"page"`
	Done    bool            `json:"done"`
	Backend BackendStatus   `json:"backend"`
	Checks  []ValidateCheck `json:"checks"`
	Failed  int             `json:"failed"`
	// TimeMS is the suite's wall time in milliseconds.
	TimeMS float64 `json:"timeMs"`
}

// ValidateCheckProgress is the check the suite is running: Index of
// Total (1-based) and its name ("softmin n=65 m=63 d=2 eps=0.01").
type ValidateCheckProgress struct {
	Index, Total int
	Name         string
}

// RunValidate runs the conformance suite on the backend the state names,
// calling progress (if not nil) before each check. It blocks; in the
// browser call it from a goroutine.
func RunValidate(st State, progress func(ValidateCheckProgress)) ValidateResult {
	computeMu.Lock()
	defer computeMu.Unlock()
	status := OpenBackend(st.String("backend"))
	start := time.Now()
	opts := conformance.Options{Quick: st.String("full") != "yes"}
	if progress != nil {
		opts.Progress = func(k, total int, name string) { progress(ValidateCheckProgress{k, total, name}) }
	}
	rs := conformance.Run(status.Backend, opts)
	r := ValidateResult{Page: ValidatePath, Done: true, Backend: status, Failed: conformance.Failed(rs),
		TimeMS: float64(time.Since(start)) / float64(time.Millisecond)}
	for _, c := range rs {
		vc := ValidateCheck{Op: c.Op, Case: c.Case, MaxErr: c.MaxErr, Tol: c.Tol, Pass: c.Pass}
		if c.Err != nil {
			vc.Error = c.Err.Error()
		}
		if vc.MaxErr != vc.MaxErr || vc.MaxErr > 1e300 || vc.MaxErr < -1e300 { // JSON has no NaN or Inf
			vc.MaxErr = -1
		}
		r.Checks = append(r.Checks, vc)
	}
	return r
}

// ValidatePage is the /validate page.
type ValidatePage struct {
	app.Compo
	embed    bool
	state    State
	stateErr string
	result   *ValidateResult
	gen      int
	// opened is the backend once open (the suite then runs on it);
	// started is when the page began, for the elapsed time it shows.
	opened  *BackendStatus
	check   ValidateCheckProgress // the check running (Index 0: none yet)
	started time.Time
	elapsed time.Duration
}

// OnNav reads the state and starts the suite.
func (p *ValidatePage) OnNav(ctx app.Context) {
	u := ctx.Page().URL()
	p.embed = IsEmbed(u)
	ctx.Page().SetTitle("Validate · otplay")
	st, err := ValidateSchema.Decode(u.Query())
	p.state, p.stateErr, p.result, p.opened, p.check = st, "", nil, nil, ValidateCheckProgress{}
	p.started, p.elapsed = time.Now(), 0
	if err != nil {
		p.stateErr = err.Error()
	}
	p.gen++
	if !app.IsClient {
		return
	}
	gen := p.gen
	// The elapsed time, every half second until the result is in: the
	// quick suite takes about 10 s on a software GPU, and a page that
	// sits silent that long looks broken.
	ctx.Async(func() {
		for {
			time.Sleep(500 * time.Millisecond)
			done := make(chan bool, 1)
			ctx.Dispatch(func(ctx app.Context) {
				if p.gen != gen || p.result != nil {
					done <- true
					return
				}
				p.elapsed = time.Since(p.started)
				done <- false
			})
			if <-done {
				return
			}
		}
	})
	ctx.Async(func() {
		s := OpenBackend(st.String("backend"))
		ctx.Dispatch(func(ctx app.Context) {
			if p.gen == gen {
				p.opened = &s
			}
		})
		r := RunValidate(st, func(c ValidateCheckProgress) {
			ctx.Dispatch(func(ctx app.Context) {
				if p.gen == gen && p.result == nil {
					p.check = c
				}
			})
		})
		ctx.Dispatch(func(ctx app.Context) {
			if p.gen != gen {
				return
			}
			p.result = &r
			ctx.Defer(func(app.Context) { publishResult(ValidatePath, r) })
		})
	})
}

// Render shows the verdict and the table of checks.
func (p *ValidatePage) Render() app.UI {
	l := Layout{Path: ValidatePath, Title: "Validate the compute backend", Embed: p.embed, Query: p.state.Encode(), StateError: p.stateErr}
	r := p.result
	if r == nil {
		l.Status = p.opened
		l.Progress = &Progress{Phase: fmt.Sprintf("Opening the backend (%.0f s)", p.elapsed.Seconds())}
		if p.opened != nil {
			suite := "quick"
			if p.state.String("full") == "yes" {
				suite = "full"
			}
			l.Progress.Phase = fmt.Sprintf("Running the %s conformance suite on %s, each kernel against the float64 CPU (%.0f s so far)",
				suite, p.opened.Badge(), p.elapsed.Seconds())
			if c := p.check; c.Index > 0 {
				l.Progress = &Progress{Phase: fmt.Sprintf("%s; check %d of %d: %s", l.Progress.Phase, c.Index, c.Total, c.Name),
					Done: c.Index - 1, Total: c.Total, Unit: "checks done"}
			}
		}
		return l.Render(
			app.Div().ID("validate-result").DataSet("status", "running").Text("Running the conformance suite ..."),
		)
	}
	l.Status = &r.Backend
	l.Timings = []Timing{{"suite", ms(r.TimeMS)}}
	verdict := "all " + strconv.Itoa(len(r.Checks)) + " checks pass"
	if r.Failed > 0 {
		verdict = strconv.Itoa(r.Failed) + " of " + strconv.Itoa(len(r.Checks)) + " checks FAIL"
	}
	rows := []app.UI{app.Tr().Body(app.Th().Text("op"), app.Th().Text("case"), app.Th().Text("error"), app.Th().Text("tolerance"), app.Th().Text(""))}
	for _, c := range r.Checks {
		status, class := "ok", ""
		if !c.Pass {
			status, class = "FAIL", "otplay-error"
		}
		errText := strconv.FormatFloat(c.MaxErr, 'e', 2, 64)
		if c.Error != "" {
			errText = c.Error
		}
		rows = append(rows, app.Tr().Class(class).Body(
			app.Td().Text(c.Op), app.Td().Text(c.Case), app.Td().Text(errText),
			app.Td().Text(strconv.FormatFloat(c.Tol, 'e', 1, 64)), app.Td().Text(status)))
	}
	return l.Render(
		app.Div().ID("validate-result").Class("otplay-result").
			DataSet("status", "done").DataSet("failed", r.Failed).
			Body(app.P().Text(r.Backend.Badge()+": "+verdict), app.Table().Body(rows...)),
	)
}
