package server

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"mime"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/maxence-charriere/go-app/v10/pkg/app"
	"github.com/otplay/otplay/ui"
	"github.com/otplay/otplay/web"
)

// Config configures the playground server.
type Config struct {
	// WebDir is a web root on disk holding app.wasm (built by make wasm),
	// the icons and the style sheet, for development (otplay serve --web
	// web). "" means the web root compiled into the binary (package web),
	// which holds the playground only in a build with the playground tag
	// (make build); New fails with ErrNoPlayground otherwise.
	WebDir string
	// Version is the app version the service worker caches under. ""
	// derives it from the web root's files (names, sizes and modification
	// times on disk; names and contents when embedded), so a rebuilt
	// app.wasm is picked up on the next load and an unchanged one stays
	// cached across restarts.
	Version string
	// Base is the URL path the site lives under, for a static export to a
	// sub-path such as a GitHub Pages project site ("/repo/"). "" or "/"
	// is the root. Every link and script of the pages starts with it, and
	// New serves the site under it.
	Base string
	// APIWithoutPlayground lets New serve the notebook API and /api/info
	// from a binary built without the playground (and no WebDir): the
	// pages then answer 404 with how to get them, instead of New failing
	// with ErrNoPlayground. otplay serve sets it.
	APIWithoutPlayground bool
	// Remote lets the pages compute on this machine's backend
	// (?backend=native, see remote.go); its zero value disables it.
	Remote RemoteConfig
}

// DefaultWebDir is the repository's web root, relative to the repository
// root: the folder to pass as --web during development.
const DefaultWebDir = "web"

// wasmLengthHeader carries the uncompressed size of app.wasm, so that the
// loader's progress is right when the wasm is sent gzipped.
const wasmLengthHeader = "X-Otplay-Wasm-Length"

// ErrNoWasm means the web root has no app.wasm; errors.Is finds it in
// New's error.
var ErrNoWasm = errors.New("app.wasm not found")

// ErrNoPlayground means the binary was built without the playground (no
// playground build tag, as with a plain go install) and no web root was
// given; errors.Is finds it in New's error.
var ErrNoPlayground = errors.New("this binary was built without the playground")

// New returns the playground's HTTP handler: the go-app pages of every
// route in ui.Routes, the static files of the web root under /web/ (with a
// precompressed app.wasm.gz sent to clients that accept gzip), and
// /api/info. Every response carries the headers of secureHeaders, and the
// static routes answer only GET and HEAD (405 otherwise). It fails with
// ErrNoWasm or ErrNoPlayground, and how to get the playground, when the
// web root has no app.wasm (but see Config.APIWithoutPlayground).
func New(cfg Config) (http.Handler, error) {
	h, err := appHandler(cfg)
	noPlayground := errors.Is(err, ErrNoPlayground) && cfg.APIWithoutPlayground
	if err != nil && !noPlayground {
		return nil, err
	}
	version := ""
	if h != nil {
		version = h.Version
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/api/info", func(w http.ResponseWriter, r *http.Request) {
		if !allowMethods(w, r, http.MethodGet, http.MethodHead) {
			return
		}
		pages := []string{}
		for _, p := range ui.Pages() {
			pages = append(pages, p.Path)
		}
		if noPlayground {
			pages = []string{}
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{"name": "otplay", "version": version, "pages": pages})
	})
	var rs *remoteService
	if cfg.Remote.Backend != nil && h != nil {
		rs = mountRemote(mux, h, cfg.Remote)
	}
	mux.Handle(APIPrefix, longRequests(NewAPI(apiConfigFor(cfg.Remote, rs))))
	if h != nil {
		startHandler(h)
	}
	if noPlayground {
		msg := err.Error()
		mux.Handle("/", staticMethods(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			http.Error(w, "otplay: "+msg+". The notebook API is at "+APIPrefix+".", http.StatusNotFound)
		})))
	} else {
		mux.Handle("/web/", h.Resources.(http.Handler))
		mux.Handle("/", staticMethods(h))
	}
	var root http.Handler = mux
	if base := cleanBase(cfg.Base); base != "" {
		root = http.StripPrefix(base, mux)
	}
	return secureHeaders(root), nil
}

