package e2e

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/chromedp"
	"github.com/otplay/otplay/compute"
	"github.com/otplay/otplay/solvers/ot"
	"github.com/otplay/otplay/ui"
)

// waitOT waits until the /ot page has published a frame satisfying cond (a
// JavaScript expression over the frame f) and returns it.
func waitOT(t *testing.T, tb *tab, cond string, timeout time.Duration) ui.OTFrame {
	t.Helper()
	expr := `(() => { const f = window.otplayResult; return f && f.page === "/ot" && f.done && (f.error || (` + cond + `)) ? JSON.stringify(f) : false; })()`
	text := poll[string](t, tb, expr, timeout)
	var f ui.OTFrame
	if err := json.Unmarshal([]byte(text), &f); err != nil {
		t.Fatalf("decoding the frame: %v\n%s", err, text)
	}
	if f.Error != "" {
		t.Fatalf("page error: %s\nconsole:\n%s", f.Error, tb.console())
	}
	return f
}

func click(t *testing.T, tb *tab, id string) {
	t.Helper()
	if ok := eval[bool](t, tb, `(() => { const b = document.getElementById("`+id+`"); if (!b || b.disabled) return false; b.click(); return true; })()`); !ok {
		t.Fatalf("button #%s missing or disabled\nconsole:\n%s", id, tb.console())
	}
}

func relDiff(a, b float64) float64 { return math.Abs(a-b) / math.Max(math.Abs(b), 1e-12) }

// Step, Play and Reset on /ot, on the browser's WebGPU and on the wasm
// CPU backend, checked against the ot package run natively on the CPU with
// the same data and settings.
func TestOTPageStepPlayReset(t *testing.T) {
	for _, backend := range []string{"auto", "cpu"} {
		t.Run(backend, func(t *testing.T) { testOTPage(t, backend) })
	}
}

