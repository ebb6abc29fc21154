package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/otplay/otplay/web"
)

func TestExportUsage(t *testing.T) {
	var out, errb bytes.Buffer
	// Help goes to stdout (otplay export -h | less), nothing to stderr.
	if st := run([]string{"export", "-h"}, &out, &errb); st != 0 || !strings.Contains(out.String(), "OUTDIR") || errb.Len() != 0 {
		t.Errorf("export -h: status %d\nstdout:\n%s\nstderr:\n%s", st, out.String(), errb.String())
	}
	for _, args := range [][]string{{"export"}, {"export", "a", "b"}, {"export", "--nope", "a"}} {
		if st := run(args, &out, &errb); st != 2 {
			t.Errorf("%v: status %d, want 2", args, st)
		}
	}
}

func TestExportWritesSite(t *testing.T) {
	web := serveWebRoot(t)
	site := filepath.Join(t.TempDir(), "site")
	var out, errb bytes.Buffer
	if st := run([]string{"export", "--web", web, site}, &out, &errb); st != 0 {
		t.Fatalf("export: status %d, stderr %q", st, errb.String())
	}
	for _, f := range []string{"index.html", "check/index.html", "embed/check/index.html", "app.js", "web/app.wasm", "web/icon.svg"} {
		if _, err := os.Stat(filepath.Join(site, f)); err != nil {
			t.Errorf("site lacks %s", f)
		}
	}
	if !strings.Contains(out.String(), site) {
		t.Errorf("stdout %q does not name the output", out.String())
	}
	// A non-empty output needs --force.
	errb.Reset()
	if st := run([]string{"export", "--web", web, site}, &out, &errb); st != 1 || !strings.Contains(errb.String(), "--force") {
		t.Errorf("second export: status %d, stderr %q", st, errb.String())
	}
	if st := run([]string{"export", "--web", web, "--force", site}, &out, &errb); st != 0 {
		t.Errorf("export --force: status %d", st)
	}
	// Refused: inside the web root; a web root without the wasm.
	errb.Reset()
	if st := run([]string{"export", "--web", web, filepath.Join(web, "out")}, &out, &errb); st != 1 || !strings.Contains(errb.String(), "inside the web root") {
		t.Errorf("export into the web root: status %d, stderr %q", st, errb.String())
	}
	errb.Reset()
	if st := run([]string{"export", "--web", t.TempDir(), filepath.Join(t.TempDir(), "s")}, &out, &errb); st != 1 || !strings.Contains(errb.String(), "make wasm") {
		t.Errorf("export without wasm: status %d, stderr %q", st, errb.String())
	}
	// A base path that is not an absolute URL path is a usage error.
	for _, base := range []string{"repo", "/a/../b/", "/a?b", "//x"} {
		errb.Reset()
		if st := run([]string{"export", "--web", web, "--base", base, filepath.Join(t.TempDir(), "s")}, &out, &errb); st != 2 || !strings.Contains(errb.String(), "--base") {
			t.Errorf("export --base %q: status %d, stderr %q", base, st, errb.String())
		}
	}
	// Under a base, the pages link under it.
	sub := filepath.Join(t.TempDir(), "sub")
	if st := run([]string{"export", "--web", web, "--base", "/repo/", sub}, &out, &errb); st != 0 {
		t.Fatalf("export --base /repo/: status %d, stderr %q", st, errb.String())
	}
	if b, _ := os.ReadFile(filepath.Join(sub, "check", "index.html")); !strings.Contains(string(b), `src="/repo/app.js"`) {
		t.Error("check/index.html under --base /repo/ does not load /repo/app.js")
	}
}

// Without --web the export takes the playground built into the binary; a
// plain build has none and says how to get it.
func TestExportEmbedded(t *testing.T) {
	if web.HasPlayground {
		t.Skip("this test binary was built with the playground tag; the e2e test TestStaticSite exports from an embedded binary")
	}
	var out, errb bytes.Buffer
	if st := run([]string{"export", filepath.Join(t.TempDir(), "s")}, &out, &errb); st != 1 || !strings.Contains(errb.String(), "built without the playground") || !strings.Contains(errb.String(), "make build") {
		t.Errorf("export from a plain build: status %d, stderr %q", st, errb.String())
	}
}
