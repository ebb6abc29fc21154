package ui

import (
	"fmt"
	"time"

	"github.com/maxence-charriere/go-app/v10/pkg/app"
)

// Timing is one labelled duration shown in the layout's timing bar.
type Timing struct {
	Label string
	D     time.Duration
}

// FormatDuration writes a duration in milliseconds with three significant
// digits ("0.412 ms", "12.3 ms", "1530 ms").
func FormatDuration(d time.Duration) string {
	ms := float64(d) / float64(time.Millisecond)
	switch {
	case ms >= 100:
		return fmt.Sprintf("%.0f ms", ms)
	case ms >= 10:
		return fmt.Sprintf("%.1f ms", ms)
	case ms >= 1:
		return fmt.Sprintf("%.2f ms", ms)
	}
	return fmt.Sprintf("%.3f ms", ms)
}

// Layout is the frame every page renders inside: the nav (the gallery and
// each registered page, the current one marked), the page title, the
// backend badge, the page's content and its timings. Embedded views (see
// IsEmbed) get the content, the badge and the timings without the nav.
type Layout struct {
	Path  string // the page's own path ("/check"), marks the nav entry
	Title string
	Embed bool
	// Status is the backend in use; nil while it is being opened.
	Status  *BackendStatus
	Timings []Timing
}

// Render returns the page frame around content.
func (l Layout) Render(content ...app.UI) app.UI {
	var nav app.UI
	if !l.Embed {
		links := []app.UI{navLink("/", "Gallery", l.Path == "/")}
		for _, p := range Pages() {
			links = append(links, navLink(p.Path, p.Title, p.Path == l.Path))
		}
		nav = app.Nav().Class("otplay-nav").Body(
			append([]app.UI{app.Span().Class("otplay-brand").Text("otplay")}, links...)...)
	}
	class := "otplay-page"
	if l.Embed {
		class += " otplay-embed"
	}
	return app.Div().Class(class).Body(
		nav,
		app.Header().Class("otplay-header").Body(
			app.H1().Text(l.Title),
			l.badge(),
		),
		app.Main().Class("otplay-main").Body(content...),
		l.timings(),
	)
}

func navLink(path, title string, active bool) app.UI {
	a := app.A().Href(SiteURL(path)).Text(title)
	if active {
		a = a.Class("active").Aria("current", "page")
	}
	return a
}

// badge shows the backend: "WebGPU: <adapter>" or "CPU (<reason>)".
func (l Layout) badge() app.UI {
	kind, text, title := "pending", "backend: opening...", ""
	if s := l.Status; s != nil {
		kind, text, title = s.Kind, s.Badge(), s.Reason
		if s.Adapter != "" {
			title = "adapter: " + s.Adapter + ". " + title
		}
	}
	return app.Span().
		ID("backend-badge").
		Class("otplay-badge otplay-badge-"+kind).
		DataSet("kind", kind).
		Title(title).
		Text(text)
}

func (l Layout) timings() app.UI {
	if len(l.Timings) == 0 {
		return nil
	}
	items := make([]app.UI, 0, len(l.Timings))
	for _, t := range l.Timings {
		items = append(items, app.Span().Class("otplay-timing").Body(
			app.Text(t.Label+": "), app.B().Text(FormatDuration(t.D))))
	}
	return app.Footer().ID("timings").Class("otplay-timings").Body(items...)
}

// Gallery is the page at "/": a card for every registered page, and the
// badge of the backend the pages will use.
type Gallery struct {
	app.Compo
	status *BackendStatus
}

// OnMount opens the default backend in the background for the badge.
func (g *Gallery) OnMount(ctx app.Context) {
	ctx.Async(func() {
		s := OpenBackend(PreferAuto)
		ctx.Dispatch(func(app.Context) { g.status = &s })
	})
}

// Render lists the pages.
func (g *Gallery) Render() app.UI {
	cards := []app.UI{}
	for _, p := range Pages() {
		cards = append(cards, app.A().Class("otplay-card").Href(SiteURL(p.Path)).Body(
			app.H2().Text(p.Title),
			app.P().Text(p.Summary),
		))
	}
	return Layout{Path: "/", Title: "otplay playground", Status: g.status}.Render(
		app.P().Text("Optimal transport and OT-driven diffusion, computed in your browser with WebGPU (or the CPU where there is none)."),
		app.Div().Class("otplay-gallery").Body(cards...),
	)
}

// field is one control of a page's form: the parameter's name, its input,
// and beside them, visible (not only as a tooltip), the parameter's Help:
// a short explanation with the formula it sets.
func field(prm Param, input app.UI) app.UI {
	return app.Label().Class("otplay-field").Title(prm.Help).Body(
		app.B().Text(prm.Name+" "), input,
		app.Small().Class("otplay-help").ID("help-"+prm.Name).Text(prm.Help),
	)
}
