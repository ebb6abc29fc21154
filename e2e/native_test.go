package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"github.com/otplay/otplay/compute"
	"github.com/otplay/otplay/compute/remote"
	"github.com/otplay/otplay/compute/webgpu/gputest"
	"github.com/otplay/otplay/server"
	"github.com/otplay/otplay/solvers/ot"
	"github.com/otplay/otplay/ui"
)

// nativeServer is a second otplay server whose pages may compute on this
// machine's GPU backend (lavapipe here): server.Config.Remote set, as
// `otplay serve` does. Its origin differs from env.baseURL's (another
// port). It records the status of every answer of the remote endpoints.
type nativeServer struct {
	url     string
	backend compute.Backend
	mu      sync.Mutex
	answers []string // "path origin status"
	// batches, and the bytes of their request and response bodies
	batches        int
	sent, received int64
}

func (ns *nativeServer) statuses(path string) []string {
	ns.mu.Lock()
	defer ns.mu.Unlock()
	var out []string
	for _, a := range ns.answers {
		if strings.HasPrefix(a, path+" ") {
			out = append(out, a)
		}
	}
	return out
}

// traffic sums the batches the server answered.
func (ns *nativeServer) traffic() (batches int, sent, received int64) {
	ns.mu.Lock()
	defer ns.mu.Unlock()
	return ns.batches, ns.sent, ns.received
}

type statusRecorder struct {
	http.ResponseWriter
	code    int
	written int64
}

func (r *statusRecorder) WriteHeader(code int) { r.code = code; r.ResponseWriter.WriteHeader(code) }

func (r *statusRecorder) Write(b []byte) (int, error) {
	n, err := r.ResponseWriter.Write(b)
	r.written += int64(n)
	return n, err
}

var natives struct {
	sync.Mutex
	byHardware map[bool]*nativeServer
}

// startNative serves a copy of the web root (built as in startServer)
// with native compute on the shared GPU backend (lavapipe). With
// claimHardware the server says its device is a hardware GPU, as a
// machine with one would, so that backend=auto's choice can be seen.
func startNative(t *testing.T, claimHardware ...bool) *nativeServer {
	t.Helper()
	b := gputest.Backend(t)
	hw := len(claimHardware) > 0 && claimHardware[0]
	natives.Lock()
	defer natives.Unlock()
	if ns := natives.byHardware[hw]; ns != nil {
		return ns
	}
	ns, _ := newNativeServer(t, b, hw) // serves until the test binary ends
	if natives.byHardware == nil {
		natives.byHardware = map[bool]*nativeServer{}
	}
	natives.byHardware[hw] = ns
	return ns
}

// newNativeServer starts a server with native compute on b; stop ends it.
func newNativeServer(t *testing.T, b compute.Backend, hw bool) (ns *nativeServer, stop func()) {
	t.Helper()
	web, err := os.MkdirTemp("", "otplay-native-web-")
	if err != nil {
		t.Fatal(err)
	}
	if err := copyWebRoot(web); err != nil {
		t.Fatal(err)
	}
	h, err := server.New(server.Config{WebDir: web, Remote: server.RemoteConfig{Backend: b, Hardware: hw || server.IsHardwareGPU(b.Info())}})
	if err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ns = &nativeServer{url: "http://" + l.Addr().String(), backend: b}
	rec := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sr := &statusRecorder{ResponseWriter: w, code: http.StatusOK}
		h.ServeHTTP(sr, r)
		if strings.HasPrefix(r.URL.Path, "/api/remote/") {
			ns.mu.Lock()
			ns.answers = append(ns.answers, fmt.Sprintf("%s %s %d", r.URL.Path, r.Header.Get("Origin"), sr.code))
			if r.URL.Path == remote.BatchPath {
				ns.batches++
				ns.sent += r.ContentLength
				ns.received += sr.written
			}
			ns.mu.Unlock()
		}
	})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { server.Serve(ctx, l, rec); close(done) }()
	return ns, func() { cancel(); <-done; os.RemoveAll(web) }
}

