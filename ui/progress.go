package ui

import (
	"fmt"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"github.com/otplay/otplay/play"
)

// Progress is the phase a page is in and how far it is (play.Progress),
// shown at the top of the main column while it lasts.
type Progress = play.Progress

// render draws the progress (nothing for nil).
func renderProgress(p *Progress) app.UI {
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