func testOTPage(t *testing.T, backend string) {
	tb := newTab(t)
	query := "x=gaussian&y=moons&n=60&m=50&eps=0.3&seed=4&k=2&backend=" + backend
	st, err := ui.OTSchema.DecodeQuery(query)
	if err != nil {
		t.Fatal(err)
	}
	prob, err := ui.OTProblem(st)
	if err != nil {
		t.Fatal(err)
	}
	set := ui.OTSettings(st)

	tb.run(t, 30*time.Second, chromedp.Navigate(env.baseURL+ui.OTPath+"?"+query))
	f := waitOT(t, tb, "f.iteration === 0", 40*time.Second)
	tol := 1e-12 // the wasm CPU backend runs the same float64 code
	if f.Backend.Kind == ui.KindWebGPU {
		// float32: costs of unit-scale data, eps = 0.3; the ot package's
		// own GPU tests hold the cost to ~1e-5 relative.
		tol = 1e-4
	}
	t.Logf("backend %s", f.Backend.Badge())
	if backend == "auto" && f.Backend.Kind != ui.KindWebGPU {
		t.Errorf("backend=auto opened %s; the browser has WebGPU", f.Backend.Badge())
	}

	// One step.
	click(t, tb, "step")
	f = waitOT(t, tb, "f.iteration === 1", 20*time.Second)
	sv, err := ot.NewSolver(compute.NewCPU(0), prob, set)
	if err != nil {
		t.Fatal(err)
	}
	defer sv.Close()
	if err := sv.Step(1); err != nil {
		t.Fatal(err)
	}
	one, err := sv.Result()
	if err != nil {
		t.Fatal(err)
	}
	if d := relDiff(f.Cost, one.Cost); !(d <= tol) {
		t.Errorf("after 1 iteration: cost %.9g, native %.9g (relative %.2g > %g)", f.Cost, one.Cost, d, tol)
	}
	if d := relDiff(f.MarginalError, one.MarginalError); !(d <= 100*tol) {
		t.Errorf("after 1 iteration: marginal error %.6g, native %.6g (relative %.2g)", f.MarginalError, one.MarginalError, d)
	}
	if len(f.Residuals) != 1 {
		t.Errorf("%d residuals after one step, want 1", len(f.Residuals))
	}

	// Play to convergence.
	click(t, tb, "play")
	f = waitOT(t, tb, "f.converged && !f.playing", 60*time.Second)
	full, err := ot.Sinkhorn(compute.NewCPU(0), prob, set)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("converged in %d iterations (native %d): cost %.9g vs %.9g, objective %.9g vs %.9g, marginal error %.2g",
		f.Iteration, full.Iterations, f.Cost, full.Cost, f.Objective, full.Objective, f.MarginalError)
	if !full.Converged {
		t.Fatal("native Sinkhorn did not converge")
	}
	if d := relDiff(f.Cost, full.Cost); !(d <= math.Max(tol, 1e-6)) {
		t.Errorf("converged cost %.9g, native %.9g (relative %.2g)", f.Cost, full.Cost, d)
	}
	if d := relDiff(f.Objective, full.Objective); !(d <= math.Max(tol, 1e-6)) {
		t.Errorf("converged objective %.9g, native %.9g (relative %.2g)", f.Objective, full.Objective, d)
	}
	if last := f.Residuals[len(f.Residuals)-1]; !(last <= 1e-6) || len(f.Residuals) != f.Iteration {
		t.Errorf("residuals: %d for %d iterations, last %g", len(f.Residuals), f.Iteration, last)
	}
	if status := eval[string](t, tb, `document.getElementById("ot-stats").dataset.iteration`); status != itoa(f.Iteration) {
		t.Errorf("#ot-stats data-iteration = %q, want %d", status, f.Iteration)
	}
	// The plan view has points of both clouds and grey plan lines; the
	// chart has its red curve.
	ink := eval[[]int](t, tb, `(() => {
		const count = (id, test) => {
			const c = document.getElementById(id);
			const g = c.getContext("2d").getImageData(0, 0, c.width, c.height).data;
			let n = 0;
			for (let k = 0; k < g.length; k += 4) if (test(g[k], g[k+1], g[k+2])) n++;
			return n;
		};
		return [
			count("ot-plan", (r, g, b) => r < 80 && g > 90 && g < 150 && b > 150),
			count("ot-plan", (r, g, b) => r > 220 && g > 100 && g < 160 && b < 60),
			count("ot-plan", (r, g, b) => Math.abs(r - g) < 8 && Math.abs(g - b) < 8 && r > 60 && r < 200),
			count("ot-chart", (r, g, b) => r > 180 && g < 80 && b < 80),
		];
	})()`)
	if len(ink) != 4 || ink[0] < 50 || ink[1] < 50 || ink[2] < 50 || ink[3] < 20 {
		t.Errorf("canvas ink (X blue, Y orange, plan grey, chart red) = %v", ink)
	}

	// Reset: back to iteration 0 with an empty history.
	click(t, tb, "reset")
	f = waitOT(t, tb, "f.iteration === 0", 20*time.Second)
	if len(f.Residuals) != 0 || f.Converged {
		t.Errorf("after reset: %d residuals, converged %v", len(f.Residuals), f.Converged)
	}
	tb.checkConsole(t)
}

func itoa(i int) string { b, _ := json.Marshal(i); return string(b) }

