package server

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"mime"
	"net"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/maxence-charriere/go-app/v10/pkg/app"
	"github.com/otplay/otplay/ui"
)

// Config configures the playground server.
type Config struct {
	// WebDir is the web root: app.wasm (built by make wasm), the icons and
	// the style sheet. "" means "web" (relative to the working directory:
	// run from the repository root).
	WebDir string
	// Version is the app version the service worker caches under. ""
	// derives it from the names, sizes and modification times of the files
	// in WebDir, so a rebuilt app.wasm is picked up on the next load and an
	// unchanged one stays cached across restarts.
	Version string
}

// DefaultWebDir is the web root used when Config.WebDir is empty.
const DefaultWebDir = "web"

// wasmLengthHeader carries the uncompressed size of app.wasm, so that the
// loader's progress is right when the wasm is sent gzipped.
const wasmLengthHeader = "X-Otplay-Wasm-Length"

// ErrNoWasm means the web root has no app.wasm; errors.Is finds it in
// New's error.
var ErrNoWasm = errors.New("app.wasm not found")

// New returns the playground's HTTP handler: the go-app pages of every
// route in ui.Routes, the static files of the web root under /web/ (with a
// precompressed app.wasm.gz sent to clients that accept gzip), and
// /api/info. It fails with ErrNoWasm, and a hint to run make wasm, when
// the web root has no app.wasm.
func New(cfg Config) (http.Handler, error) {
	h, err := appHandler(cfg)
	if err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	mux.Handle("/web/", h.Resources.(http.Handler))
	mux.HandleFunc("/api/info", func(w http.ResponseWriter, r *http.Request) {
		pages := []string{}
		for _, p := range ui.Pages() {
			pages = append(pages, p.Path)
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{"name": "otplay", "version": h.Version, "pages": pages})
	})
	mux.Handle(APIPrefix, NewAPI(APIConfig{}))
	mux.Handle("/", h)
	return mux, nil
}

// appHandler builds the go-app handler for cfg.
func appHandler(cfg Config) (*app.Handler, error) {
	dir := cfg.WebDir
	if dir == "" {
		dir = DefaultWebDir
	}
	st, err := os.Stat(dir)
	if err != nil || !st.IsDir() {
		return nil, fmt.Errorf("web root %q is not a directory (run otplay serve from the repository root, or pass --web DIR)", dir)
	}
	if _, err := os.Stat(filepath.Join(dir, "app.wasm")); err != nil {
		return nil, fmt.Errorf("%w in web root %q: run make wasm (GOOS=js GOARCH=wasm go build -o %s ./wasm)", ErrNoWasm, dir, filepath.Join(dir, "app.wasm"))
	}
	version := cfg.Version
	if version == "" {
		if version, err = dirVersion(dir); err != nil {
			return nil, err
		}
	}
	ui.Routes()
	return &app.Handler{
		Name:        "otplay",
		ShortName:   "otplay",
		Title:       "otplay: optimal transport playground",
		Description: "Optimal transport and OT-driven diffusion in the browser, on WebGPU.",
		Icon: app.Icon{ // local files: the default icon would be fetched from the internet
			Default: "/web/icon.png",
			Large:   "/web/icon.png",
			SVG:     "/web/icon.svg",
		},
		BackgroundColor:         "#ffffff",
		ThemeColor:              "#1f4e79",
		LoadingLabel:            "loading otplay {progress}%",
		Styles:                  []string{"/web/otplay.css"},
		RawHeaders:              []string{windowWasmScript},
		Resources:               webRoot{dir: dir},
		Version:                 version,
		WasmContentLengthHeader: wasmLengthHeader,
	}, nil
}

// windowWasmScript keeps the instantiated module on window.wasm: the
// WebGPU binding's Queue.WriteBuffer reads the wasm memory from there, and
// go-app's loader keeps the instance in a local variable. It runs before
// app.js (deferred) starts the loader.
const windowWasmScript = `<script>
(function () {
  const wrap = (f) => async function (...args) {
    const r = await f.apply(WebAssembly, args);
    window.wasm = r;
    return r;
  };
  if (WebAssembly.instantiateStreaming) WebAssembly.instantiateStreaming = wrap(WebAssembly.instantiateStreaming);
  WebAssembly.instantiate = wrap(WebAssembly.instantiate);
})();
</script>`

// dirVersion hashes the names, sizes and modification times of the files
// in dir.
func dirVersion(dir string) (string, error) {
	var lines []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		lines = append(lines, fmt.Sprintf("%s %d %d", filepath.ToSlash(p), fi.Size(), fi.ModTime().UnixNano()))
		return nil
	})
	if err != nil {
		return "", fmt.Errorf("reading web root: %w", err)
	}
	sort.Strings(lines)
	sum := sha256.Sum256([]byte(strings.Join(lines, "\n")))
	return fmt.Sprintf("%x", sum[:8]), nil
}

