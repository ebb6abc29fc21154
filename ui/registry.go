package ui

import (
	"fmt"
	"net/url"
	"strings"
	"sync"

	"github.com/maxence-charriere/go-app/v10/pkg/app"
)

// Page is one playground page: its route, what the gallery and the nav say
// about it, its URL state and its component.
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
const EmbedPrefix = "/embed"

var registry struct {
	sync.Mutex
	pages []Page
}

// Register adds a page to the playground. Pages register from their
// package's init; Register panics on a malformed or duplicate page (a
// programming error caught by the first test run).
func Register(p Page) {
	if err := p.check(); err != nil {
		panic("ui: " + err.Error())
	}
	registry.Lock()
	defer registry.Unlock()
	for _, q := range registry.pages {
		if q.Path == p.Path {
			panic("ui: page registered twice: " + p.Path)
		}
	}
	registry.pages = append(registry.pages, p)
}

func (p Page) check() error {
	seg := strings.TrimPrefix(p.Path, "/")
	switch {
	case !strings.HasPrefix(p.Path, "/") || seg == "" || strings.ContainsAny(seg, "/?#") || seg != strings.ToLower(seg):
		return fmt.Errorf("page path %q: want one lower-case segment like /ot", p.Path)
	case p.Path == EmbedPrefix:
		return fmt.Errorf("page path %q is reserved for embedded views", p.Path)
	case p.Title == "" || p.New == nil:
		return fmt.Errorf("page %s: Title and New are required", p.Path)
	}
	if err := p.Schema.Check(); err != nil {
		return fmt.Errorf("page %s: %w", p.Path, err)
	}
	return checkTours(p.Path, p.Schema, p.Tours)
}

// Pages returns the registered pages in registration order.
func Pages() []Page {
	registry.Lock()
	defer registry.Unlock()
	return append([]Page(nil), registry.pages...)
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

// PageURL returns the link to a page with its state.
func PageURL(path string, st State) string {
	if q := st.Encode(); q != "" {
		return path + "?" + q
	}
	return path
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
