package ui

import (
	"fmt"

	"github.com/maxence-charriere/go-app/v10/pkg/app"
)

// Progress is the phase a page is in and how far it is, shown at the top
// of the main column while it lasts: "Fitting the entropic prior:
// Sinkhorn iteration 120 of at most 1000". Total 0 means the length is
// unknown (an indeterminate bar); Done counts finished units of Total.
type Progress struct {
	Phase string
	Done  int
	Total int
	Unit  string // what Done counts ("checks", "Adam steps"); may be empty
}

// render draws the progress (nothing for nil).
func (p *Progress) render() app.UI {
	if p == nil {
		return nil
	}
	bar := app.Progress().ID("progress-bar")
	text := p.Phase
	if p.Total > 0 {
		bar = bar.Attr("max", p.Total).Attr("value", min(p.Done, p.Total))
		text += fmt.Sprintf(": %d of %d", p.Done, p.Total)
		if p.Unit != "" {
			text += " " + p.Unit
		}
	}
	return app.Div().ID("progress").Class("otplay-progress").Aria("live", "polite").Attr("role", "status").
		DataSet("phase", p.Phase).DataSet("done", p.Done).DataSet("total", p.Total).
		Body(app.Span().Text(text+" ..."), bar)
}