// webRoot serves the files of the web root at /web/... and resolves go-app
// resource paths to those URLs.
type webRoot struct{ dir string }

// Resolve maps "/web/x" (or "web/x") to the URL "/web/x" and leaves other
// locations as they are (go-app's LocalDir("") rule, with the files taken
// from dir instead of the working directory).
func (wr webRoot) Resolve(location string) string {
	switch {
	case location == "" || location == "/":
		return "/"
	case strings.HasPrefix(location, "http://") || strings.HasPrefix(location, "https://"):
		return location
	case location == "web" || location == "/web" || strings.HasPrefix(location, "web/") || strings.HasPrefix(location, "/web/"):
		return "/" + strings.Trim(location, "/")
	}
	return location
}

// ServeHTTP serves /web/<name> from the web root. A client that accepts
// gzip gets <name>.gz instead when it exists and is not older than
// <name>. Directory listings are refused.
func (wr webRoot) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	rel := strings.TrimPrefix(path.Clean("/"+strings.TrimPrefix(r.URL.Path, "/web")), "/")
	if rel == "" || strings.HasSuffix(r.URL.Path, "/") {
		http.NotFound(w, r)
		return
	}
	name := filepath.Join(wr.dir, filepath.FromSlash(rel))
	fi, err := os.Stat(name)
	if err != nil || fi.IsDir() {
		http.NotFound(w, r)
		return
	}
	if ctype := mime.TypeByExtension(path.Ext(rel)); ctype != "" {
		w.Header().Set("Content-Type", ctype)
	}
	if path.Ext(rel) == ".wasm" {
		w.Header().Set("Content-Type", "application/wasm")
		w.Header().Set(wasmLengthHeader, strconv.FormatInt(fi.Size(), 10))
	}
	w.Header().Set("Vary", "Accept-Encoding")
	w.Header().Set("Cache-Control", "no-cache")
	serve := name
	if acceptsGzip(r) {
		if gz, err := os.Stat(name + ".gz"); err == nil && !gz.IsDir() && !gz.ModTime().Before(fi.ModTime()) {
			serve = name + ".gz"
			w.Header().Set("Content-Encoding", "gzip")
		}
	}
	f, err := os.Open(serve)
	if err != nil {
		http.Error(w, "cannot open "+rel, http.StatusInternalServerError)
		return
	}
	defer f.Close()
	sfi, err := f.Stat()
	if err != nil {
		http.Error(w, "cannot stat "+rel, http.StatusInternalServerError)
		return
	}
	http.ServeContent(w, r, path.Base(serve), sfi.ModTime(), f)
}

// acceptsGzip reports whether the request's Accept-Encoding allows gzip
// (a "gzip;q=0" refusal included).
func acceptsGzip(r *http.Request) bool {
	for _, part := range strings.Split(r.Header.Get("Accept-Encoding"), ",") {
		enc, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		if strings.TrimSpace(enc) != "gzip" {
			continue
		}
		params = strings.ReplaceAll(params, " ", "")
		return params != "q=0" && params != "q=0.0" && params != "q=0.00" && params != "q=0.000"
	}
	return false
}

// Serve serves h on l until ctx ends, then shuts down gracefully (waiting
// up to 5 s for requests in flight). It returns nil after a shutdown
// caused by ctx.
func Serve(ctx context.Context, l net.Listener, h http.Handler) error {
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(l) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := srv.Shutdown(sctx); err != nil {
			return err
		}
		if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
			return err
		}
		return nil
	}
}

// Export writes the playground as a static website into dir (for any
// static host: index.html, one .html per route, go-app's scripts, the
// manifest) and copies the web root into dir/web. The site must be served
// from its host's root path.
func Export(dir string, cfg Config) error {
	h, err := appHandler(cfg)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("export: %w", err)
	}
	if err := app.GenerateStaticWebsite(dir, h, ui.RoutePaths()...); err != nil {
		return fmt.Errorf("export: generating pages: %w", err)
	}
	src := cfg.WebDir
	if src == "" {
		src = DefaultWebDir
	}
	return copyTree(filepath.Join(dir, "web"), src)
}

// copyTree copies the regular files under src into dst.
func copyTree(dst, src string) error {
	return filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, p)
		if err != nil {
			return err
		}
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		if !d.Type().IsRegular() {
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return fmt.Errorf("export: %w", err)
		}
		if err := os.WriteFile(target, b, 0o644); err != nil {
			return fmt.Errorf("export: %w", err)
		}
		return nil
	})
}
