package e2e

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/otplay/otplay/ui"
)

// buildEmbeddedOtplay builds cmd/otplay with the playground tag (the
// web root, app.wasm.gz included, compiled in: what make build does), and
// any other tags, into a temporary folder. It needs ../web/app.wasm.gz
// from make wasm; without one it fails under OTPLAY_REQUIRE_BROWSER and
// skips otherwise.
func buildEmbeddedOtplay(t *testing.T, tags ...string) string {
	t.Helper()
	wasm, gz := "../web/app.wasm", "../web/app.wasm.gz"
	if _, err := os.Stat(gz); err != nil || staleGzip(wasm) {
		msg := "no fresh web/app.wasm.gz to embed: run make wasm"
		if required() {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	bin := filepath.Join(t.TempDir(), "otplay")
	tagList := strings.Join(append([]string{"playground"}, tags...), ",")
	build := exec.Command("go", "build", "-tags", tagList, "-o", bin, "../cmd/otplay")
	build.Env = append(os.Environ(), "GOEXPERIMENT=simd")
	if slices.Contains(tags, "webview") {
		build.Env = append(build.Env, webviewPkgConfigEnv()...)
	}
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build -tags %s ./cmd/otplay: %v\n%s", tagList, err, out)
	}
	return bin
}

// staticHost serves dir with Python's plain static file server (no
// rewrites: a folder's index.html, a redirect from /ot to /ot/) on a
// free loopback port until the end of the test, and returns its URL.
func staticHost(t *testing.T, dir string) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, "/usr/bin/python3", "-m", "http.server", fmt.Sprint(port), "--bind", "127.0.0.1", "--directory", dir)
	var logs bytes.Buffer
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		cancel()
		t.Fatalf("starting python3 -m http.server: %v", err)
	}
	t.Cleanup(func() { cancel(); cmd.Wait() })
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		if resp, err := http.Get(base + "/"); err == nil {
			resp.Body.Close()
			return base
		}
		if time.Now().After(deadline) {
			t.Fatalf("python3 -m http.server on port %d did not answer:\n%s", port, logs.String())
		}
	}
}

// exportSite runs `otplay export [--base base] out` from a folder outside
// the repository, so that the binary's embedded playground is what gets
// exported.
func exportSite(t *testing.T, bin, out string, base string) {
	t.Helper()
	args := []string{"export"}
	if base != "" {
		args = append(args, "--base", base)
	}
	cmd := exec.Command(bin, append(args, out)...)
	cmd.Dir = t.TempDir()
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("otplay %s: %v\n%s", strings.Join(cmd.Args[1:], " "), err, b)
	}
}

// The static site publishes: `otplay export --base /repo/`, run from any
// folder by a binary with the playground built in, served under /repo/ by
// a plain static file server (python3 -m http.server, as on a GitHub
// Pages project site), runs /repo/ot, /repo/diffusion, /repo/embed/ot and
// the embed example; its links stay under /repo/. A root-hosted export
// answers the deep link /ot.
func TestStaticSite(t *testing.T) {
	tb := newTab(t)
	bin := buildEmbeddedOtplay(t)
	parent := t.TempDir()
	exportSite(t, bin, filepath.Join(parent, "repo"), "/repo/")
	host := staticHost(t, parent)

	otQuery := "?n=30&m=20&eps=0.1&backend=cpu"
	tb.run(t, 60*time.Second, chromedp.Navigate(host+"/repo"+ui.OTPath+otQuery))
	waitOT(t, tb, "f.iteration === 0", 60*time.Second)
	click(t, tb, "step")
	waitOT(t, tb, "f.iteration === 1", 20*time.Second)
	// The static host redirected /repo/ot to /repo/ot/; the page put its
	// path back without the slash, kept its state, and links stay under
	// /repo/.
	if loc := eval[string](t, tb, `location.pathname + location.search`); loc != "/repo"+ui.OTPath+otQuery {
		t.Errorf("location %q, want /repo/ot%s", loc, otQuery)
	}
	hrefs := eval[[]string](t, tb, `[...document.querySelectorAll("nav a")].map(a => a.getAttribute("href"))`)
	if len(hrefs) < 3 {
		t.Errorf("nav has %d links", len(hrefs))
	}
	for _, h := range hrefs {
		if h != "/repo" && !strings.HasPrefix(h, "/repo/") {
			t.Errorf("nav link %q leaves /repo/", h)
		}
	}
	// Following the nav link loads the diffusion page under /repo/.
	if !eval[bool](t, tb, `(() => { const a = document.querySelector('nav a[href="/repo`+ui.DiffusionPath+`"]'); if (!a) return false; a.click(); return true; })()`) {
		t.Fatalf("no nav link to /repo%s among %v", ui.DiffusionPath, hrefs)
	}
	poll[bool](t, tb, `location.pathname === "/repo`+ui.DiffusionPath+`" && !!window.otplayResult && window.otplayResult.page === "`+ui.DiffusionPath+`"`, 60*time.Second)

	// A navigation by the app to a path without the base (goappNav is
	// go-app's) stays under /repo/ in the address bar.
	eval[bool](t, tb, `(() => { goappNav("`+ui.OTPath+otQuery+`"); return true; })()`)
	poll[bool](t, tb, `location.pathname === "/repo`+ui.OTPath+`" && !!window.otplayResult && window.otplayResult.page === "`+ui.OTPath+`" && window.otplayResult.done`, 60*time.Second)

	// A deep link to /repo/diffusion.
	tb.run(t, 60*time.Second, chromedp.Navigate(host+"/repo"+ui.DiffusionPath+"?data=circles&n=60&particles=30&steps=3&backend=cpu"))
	waitDiffusion(t, tb, "f.step === 0", 60*time.Second)
	click(t, tb, "play")
	if f := waitDiffusion(t, tb, "f.finished", 60*time.Second); f.NFE == 0 {
		t.Errorf("/repo/diffusion finished with NFE 0")
	}

	// The bare embed view.
	tb.run(t, 60*time.Second, chromedp.Navigate(host+"/repo/embed"+ui.OTPath+otQuery))
	waitOT(t, tb, "f.iteration === 0", 60*time.Second)
	if n := eval[int](t, tb, `document.querySelectorAll("nav").length`); n != 0 {
		t.Errorf("/repo/embed/ot has %d nav bars", n)
	}

	// The embed example, which frames ../embed/ot and talks to it.
	tb.run(t, 60*time.Second, chromedp.Navigate(host+"/repo/web/embed-example.html?backend=cpu"))
	poll[bool](t, tb, `(() => { const m = window.lastMessages["otplay:result"]; return !!(m && m.page === "/ot" && m.result.done && !m.result.error); })()`, 60*time.Second)
	tb.checkConsole(t)

	// The same binary's export at the root of a host: the deep link /ot.
	root := filepath.Join(t.TempDir(), "site")
	exportSite(t, bin, root, "")
	rootHost := staticHost(t, root)
	tb2 := newTab(t)
	tb2.run(t, 60*time.Second, chromedp.Navigate(rootHost+ui.OTPath+otQuery))
	waitOT(t, tb2, "f.iteration === 0", 60*time.Second)
	if loc := eval[string](t, tb2, `location.pathname`); loc != ui.OTPath {
		t.Errorf("root site: location %q, want %s", loc, ui.OTPath)
	}
	tb2.checkConsole(t)
}
