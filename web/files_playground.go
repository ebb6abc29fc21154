//go:build playground

package web

import "embed"

// files holds the static files and the gzipped playground, app.wasm.gz,
// which make wasm writes before make build compiles this file in.
//
//go:embed *.css *.png *.svg *.html app.wasm.gz
var files embed.FS

// HasPlayground reports whether the binary carries the compiled playground
// (app.wasm.gz). It does when built by make build (go build -tags
// playground, after make wasm); a plain go build or go install does not.
const HasPlayground = true
