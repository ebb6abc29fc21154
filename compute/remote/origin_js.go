//go:build js

package remote

import "net/http"

// setOrigin does nothing in the browser: fetch sets Origin itself (a
// script may not), and that is what the server checks.
func setOrigin(req *http.Request, base string) {}
