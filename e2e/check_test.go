package e2e

import (
	"context"
	"encoding/json"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/otplay/otplay/compute"
	"github.com/otplay/otplay/ui"
)

// resultExpr is truthy once /check has published its result.
const resultExpr = `window.otplayResult && window.otplayResult.done ? JSON.stringify(window.otplayResult) : false`

// loadCheck opens /check with a query and returns the published result.
func loadCheck(t *testing.T, tb *tab, query string) ui.CheckResult {
	t.Helper()
	tb.run(t, 30*time.Second, chromedp.Navigate(env.baseURL+ui.CheckPath+query))
	text := poll[string](t, tb, resultExpr, 40*time.Second)
	var r ui.CheckResult
	if err := json.Unmarshal([]byte(text), &r); err != nil {
		t.Fatalf("decoding window.otplayResult: %v\n%s", err, text)
	}
	if r.Error != "" {
		t.Fatalf("page error: %s\nconsole:\n%s", r.Error, tb.console())
	}
	return r
}

// referenceSoftMin is the soft-min written out in float64, independent of
// the compute package's kernels:
//
//	out_i = -eps log( (1/M) sum_j exp(-|x_i - y_j|^2 / eps) )
//
// with the maximum term factored out (exact log-sum-exp).
func referenceSoftMin(x, y []float64, n, m, d int, eps float64) []float64 {
	out := make([]float64, n)
	s := make([]float64, m)
	for i := 0; i < n; i++ {
		best := math.Inf(-1)
		for j := 0; j < m; j++ {
			c := 0.0
			for k := 0; k < d; k++ {
				diff := x[i*d+k] - y[j*d+k]
				c += diff * diff
			}
			s[j] = -c / eps
			best = math.Max(best, s[j])
		}
		sum := 0.0
		for j := 0; j < m; j++ {
			sum += math.Exp(s[j] - best)
		}
		out[i] = -eps * (best + math.Log(sum/float64(m)))
	}
	return out
}

// The check page opens WebGPU (SwiftShader here), runs the soft-min and
// publishes numbers that match an independent float64 computation on the
// same seeded clouds.
func TestCheckPageWebGPU(t *testing.T) {
	tb := newTab(t)
	const n, m, d, eps, seed = 300, 257, 3, 0.3, 7
	r := loadCheck(t, tb, "?n=300&m=257&d=3&eps=0.3&seed=7")

	if r.N != n || r.M != m || r.D != d || r.Eps != eps || r.Seed != seed {
		t.Fatalf("page ran n=%d m=%d d=%d eps=%g seed=%d, want %d %d %d %g %d", r.N, r.M, r.D, r.Eps, r.Seed, n, m, d, eps, seed)
	}
	// With --enable-unsafe-webgpu Chromium always has an adapter
	// (SwiftShader); the page must have found and named it.
	if r.Backend.Adapter == "" {
		t.Errorf("no WebGPU adapter reported (backend %+v); the browser has one", r.Backend)
	}
	if len(r.Values) != n {
		t.Fatalf("published %d values, want %d", len(r.Values), n)
	}
	c := ui.SoftMinCheck{N: n, M: m, D: d, Eps: eps, Seed: seed}
	x, y := c.Clouds()
	want := referenceSoftMin(x, y, n, m, d, eps)

	// float64 CPU in the wasm: equal to rounding; float32 WebGPU: within
	// the page's own tolerance (see ui.Float32Tolerance).
	tol := 1e-12
	if r.Backend.Kind == ui.KindWebGPU {
		tol = ui.Float32Tolerance
	} else if r.Backend.Kind != ui.KindCPU {
		t.Fatalf("backend kind %q", r.Backend.Kind)
	}
	got := ui.MaxRelDiff(r.Values, want, eps)
	t.Logf("backend %s; max relative difference vs float64 reference %.3g (tolerance %g); page says %.3g; timings %v",
		r.Backend.Badge(), got, tol, r.MaxRelDiff, r.TimingsMS)
	if !(got <= tol) {
		t.Errorf("soft-min on %s: max relative difference %.3g vs the float64 reference, want <= %g", r.Backend.Kind, got, tol)
	}
	if !r.Agree || r.MaxRelDiff < 0 || r.MaxRelDiff > r.Tolerance {
		t.Errorf("page reports agree=%v maxRelDiff=%g tolerance=%g", r.Agree, r.MaxRelDiff, r.Tolerance)
	}
	for _, k := range []string{"open", "upload", "first", "repeat"} {
		if v, ok := r.TimingsMS[k]; !ok || v < 0 {
			t.Errorf("timing %q = %v, %v", k, v, ok)
		}
	}

	// The DOM says the same as the result.
	if status := eval[string](t, tb, `document.getElementById("check-result").dataset.status`); status != "done" {
		t.Errorf("#check-result data-status = %q, want done", status)
	}
	if agree := eval[string](t, tb, `document.getElementById("check-result").dataset.agree`); agree != "yes" {
		t.Errorf("#check-result data-agree = %q, want yes", agree)
	}
	if title := eval[string](t, tb, `document.title`); title != "Backend check · otplay" {
		t.Errorf("title %q", title)
	}
	badge := eval[string](t, tb, `document.getElementById("backend-badge").textContent`)
	if badge != r.Backend.Badge() {
		t.Errorf("badge %q, want %q", badge, r.Backend.Badge())
	}
	// The clouds were drawn: the canvas has ink of both cloud colours
	// (Palette[0] blue for X, Palette[1] orange for Y).
	ink := eval[[]int](t, tb, `(() => {
		const c = document.getElementById("check-clouds");
		const g = c.getContext("2d").getImageData(0, 0, c.width, c.height).data;
		let blue = 0, orange = 0;
		for (let k = 0; k < g.length; k += 4) {
			if (g[k] < 80 && g[k+1] > 90 && g[k+1] < 150 && g[k+2] > 150) blue++;
			if (g[k] > 220 && g[k+1] > 100 && g[k+1] < 160 && g[k+2] < 60) orange++;
		}
		return [blue, orange];
	})()`)
	if len(ink) != 2 || ink[0] < 100 || ink[1] < 100 {
		t.Errorf("canvas ink (blue X, orange Y) = %v pixels, want >= 100 of each", ink)
	}
	tb.checkConsole(t)
}

