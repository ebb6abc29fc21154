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
	"github.com/otplay/otplay/ui"
)

func init() {
	register(command{name: "export", summary: "write the playground as a static website into a directory", run: runExport})
}

func runExport(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("export", `export [--web DIR] [--force] OUTDIR

Writes the playground as a static website into OUTDIR, for any static
host (GitHub Pages, a course's web space, a USB stick with a local
server): index.html, one .html file per page and per embed view, go-app's
scripts and manifest, and a copy of the web root (app.wasm included: run
"make wasm" first) in OUTDIR/web. Host it at the root of its origin, over
https or on localhost, so that browsers offer WebGPU.`, stderr)
	web := fs.String("web", server.DefaultWebDir, "web root holding app.wasm, the icons and otplay.css")
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
	out := fs.Arg(0)
	if err := exportCheckTarget(out, *web, *force); err != nil {
		fmt.Fprintln(stderr, "otplay export:", err)
		return 1
	}
	if err := server.Export(out, server.Config{WebDir: *web}); err != nil {
		fmt.Fprintln(stderr, "otplay export:", err)
		return 1
	}
	fmt.Fprintf(stdout, "otplay export: wrote %d routes and the web root into %s\n", len(ui.RoutePaths()), out)
	return 0
}

// exportCheckTarget refuses an output directory inside the web root (the
// copy would copy itself) and, without force, one that is not empty.
func exportCheckTarget(out, web string, force bool) error {
	absOut, err := filepath.Abs(out)
	if err != nil {
		return err
	}
	absWeb, err := filepath.Abs(web)
	if err != nil {
		return err
	}
	if absOut == absWeb || strings.HasPrefix(absOut, absWeb+string(filepath.Separator)) {
		return fmt.Errorf("output directory %s is inside the web root %s", out, web)
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
