package ui

import (
	"fmt"
	"strings"
	"time"

	"github.com/maxence-charriere/go-app/v10/pkg/app"
	"github.com/otplay/otplay/play"
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

// Layout is the one page skeleton every page renders inside: the nav (the
// gallery and each registered page, the current one marked), the page
// title and the backend badge (with plain advice when WebGPU is missing),
// then the picture-first body: a side panel (Panel: the page's tours and
// form; a drawer opened by the "Settings" button at phone width) beside
// the main column, which starts with the progress of the phase in work
// (Progress) and the page's views; the timings close the page. Embedded
// views (see IsEmbed) get the main column, the badge and the timings
// without nav and panel.
type Layout struct {
	Path  string // the page's own path ("/check"), marks the nav entry
	Title string
	Embed bool
	// Status is the backend in use; nil while it is being opened.
	Status  *BackendStatus
	Timings []Timing
	// Panel is the side panel's content below the tours (the form,
	// uploads); nil: no panel.
	Panel app.UI
	// Tours are the page's named presets, shown at the top of the panel;
	// Query is the page's current query, which marks the active tour and
	// puts its caption above the views.
	Tours []Tour
	Query string
	// Progress is the phase in work; nil when there is none.
	Progress *Progress
	// StateError says which URL parameters were refused (Schema.Decode's
	// error); the page goes on with their defaults.
	StateError string
}

// Render returns the page frame around content (the main column).
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
	if l.Tours == nil && !l.Embed {
		if p, ok := Lookup(l.Path); ok {
			l.Tours = p.Tours
		}
	}
	hasPanel := !l.Embed && (l.Panel != nil || len(l.Tours) > 0)
	var toggle, toggleButton, panel app.UI
	if hasPanel {
		class += " otplay-has-panel"
		toggle = app.Input().Type("checkbox").ID("panel-toggle").Class("otplay-drawer-toggle").Aria("hidden", "true").TabIndex(-1)
		toggleButton = app.Label().For("panel-toggle").ID("panel-button").Class("otplay-drawer-button").Text("Settings")
		panel = app.Aside().ID("panel").Class("otplay-panel").Aria("label", "Settings").Body(
			app.Label().For("panel-toggle").Class("otplay-drawer-close").Text("Close"),
			l.tours(),
			l.Panel,
			l.about(),
		)
	}
	var stateErr app.UI
	if l.StateError != "" {
		stateErr = app.P().Class("otplay-error").ID("state-error").Text("URL state: " + l.StateError + " (using defaults there)")
	}
	// The notes above the views sit in one element that is always there:
	// go-app matches children by position, and a note that came and went
	// before the views would shift them, replacing the buttons whose
	// handlers are still running (their Dispatch is then dropped).
	notes := app.Div().Class("otplay-notes").Body(stateErr, l.tourCaption(), renderProgress(l.Progress))
	main := append([]app.UI{notes}, content...)
	return app.Div().Class(class).Body(
		toggle,
		nav,
		app.Header().Class("otplay-header").Body(
			app.H1().Text(l.Title),
			app.Div().Class("otplay-header-right").Body(l.badge(), toggleButton),
		),
		app.Div().Class("otplay-advice-slot").Body(l.advice()), // always there, as the notes
		app.Div().Class("otplay-body").Body(
			panel,
			app.Main().Class("otplay-main").Body(main...),
		),
		l.timings(),
	)
}

// about is the page's own help (play.Page.About) at the end of the
// panel, folded: one paragraph per blank-line-separated block.
func (l Layout) about() app.UI {
	p, ok := play.Lookup(strings.TrimPrefix(RoutePath(l.Path), EmbedPrefix))
	if !ok || p.About == "" {
		return nil
	}
	body := []app.UI{app.Summary().Text("About this page")}
	for _, para := range strings.Split(p.About, "\n\n") {
		body = append(body, app.P().Text(strings.Join(strings.Fields(para), " ")))
	}
	return app.Details().ID("about").Class("otplay-about").Body(body...)
}

// advice explains, in plain words and for the reader's browser, why the
// page computes on the CPU and what to do about it (see WebGPUAdvice).
func (l Layout) advice() app.UI {
	s := l.Status
	if s == nil || s.Kind != KindCPU || !webGPUMissing(*s) {
		return nil
	}
	return app.Details().ID("webgpu-advice").Class("otplay-advice").Body(
		app.Summary().Text("Computing on the CPU: this browser gave the page no WebGPU. Why, and how to get the GPU"),
		app.P().Text(WebGPUAdvice(userAgent())),
		app.P().Class("otplay-muted").Text("What the browser said: "+s.Reason),
	)
}

func navLink(path, title string, active bool) app.UI {
	a := app.A().Href(SiteURL(path)).Text(title)
	if active {
		a = a.Class("active").Aria("current", "page")
	}
	return a
}

// badge shows the backend: "WebGPU: <adapter>" or "CPU (<reason>)". Its
// title (the tooltip) holds the whole text too, as a phone may show only
// its first three lines (otplay.css).
func (l Layout) badge() app.UI {
	kind, text, title := "pending", "backend: opening...", ""
	if s := l.Status; s != nil {
		kind, text, title = s.Kind, s.Badge(), s.Badge()
		if s.Adapter != "" && !strings.Contains(title, s.Adapter) {
			title += ". Adapter: " + s.Adapter
		}
		if s.Reason != "" && !strings.Contains(title, s.Reason) {
			title += ". " + s.Reason
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

// viewBox wraps one view of a page; the embed parameter view=<id> keeps
// only the view box of that id (see EmbedOptions).
func viewBox(id string, body app.UI) app.UI {
	return app.Div().Class("otplay-view").DataSet("view", id).Body(body)
}

// boxViews wraps each view in its viewBox.
func boxViews(ids []string, views []app.UI) []app.UI {
	out := make([]app.UI, len(views))
	for i, v := range views {
		out[i] = viewBox(ids[i], v)
	}
	return out
}