// backend=cpu forces the CPU fallback, and the page says so.
func TestCheckPageCPUFallback(t *testing.T) {
	tb := newTab(t)
	const n, m, d, eps, seed = 64, 50, 2, 0.5, 3
	r := loadCheck(t, tb, "?n=64&m=50&eps=0.5&seed=3&backend=cpu")
	if r.Backend.Kind != ui.KindCPU || !strings.Contains(r.Backend.Reason, "backend=cpu") {
		t.Errorf("backend %+v, want the CPU with the reason backend=cpu", r.Backend)
	}
	badge := eval[string](t, tb, `document.getElementById("backend-badge").textContent`)
	if !strings.HasPrefix(badge, "CPU (") || !strings.Contains(badge, "backend=cpu") {
		t.Errorf("badge %q, want CPU (requested with backend=cpu)", badge)
	}
	if kind := eval[string](t, tb, `document.getElementById("backend-badge").dataset.kind`); kind != "cpu" {
		t.Errorf("badge data-kind %q, want cpu", kind)
	}
	// The wasm's CPU backend is compute.NewCPU: bit-for-bit the native one
	// up to the order of float64 sums; compare to rounding.
	c := ui.SoftMinCheck{N: n, M: m, D: d, Eps: eps, Seed: seed}
	native, _, err := c.Run(compute.NewCPU(1))
	if err != nil {
		t.Fatal(err)
	}
	if diff := ui.MaxRelDiff(r.Values, native, eps); !(diff <= 1e-13) {
		t.Errorf("wasm CPU vs native CPU: max relative difference %g, want <= 1e-13", diff)
	}
	tb.checkConsole(t)
}

// The gallery links to the pages; a bad URL state is reported on the page
// (not in the console) and the defaults are used; the embed route is bare.
func TestGalleryStateAndEmbed(t *testing.T) {
	tb := newTab(t)
	tb.run(t, 30*time.Second, chromedp.Navigate(env.baseURL+"/"))
	href := poll[string](t, tb, `(() => { const a = document.querySelector('a.otplay-card[href="/check"]'); return a ? a.getAttribute("href") : false; })()`, 30*time.Second)
	if href != "/check" {
		t.Errorf("gallery card href %q", href)
	}
	// The gallery opened the default backend for its badge.
	poll[bool](t, tb, `document.getElementById("backend-badge").dataset.kind !== "pending"`, 30*time.Second)

	r := loadCheck(t, tb, "?n=abc&m=40&backend=cpu")
	if r.N != 1024 || r.M != 40 {
		t.Errorf("bad n: ran n=%d m=%d, want the default n=1024 and m=40", r.N, r.M)
	}
	msg := eval[string](t, tb, `(document.getElementById("state-error") || {}).textContent || ""`)
	if !strings.Contains(msg, `n = "abc"`) {
		t.Errorf("state error %q, want it to name n = \"abc\"", msg)
	}

	tb.run(t, 30*time.Second, chromedp.Navigate(env.baseURL+"/embed/check?n=32&m=32&backend=cpu"))
	poll[string](t, tb, resultExpr, 30*time.Second)
	if nav := eval[int](t, tb, `document.querySelectorAll("nav.otplay-nav").length`); nav != 0 {
		t.Errorf("embed view has %d nav bars, want 0", nav)
	}
	if form := eval[int](t, tb, `document.querySelectorAll(".otplay-form").length`); form != 0 {
		t.Errorf("embed view has %d forms, want 0", form)
	}
	tb.checkConsole(t)
}

