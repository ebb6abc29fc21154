// Command wasm is the browser side of the otplay playground: built with
//
//	GOOS=js GOARCH=wasm go build -o web/app.wasm ./wasm
//
// (make wasm), it registers the same routes as the server (ui.Routes),
// wires the GPU opener into ui (ui.SetWebGPUOpener: compute/webgpu over
// gpu.Open, so ui never imports gpu/) and starts the go-app UI. Each page
// opens WebGPU through ui.OpenBackend (or falls back to the CPU backend
// and says why) when it first computes.
//
// Built natively it does nothing useful: it says how to build it and exits
// with status 2.
package main

import (
	"fmt"
	"os"

	"github.com/maxence-charriere/go-app/v10/pkg/app"
	"github.com/otplay/otplay/ui"
)

func main() {
	ui.Routes()
	if app.IsServer {
		fmt.Fprintln(os.Stderr, "wasm: this is the browser side of otplay; build it with GOOS=js GOARCH=wasm go build -o web/app.wasm ./wasm and run otplay serve")
		os.Exit(2)
	}
	ui.SetWebGPUOpener(openWebGPU)
	app.RunWhenOnBrowser()
}
