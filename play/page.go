package play

import (
	"fmt"
	"net/url"
	"sort"
	"strings"
	"sync"
)

// Page describes one playground page without its view: its route, what the
// gallery and the nav say about it, its URL state and its tours. The ui
// package pairs each Page with a go-app component; the server, the static
// export and the notebook API read the same description.
type Page struct {
	// Path is the route, "/check", "/ot", ...: one segment, lower case.
	// The page is also served bare at EmbedPrefix + Path.
	Path    string
	Title   string // short, for the nav
	Summary string // one sentence, for the gallery
	// About is the page's own help: what its controls compute, the
	// paper and command behind each, and figures measured with them
	// (paragraphs separated by blank lines); the panel shows it under
	// "About this page". The README's page table keeps one line.
	About string
	// Schema is the page's URL state (may be empty).
	Schema Schema
	// Tours are the page's named presets (3-5), each a URL state with a
	// caption.
	Tours []Tour
}

// EmbedPrefix starts the route of every page's bare view.
const EmbedPrefix = "/embed"

var registry struct {
	sync.Mutex
	pages []Page
}

// Register adds a page description. Pages register from their package's
// init; Register panics on a malformed or duplicate page (a programming
// error caught by the first test run).
func Register(p Page) {
	if err := p.Check(); err != nil {
		panic("play: " + err.Error())
	}
	registry.Lock()
	defer registry.Unlock()
	for _, q := range registry.pages {
		if q.Path == p.Path {
			panic("play: page registered twice: " + p.Path)
		}
	}
	registry.pages = append(registry.pages, p)
}

// Check verifies the description: a route of one lower-case segment, a
// title, a valid schema and tours whose queries the schema accepts.
func (p Page) Check() error {
	seg := strings.TrimPrefix(p.Path, "/")
	switch {
	case !strings.HasPrefix(p.Path, "/") || seg == "" || strings.ContainsAny(seg, "/?#") || seg != strings.ToLower(seg):
		return fmt.Errorf("page path %q: want one lower-case segment like /ot", p.Path)
	case p.Path == EmbedPrefix:
		return fmt.Errorf("page path %q is reserved for embedded views", p.Path)
	case p.Title == "":
		return fmt.Errorf("page %s: Title is required", p.Path)
	}
	if err := p.Schema.Check(); err != nil {
		return fmt.Errorf("page %s: %w", p.Path, err)
	}
	return checkTours(p.Path, p.Schema, p.Tours)
}

// readingOrder is the order of the gallery and the nav: transport first
// (plans, slices, images, barycenters), then the diffusion pages that build
// on it, then the checks. Go runs a package's init functions in file-name
// order, so registration order alone would put /bridge first.
var readingOrder = []string{"/ot", "/sliced", "/patch", "/barycenter", "/diffusion", "/truncate", "/bridge", "/validate", "/check"}

func rank(path string) int {
	for i, p := range readingOrder {
		if p == path {
			return i
		}
	}
	return len(readingOrder)
}

// Pages returns the registered pages in reading order (readingOrder; pages
// it does not name follow in registration order).
func Pages() []Page {
	registry.Lock()
	defer registry.Unlock()
	pages := append([]Page(nil), registry.pages...)
	sort.SliceStable(pages, func(i, j int) bool { return rank(pages[i].Path) < rank(pages[j].Path) })
	return pages
}

// Lookup returns the page registered at path (its own route, not the
// embed route; see ui.Lookup for routes under a sub-path).
func Lookup(path string) (Page, bool) {
	for _, p := range Pages() {
		if p.Path == path {
			return p, true
		}
	}
	return Page{}, false
}

// PageURL returns the link to a page with its state.
func PageURL(path string, st State) string {
	if q := st.Encode(); q != "" {
		return path + "?" + q
	}
	return path
}

// Tour is a named preset of a page that teaches one thing: a URL state
// (Query, validated against the page's Schema by Page.Check) and a
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

// ActiveTour returns the tour of p whose state equals query (both decoded
// and re-encoded canonically), if any. The backend counts only where the
// tour names one: a tour is the same lesson on any backend.
func (p Page) ActiveTour(query string) (Tour, bool) {
	cur, err := p.Schema.DecodeQuery(query)
	if err != nil {
		return Tour{}, false
	}
	for _, anyBackend := range []bool{false, true} {
		for _, t := range p.Tours {
			st, err := p.Schema.DecodeQuery(t.Query)
			if err == nil && anyBackend && !strings.Contains(t.Query, BackendParam.Name+"=") {
				st, err = st.With(BackendParam.Name, cur.String(BackendParam.Name))
			}
			if err == nil && st.Encode() == cur.Encode() {
				return t, true
			}
		}
	}
	return Tour{}, false
}
