package ui

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/maxence-charriere/go-app/v10/pkg/app"
	"github.com/otplay/otplay/play"
)

// The /validate model is play's (play.Validate, play.ValidateFrame);
// these names keep the scripts and tests that knew them in ui.
const ValidatePath = play.ValidatePath

// ValidateSchema is the URL state of /validate (play.ValidateSchema).
var ValidateSchema = play.ValidateSchema

// ValidateCheck is one row of the published /validate result.
type ValidateCheck = play.ValidateCheck

func init() {
	RegisterView(ValidatePath, func() app.Composer { return &ValidatePage{} })
}

// ValidateResult is what /validate publishes as window.otplayResult: the
// page, whether the suite is done, the backend, and the suite's frame
// (checks, failed, timeMs).
type ValidateResult struct {
	Page    string        `json:"page"`
	Done    bool          `json:"done"`
	Backend BackendStatus `json:"backend"`
	play.ValidateFrame
}

// RunValidate runs the conformance suite (play.Validate) on the backend
// the state names, calling progress (if not nil) before each check. It
// blocks; in the browser call it from a goroutine.
func RunValidate(st State, progress func(play.Progress)) ValidateResult {
	computeMu.Lock()
	defer computeMu.Unlock()
	v, _ := play.ParseValidate(st)
	status := OpenBackend(v.Backend)
	run, _ := v.Start(context.Background(), status.Backend, progress)
	defer run.Close()
	f, _ := run.Step(context.Background(), 0, false)
	return ValidateResult{Page: ValidatePath, Done: true, Backend: status, ValidateFrame: f}
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
	check   *play.Progress // the check running (nil: none yet)
	started time.Time
	elapsed time.Duration
}

// OnNav reads the state and starts the suite.
func (p *ValidatePage) OnNav(ctx app.Context) {
	u := ctx.Page().URL()
	p.embed = IsEmbed(u)
	ctx.Page().SetTitle("Validate · otplay")
	st, err := ValidateSchema.Decode(u.Query())
	p.state, p.stateErr, p.result, p.opened, p.check = st, "", nil, nil, nil
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
		r := RunValidate(st, func(c play.Progress) {
			ctx.Dispatch(func(ctx app.Context) {
				if p.gen == gen && p.result == nil {
					p.check = &c
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
			if c := p.check; c != nil {
				l.Progress = &Progress{Phase: l.Progress.Phase + "; " + c.Phase, Done: c.Done, Total: c.Total, Unit: c.Unit}
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