// copyWebRoot fills web with ../web's files and the wasm ($OTPLAY_WASM,
// else built here), as startServer does for the shared server.
func copyWebRoot(web string) error {
	entries, err := os.ReadDir("../web")
	if err != nil {
		return err
	}
	for _, e := range entries {
		if e.IsDir() || strings.HasPrefix(e.Name(), "app.wasm") {
			continue
		}
		b, err := os.ReadFile(filepath.Join("../web", e.Name()))
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(web, e.Name()), b, 0o644); err != nil {
			return err
		}
	}
	if prebuilt := os.Getenv("OTPLAY_WASM"); prebuilt != "" {
		b, err := os.ReadFile(prebuilt)
		if err != nil {
			return fmt.Errorf("OTPLAY_WASM: %w", err)
		}
		return os.WriteFile(filepath.Join(web, "app.wasm"), b, 0o644)
	}
	build := exec.Command("go", "build", "-o", filepath.Join(web, "app.wasm"), "../wasm")
	build.Env = append(os.Environ(), "GOOS=js", "GOARCH=wasm", "GOEXPERIMENT=")
	if out, err := build.CombinedOutput(); err != nil {
		return fmt.Errorf("building the wasm: %v\n%s", err, out)
	}
	return nil
}

// /check with ?backend=native computes on the server's GPU: the badge
// says native and names the server's adapter, and the values are the very
// numbers the same backend gives when called natively.
func TestNativeCheckPage(t *testing.T) {
	tb := newTab(t)
	ns := startNative(t)
	tb.run(t, 30*time.Second, chromedp.Navigate(ns.url+ui.CheckPath+"?n=300&m=257&d=3&eps=0.3&seed=7&backend=native"))
	text := poll[string](t, tb, resultExpr, 60*time.Second)
	r := decodeCheck(t, tb, text)
	if r.Backend.Kind != ui.KindNative || r.Backend.Adapter != ns.backend.Info().Device {
		t.Fatalf("backend %+v, want native on %q", r.Backend, ns.backend.Info().Device)
	}
	badge := eval[string](t, tb, `document.getElementById("backend-badge").textContent`)
	if !strings.HasPrefix(badge, "native: "+ns.backend.Info().Device) {
		t.Errorf("badge %q, want native: <the server's adapter>", badge)
	}
	want := nativeSoftMin(t, ns.backend, r.N, r.M, r.D, r.Eps, r.Seed)
	for i := range want {
		if r.Values[i] != want[i] {
			t.Fatalf("value %d = %.9g in the page, %.9g natively on the same backend", i, r.Values[i], want[i])
		}
	}
	if !r.Agree {
		t.Errorf("the page's check against its float64 reference failed: %g > %g", r.MaxRelDiff, r.Tolerance)
	}
	t.Logf("native check: %d values equal the direct run; timings %v", len(want), r.TimingsMS)
	// The page's session is open; it may be closed when the tab goes.
	if got := ns.statuses(remote.SessionPath); len(got) == 0 || !strings.HasSuffix(got[len(got)-1], " 200") || !strings.Contains(got[len(got)-1], ns.url) {
		t.Errorf("session answers %v, want a 200 to the page's own origin", got)
	}
	tb.checkConsole(t)
	// Leaving the page closes its session (navigator.sendBeacon on
	// pagehide): the server answers the close with 204.
	closes := len(ns.statuses(remote.ClosePath))
	tb.run(t, 30*time.Second, chromedp.Navigate("about:blank"))
	deadline := time.Now().Add(10 * time.Second)
	for len(ns.statuses(remote.ClosePath)) == closes && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	if got := ns.statuses(remote.ClosePath); len(got) == closes || !strings.HasSuffix(got[len(got)-1], " 204") {
		t.Errorf("after leaving the page the close answers are %v, want a new 204", got[closes:])
	}
}

// decodeCheck is loadCheck's decoding, for a page already loaded.
func decodeCheck(t *testing.T, tb *tab, text string) ui.CheckResult {
	t.Helper()
	var r ui.CheckResult
	if err := json.Unmarshal([]byte(text), &r); err != nil {
		t.Fatalf("decoding window.otplayResult: %v\n%s", err, text)
	}
	if r.Error != "" {
		t.Fatalf("page error: %s\nconsole:\n%s", r.Error, tb.console())
	}
	return r
}

