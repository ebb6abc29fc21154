// Package server serves the otplay playground over HTTP: the go-app
// handler for every route of ui.Routes (server-side rendered, then taken
// over by the wasm), the static files of the web root under /web/, and a
// small JSON endpoint /api/info ({"name", "version", "pages"}).
//
// The web root (default ./web, see Config) must hold app.wasm, built by
// make wasm (GOOS=js GOARCH=wasm go build -o web/app.wasm ./wasm); New
// fails with ErrNoWasm and that hint otherwise. When web/app.wasm.gz
// exists and is not older than app.wasm, clients that accept gzip get it
// with Content-Encoding: gzip; the X-Otplay-Wasm-Length header carries the
// uncompressed size so that the loader's progress stays right.
//
// The page head defines window.wasm (the instantiated module), which the
// WebGPU binding's Queue.WriteBuffer reads and go-app's loader does not
// provide, and points the icons at local files (go-app's defaults are
// fetched from the internet). The app version, under which go-app's
// service worker caches the files, is derived from the web root's file
// names, sizes and times unless Config.Version is set.
//
// Serve runs a handler on a listener until its context ends; Export
// writes the whole playground as a static website (app.GenerateStaticWebsite
// plus a copy of the web root). The commands otplay serve and otplay
// export are thin wrappers.
package server
