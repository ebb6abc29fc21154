package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"slices"
	"strings"
	"sync"

	"github.com/otplay/otplay/batch"
	"github.com/otplay/otplay/server"
	"github.com/otplay/otplay/ui"
)

func init() {
	register(command{name: "app", summary: "open the playground in a desktop window (or the default browser)", run: runApp})
}

// appWindowWidth and appWindowHeight are the window's first size, in
// pixels: the pages' wide layout.
const appWindowWidth, appWindowHeight = 1280, 860

// appContext returns the context that ends the app: Ctrl-C or SIGTERM.
// Tests replace it.
var appContext = serveContext

func runApp(args []string, stdout, stderr io.Writer) int {
	fs := newCommandFlags("app", `app [--page /PATH?STATE] [--backend auto|gpu|cpu32|cpu] [--web DIR]

Opens the otplay playground in a desktop window: the server runs inside
this process on a free loopback port (127.0.0.1), and stops when the
window closes (or on Ctrl-C). The window is a webview (WebKitGTK on Linux,
WKWebView on macOS, WebView2 on Windows) in a binary built with the
webview tag:

    make app    (go build -tags webview,playground ./cmd/otplay)

A binary built without it (make build, go install) opens the playground
in the default browser instead and says so; Ctrl-C then stops the server.

WebKitGTK has no WebGPU: the pages compute on this machine's backend
through the server (native compute, as with otplay serve; backend=auto
takes it), its GPU or else its fast CPU path; with --native=false, in the
wasm, on the CPU.

Each page's first result is logged ("otplay app: /ot computed on native:
...").
The playground comes from the binary (make build puts it in) or, with
--web, from a web root holding app.wasm (make wasm).`, stdout, stderr)
	page := fs.String("page", "/", `page to open, with its state: "/", "/ot", "/diffusion?steps=10", "/embed/ot"`)
	web := fs.String("web", "", "web root holding app.wasm, the icons and otplay.css; empty: the playground built into the binary")
	native := fs.Bool("native", true, "let the window's pages compute on this machine's backend through the server (backend=auto takes it: the window has no WebGPU)")
	backend := fs.String("backend", "auto", "the native backend the pages compute on: "+backendFlagHelp)
	if st, ok := parseFlags(fs, args); !ok {
		return st
	}
	target, err := appPage(*page)
	if err != nil {
		fmt.Fprintln(stderr, "otplay app:", err)
		return 2
	}
	if !slices.Contains(batch.BackendNames, *backend) {
		fmt.Fprintf(stderr, "otplay app: --backend %q: want one of %s\n", *backend, strings.Join(batch.BackendNames, ", "))
		return 2
	}
	cfg := server.Config{WebDir: *web}
	if *native {
		if cfg, err = appServerConfig(cfg, *backend, stderr); err != nil {
			fmt.Fprintln(stderr, "otplay app:", err)
			return 1
		}
	}
	h, err := server.New(cfg)
	if err != nil {
		fmt.Fprintln(stderr, "otplay app:", err)
		return 1
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(stderr, "otplay app:", err)
		return 1
	}
	ctx, stop := appContext()
	defer stop()
	sctx, stopServer := context.WithCancel(ctx)
	served := make(chan error, 1)
	go func() { served <- server.Serve(sctx, l, h) }()
	pageURL := "http://" + l.Addr().String() + target
	fmt.Fprintf(stdout, "otplay app: serving the playground at http://%s/ for this window\n", l.Addr())

	werr := openWindow(ctx, pageURL, newResultLogger(stdout), stdout)
	stopServer()
	serr := <-served
	switch {
	case werr != nil:
		fmt.Fprintln(stderr, "otplay app:", werr)
		return 1
	case serr != nil:
		fmt.Fprintln(stderr, "otplay app: server:", serr)
		return 1
	}
	fmt.Fprintln(stdout, "otplay app: window closed, server stopped")
	return 0
}

// appServerConfig lets the window's pages compute on this machine's
// backend through the server (native compute, server.RemoteConfig), as
// otplay serve does: the window (WebKitGTK) has no WebGPU, so this is
// their only way to a GPU, and backend=auto takes it whatever it is (on a
// machine without a GPU: the fast multi-threaded float32 CPU path, which
// beats the wasm's single-threaded CPU path; see ui.OpenBackend).
func appServerConfig(cfg server.Config, backend string, stderr io.Writer) (server.Config, error) {
	// auto never fails: the fast CPU backend at worst. Not closed: the
	// process's exit releases the device.
	b, note, err := openBackend(backend)
	if err != nil {
		return cfg, fmt.Errorf("--backend %s: %w", backend, err)
	}
	cfg.Remote = server.RemoteConfig{Backend: b, Hardware: server.IsHardwareGPU(b.Info())}
	if note != "" {
		note = " (" + note + ")"
	}
	fmt.Fprintf(stderr, "otplay app: the window has no WebGPU; its pages compute natively on %s: %s%s\n", b.Info().Name, b.Info().Device, note)
	return cfg, nil
}

// appPage checks the page flag: "/" or a page or embed route of the
// playground, with an optional query, as a path to append to the server's
// address.
func appPage(page string) (string, error) {
	u, err := url.Parse(page)
	if err != nil || u.Scheme != "" || u.Host != "" || !strings.HasPrefix(u.Path, "/") {
		return "", fmt.Errorf("--page %q: want a path such as /ot or /ot?eps=0.1", page)
	}
	if _, ok := ui.Lookup(u.Path); !ok && u.Path != "/" {
		var paths []string
		for _, p := range ui.Pages() {
			paths = append(paths, p.Path)
		}
		return "", fmt.Errorf("--page %q: no such page (the pages: /, %s, and /embed/<page>)", page, strings.Join(paths, ", "))
	}
	return u.RequestURI(), nil
}

// pageResult is the part of a page's window.otplayResult the app logs.
type pageResult struct {
	Page    string           `json:"page"`
	Error   string           `json:"error"`
	Backend ui.BackendStatus `json:"backend"`
}

// newResultLogger returns the function a window calls with each page's
// first result (window.otplayResult as JSON): it logs one line naming the
// page and the backend it computed on.
func newResultLogger(w io.Writer) func(location, resultJSON string) {
	var mu sync.Mutex
	return func(location, resultJSON string) {
		var r pageResult
		err := json.Unmarshal([]byte(resultJSON), &r)
		mu.Lock()
		defer mu.Unlock()
		switch {
		case err != nil:
			fmt.Fprintf(w, "otplay app: %s published an unreadable result: %v\n", location, err)
		case r.Error != "":
			fmt.Fprintf(w, "otplay app: %s failed: %s\n", location, r.Error)
		default:
			fmt.Fprintf(w, "otplay app: %s computed on %s\n", location, r.Backend.Badge())
		}
	}
}

// resultHookScript runs in every page the window loads: once the page's
// window.otplayResult is done, it hands it (as JSON) to the Go function
// bound as otplayAppResult, once per location.
const resultHookScript = `(function () {
  let reported = "";
  setInterval(function () {
    const r = window.otplayResult;
    const where = location.pathname + location.search;
    if (!r || !r.done || reported === where || typeof window.otplayAppResult !== "function") return;
    reported = where;
    window.otplayAppResult(where, JSON.stringify(r));
  }, 250);
})();`

// errNoWindow is returned where the webview cannot open a window.
var errNoWindow = errors.New("cannot open a window")