// webFiles returns the web root of cfg and a name for it in messages.
func webFiles(cfg Config) (fs.FS, string, error) {
	if cfg.WebDir == "" {
		if !web.HasPlayground {
			return nil, "", fmt.Errorf("%w (no app.wasm inside): build it with make build (make wasm, then go build -tags playground ./cmd/otplay), or pass --web DIR with a web root that holds app.wasm (make wasm writes web/app.wasm)", ErrNoPlayground)
		}
		return web.Files(), "the web root built into this binary", nil
	}
	st, err := os.Stat(cfg.WebDir)
	if err != nil || !st.IsDir() {
		return nil, "", fmt.Errorf("web root %q is not a directory (pass --web DIR with the folder that holds app.wasm, or leave --web out to use the playground built into the binary)", cfg.WebDir)
	}
	files := os.DirFS(cfg.WebDir)
	if !hasFile(files, "app.wasm") && !hasFile(files, "app.wasm.gz") {
		return nil, "", fmt.Errorf("%w in web root %q: run make wasm (GOOS=js GOARCH=wasm go build -o %s ./wasm)", ErrNoWasm, cfg.WebDir, filepath.Join(cfg.WebDir, "app.wasm"))
	}
	return files, fmt.Sprintf("web root %q", cfg.WebDir), nil
}

// hasFile reports whether name is a regular file of files.
func hasFile(files fs.FS, name string) bool {
	st, err := fs.Stat(files, name)
	return err == nil && st.Mode().IsRegular()
}

// cleanBase turns a base path into "" (the root) or "/a/b" (no trailing
// slash).
func cleanBase(base string) string {
	base = strings.Trim(base, "/")
	if base == "" {
		return ""
	}
	return "/" + path.Clean(base)
}

// appHandler builds the go-app handler for cfg.
func appHandler(cfg Config) (*app.Handler, error) {
	files, _, err := webFiles(cfg)
	if err != nil {
		return nil, err
	}
	version := cfg.Version
	if version == "" {
		if version, err = filesVersion(files); err != nil {
			return nil, err
		}
	}
	ui.Routes()
	h := &app.Handler{
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
		RawHeaders:              nonEmpty(windowWasmScript, trailingSlashScript, baseHistoryScript(cleanBase(cfg.Base))),
		Resources:               webRoot{files: files, base: cleanBase(cfg.Base)},
		Version:                 version,
		WasmContentLengthHeader: wasmLengthHeader,
	}
	return h, nil
}

// startHandler starts go-app's handler once its Env is complete. The
// handler sets the process's GOAPP_ROOT_PREFIX to the base when it first
// serves (building app.js), and its server-side rendering then strips
// that string from the paths it renders, which here never carry the base
// (New strips it; Export asks for the routes): a base such as /check/
// would render the route /check as the gallery. So the handler is started
// here and the variable cleared for this process; app.js keeps the base
// for the browser.
func startHandler(h *app.Handler) {
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/app.js", nil))
	os.Unsetenv("GOAPP_ROOT_PREFIX")
}

// trailingSlashScript drops a trailing slash from the page's path before
// the app starts: a static host serves the route /ot from ot/index.html
// and redirects /ot to /ot/, while go-app matches routes exactly.
const trailingSlashScript = `<script>
(function () {
  const p = location.pathname;
  if (p.length > 1 && p.endsWith("/")) history.replaceState(history.state, "", p.replace(/\/+$/, "") + location.search + location.hash);
})();
</script>`

// nonEmpty returns the headers that are not empty: go-app writes an empty
// raw header as an element of its own inside <head>, which ends the head
// early and left the server-rendered page beside the client's (every page
// drawn twice).
func nonEmpty(headers ...string) []string {
	var out []string
	for _, h := range headers {
		if strings.TrimSpace(h) != "" {
			out = append(out, h)
		}
	}
	return out
}

