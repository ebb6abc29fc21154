package e2e

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/otplay/otplay/server"
)

// env is what every test shares: one server, one browser.
var env struct {
	baseURL    string // http://127.0.0.1:port
	browserCtx context.Context
	skip       string // why the tests skip ("" if they run)
	setupErr   error
}

func TestMain(m *testing.M) {
	os.Exit(runMain(m))
}

func runMain(m *testing.M) int {
	chromium := findChromium()
	if chromium == "" {
		if required() {
			fmt.Fprintln(os.Stderr, "e2e: no Chromium found ($OTPLAY_CHROMIUM, /usr/lib/chromium/chromium, chromium on $PATH) and CI or OTPLAY_REQUIRE_BROWSER requires one")
			return 1
		}
		env.skip = "no Chromium found (set OTPLAY_CHROMIUM); these tests need a browser"
		return m.Run()
	}
	tmp, err := os.MkdirTemp("", "otplay-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		return 1
	}
	defer os.RemoveAll(tmp)

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	stopServer, err := startServer(ctx, filepath.Join(tmp, "web"))
	if err != nil {
		env.setupErr = err
		return m.Run() // each test reports the setup error
	}
	defer stopServer()

	allocCtx, cancelAlloc := chromedp.NewExecAllocator(ctx, browserOptions(chromium, filepath.Join(tmp, "profile"))...)
	defer cancelAlloc()
	browserCtx, cancelBrowser := chromedp.NewContext(allocCtx)
	defer cancelBrowser()
	// Start the browser now, on a context without a timeout (a timeout on
	// the first Run would end the browser).
	if err := chromedp.Do(browserCtx); err != nil {
		env.setupErr = fmt.Errorf("starting %s: %w", chromium, err)
		return m.Run()
	}
	env.browserCtx = browserCtx
	return m.Run()
}

// required reports whether a missing browser must fail the tests.
func required() bool {
	ci := strings.ToLower(os.Getenv("CI"))
	return (ci != "" && ci != "false" && ci != "0") || os.Getenv("OTPLAY_REQUIRE_BROWSER") == "1"
}

func findChromium() string {
	if p := os.Getenv("OTPLAY_CHROMIUM"); p != "" {
		return p
	}
	if _, err := os.Stat("/usr/lib/chromium/chromium"); err == nil {
		return "/usr/lib/chromium/chromium"
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// browserOptions are the flags known to give headless Chromium a WebGPU
// adapter (SwiftShader) on a machine without a GPU: --enable-unsafe-webgpu
// is required (without it requestAdapter returns null), and
// --disable-software-rasterizer must not be set (it also makes the adapter
// null). A fresh profile directory keeps runs independent.
func browserOptions(chromium, profile string) []chromedp.ExecAllocatorOption {
	opts := append([]chromedp.ExecAllocatorOption{}, chromedp.DefaultExecAllocatorOptions[:]...)
	return append(opts,
		chromedp.ExecPath(chromium),
		chromedp.NoSandbox,
		chromedp.UserDataDir(profile),
		chromedp.Flag("enable-unsafe-webgpu", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.WindowSize(1100, 900),
		chromedp.CombinedOutput(io.Discard),
	)
}

// startServer builds the wasm into a fresh web root beside copies of the
// repository's static files, and serves it on 127.0.0.1:0.
func startServer(ctx context.Context, web string) (stop func(), err error) {
	if err := os.MkdirAll(web, 0o755); err != nil {
		return nil, err
	}
	entries, err := os.ReadDir("../web")
	if err != nil {
		return nil, fmt.Errorf("reading ../web: %w", err)
	}
	for _, e := range entries {
		if e.IsDir() || strings.HasPrefix(e.Name(), "app.wasm") {
			continue
		}
		b, err := os.ReadFile(filepath.Join("../web", e.Name()))
		if err != nil {
			return nil, err
		}
		if err := os.WriteFile(filepath.Join(web, e.Name()), b, 0o644); err != nil {
			return nil, err
		}
	}
	if prebuilt := os.Getenv("OTPLAY_WASM"); prebuilt != "" {
		// make test / make e2e built it already (and its gzip, which then
		// exercises the server's precompressed path).
		for _, suffix := range []string{"", ".gz"} {
			if suffix == ".gz" && staleGzip(prebuilt) {
				// A gzip older than the wasm it sits beside would be
				// served instead of the new build.
				fmt.Fprintf(os.Stderr, "e2e: ignoring %s.gz, older than %s\n", prebuilt, prebuilt)
				continue
			}
			b, err := os.ReadFile(prebuilt + suffix)
			if err != nil {
				if suffix == ".gz" {
					continue
				}
				return nil, fmt.Errorf("OTPLAY_WASM: %w", err)
			}
			if err := os.WriteFile(filepath.Join(web, "app.wasm"+suffix), b, 0o644); err != nil {
				return nil, err
			}
		}
	} else {
		build := exec.CommandContext(ctx, "go", "build", "-o", filepath.Join(web, "app.wasm"), "../wasm")
		build.Env = append(os.Environ(), "GOOS=js", "GOARCH=wasm")
		if out, err := build.CombinedOutput(); err != nil {
			return nil, fmt.Errorf("building the wasm: %v\n%s", err, out)
		}
	}
	h, err := server.New(server.Config{WebDir: web})
	if err != nil {
		return nil, err
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	sctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- server.Serve(sctx, l, h) }()
	env.baseURL = "http://" + l.Addr().String()
	return func() { cancel(); <-done }, nil
}

// staleGzip reports whether wasm+".gz" exists and is older than wasm.
func staleGzip(wasm string) bool {
	w, err1 := os.Stat(wasm)
	g, err2 := os.Stat(wasm + ".gz")
	return err1 == nil && err2 == nil && g.ModTime().Before(w.ModTime())
}

// tab is one browser tab with its console collected.
type tab struct {
	ctx  context.Context
	mu   sync.Mutex
	msgs []chromedp.ConsoleMessage
}

// newTab opens a tab in the shared browser and starts collecting its
// console; it skips or fails the test if the setup did. The tab closes at
// the end of the test.
func newTab(t *testing.T) *tab {
	t.Helper()
	if env.skip != "" {
		t.Skip(env.skip)
	}
	if env.setupErr != nil {
		t.Fatal("setup:", env.setupErr)
	}
	ctx, cancel := chromedp.NewContext(env.browserCtx)
	tb := &tab{ctx: ctx}
	msgs := chromedp.Console(ctx) // subscribes now, before any navigation
	done := make(chan struct{})
	go func() {
		defer close(done)
		for m, err := range msgs {
			if err != nil {
				return
			}
			tb.mu.Lock()
			tb.msgs = append(tb.msgs, m)
			tb.mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		cancel()
		<-done
	})
	return tb
}

// run runs the actions with a deadline.
func (tb *tab) run(t *testing.T, timeout time.Duration, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, timeout)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		t.Fatalf("browser: %v\nconsole:\n%s", err, tb.console())
	}
}

// eval evaluates a JavaScript expression and decodes its value.
func eval[T any](t *testing.T, tb *tab, expr string) T {
	t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, 10*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr))
	if err != nil {
		t.Fatalf("evaluating %s: %v", expr, err)
	}
	return v
}

