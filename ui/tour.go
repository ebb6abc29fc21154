package ui

import (
	"fmt"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"github.com/otplay/otplay/play"
)

// activeTour returns the tour of the page at path whose state equals
// query (see play.Page.ActiveTour).
func activeTour(path, query string, tours []Tour) (Tour, bool) {
	p, ok := Lookup(path)
	if !ok {
		return Tour{}, false
	}
	d := play.Page{Path: p.Path, Schema: p.Schema, Tours: tours}
	return d.ActiveTour(query)
}

// tours renders the page's tours as a list of links with their captions.
func (l Layout) tours() app.UI {
	if len(l.Tours) == 0 {
		return nil
	}
	active, _ := activeTour(l.Path, l.Query, l.Tours)
	items := []app.UI{}
	for i, t := range l.Tours {
		a := app.A().Href(SiteURL(t.URL(l.Path))).Class("otplay-tour-link").ID(fmt.Sprintf("tour-%d", i)).Text(t.Name)
		li := app.Li().Class("otplay-tour")
		if t.Name == active.Name {
			a = a.Aria("current", "true")
			li = li.Class("active")
		}
		items = append(items, li.Body(a, app.Small().Text(t.Caption)))
	}
	return app.Section().Class("otplay-tours").Body(
		app.H2().Text("Tours"),
		app.Ol().Body(items...),
	)
}

// tourCaption puts the active tour's caption above the views.
func (l Layout) tourCaption() app.UI {
	t, ok := activeTour(l.Path, l.Query, l.Tours)
	if !ok || l.Embed {
		return nil
	}
	return app.P().ID("tour-caption").Class("otplay-tour-caption").Body(
		app.B().Text(t.Name+". "), app.Text(t.Caption))
}
