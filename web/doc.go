// Package web is the playground's web root compiled into the otplay
// binary: the style sheet, the icons, the embed example and, in a build
// with the playground tag, the compiled playground app.wasm.gz (gzip -9
// of the GOOS=js wasm, about 4.5 MB for an 18.4 MB app.wasm).
//
// make build runs make wasm and then go build -tags playground, so the
// binary serves, exports and opens the playground from any folder. A plain
// go build or go install compiles without the tag (the wasm is a build
// output, not committed): such a binary has every command line tool, and
// otplay serve, export and app say that it was built without the
// playground and how to get it (make build, or --web DIR with a web root
// that holds app.wasm).
//
// The embedded patterns are *.css, *.png, *.svg and *.html (and
// app.wasm.gz with the tag): a new kind of asset needs its pattern added in
// files.go and files_playground.go.
package web

import "io/fs"

// Files returns the embedded web root. Its names are those of the web/
// folder ("otplay.css", "app.wasm.gz", ...).
func Files() fs.FS { return files }