// poll waits until the expression is truthy and returns its value.
func poll[T any](t *testing.T, tb *tab, expr string, timeout time.Duration) T {
	t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, timeout+5*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Poll[T](expr,
		chromedp.WithPollingInterval(50*time.Millisecond), chromedp.WithPollingTimeout(timeout)))
	if err != nil {
		if errors.Is(err, chromedp.ErrPollingTimeout) {
			err = fmt.Errorf("not true within %v", timeout)
		}
		t.Fatalf("waiting for %s: %v\nconsole:\n%s", expr, err, tb.console())
	}
	return v
}

func (tb *tab) console() string {
	tb.mu.Lock()
	defer tb.mu.Unlock()
	var b strings.Builder
	for _, m := range tb.msgs {
		fmt.Fprintf(&b, "  %s (%s:%d)\n", m, m.URL, m.Line)
	}
	return b.String()
}

// checkConsole fails the test on any console error, uncaught exception,
// browser-log error, or warning seen so far. Warnings count because
// Chromium reports WebGPU validation errors (an invalid dispatch, whose
// command buffer is then dropped and whose results are garbage) as
// console warnings.
func (tb *tab) checkConsole(t *testing.T) {
	t.Helper()
	tb.mu.Lock()
	defer tb.mu.Unlock()
	for _, m := range tb.msgs {
		if m.Type == chromedp.ConsoleWarning && benignWarning(m.Text) {
			continue
		}
		if m.Type == chromedp.ConsoleError || m.Type == chromedp.ConsoleWarning || m.IsException() {
			t.Errorf("browser console %s (%s:%d)", m, m.URL, m.Line)
		}
	}
}

// benignWarnings are console warnings that say nothing about the page:
//   - "No available adapters.": Chromium's note when WebGPU is off (the
//     no-WebGPU test; elsewhere the adapter checks catch a missing one);
//   - "willReadFrequently": the tests' own getImageData calls on the
//     plots' canvases.
var benignWarnings = []string{"No available adapters.", "willReadFrequently"}

func benignWarning(text string) bool {
	for _, w := range benignWarnings {
		if strings.Contains(text, w) {
			return true
		}
	}
	return false
}
