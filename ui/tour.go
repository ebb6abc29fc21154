package ui

import (
	"fmt"
	"net/url"
	"strings"

	"github.com/maxence-charriere/go-app/v10/pkg/app"
)

// Tour is a named preset of a page that teaches one thing: a URL state
// (Query, validated against the page's Schema by Page.check) and a
// caption of two sentences, what to look at and why it happens.
type Tour struct {
	Name    string
	Caption string
	Query   string // the page's query, e.g. "eps=0.005&k=3"
}

// URL is the tour's link on the page at path.
func (t Tour) URL(path string) string {
	if t.Query == "" {
		return path
	}
	return path + "?" + t.Query
}

// checkTours verifies that every tour's query is valid for the schema
// (known keys, accepted values) and that no two tours share a name.
func checkTours(path string, s Schema, tours []Tour) error {
	seen := map[string]bool{}
	for _, t := range tours {
		if t.Name == "" || t.Caption == "" {
			return fmt.Errorf("page %s: a tour needs a name and a caption", path)
		}
		if seen[t.Name] {
			return fmt.Errorf("page %s: tour %q declared twice", path, t.Name)
		}
		seen[t.Name] = true
		q, err := url.ParseQuery(t.Query)
		if err != nil {
			return fmt.Errorf("page %s: tour %q: %v", path, t.Name, err)
		}
		if err := s.Validate(q); err != nil {
			return fmt.Errorf("page %s: tour %q: %v", path, t.Name, err)
		}
	}
	return nil
}

// activeTour returns the tour whose state equals the page's query (both
// decoded and re-encoded canonically; the backend counts only where the
// tour names one), if any.
func activeTour(path, query string, tours []Tour) (Tour, bool) {
	p, ok := Lookup(path)
	if !ok {
		return Tour{}, false
	}
	cur, err := p.Schema.DecodeQuery(query)
	if err != nil {
		return Tour{}, false
	}
	for _, anyBackend := range []bool{false, true} {
		for _, t := range tours {
			st, err := p.Schema.DecodeQuery(t.Query)
			if err == nil && anyBackend && !strings.Contains(t.Query, BackendParam.Name+"=") {
				// A tour is the same lesson on any backend.
				st, err = st.With(BackendParam.Name, cur.String(BackendParam.Name))
			}
			if err == nil && st.Encode() == cur.Encode() {
				return t, true
			}
		}
	}
	return Tour{}, false
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