// The console guard itself works: an error written by the page is seen.
func TestConsoleErrorsAreCaught(t *testing.T) {
	tb := newTab(t)
	tb.run(t, 30*time.Second, chromedp.Navigate(env.baseURL+"/api/info"))
	eval[chromedp.Void](t, tb, `console.error("otplay-e2e-probe")`)
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(tb.console(), "error: otplay-e2e-probe") {
		if time.Now().After(deadline) {
			t.Fatalf("console.error not collected; console:\n%s", tb.console())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Without --enable-unsafe-webgpu Chromium has no adapter: the page falls
// back to the CPU, says why, and its numbers are still right.
func TestCheckPageWithoutWebGPU(t *testing.T) {
	if env.skip != "" {
		t.Skip(env.skip)
	}
	if env.setupErr != nil {
		t.Fatal("setup:", env.setupErr)
	}
	opts := append(browserOptions(findChromium(), t.TempDir()), chromedp.Flag("enable-unsafe-webgpu", false))
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancelAlloc()
	ctx, cancel := chromedp.NewContext(allocCtx)
	defer cancel()
	tb := &tab{ctx: ctx}
	if err := chromedp.Do(ctx); err != nil {
		t.Fatal("starting a second browser:", err)
	}
	msgs := chromedp.Console(ctx)
	go func() {
		for m, err := range msgs {
			if err != nil {
				return
			}
			tb.mu.Lock()
			tb.msgs = append(tb.msgs, m)
			tb.mu.Unlock()
		}
	}()
	r := loadCheck(t, tb, "?n=40&m=30&seed=2")
	if r.Backend.Kind != ui.KindCPU || r.Backend.Adapter != "" || !strings.Contains(r.Backend.Reason, "no WebGPU adapter") {
		t.Errorf("backend %+v, want the CPU because there is no adapter", r.Backend)
	}
	badge := eval[string](t, tb, `document.getElementById("backend-badge").textContent`)
	if !strings.HasPrefix(badge, "CPU (no WebGPU adapter") {
		t.Errorf("badge %q", badge)
	}
	// The plain-words advice for this browser (Chromium on Linux: the
	// flag and Vulkan), and the native way out.
	advice := eval[string](t, tb, `(() => { const a = document.getElementById("webgpu-advice"); return a ? a.textContent : ""; })()`)
	for _, want := range []string{"Computing on the CPU", "--enable-unsafe-webgpu", "Vulkan", "otplay serve"} {
		if !strings.Contains(advice, want) {
			t.Errorf("advice %q lacks %q", advice, want)
		}
	}
	c := ui.SoftMinCheck{N: 40, M: 30, D: 2, Eps: 0.5, Seed: 2}
	x, y := c.Clouds()
	if d := ui.MaxRelDiff(r.Values, referenceSoftMin(x, y, 40, 30, 2, 0.5), 0.5); !(d <= 1e-12) {
		t.Errorf("CPU fallback numbers: max relative difference %g", d)
	}
	tb.checkConsole(t)
}

// The form writes the URL state: changing inputs and pressing Run
// navigates to the new URL, and the page recomputes with it.
func TestCheckPageFormNavigates(t *testing.T) {
	tb := newTab(t)
	loadCheck(t, tb, "?n=20&m=20&backend=cpu")
	eval[chromedp.Void](t, tb, `(() => {
		const set = (id, v) => { const e = document.getElementById(id); e.value = v; e.dispatchEvent(new Event("change")); };
		set("in-n", "33"); set("in-eps", "0.25");
		window.otplayResult = null;
		document.getElementById("run").click();
	})()`)
	text := poll[string](t, tb, resultExpr, 30*time.Second)
	var r ui.CheckResult
	if err := json.Unmarshal([]byte(text), &r); err != nil {
		t.Fatal(err)
	}
	if r.N != 33 || r.Eps != 0.25 || r.M != 20 || r.Backend.Kind != ui.KindCPU {
		t.Errorf("after Run: n=%d m=%d eps=%g backend %s, want n=33 m=20 eps=0.25 on the CPU", r.N, r.M, r.Eps, r.Backend.Kind)
	}
	if q := eval[string](t, tb, `location.search`); q != "?backend=cpu&eps=0.25&m=20&n=33" {
		t.Errorf("URL query %q, want the canonical ?backend=cpu&eps=0.25&m=20&n=33", q)
	}
	// A bad value is refused on the page, with no navigation.
	eval[chromedp.Void](t, tb, `(() => {
		const e = document.getElementById("in-d"); e.value = "99"; e.dispatchEvent(new Event("change"));
		document.getElementById("run").click();
	})()`)
	msg := poll[string](t, tb, `(() => { const e = document.getElementById("state-error"); return e ? e.textContent : false; })()`, 10*time.Second)
	if !strings.Contains(msg, "d = 99") {
		t.Errorf("state error %q, want it to name d = 99", msg)
	}
	if q := eval[string](t, tb, `location.search`); q != "?backend=cpu&eps=0.25&m=20&n=33" {
		t.Errorf("a refused value changed the URL to %q", q)
	}
	tb.checkConsole(t)
}
