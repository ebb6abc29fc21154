package ui

import (
	"strings"

	"github.com/maxence-charriere/go-app/v10/pkg/app"
)

// siteBase is the path the site is served under in the browser ("" at the
// root, "/repo" for a static export with otplay export --base /repo/):
// go-app's GOAPP_ROOT_PREFIX, which app.js carries. On the server the
// routes have no base (the resource resolver adds it to links), so it is
// "" there.
func siteBase() string {
	if !app.IsClient {
		return ""
	}
	return strings.TrimRight(app.Getenv("GOAPP_ROOT_PREFIX"), "/")
}

// RoutePath returns the route of a path of this site: p without the
// site's base and without a trailing slash ("/repo/embed/ot/" is
// /embed/ot under the base /repo).
func RoutePath(p string) string {
	if base := siteBase(); base != "" && (p == base || strings.HasPrefix(p, base+"/")) {
		p = strings.TrimPrefix(p, base)
	}
	if len(p) > 1 {
		p = strings.TrimRight(p, "/")
	}
	if p == "" {
		p = "/"
	}
	return p
}

// SiteURL returns the link to a route of this site: route under the
// site's base in the browser (the server's resolver adds the base to the
// links it renders).
func SiteURL(route string) string {
	return siteBase() + route
}