// The /ot views beyond the plan lines: the sorted plan heatmap and both
// potentials over the plane are drawn (Viridis ink), and hovering a
// source point shows where its mass goes, matching the native plan row.
func TestOTViewsAndHover(t *testing.T) {
	tb := newTab(t)
	query := "x=gaussian&y=moons&n=60&m=50&eps=0.3&seed=4&k=2&backend=cpu"
	st, _ := ui.OTSchema.DecodeQuery(query)
	prob, _ := ui.OTProblem(st)
	tb.run(t, 30*time.Second, chromedp.Navigate(env.baseURL+ui.OTPath+"?"+query))
	waitOT(t, tb, "f.iteration === 0", 40*time.Second)
	click(t, tb, "play")
	f := waitOT(t, tb, "f.converged && !f.playing", 60*time.Second)

	ink := eval[[]int](t, tb, `["ot-heat", "ot-f", "ot-g"].map(id => {
		const c = document.getElementById(id);
		const g = c.getContext("2d").getImageData(0, 0, c.width, c.height).data;
		const seen = new Set();
		for (let k = 0; k < g.length; k += 4) {
			const [r, gg, b] = [g[k], g[k+1], g[k+2]];
			if (!(r > 240 && gg > 240 && b > 240) && !(Math.abs(r - gg) < 10 && Math.abs(gg - b) < 10)) seen.add((r >> 4) * 256 + (gg >> 4) * 16 + (b >> 4));
		}
		return seen.size;
	})`)
	t.Logf("distinct colours: heat %d, f %d, g %d", ink[0], ink[1], ink[2])
	for k, id := range []string{"ot-heat", "ot-f", "ot-g"} {
		if ink[k] < 8 {
			t.Errorf("%s shows %d distinct colours; want a Viridis heatmap", id, ink[k])
		}
	}

	px, py := ui.OTPlanPixel(prob, "x", 5)
	rect := eval[[]float64](t, tb, `(() => { const c = document.getElementById("ot-plan"); c.scrollIntoView({block: "center"}); const r = c.getBoundingClientRect(); return [r.left, r.top]; })()`)
	tb.run(t, 5*time.Second, chromedp.MouseEvent(input.DispatchMouseEventTypeMouseMoved, rect[0]+px, rect[1]+py))
	got := poll[[]string](t, tb, `(() => { const h = document.getElementById("ot-hover"); return h.dataset.set ? [h.dataset.set, h.dataset.index, h.dataset.mass, h.textContent] : false; })()`, 10*time.Second)
	if got[0] != "x" || got[1] != "5" {
		t.Fatalf("hovering x_5 shows %v", got)
	}
	var mass float64
	if err := json.Unmarshal([]byte(got[2]), &mass); err != nil || math.Abs(mass-1.0/60) > 1e-5 {
		t.Errorf("x_5's row sums to %s in the page, want 1/60 at convergence (%d iterations)", got[2], f.Iteration)
	}
	if !strings.Contains(got[3], "% to y_") {
		t.Errorf("hover text: %q", got[3])
	}
	// The red lines of the row are drawn on the plan view.
	red := eval[int](t, tb, `(() => { const c = document.getElementById("ot-plan"); const g = c.getContext("2d").getImageData(0, 0, c.width, c.height).data; let n = 0; for (let k = 0; k < g.length; k += 4) if (g[k] > 180 && g[k+1] < 110 && g[k+2] < 110) n++; return n; })()`)
	if red < 10 {
		t.Errorf("%d red pixels on the plan view while hovering", red)
	}
	tb.run(t, 5*time.Second, chromedp.MouseEvent(input.DispatchMouseEventTypeMouseMoved, 2, 2))
	poll[bool](t, tb, `!document.getElementById("ot-hover").dataset.set`, 5*time.Second)
	tb.checkConsole(t)
}

