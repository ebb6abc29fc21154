// Package server serves the otplay playground over HTTP: the go-app
// handler for every route of ui.Routes (server-side rendered, then taken
// over by the wasm), the static files of the web root under /web/, and a
// small JSON endpoint /api/info ({"name", "version", "pages"}).
//
// # The web root
//
// Config.WebDir names a web root on disk (development: otplay serve --web
// web, after make wasm); empty, the server takes the one compiled into
// the binary (package web), which holds the playground only in a build
// with the playground tag (make build). New fails with ErrNoWasm or
// ErrNoPlayground, and says how to get the playground, otherwise. When
// app.wasm.gz exists and is not older than app.wasm, clients that accept
// gzip get it with Content-Encoding: gzip; when only app.wasm.gz exists
// (the embedded root), other clients get it decompressed. The
// X-Otplay-Wasm-Length header carries the uncompressed size so that the
// loader's progress stays right.
//
// The page head defines window.wasm (the instantiated module), which the
// WebGPU binding's Queue.WriteBuffer reads and go-app's loader does not
// provide, drops a trailing slash from the path (a static host serves
// /ot from ot/index.html by way of /ot/), and points the icons at local
// files (go-app's defaults are fetched from the internet). The app
// version, under which go-app's service worker caches the files, is
// derived from the web root's files unless Config.Version is set.
//
// # Keeping to itself
//
// Every response carries X-Content-Type-Options: nosniff and
// Referrer-Policy: no-referrer; /embed/<page> may be framed by any page
// (Content-Security-Policy: frame-ancestors *) and everything else only by
// its own origin (frame-ancestors 'self', X-Frame-Options: SAMEORIGIN).
// The static routes answer GET and HEAD and 405 with Allow otherwise;
// paths under /api/ choose their own methods. Serve refuses (421) requests
// whose Host header is not an address of its listener (AllowedHosts:
// localhost, 127.0.0.1 and [::1] with the port, plus the real addresses
// for a non-loopback listener), which stops DNS rebinding, and sets
// ReadHeaderTimeout, ReadTimeout, WriteTimeout and IdleTimeout; a handler
// that needs longer extends its own deadlines with
// http.ResponseController, and one that hijacks its connection (a
// WebSocket) clears them.
//
// # Static export
//
// Export writes the whole playground as a static website: every route as
// a real file (ot/index.html, embed/ot/index.html), go-app's scripts, and
// the web root with app.wasm uncompressed. Config.Base ("/repo/") puts
// every link under a sub-path, for a GitHub Pages project site; the pages
// find their routes under it through go-app's GOAPP_ROOT_PREFIX
// (ui.RoutePath, ui.SiteURL).
//
// The commands otplay serve, export and app are thin wrappers.
package server
