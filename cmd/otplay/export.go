package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/otplay/otplay/server"
)

func init() {
	register(command{name: "export", summary: "write the playground as a static website into a directory", run: runExport})
}

func runExport(args []string, stdout, stderr io.Writer) int {
	fs := newCommandFlags("export", `export [--base /PATH/] [--web DIR] [--force] OUTDIR

Writes the playground as a static website into OUTDIR, for any static
host (GitHub Pages, a course's web space, a USB stick with a local
server): index.html, every page and embed view as its own folder's
index.html (ot/index.html, embed/ot/index.html: deep links work on hosts
that only serve files), go-app's scripts and manifest, and the web root
in OUTDIR/web with app.wasm (about 18 MB; the embed example is
web/embed-example.html).

--base is the URL path the site is served under: "/" (the default) for
the root of a host, "/repo/" for a GitHub Pages project site at
https://USER.github.io/repo/. Serve it over https or on localhost, so that
browsers offer WebGPU.

The playground comes from the binary ("make build" puts it in) or, with
--web, from a web root holding app.wasm (make wasm).`, stdout, stderr)
	web := fs.String("web", "", "web root holding app.wasm, the icons and otplay.css; empty: the playground built into the binary")
	base := fs.String("base", "/", `URL path the site is served under, e.g. "/repo/" for a GitHub Pages project site`)
	force := fs.Bool("force", false, "write into OUTDIR even if it is not empty")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() != 1 {
		fmt.Fprintf(stderr, "otplay export: want one output directory, got %d arguments\n", fs.NArg())
		fs.Usage()
		return 2
	}
	if err := checkBase(*base); err != nil {
		fmt.Fprintln(stderr, "otplay export:", err)
		return 2
	}
	out := fs.Arg(0)
	if err := exportCheckTarget(out, *web, *force); err != nil {
		fmt.Fprintln(stderr, "otplay export:", err)
		return 1
	}
	n, err := server.Export(out, server.Config{WebDir: *web, Base: *base})
	if err != nil {
		fmt.Fprintln(stderr, "otplay export:", err)
		return 1
	}
	fmt.Fprintf(stdout, "otplay export: wrote %d routes and the web root into %s, to be served at %s\n", n, out, "/"+strings.TrimLeft(strings.TrimSuffix(*base, "/")+"/", "/"))
	return 0
}

// checkBase refuses a base path that is not a plain absolute URL path:
// it must start with "/" and hold no query, fragment, empty ("//" would
// make links protocol-relative), "." or ".." segment.
func checkBase(base string) error {
	if !strings.HasPrefix(base, "/") || strings.Contains(base, "//") || strings.ContainsAny(base, "?#\\ ") {
		return fmt.Errorf("--base %q: want an absolute URL path such as /repo/", base)
	}
	for _, seg := range strings.Split(strings.Trim(base, "/"), "/") {
		if seg == "." || seg == ".." {
			return fmt.Errorf("--base %q: want an absolute URL path such as /repo/", base)
		}
	}
	return nil
}

// exportCheckTarget refuses an output directory inside the web root (the
// copy would copy itself) and, without force, one that is not empty.
func exportCheckTarget(out, web string, force bool) error {
	absOut, err := filepath.Abs(out)
	if err != nil {
		return err
	}
	if web != "" {
		absWeb, err := filepath.Abs(web)
		if err != nil {
			return err
		}
		if absOut == absWeb || strings.HasPrefix(absOut, absWeb+string(filepath.Separator)) {
			return fmt.Errorf("output directory %s is inside the web root %s", out, web)
		}
	}
	entries, err := os.ReadDir(out)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return nil
	case err != nil:
		return err
	case len(entries) > 0 && !force:
		return fmt.Errorf("output directory %s is not empty (use --force to write into it)", out)
	}
	return nil
}