// The /ot form: a .csv upload replaces the source cloud (and a bad one is
// refused with the line named), the eps slider writes 10^position into
// the eps field, and method=divergence reports S.
func TestOTUploadSliderDivergence(t *testing.T) {
	tb := newTab(t)
	dir := t.TempDir()
	good, bad := filepath.Join(dir, "tri.csv"), filepath.Join(dir, "bad.csv")
	if err := os.WriteFile(good, []byte("x,y\n0,0\n1,0\n0,1\n0.5,0.5\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bad, []byte("1,2\n3,oops\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tb.run(t, 30*time.Second, chromedp.Navigate(env.baseURL+ui.OTPath+"?n=30&m=20&eps=0.2&method=divergence&backend=cpu"))
	f := waitOT(t, tb, "f.iteration === 0", 40*time.Second)
	if f.N != 30 || f.M != 20 || !(f.SelfX > 0) {
		t.Fatalf("before the upload: n %d, m %d, OT(a,a) %g", f.N, f.M, f.SelfX)
	}
	tb.run(t, 10*time.Second, chromedp.SetUploadFiles("#in-x-file", []string{good}))
	f = waitOT(t, tb, "f.n === 4 && f.iteration === 0", 20*time.Second)
	if pts := eval[string](t, tb, `document.getElementById("upload-x").dataset.points`); pts != "4" {
		t.Errorf("upload note says %q points", pts)
	}
	click(t, tb, "play")
	f = waitOT(t, tb, "f.converged && !f.playing", 30*time.Second)
	t.Logf("uploaded x (4 points): S = %.6g after %d iterations", f.Divergence, f.Iteration)
	if !(f.Divergence > 0) || f.M != 20 {
		t.Errorf("divergence %g with m = %d", f.Divergence, f.M)
	}

	tb.run(t, 10*time.Second, chromedp.SetUploadFiles("#in-y-file", []string{bad}))
	msg := poll[string](t, tb, `(() => { const e = document.getElementById("upload-error"); return e ? e.textContent : false; })()`, 10*time.Second)
	if !strings.Contains(msg, "bad.csv") || !strings.Contains(msg, "line 2") {
		t.Errorf("refusal: %q", msg)
	}
	if m := eval[int](t, tb, `window.otplayResult.m`); m != 20 {
		t.Errorf("a refused upload changed y: m = %d", m)
	}

	// The slider at -1 writes eps = 0.1; Apply puts it in the URL.
	tb.run(t, 5*time.Second, chromedp.Evaluate[chromedp.Void](`(() => { const s = document.getElementById("in-eps-log"); s.value = "-1"; s.dispatchEvent(new Event("input", {bubbles: true})); })()`))
	poll[bool](t, tb, `document.getElementById("in-eps").value === "0.1"`, 5*time.Second)
	click(t, tb, "apply")
	poll[bool](t, tb, `location.search.includes("eps=0.1")`, 5*time.Second)
	tb.checkConsole(t)
}

// Painting: with the mode on "paint points of Y", a drag across the plan
// view adds points to Y (one per 6 canvas pixels or more) where the
// pointer passed, and the run starts again with them.
func TestOTPaint(t *testing.T) {
	tb := newTab(t)
	query := "n=40&m=30&eps=0.1&backend=cpu"
	st, _ := ui.OTSchema.DecodeQuery(query)
	prob, _ := ui.OTProblem(st)
	tb.run(t, 30*time.Second, chromedp.Navigate(env.baseURL+ui.OTPath+"?"+query))
	waitOT(t, tb, "f.iteration === 0", 40*time.Second)
	eval[bool](t, tb, `(() => { const s = document.getElementById("paint-mode"); s.value = "y"; s.dispatchEvent(new Event("change", {bubbles: true})); return true; })()`)
	rect := eval[[]float64](t, tb, `(() => { const c = document.getElementById("ot-plan"); c.scrollIntoView({block: "center"}); const r = c.getBoundingClientRect(); return [r.left, r.top]; })()`)
	// A stroke from the pixel of x_0, 8 moves of 10 px to the right.
	px, py := ui.OTPlanPixel(prob, "x", 0)
	x0, y0 := rect[0]+px, rect[1]+py
	tb.run(t, 10*time.Second,
		chromedp.MouseEvent(input.DispatchMouseEventTypeMouseMoved, x0, y0),
		chromedp.MouseEvent(input.DispatchMouseEventTypeMousePressed, x0, y0, chromedp.ButtonLeft, chromedp.ClickCount(1)))
	for k := 1; k <= 8; k++ {
		tb.run(t, 5*time.Second, chromedp.MouseEvent(input.DispatchMouseEventTypeMouseMoved, x0+float64(10*k), y0, chromedp.ButtonLeft))
	}
	tb.run(t, 5*time.Second, chromedp.MouseEvent(input.DispatchMouseEventTypeMouseReleased, x0+80, y0, chromedp.ButtonLeft, chromedp.ClickCount(1)))
	f := waitOT(t, tb, "f.m > 30 && f.iteration === 0", 20*time.Second)
	if f.N != 40 || f.M != 39 {
		t.Errorf("after a 9-point stroke: n = %d, m = %d (want 40 and 30 + 9)", f.N, f.M)
	}
	if note := eval[string](t, tb, `document.getElementById("upload-y").textContent`); !strings.Contains(note, "painted (39 points") {
		t.Errorf("the y note says %q", note)
	}
	tb.checkConsole(t)
}
