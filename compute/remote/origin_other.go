//go:build !js

package remote

import "net/http"

// setOrigin names the server's own origin natively, as a browser does for
// a same-origin POST: the server refuses sessions to other origins.
func setOrigin(req *http.Request, base string) { req.Header.Set("Origin", base) }