// nativeSoftMin runs /check's soft-min (ui.SoftMinCheck) directly on b.
func nativeSoftMin(t *testing.T, b compute.Backend, n, m, d int, eps float64, seed uint64) []float64 {
	t.Helper()
	out, _, err := ui.SoftMinCheck{N: n, M: m, D: d, Eps: eps, Seed: seed}.Run(b)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// The compute conformance suite passes from the page through
// compute/remote on the server's lavapipe: the wasm client, fetch, the
// endpoint and the session, every kernel against float64 references.
func TestNativeValidatePage(t *testing.T) {
	tb := newTab(t)
	ns := startNative(t)
	tb.run(t, 30*time.Second, chromedp.Navigate(ns.url+ui.ValidatePath+"?backend=native"))
	text := poll[string](t, tb, `window.otplayResult && window.otplayResult.page === "/validate" && window.otplayResult.done ? JSON.stringify(window.otplayResult) : false`, 120*time.Second)
	var r ui.ValidateResult
	if err := json.Unmarshal([]byte(text), &r); err != nil {
		t.Fatal(err)
	}
	if r.Backend.Kind != ui.KindNative {
		t.Fatalf("backend %+v, want native", r.Backend)
	}
	if len(r.Checks) < 20 {
		t.Fatalf("only %d checks ran", len(r.Checks))
	}
	for _, c := range r.Checks {
		if !c.Pass {
			t.Errorf("%s %s: err %.3g tol %.3g %s", c.Op, c.Case, c.MaxErr, c.Tol, c.Error)
		}
	}
	t.Logf("%s: %d checks, %d failed, %.0f ms", r.Backend.Badge(), len(r.Checks), r.Failed, r.TimeMS)
	tb.checkConsole(t)
}

// backend=auto: on a server whose device is a software adapter the page
// keeps the browser's WebGPU (SwiftShader); on one with a hardware GPU it
// takes the server's, since the browser has only a fallback adapter; in a
// browser without WebGPU (navigator.gpu removed before the page's
// scripts, as in Firefox or WebKitGTK) it takes the server's, whatever it
// is.
func TestNativeAutoChoice(t *testing.T) {
	for _, c := range []struct {
		name          string
		hardware, gpu bool
		want          string
	}{
		{"software server", false, true, ui.KindWebGPU},
		{"hardware server", true, true, ui.KindNative},
		{"browser without WebGPU", false, false, ui.KindNative},
	} {
		tb := newTab(t)
		ns := startNative(t, c.hardware)
		if !c.gpu {
			tb.run(t, 20*time.Second, chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
				_, err := chromedp.Call(ctx, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{
					Source: `Object.defineProperty(Navigator.prototype, "gpu", {get: () => undefined});`})
				return err
			}))
		}
		tb.run(t, 30*time.Second, chromedp.Navigate(ns.url+ui.CheckPath+"?n=64&m=64&d=2&backend=auto"))
		r := decodeCheck(t, tb, poll[string](t, tb, resultExpr, 60*time.Second))
		if r.Backend.Kind != c.want {
			t.Errorf("%s: backend=auto opened %s, want %s", c.name, r.Backend.Badge(), c.want)
		}
		if !c.gpu && eval[bool](t, tb, `!!navigator.gpu`) {
			t.Errorf("%s: navigator.gpu is still there", c.name)
		}
	}
}

// /ot with ?backend=native steps and converges to the numbers of the same
// solver run natively on the same backend.
func TestNativeOTPage(t *testing.T) {
	tb := newTab(t)
	ns := startNative(t)
	query := "x=gaussian&y=moons&n=60&m=50&eps=0.3&seed=4&k=2&backend=native"
	st, err := ui.OTSchema.DecodeQuery(query)
	if err != nil {
		t.Fatal(err)
	}
	prob, err := ui.OTProblem(st)
	if err != nil {
		t.Fatal(err)
	}
	tb.run(t, 30*time.Second, chromedp.Navigate(ns.url+ui.OTPath+"?"+query))
	f := waitOT(t, tb, "f.iteration === 0", 60*time.Second)
	if f.Backend.Kind != ui.KindNative {
		t.Fatalf("backend=native opened %s", f.Backend.Badge())
	}
	click(t, tb, "step")
	f = waitOT(t, tb, "f.iteration === 1", 20*time.Second)
	click(t, tb, "play")
	f = waitOT(t, tb, "f.converged && !f.playing", 60*time.Second)
	// The same solver on the same backend, natively, for as many
	// iterations: the page's numbers are the native run's. (When each
	// stops is the page's business: its run checks convergence per frame.)
	sv, err := ot.NewSolver(ns.backend, prob, ui.OTSettings(st))
	if err != nil {
		t.Fatal(err)
	}
	defer sv.Close()
	if err := sv.Step(f.Iteration); err != nil {
		t.Fatal(err)
	}
	direct, err := sv.Result()
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("native /ot converged in %d iterations: cost %.12g, objective %.12g; direct on the same backend after as many: %.12g, %.12g",
		f.Iteration, f.Cost, f.Objective, direct.Cost, direct.Objective)
	if relDiff(f.Cost, direct.Cost) > 1e-12 || relDiff(f.Objective, direct.Objective) > 1e-12 || relDiff(f.MarginalError, direct.MarginalError) > 1e-9 {
		t.Errorf("page after %d iterations: cost %.15g, objective %.15g, marginal error %.6g; direct: %.15g, %.15g, %.6g",
			f.Iteration, f.Cost, f.Objective, f.MarginalError, direct.Cost, direct.Objective, direct.MarginalError)
	}
	tb.checkConsole(t)
}

