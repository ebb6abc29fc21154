package ui

import (
	"strconv"

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
	RegisterView(ValidatePath, func() app.Composer { return newValidatePage() })
}

// ValidateResult is what /validate publishes as window.otplayResult once
// the suite has run: the page's result (page, done, error, backend) and
// the suite's frame (checks, failed, timeMs).
type ValidateResult struct {
	PageResult
	play.ValidateFrame
}

// ValidatePage is the /validate page: the conformance suite of the
// browser's backend (play.Validate) on the page skeleton, with "check k
// of N: name" in the progress line while it runs, then the verdict and
// the table of checks.
type ValidatePage struct {
	app.Compo
	pageSkeleton[play.ValidateFrame]
}

func newValidatePage() *ValidatePage {
	p := &ValidatePage{}
	p.pageSkeleton = pageSkeleton[play.ValidateFrame]{
		Path: ValidatePath, Title: "Validate · otplay", Schema: ValidateSchema,
		Start: func(st State) (play.Start[play.ValidateFrame], error) {
			v, err := play.ParseValidate(st)
			return v.Start, err
		},
		Publish: func(r PageResult, f play.ValidateFrame) any { return ValidateResult{r, f} },
	}
	return p
}

// Render shows the progress while the suite runs, then the verdict and
// the table of checks.
func (p *ValidatePage) Render() app.UI {
	l := p.layout("Validate the compute backend", nil)
	f := p.frame()
	switch {
	case p.update.Err != nil:
		return l.Render(app.Div().ID("validate-result").DataSet("status", "error").Class("otplay-result otplay-error").Text("Failed: " + p.update.Err.Error()))
	case f == nil:
		return l.Render(app.Div().ID("validate-result").DataSet("status", "running").Text("Running the conformance suite ..."))
	}
	l.Timings = []Timing{{"suite", ms(f.TimeMS)}}
	verdict := "all " + strconv.Itoa(len(f.Checks)) + " checks pass"
	if f.Failed > 0 {
		verdict = strconv.Itoa(f.Failed) + " of " + strconv.Itoa(len(f.Checks)) + " checks FAIL"
	}
	badge := ""
	if p.status != nil {
		badge = p.status.Badge() + ": "
	}
	// The verdict first, so that a phone shows it beside the op even when
	// the table scrolls sideways.
	rows := []app.UI{app.Tr().Body(app.Th().Text(""), app.Th().Text("op"), app.Th().Text("case"), app.Th().Text("error"), app.Th().Text("tolerance"))}
	for _, c := range f.Checks {
		status, class := "ok", ""
		if !c.Pass {
			status, class = "FAIL", "otplay-error"
		}
		errText := strconv.FormatFloat(c.MaxErr, 'e', 2, 64)
		if c.Error != "" {
			errText = c.Error
		}
		rows = append(rows, app.Tr().Class(class).Body(
			app.Td().Text(status), app.Td().Text(c.Op), valueCell(c.Case), valueCell(errText),
			valueCell(strconv.FormatFloat(c.Tol, 'e', 1, 64))))
	}
	return l.Render(
		app.Div().ID("validate-result").Class("otplay-result").
			DataSet("status", "done").DataSet("failed", f.Failed).
			Body(app.P().Text(badge+verdict),
				// The table scrolls sideways in its box where a phone is
				// too narrow for its five columns (otplay.css).
				app.Div().Class("otplay-scroll").Body(app.Table().Class("otplay-checks").Body(rows...))),
	)
}