// baseHistoryScript keeps the address bar under the site's base (a
// static export with --base /repo/): a link or navigation of the app to
// "/ot" that lacks the base is recorded in the history as "/repo/ot", so
// reloading and sharing the address work. go-app already routes such a
// path (it strips GOAPP_ROOT_PREFIX); the pages' own links carry the base
// (ui.SiteURL), and this catches any that does not. Empty at the root.
func baseHistoryScript(base string) string {
	if base == "" {
		return ""
	}
	b, _ := json.Marshal(base)
	return `<script>
(function () {
  const base = ` + string(b) + `;
  const underBase = function (u) {
    if (u === undefined || u === null) return u;
    const url = new URL(String(u), location.href);
    if (url.origin !== location.origin || url.pathname === base || url.pathname.startsWith(base + "/")) return u;
    url.pathname = base + url.pathname;
    return url.href;
  };
  for (const m of ["pushState", "replaceState"]) {
    const original = history[m].bind(history);
    history[m] = function (state, title, u) { return original(state, title, underBase(u)); };
  }
})();
</script>`
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

// filesVersion hashes the names, sizes and modification times of the
// files of the web root, and the contents of those without a modification
// time (the embedded ones).
func filesVersion(files fs.FS) (string, error) {
	sum := sha256.New()
	var names []string
	err := fs.WalkDir(files, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		names = append(names, p)
		return nil
	})
	if err != nil {
		return "", fmt.Errorf("reading web root: %w", err)
	}
	sort.Strings(names)
	for _, name := range names {
		fi, err := fs.Stat(files, name)
		if err != nil {
			return "", fmt.Errorf("reading web root: %w", err)
		}
		fmt.Fprintf(sum, "%s %d %d\n", name, fi.Size(), fi.ModTime().UnixNano())
		if fi.ModTime().IsZero() {
			f, err := files.Open(name)
			if err != nil {
				return "", fmt.Errorf("reading web root: %w", err)
			}
			_, err = io.Copy(sum, f)
			f.Close()
			if err != nil {
				return "", fmt.Errorf("reading web root: %w", err)
			}
		}
	}
	return fmt.Sprintf("%x", sum.Sum(nil)[:8]), nil
}

// webRoot serves the files of the web root at /web/... and resolves go-app
// resource paths to those URLs, under the site's base path.
type webRoot struct {
	files fs.FS
	base  string // "" or "/repo", from cleanBase
}

// Resolve maps local locations to URLs under the base: "/" to the base
// ("/" at the root), "/web/x" and "web/x" to base+"/web/x", any other
// absolute path p (a route, "/app.js") to base+p; remote URLs and
// relative locations such as "data:," stay as they are.
func (wr webRoot) Resolve(location string) string {
	switch {
	case location == "" || location == "/":
		if wr.base == "" {
			return "/"
		}
		return wr.base
	case strings.HasPrefix(location, "http://") || strings.HasPrefix(location, "https://"):
		return location
	case location == "web" || strings.HasPrefix(location, "web/"):
		return wr.base + "/" + strings.Trim(location, "/")
	case strings.HasPrefix(location, "/"):
		return wr.base + location
	}
	return location
}

// ServeHTTP serves /web/<name> from the web root. A client that accepts
// gzip gets <name>.gz instead when it exists and is not older than
// <name>; one that does not gets <name>, or <name>.gz decompressed when
// only that exists (the embedded app.wasm). Directory listings are
// refused.
func (wr webRoot) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !allowMethods(w, r, http.MethodGet, http.MethodHead) {
		return
	}
	rel := strings.TrimPrefix(path.Clean("/"+strings.TrimPrefix(r.URL.Path, "/web")), "/")
	if rel == "" || strings.HasSuffix(r.URL.Path, "/") || !fs.ValidPath(rel) {
		http.NotFound(w, r)
		return
	}
	plain, plainErr := fs.Stat(wr.files, rel)
	if plainErr == nil && !plain.Mode().IsRegular() {
		http.NotFound(w, r)
		return
	}
	gz, gzErr := fs.Stat(wr.files, rel+".gz")
	haveGz := gzErr == nil && gz.Mode().IsRegular() && (plainErr != nil || !gz.ModTime().Before(plain.ModTime()))
	if plainErr != nil && !haveGz {
		http.NotFound(w, r)
		return
	}
	if ctype := mime.TypeByExtension(path.Ext(rel)); ctype != "" {
		w.Header().Set("Content-Type", ctype)
	}
	w.Header().Set("Vary", "Accept-Encoding")
	w.Header().Set("Cache-Control", "no-cache")
	isWasm := path.Ext(rel) == ".wasm"
	if isWasm {
		w.Header().Set("Content-Type", "application/wasm")
		if plainErr == nil {
			w.Header().Set(wasmLengthHeader, strconv.FormatInt(plain.Size(), 10))
		} else if n, err := gzipSize(wr.files, rel+".gz"); err == nil {
			w.Header().Set(wasmLengthHeader, strconv.FormatInt(n, 10))
		}
	}
	switch {
	case haveGz && acceptsGzip(r):
		w.Header().Set("Content-Encoding", "gzip")
		wr.serveFile(w, r, rel+".gz")
	case plainErr == nil:
		wr.serveFile(w, r, rel)
	default:
		wr.serveGunzipped(w, r, rel+".gz")
	}
}

