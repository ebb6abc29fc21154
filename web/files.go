//go:build !playground

package web

import "embed"

// files holds the static files only: this binary was built without the
// playground tag, so app.wasm.gz is not in it.
//
//go:embed *.css *.png *.svg *.html
var files embed.FS

// HasPlayground reports whether the binary carries the compiled playground
// (app.wasm.gz). It does when built by make build (go build -tags
// playground, after make wasm); a plain go build or go install does not.
const HasPlayground = false
