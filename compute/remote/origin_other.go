//go:build !js

package remote

import (
	"net/http"
	"net/url"
)

// setOrigin names the server's own origin (scheme and host of base, which
// may carry a site path) natively, as a browser does for a same-origin
// POST: the server refuses sessions to other origins.
func setOrigin(req *http.Request, base string) {
	if u, err := url.Parse(base); err == nil {
		req.Header.Set("Origin", u.Scheme+"://"+u.Host)
	}
}