// When the server goes away under a page computing natively, the page
// moves to the wasm CPU, says why on its badge, and steps there.
func TestNativeServerGone(t *testing.T) {
	tb := newTab(t)
	ns, stop := newNativeServer(t, gputest.Backend(t), false)
	stopped := false
	defer func() {
		if !stopped {
			stop()
		}
	}()
	tb.run(t, 30*time.Second, chromedp.Navigate(ns.url+ui.OTPath+"?n=40&m=30&eps=0.1&backend=native"))
	f := waitOT(t, tb, "f.iteration === 0", 60*time.Second)
	if f.Backend.Kind != ui.KindNative {
		t.Fatalf("backend=native opened %s", f.Backend.Badge())
	}
	click(t, tb, "step")
	waitOT(t, tb, "f.iteration === 1", 20*time.Second)
	stop()
	stopped = true
	// The next Step finds the server gone (its frame carries the error,
	// which waitOT would fail on), so wait on the result directly.
	click(t, tb, "step")
	text := poll[string](t, tb, `(() => { const f = window.otplayResult; return f && f.page === "/ot" && f.done && f.backend.kind === "cpu" && f.iteration === 0 ? JSON.stringify(f) : false; })()`, 30*time.Second)
	var g ui.OTFrame
	if err := json.Unmarshal([]byte(text), &g); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(g.Backend.Reason, "native compute stopped") || !strings.Contains(g.Backend.Reason, "the otplay server is gone") {
		t.Errorf("reason after the server went: %q", g.Backend.Reason)
	}
	badge := eval[string](t, tb, `document.getElementById("backend-badge").textContent`)
	if !strings.HasPrefix(badge, "CPU (native compute stopped") {
		t.Errorf("badge after the server went: %q", badge)
	}
	click(t, tb, "step")
	f = waitOT(t, tb, "f.iteration === 1", 20*time.Second)
	if f.Backend.Kind != ui.KindCPU || !(f.Cost > 0) {
		t.Errorf("Step after the server went: %s, cost %g", f.Backend.Badge(), f.Cost)
	}
}

// The token endpoint refuses a page of another origin (the shared
// server's pages, on another port) and answers a batch without a token
// with 401, which the page can read.
func TestNativeRefusesForeignPagesAndMissingTokens(t *testing.T) {
	tb := newTab(t)
	ns := startNative(t)
	tb.run(t, 30*time.Second, chromedp.Navigate(env.baseURL+"/web/embed-example.html"))
	before := len(ns.statuses(remote.SessionPath))
	res := poll[string](t, tb, `(async () => {
		try { const r = await fetch("`+ns.url+remote.SessionPath+`", {method: "POST"}); return "read " + r.status; }
		catch (e) { return "refused"; }
	})()`, 10*time.Second)
	got := ns.statuses(remote.SessionPath)
	if len(got) != before+1 || !strings.HasSuffix(got[len(got)-1], " 403") || !strings.Contains(got[len(got)-1], env.baseURL) {
		t.Errorf("a foreign page's session request: the server answered %v, want a 403 to origin %s", got[before:], env.baseURL)
	}
	if res != "refused" {
		t.Errorf("the foreign page could read the answer: %s", res)
	}
	tb.run(t, 30*time.Second, chromedp.Navigate(ns.url+"/web/embed-example.html"))
	status := poll[float64](t, tb, `(async () => (await fetch("`+remote.BatchPath+`", {method: "POST", body: "OTR1\0\0\0\0"})).status)()`, 10*time.Second)
	if status != http.StatusUnauthorized {
		t.Errorf("a batch without a token: status %v, want 401", status)
	}
	status = poll[float64](t, tb, `(async () => (await fetch("`+remote.BatchPath+`", {method: "POST", headers: {"`+remote.TokenHeader+`": "guess"}, body: "OTR1\0\0\0\0"})).status)()`, 10*time.Second)
	if status != http.StatusGone {
		t.Errorf("a batch with a guessed token: status %v, want 410", status)
	}
}