// serveFile serves one file of the web root with http.ServeContent
// (ranges, If-Modified-Since).
func (wr webRoot) serveFile(w http.ResponseWriter, r *http.Request, name string) {
	f, err := wr.files.Open(name)
	if err != nil {
		http.Error(w, "cannot open "+name, http.StatusInternalServerError)
		return
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		http.Error(w, "cannot stat "+name, http.StatusInternalServerError)
		return
	}
	rs, ok := f.(io.ReadSeeker)
	if !ok {
		b, err := io.ReadAll(f)
		if err != nil {
			http.Error(w, "cannot read "+name, http.StatusInternalServerError)
			return
		}
		rs = bytes.NewReader(b)
	}
	http.ServeContent(w, r, path.Base(name), fi.ModTime(), rs)
}

// serveGunzipped sends the gzip file name decompressed, for a client that
// does not accept gzip when the web root holds only the compressed file.
func (wr webRoot) serveGunzipped(w http.ResponseWriter, r *http.Request, name string) {
	f, err := wr.files.Open(name)
	if err != nil {
		http.Error(w, "cannot open "+name, http.StatusInternalServerError)
		return
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		http.Error(w, name+" is not gzip: "+err.Error(), http.StatusInternalServerError)
		return
	}
	if n, err := gzipSize(wr.files, name); err == nil {
		w.Header().Set("Content-Length", strconv.FormatInt(n, 10))
	}
	w.WriteHeader(http.StatusOK)
	if r.Method == http.MethodHead {
		return
	}
	io.Copy(w, zr)
}

// gzipSize reads the uncompressed size a gzip file records in its last
// four bytes (ISIZE, RFC 1952 section 2.3.1: the size modulo 2^32, exact
// for the wasm's 12 MB).
func gzipSize(files fs.FS, name string) (int64, error) {
	f, err := files.Open(name)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	var tail []byte
	if rs, ok := f.(io.ReadSeeker); ok {
		if _, err := rs.Seek(-4, io.SeekEnd); err != nil {
			return 0, fmt.Errorf("%s: %w", name, err)
		}
		tail = make([]byte, 4)
		if _, err := io.ReadFull(rs, tail); err != nil {
			return 0, fmt.Errorf("%s: %w", name, err)
		}
	} else {
		b, err := io.ReadAll(f)
		if err != nil {
			return 0, err
		}
		tail = b[max(0, len(b)-4):]
	}
	if len(tail) < 4 {
		return 0, fmt.Errorf("%s: too short for gzip", name)
	}
	return int64(binary.LittleEndian.Uint32(tail)), nil
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

// The server's timeouts. A handler that needs longer (a long solve of
// the notebook API, a stream) extends its own deadlines with
// http.ResponseController; one that hijacks the connection (a WebSocket)
// clears them with SetDeadline(time.Time{}).
const (
	// ReadHeaderTimeout bounds reading a request's header.
	ReadHeaderTimeout = 10 * time.Second
	// ReadTimeout bounds reading a whole request, body included.
	ReadTimeout = time.Minute
	// WriteTimeout bounds writing a response, from the end of its header.
	WriteTimeout = 2 * time.Minute
	// IdleTimeout closes keep-alive connections idle this long.
	IdleTimeout = 2 * time.Minute
)

// serverTimeouts are the timeouts Serve uses (tests shorten them).
var serverTimeouts = struct{ readHeader, read, write, idle time.Duration }{
	ReadHeaderTimeout, ReadTimeout, WriteTimeout, IdleTimeout,
}

// Serve serves h on l until ctx ends, then shuts down gracefully (waiting
// up to 5 s for requests in flight). It returns nil after a shutdown
// caused by ctx.
//
// Requests whose Host header is not an address of l are refused with 421
// Misdirected Request (a DNS-rebinding page names its own host): see
// AllowedHosts. allowHosts adds host names (with or without a port) that
// reach l by other names, for a listener on a non-loopback address.
func Serve(ctx context.Context, l net.Listener, h http.Handler, allowHosts ...string) error {
	srv := &http.Server{
		Handler:           checkHost(AllowedHosts(l.Addr(), allowHosts...), h),
		ReadHeaderTimeout: serverTimeouts.readHeader,
		ReadTimeout:       serverTimeouts.read,
		WriteTimeout:      serverTimeouts.write,
		IdleTimeout:       serverTimeouts.idle,
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
