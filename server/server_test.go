package server

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/otplay/otplay/web"
)

// fakeWasm starts with the wasm magic and version; the server never looks
// inside it.
var fakeWasm = append([]byte("\x00asm\x01\x00\x00\x00"), bytes.Repeat([]byte("otplay"), 500)...)

// newWebRoot writes a web root with app.wasm (and, if gz, an
// app.wasm.gz) and the repository's static files.
func newWebRoot(t *testing.T, gz bool) string {
	t.Helper()
	dir := t.TempDir()
	for _, name := range []string{"icon.png", "icon.svg", "otplay.css"} {
		b, err := os.ReadFile(filepath.Join("..", "web", name))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "app.wasm"), fakeWasm, 0o644); err != nil {
		t.Fatal(err)
	}
	if gz {
		var b bytes.Buffer
		w := gzip.NewWriter(&b)
		w.Write(fakeWasm)
		w.Close()
		if err := os.WriteFile(filepath.Join(dir, "app.wasm.gz"), b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func get(t *testing.T, h http.Handler, path string, header ...string) *http.Response {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, path, nil)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec.Result()
}

func body(t *testing.T, r *http.Response) string {
	t.Helper()
	b, err := io.ReadAll(r.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestNewNeedsWasm(t *testing.T) {
	if _, err := New(Config{WebDir: filepath.Join(t.TempDir(), "nope")}); err == nil || !strings.Contains(err.Error(), "not a directory") {
		t.Errorf("missing web root: %v", err)
	}
	_, err := New(Config{WebDir: t.TempDir()})
	if !errors.Is(err, ErrNoWasm) || !strings.Contains(err.Error(), "make wasm") {
		t.Errorf("web root without app.wasm: %v, want ErrNoWasm with the make wasm hint", err)
	}
}

func TestPages(t *testing.T) {
	h, err := New(Config{WebDir: newWebRoot(t, false)})
	if err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{"/", "/check", "/embed/check", "/check?n=5&eps=0.1"} {
		r := get(t, h, path)
		html := body(t, r)
		if r.StatusCode != 200 || !strings.HasPrefix(r.Header.Get("Content-Type"), "text/html") {
			t.Errorf("GET %s: %d %s", path, r.StatusCode, r.Header.Get("Content-Type"))
			continue
		}
		for _, want := range []string{
			`href="/web/icon.svg"`, `rel="icon"`, `href="/web/otplay.css"`, `src="/app.js"`,
			"window.wasm = r;", "<title>",
		} {
			if !strings.Contains(html, want) {
				t.Errorf("GET %s: page lacks %q", path, want)
			}
		}
		// No resource from the network (go-app's default icon is on GitHub).
		if strings.Contains(html, "githubusercontent") {
			t.Errorf("GET %s: page refers to the network", path)
		}
	}
	// Each page sets its own title, also in the server's rendering.
	if html := body(t, get(t, h, "/check")); !strings.Contains(html, "<title>Backend check · otplay</title>") {
		t.Error("/check is not titled Backend check · otplay")
	}
	if html := body(t, get(t, h, "/")); !strings.Contains(html, "<title>otplay: optimal transport playground</title>") {
		t.Error("/ does not have the playground's title")
	}
	if r := get(t, h, "/no-such-page"); r.StatusCode != 404 {
		t.Errorf("GET /no-such-page: %d, want 404", r.StatusCode)
	}
	// The prerendered /check has the page's frame.
	if html := body(t, get(t, h, "/check")); !strings.Contains(html, `id="backend-badge"`) || !strings.Contains(html, `id="check-result"`) {
		t.Error("prerendered /check lacks the badge or the result element")
	}
	// go-app's loader fetches the wasm from /web/app.wasm and reads its
	// size from our header.
	js := body(t, get(t, h, "/app.js"))
	if !strings.Contains(js, `"/web/app.wasm"`) || !strings.Contains(js, wasmLengthHeader) {
		t.Errorf("app.js does not load /web/app.wasm with %s", wasmLengthHeader)
	}
	manifest := body(t, get(t, h, "/manifest.webmanifest"))
	if !strings.Contains(manifest, `"/web/icon.png"`) || strings.Contains(manifest, "http") {
		t.Errorf("manifest icons not local: %s", manifest)
	}
	var info struct {
		Name    string
		Version string
		Pages   []string
	}
	if err := json.Unmarshal([]byte(body(t, get(t, h, "/api/info"))), &info); err != nil || info.Name != "otplay" || info.Version == "" || !slices.Contains(info.Pages, "/check") {
		t.Errorf("/api/info = %+v, %v", info, err)
	}
}

func TestStaticFilesAndGzip(t *testing.T) {
	dir := newWebRoot(t, true)
	h, err := New(Config{WebDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	// Plain.
	r := get(t, h, "/web/app.wasm")
	if b := body(t, r); b != string(fakeWasm) || r.Header.Get("Content-Encoding") != "" || r.Header.Get("Content-Type") != "application/wasm" {
		t.Errorf("plain wasm: %d bytes, encoding %q, type %q", len(b), r.Header.Get("Content-Encoding"), r.Header.Get("Content-Type"))
	}
	if got := r.Header.Get(wasmLengthHeader); got != "3008" {
		t.Errorf("%s = %q, want 3008", wasmLengthHeader, got)
	}
	// Gzip for a client that accepts it: smaller, and it decompresses to
	// the wasm.
	r = get(t, h, "/web/app.wasm", "Accept-Encoding", "br, gzip")
	raw := body(t, r)
	if r.Header.Get("Content-Encoding") != "gzip" || len(raw) >= len(fakeWasm) || r.Header.Get(wasmLengthHeader) != "3008" || r.Header.Get("Content-Type") != "application/wasm" {
		t.Fatalf("gzip wasm: encoding %q, %d bytes, length header %q, type %q", r.Header.Get("Content-Encoding"), len(raw), r.Header.Get(wasmLengthHeader), r.Header.Get("Content-Type"))
	}
	zr, err := gzip.NewReader(strings.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	if b, _ := io.ReadAll(zr); !bytes.Equal(b, fakeWasm) {
		t.Error("gzip body does not decompress to app.wasm")
	}
	// A refusal, and a stale .gz (older than the wasm), get the plain file.
	if r = get(t, h, "/web/app.wasm", "Accept-Encoding", "gzip;q=0"); r.Header.Get("Content-Encoding") != "" {
		t.Error("gzip;q=0 got gzip")
	}
	old := time.Now().Add(-time.Hour)
	if err := os.Chtimes(filepath.Join(dir, "app.wasm.gz"), old, old); err != nil {
		t.Fatal(err)
	}
	if r = get(t, h, "/web/app.wasm", "Accept-Encoding", "gzip"); r.Header.Get("Content-Encoding") != "" || body(t, r) != string(fakeWasm) {
		t.Error("stale app.wasm.gz was served")
	}
	// Other files, with their types; no listings, no escapes.
	if r = get(t, h, "/web/otplay.css"); r.StatusCode != 200 || !strings.HasPrefix(r.Header.Get("Content-Type"), "text/css") {
		t.Errorf("otplay.css: %d %q", r.StatusCode, r.Header.Get("Content-Type"))
	}
	if r = get(t, h, "/web/icon.svg"); r.StatusCode != 200 || r.Header.Get("Content-Type") != "image/svg+xml" {
		t.Errorf("icon.svg: %d %q", r.StatusCode, r.Header.Get("Content-Type"))
	}
	for _, p := range []string{"/web/", "/web/nope.js", "/web/%2e%2e/server.go", "/go.mod"} {
		if r = get(t, h, p); r.StatusCode != 404 {
			t.Errorf("GET %s: %d, want 404", p, r.StatusCode)
		}
	}
	// The file server itself, given a dot-dot path the mux would have
	// cleaned, stays inside the web root.
	for _, p := range []string{"/web/../server.go", "/web/../../go.mod"} {
		req := httptest.NewRequest(http.MethodGet, "/", nil)
		req.URL.Path = p
		rec := httptest.NewRecorder()
		webRoot{files: os.DirFS(dir)}.ServeHTTP(rec, req)
		if rec.Code != 404 {
			t.Errorf("webRoot GET %s: %d, want 404", p, rec.Code)
		}
	}
	req := httptest.NewRequest(http.MethodPost, "/web/app.wasm", nil)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusMethodNotAllowed {
		t.Errorf("POST: %d", rec.Code)
	}
}

func TestAcceptsGzip(t *testing.T) {
	for h, want := range map[string]bool{
		"": false, "gzip": true, "deflate, gzip;q=1.0, *;q=0.5": true, "gzip;q=0": false,
		"gzip; q=0": false, "br": false, "x-gzip": false,
	} {
		r := httptest.NewRequest("GET", "/", nil)
		r.Header.Set("Accept-Encoding", h)
		if got := acceptsGzip(r); got != want {
			t.Errorf("acceptsGzip(%q) = %v", h, got)
		}
	}
}

func TestVersionFollowsWebRoot(t *testing.T) {
	dir := newWebRoot(t, false)
	v1, err := filesVersion(os.DirFS(dir))
	if err != nil {
		t.Fatal(err)
	}
	if v2, _ := filesVersion(os.DirFS(dir)); v2 != v1 {
		t.Error("version not stable")
	}
	later := time.Now().Add(time.Minute)
	os.Chtimes(filepath.Join(dir, "app.wasm"), later, later)
	if v3, _ := filesVersion(os.DirFS(dir)); v3 == v1 {
		t.Error("a rebuilt app.wasm kept the version")
	}
}

func TestServeStopsWithContext(t *testing.T) {
	h, err := New(Config{WebDir: newWebRoot(t, false), Version: "test"})
	if err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- Serve(ctx, l, h) }()
	resp, err := http.Get("http://" + l.Addr().String() + "/api/info")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(b), `"version":"test"`) {
		t.Errorf("/api/info over TCP: %s", b)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Serve after cancel: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Serve did not stop")
	}
}

func TestExport(t *testing.T) {
	web := newWebRoot(t, true)
	out := filepath.Join(t.TempDir(), "site")
	n, err := Export(out, Config{WebDir: web})
	if err != nil {
		t.Fatal(err)
	}
	if n < 3 {
		t.Errorf("Export wrote %d routes", n)
	}
	// Every route is a real file (a folder's index.html), so a static host
	// serves deep links.
	for _, f := range []string{"index.html", "check/index.html", "embed/check/index.html", "app.js", "wasm_exec.js", "app-worker.js", "manifest.webmanifest",
		"app.css", "web/app.wasm", "web/icon.png", "web/otplay.css", ".nojekyll"} {
		if _, err := os.Stat(filepath.Join(out, f)); err != nil {
			t.Errorf("export lacks %s", f)
		}
	}
	if _, err := os.Stat(filepath.Join(out, "web", "app.wasm.gz")); err == nil {
		t.Error("export holds app.wasm.gz, which static hosts do not negotiate")
	}
	index, _ := os.ReadFile(filepath.Join(out, "index.html"))
	if !strings.Contains(string(index), `href="/check"`) || !strings.Contains(string(index), "window.wasm") {
		t.Error("index.html is not the rendered gallery")
	}
	if b, _ := os.ReadFile(filepath.Join(out, "web", "app.wasm")); !bytes.Equal(b, fakeWasm) {
		t.Error("web/app.wasm not copied")
	}
	if _, err := Export(filepath.Join(t.TempDir(), "x"), Config{WebDir: t.TempDir()}); !errors.Is(err, ErrNoWasm) {
		t.Errorf("export without wasm: %v", err)
	}
}

// Under a base path every link, script and resource of the exported pages
// starts with it, app.js routes under it, and a web root holding only
// app.wasm.gz (the embedded one) is exported with app.wasm decompressed.
func TestExportUnderBase(t *testing.T) {
	web := newWebRoot(t, true)
	os.Remove(filepath.Join(web, "app.wasm"))
	out := filepath.Join(t.TempDir(), "site")
	if _, err := Export(out, Config{WebDir: web, Base: "/repo/"}); err != nil {
		t.Fatal(err)
	}
	page, err := os.ReadFile(filepath.Join(out, "embed", "check", "index.html"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`src="/repo/app.js"`, `src="/repo/wasm_exec.js"`, `href="/repo/web/otplay.css"`, `href="/repo/manifest.webmanifest"`, `href="/repo/web/icon.svg"`} {
		if !strings.Contains(string(page), want) {
			t.Errorf("embed/check/index.html lacks %s", want)
		}
	}
	if strings.Contains(string(page), `"/app.js"`) || strings.Contains(string(page), `"/web/`) {
		t.Error("embed/check/index.html has a link outside /repo/")
	}
	js, _ := os.ReadFile(filepath.Join(out, "app.js"))
	for _, want := range []string{`"/repo/web/app.wasm"`, `"GOAPP_ROOT_PREFIX":"/repo"`, `"/repo/app-worker.js"`} {
		if !strings.Contains(string(js), want) {
			t.Errorf("app.js lacks %s", want)
		}
	}
	if b, _ := os.ReadFile(filepath.Join(out, "web", "app.wasm")); !bytes.Equal(b, fakeWasm) {
		t.Error("web/app.wasm is not app.wasm.gz decompressed")
	}
}

// A base that is also the start of a route (/check/ and the page /check)
// still renders each route as itself.
func TestExportBaseLikeARoute(t *testing.T) {
	out := filepath.Join(t.TempDir(), "site")
	if _, err := Export(out, Config{WebDir: newWebRoot(t, false), Base: "/check/"}); err != nil {
		t.Fatal(err)
	}
	page, _ := os.ReadFile(filepath.Join(out, "check", "index.html"))
	if !strings.Contains(string(page), "<title>Backend check · otplay</title>") || !strings.Contains(string(page), `src="/check/app.js"`) {
		t.Errorf("check/index.html under the base /check/ is not the /check page")
	}
	js, _ := os.ReadFile(filepath.Join(out, "app.js"))
	if !strings.Contains(string(js), `"GOAPP_ROOT_PREFIX":"/check"`) {
		t.Error("app.js lost the base")
	}
}

// A web root with only app.wasm.gz (as embedded by make build) serves it
// compressed to clients that accept gzip and decompressed, with its
// length, to those that do not.
func TestGzipOnlyWebRoot(t *testing.T) {
	web := newWebRoot(t, true)
	os.Remove(filepath.Join(web, "app.wasm"))
	h, err := New(Config{WebDir: web})
	if err != nil {
		t.Fatal(err)
	}
	r := get(t, h, "/web/app.wasm")
	if b := body(t, r); b != string(fakeWasm) || r.Header.Get("Content-Encoding") != "" || r.Header.Get("Content-Length") != "3008" || r.Header.Get(wasmLengthHeader) != "3008" {
		t.Errorf("decompressed wasm: %d bytes, encoding %q, length %q, %s %q", len(b), r.Header.Get("Content-Encoding"), r.Header.Get("Content-Length"), wasmLengthHeader, r.Header.Get(wasmLengthHeader))
	}
	r = get(t, h, "/web/app.wasm", "Accept-Encoding", "gzip")
	if b := body(t, r); r.Header.Get("Content-Encoding") != "gzip" || len(b) >= len(fakeWasm) || r.Header.Get(wasmLengthHeader) != "3008" {
		t.Errorf("gzip wasm: encoding %q, %d bytes", r.Header.Get("Content-Encoding"), len(b))
	}
}

// Without a web root the server takes the one built into the binary; a
// build without the playground tag says so and how to get it.
func TestEmbeddedWebRoot(t *testing.T) {
	h, err := New(Config{})
	if !web.HasPlayground {
		if !errors.Is(err, ErrNoPlayground) || !strings.Contains(err.Error(), "make build") || !strings.Contains(err.Error(), "--web") {
			t.Errorf("New without playground: %v, want ErrNoPlayground naming make build and --web", err)
		}
		// The notebook API needs no playground: with APIWithoutPlayground
		// it is served, and the pages say how to get them.
		h, err := New(Config{APIWithoutPlayground: true})
		if err != nil {
			t.Fatal(err)
		}
		if r := get(t, h, "/api/v1/"); r.StatusCode != 200 {
			t.Errorf("GET /api/v1/ without the playground: %d", r.StatusCode)
		}
		if r := get(t, h, "/api/info"); r.StatusCode != 200 {
			t.Errorf("GET /api/info without the playground: %d", r.StatusCode)
		}
		for _, p := range []string{"/", "/ot", "/web/app.wasm"} {
			r := get(t, h, p)
			if b := body(t, r); r.StatusCode != 404 || !strings.Contains(b, "make build") || !strings.Contains(b, "/api/v1/") {
				t.Errorf("GET %s without the playground: %d %q", p, r.StatusCode, b)
			}
		}
		return
	}
	if err != nil {
		t.Fatal(err)
	}
	r := get(t, h, "/web/app.wasm", "Accept-Encoding", "gzip")
	if b := body(t, r); r.StatusCode != 200 || r.Header.Get("Content-Encoding") != "gzip" || len(b) < 1<<20 {
		t.Errorf("embedded app.wasm: %d, %d bytes", r.StatusCode, len(b))
	}
}

// A page's <head> holds only the scripts and links go-app and otplay put
// there: an empty raw header once became an element of its own, ending
// the head early, and every page was drawn twice (server-rendered and
// client-rendered side by side).
func TestHeadHasNoEmptyRawHeader(t *testing.T) {
	h, err := New(Config{WebDir: newWebRoot(t, false)})
	if err != nil {
		t.Fatal(err)
	}
	page := body(t, get(t, h, "/ot"))
	head, _, ok := strings.Cut(page, "</head>")
	if !ok {
		t.Fatalf("/ot has no </head>:\n%.400s", page)
	}
	if strings.Contains(head, "<div></div>") || strings.Contains(head, "<div>") {
		t.Errorf("/ot's <head> holds a <div> (an empty raw header?):\n%s", head)
	}
}
