package ui

import (
	"net/url"
	"strings"
	"sync"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"github.com/otplay/otplay/play"
)

// Page is one playground page: its description (play.Page: route, title,
// summary, URL state, tours) and its component.
type Page struct {
	// Path is the route, "/check", "/ot", ...: one segment, lower case.
	// The page is also served bare at "/embed" + Path.
	Path    string
	Title   string // short, for the nav
	Summary string // one sentence, for the gallery
	// Schema is the page's URL state (may be empty).
	Schema Schema
	// Tours are the page's named presets (3-5), each a URL state with a
	// caption; the layout lists them in the side panel.
	Tours []Tour
	// New returns a fresh component for the page. A component learns
	// whether it is embedded from IsEmbed(ctx.Page().URL()).
	New func() app.Composer
}

// EmbedPrefix starts the route of every page's bare view.
const EmbedPrefix = play.EmbedPrefix

var views struct {
	sync.Mutex
	byPath map[string]func() app.Composer
}

// Register adds a page to the playground: its description to play's
// registry (play.Register) and its component. Register panics on a
// malformed or duplicate page (a programming error caught by the first
// test run).
func Register(p Page) {
	if p.New == nil {
		panic("ui: page " + p.Path + ": New is required")
	}
	play.Register(play.Page{Path: p.Path, Title: p.Title, Summary: p.Summary, Schema: p.Schema, Tours: p.Tours})
	RegisterView(p.Path, p.New)
}

// RegisterView pairs the page described in play's registry at path (see
// play.Register, which a page model calls from its init) with its
// component. It panics if play has no such page or it has a view already.
func RegisterView(path string, newView func() app.Composer) {
	if _, ok := play.Lookup(path); !ok {
		panic("ui: no page model registered at " + path)
	}
	views.Lock()
	defer views.Unlock()
	if views.byPath == nil {
		views.byPath = map[string]func() app.Composer{}
	}
	if views.byPath[path] != nil {
		panic("ui: page registered twice: " + path)
	}
	views.byPath[path] = newView
}

// Pages returns the registered pages in play's reading order (play.Pages).
// Only pages with a view are listed (play's registry may describe pages
// that no view shows yet).
func Pages() []Page {
	views.Lock()
	defer views.Unlock()
	var pages []Page
	for _, d := range play.Pages() {
		if nv := views.byPath[d.Path]; nv != nil {
			pages = append(pages, Page{Path: d.Path, Title: d.Title, Summary: d.Summary, Schema: d.Schema, Tours: d.Tours, New: nv})
		}
	}
	return pages
}

// Lookup returns the page served at path (either its own route or its
// embed route).
func Lookup(path string) (Page, bool) {
	path = strings.TrimPrefix(RoutePath(path), EmbedPrefix)
	for _, p := range Pages() {
		if p.Path == path {
			return p, true
		}
	}
	return Page{}, false
}

// IsEmbed reports whether u is an embed route ("/embed/<page>"), whose
// view is bare: no nav, no gallery links, only the page's views.
func IsEmbed(u *url.URL) bool {
	return u != nil && strings.HasPrefix(RoutePath(u.Path), EmbedPrefix+"/")
}

var routesOnce sync.Once

// Routes registers the route of the gallery ("/") and of every page and
// its embed view with go-app. The wasm main and the server both call it
// (go-app needs the same routes on both sides); calling it again is a
// no-op.
func Routes() {
	routesOnce.Do(func() {
		app.Route("/", func() app.Composer { return &Gallery{} })
		for _, p := range Pages() {
			app.Route(p.Path, p.New)
			app.Route(EmbedPrefix+p.Path, p.New)
		}
		installMessageAPI()
		installKeyboard()
	})
}

// RoutePaths lists every path Routes registers ("/", each page and its
// embed route), for the static export.
func RoutePaths() []string {
	paths := []string{"/"}
	for _, p := range Pages() {
		paths = append(paths, p.Path, EmbedPrefix+p.Path)
	}
	return paths
}