// TestNativeTimings measures one Sinkhorn iteration (with its residual
// check: one round trip) at n = m = 1000 in the page on three backends:
// native (the server's lavapipe through compute/remote), the browser's
// WebGPU (SwiftShader) and the wasm CPU. It logs the figures for the
// README and checks only that the three agree on the cost; set
// OTPLAY_NATIVE_TIMINGS=1 to run it (it takes a minute on 2 cores).
func TestNativeTimings(t *testing.T) {
	if os.Getenv("OTPLAY_NATIVE_TIMINGS") != "1" {
		t.Skip("a measurement, not a check: set OTPLAY_NATIVE_TIMINGS=1 to run it")
	}
	ns := startNative(t)
	fast, stop := newNativeServer(t, compute.NewCPUFast(0), false) // what otplay serve picks on a machine without a hardware GPU
	defer stop()
	const steps = 6
	costs := map[string]float64{}
	for _, c := range []struct {
		label   string
		srv     *nativeServer
		backend string
	}{
		{"native", ns, "native"}, {"native-cpu32", fast, "native"}, {"gpu", ns, "gpu"}, {"cpu", ns, "cpu"},
	} {
		tb := newTab(t)
		tb.run(t, 30*time.Second, chromedp.Navigate(c.srv.url+ui.OTPath+"?x=gaussian&y=moons&n=1000&m=1000&eps=0.05&seed=1&k=1&backend="+c.backend))
		f := waitOT(t, tb, "f.iteration === 0", 60*time.Second)
		var ms []float64
		b0, s0, r0 := c.srv.traffic()
		for i := 1; i <= steps; i++ {
			click(t, tb, "step")
			f = waitOT(t, tb, fmt.Sprintf("f.iteration === %d", i), 120*time.Second)
			if i > 1 { // the first includes warm-up (pipelines, first dispatch)
				ms = append(ms, f.TimingsMS["step"])
			}
		}
		sort.Float64s(ms)
		costs[c.label] = f.Cost
		t.Logf("%-12s %-45s one iteration + check at n=m=1000: %.1f..%.1f ms (median %.1f, %d steps)",
			c.label, f.Backend.Badge(), ms[0], ms[len(ms)-1], ms[len(ms)/2], len(ms))
		if b1, s1, r1 := c.srv.traffic(); c.backend == "native" {
			t.Logf("%s: %d steps (iteration + views) took %d round trips, %d bytes sent, %d received (per step: %.1f trips, %.0f B up, %.0f B down)",
				c.label, steps, b1-b0, s1-s0, r1-r0, float64(b1-b0)/steps, float64(s1-s0)/steps, float64(r1-r0)/steps)
		}
	}
	// The fixed cost of a round trip from the page: fetch POSTs of an
	// empty batch (what decides between fetch and a WebSocket).
	tb := newTab(t)
	tb.run(t, 30*time.Second, chromedp.Navigate(ns.url+"/web/embed-example.html"))
	rtt := poll[[]float64](t, tb, `(async () => {
		const s = await (await fetch("`+remote.SessionPath+`", {method: "POST"})).json();
		const frame = new Uint8Array([79, 84, 82, 49, 0, 0, 0, 0]);
		const ms = [];
		for (let i = 0; i < 60; i++) {
			const t0 = performance.now();
			const r = await fetch("`+remote.BatchPath+`", {method: "POST", headers: {"`+remote.TokenHeader+`": s.token}, body: frame});
			await r.arrayBuffer();
			if (i >= 10) ms.push(performance.now() - t0);
		}
		await fetch("`+remote.ClosePath+`", {method: "POST", body: s.token});
		return ms.sort((a, b) => a - b);
	})()`, 60*time.Second)
	t.Logf("an empty batch from the page (fetch POST, loopback): %.2f..%.2f ms, median %.2f (%d trips)", rtt[0], rtt[len(rtt)-1], rtt[len(rtt)/2], len(rtt))
	if d := relDiff(costs["native"], costs["cpu"]); d > 1e-4 {
		t.Errorf("native cost %.9g vs wasm CPU %.9g after %d iterations (relative %.2g)", costs["native"], costs["cpu"], steps, d)
	}
}
