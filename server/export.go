package server

import (
	"compress/gzip"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/otplay/otplay/ui"
)

// ExportScripts are the files go-app's pages load besides the web root:
// its loader, Go's wasm_exec.js, the service worker, the manifest and
// go-app's style sheet.
var ExportScripts = []string{"/app.js", "/wasm_exec.js", "/app-worker.js", "/manifest.webmanifest", "/app.css"}

// Export writes the playground as a static website into dir, for any
// static host: every route as a real file (index.html for "/",
// ot/index.html for /ot, embed/ot/index.html for /embed/ot, so deep links
// work on hosts that only serve files), go-app's scripts and manifest
// (ExportScripts), and the web root under dir/web with app.wasm
// uncompressed (static hosts do not negotiate .gz files; GitHub Pages
// compresses on its own), and an empty .nojekyll (GitHub Pages then
// publishes the files as they are). cfg.Base is the path the site will be served
// under ("/repo/" for a GitHub Pages project site): every link and script
// of the pages starts with it. It returns the number of routes written.
func Export(dir string, cfg Config) (int, error) {
	h, err := appHandler(cfg)
	if err != nil {
		return 0, err
	}
	files := h.Resources.(webRoot).files
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return 0, fmt.Errorf("export: %w", err)
	}
	routes := ui.RoutePaths()
	for _, route := range append(append([]string{}, routes...), ExportScripts...) {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, route, nil))
		if rec.Code != http.StatusOK {
			return 0, fmt.Errorf("export: %s answered %d", route, rec.Code)
		}
		if err := writeFile(filepath.Join(dir, filepath.FromSlash(exportName(route))), rec.Body.Bytes()); err != nil {
			return 0, err
		}
	}
	if err := exportWebRoot(filepath.Join(dir, "web"), files); err != nil {
		return 0, err
	}
	// GitHub Pages runs Jekyll over a site unless it holds .nojekyll.
	if err := writeFile(filepath.Join(dir, ".nojekyll"), nil); err != nil {
		return 0, err
	}
	return len(routes), nil
}

// exportName is the file a route is written to: "/" is index.html, a
// route /a/b is a/b/index.html, and a script keeps its name.
func exportName(route string) string {
	switch {
	case route == "/":
		return "index.html"
	case path.Ext(route) != "":
		return strings.TrimPrefix(route, "/")
	}
	return strings.TrimPrefix(route, "/") + "/index.html"
}

// exportWebRoot copies the web root into dst, writing name.gz files
// decompressed as name when name itself is not there, and leaving other
// .gz twins out.
func exportWebRoot(dst string, files fs.FS) error {
	return fs.WalkDir(files, ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil {
			return fmt.Errorf("export: %w", err)
		}
		if d.IsDir() || !d.Type().IsRegular() {
			return nil
		}
		target := filepath.Join(dst, filepath.FromSlash(name))
		plain, isGz := strings.CutSuffix(name, ".gz")
		if isGz {
			if hasFile(files, plain) {
				return nil
			}
			target = filepath.Join(dst, filepath.FromSlash(plain))
		}
		f, err := files.Open(name)
		if err != nil {
			return fmt.Errorf("export: %w", err)
		}
		defer f.Close()
		var r io.Reader = f
		if isGz {
			zr, err := gzip.NewReader(f)
			if err != nil {
				return fmt.Errorf("export: %s: %w", name, err)
			}
			r = zr
		}
		b, err := io.ReadAll(r)
		if err != nil {
			return fmt.Errorf("export: %s: %w", name, err)
		}
		return writeFile(target, b)
	})
}

// writeFile writes b to name, making its folder.
func writeFile(name string, b []byte) error {
	if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
		return fmt.Errorf("export: %w", err)
	}
	if err := os.WriteFile(name, b, 0o644); err != nil {
		return fmt.Errorf("export: %w", err)
	}
	return nil
}
