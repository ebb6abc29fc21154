package e2e

import (
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/otplay/otplay/compute"
	"github.com/otplay/otplay/solvers/bridge"
	"github.com/otplay/otplay/solvers/data"
	"github.com/otplay/otplay/solvers/ot"
	"github.com/otplay/otplay/ui"
)

func waitBridge(t *testing.T, tb *tab, cond string, timeout time.Duration) ui.BridgeFrame {
	t.Helper()
	expr := `(() => { const f = window.otplayResult; return f && f.page === "/bridge" && f.done && (f.error || (` + cond + `)) ? JSON.stringify(f) : false; })()`
	text := poll[string](t, tb, expr, timeout)
	var f ui.BridgeFrame
	if err := json.Unmarshal([]byte(text), &f); err != nil {
		t.Fatalf("decoding the frame: %v\n%s", err, text)
	}
	if f.Error != "" {
		t.Fatalf("page error: %s\nconsole:\n%s", f.Error, tb.console())
	}
	return f
}

// /bridge on WebGPU and on the wasm CPU backend: the static bridge and the
// simulated particles, stepped and played, agree with bridge.New and
// Simulate run natively on the same data (built here from package data);
// the canvases are drawn; the URL state is the one run.
func TestBridgePage(t *testing.T) {
	for _, backend := range []string{"auto", "cpu"} {
		t.Run(backend, func(t *testing.T) { testBridgePage(t, backend) })
	}
}

func testBridgePage(t *testing.T, backend string) {
	tb := newTab(t)
	query := "x=gaussian&y=moons&n=80&m=70&particles=50&steps=8&sigma=0.25&seed=6&noise=drift&backend=" + backend
	st := mustDecodeState(t, ui.BridgeSchema, query)
	tb.run(t, 30*time.Second, chromedp.Navigate(env.baseURL+ui.BridgePath+"?"+query))
	f := waitBridge(t, tb, "f.step === 0", 40*time.Second)
	t.Logf("backend %s", f.Backend.Badge())
	if backend == "auto" && f.Backend.Kind != ui.KindWebGPU {
		t.Errorf("backend=auto opened %s; the browser has WebGPU", f.Backend.Badge())
	}
	if f.State != st.Encode() {
		t.Errorf("page runs %q, URL says %q", f.State, st.Encode())
	}

	cpu := compute.NewCPU(0)
	xs, _ := data.Generate("gaussian", 80, data.Options{Seed: 6})
	ys, _ := data.Generate("moons", 70, data.Options{Seed: 7})
	ps, _ := data.Generate("gaussian", 50, data.Options{Seed: 8})
	br, err := bridge.New(cpu, ot.Problem{X: xs.Points, Y: ys.Points, N: 80, M: 70, D: 2}, bridge.Settings{Sigma: 0.25})
	if err != nil {
		t.Fatal(err)
	}
	defer br.Free()
	var steps [][]float64
	if _, err := br.Simulate(ps.Points, bridge.SimSettings{Steps: 8, Seed: 6, Deterministic: true,
		Callback: func(k int, tt float64, x []float64) error {
			steps = append(steps, append([]float64(nil), x...))
			return nil
		}}); err != nil {
		t.Fatal(err)
	}
	// float64 on the wasm CPU; WebGPU: float32 Sinkhorn potentials and
	// soft-means (measured on SwiftShader: 2.9e-6 on the end positions;
	// the ui package's native GPU test 3.6e-6 on lavapipe).
	tolCost, tolX := 1e-12, 1e-12
	if f.Backend.Kind == ui.KindWebGPU {
		tolCost, tolX = 1e-4, 2e-4
	}
	if d := relDiff(f.Cost, br.Static.Cost); !(d <= tolCost) || f.Converged != br.Static.Converged {
		t.Errorf("static bridge cost %.9g vs native %.9g (relative %.2g); converged %v vs %v", f.Cost, br.Static.Cost, d, f.Converged, br.Static.Converged)
	}
	if d := diffusionMaxAbs(f.X, ps.Points); d != 0 {
		t.Errorf("particles at t = 0 differ from data.Generate(seed+2) by %g", d)
	}
	click(t, tb, "step")
	f = waitBridge(t, tb, "f.step === 1", 20*time.Second)
	if d := diffusionMaxAbs(f.X, steps[0]); !(d <= tolX) || math.Abs(f.T-0.125) > 1e-12 {
		t.Errorf("after one step: t %g, positions differ by %g (tolerance %g)", f.T, d, tolX)
	}
	click(t, tb, "play")
	f = waitBridge(t, tb, "f.finished", 30*time.Second)
	d := diffusionMaxAbs(f.X, steps[7])
	t.Logf("finished at t = %g: positions differ by %.3g; nearest-target distance %.4f -> %.4f; timings %v", f.T, d, f.Nearest[0], f.Nearest[len(f.Nearest)-1], f.TimingsMS)
	if !(d <= tolX) || f.Step != 8 || len(f.Nearest) != 9 {
		t.Errorf("end: step %d, %d distances, positions differ by %g (tolerance %g)", f.Step, len(f.Nearest), d, tolX)
	}
	ink := eval[[]int](t, tb, `(() => {
		const count = (id, test) => {
			const c = document.getElementById(id);
			const g = c.getContext("2d").getImageData(0, 0, c.width, c.height).data;
			let n = 0;
			for (let k = 0; k < g.length; k += 4) if (test(g[k], g[k+1], g[k+2])) n++;
			return n;
		};
		return [
			count("bridge-view", (r, g, b) => r < 80 && g > 90 && g < 150 && b > 150),
			count("bridge-view", (r, g, b) => r > 220 && g > 100 && g < 160 && b < 60),
			count("bridge-view", (r, g, b) => r > 120 && r < 170 && g < 130 && b > 160),
			count("bridge-chart", (r, g, b) => r > 180 && g < 80 && b < 80),
		];
	})()`)
	if len(ink) != 4 || ink[0] < 30 || ink[1] < 30 || ink[2] < 30 || ink[3] < 10 {
		t.Errorf("canvas ink (source blue, target orange, particles purple, chart red) = %v", ink)
	}
	click(t, tb, "reset")
	f = waitBridge(t, tb, "f.step === 0", 20*time.Second)
	tb.checkConsole(t)
}

// The transport, momentum and multiscale controls of /bridge, driven in
// the page on the wasm CPU backend (float64: exact against native):
// Transport shows only in sde mode and beta only for momentum (with its
// formula); choosing momentum, sliding beta and typing K, then Apply,
// puts transport=, momentum=, multiscale= in the URL and runs them: the
// coarse stage is reported, the end positions and the path energy at t = 1
// are bridge.NewMultiscale + Simulate's with the momentum transport.
// Screenshots at 1280x800 and 390x844 go to $OTPLAY_SCREENSHOTS if set.
func TestBridgeTransportControls(t *testing.T) {
	for _, vp := range []struct{ w, h int64 }{{1280, 800}, {390, 844}} {
		t.Run(fmt.Sprintf("%dx%d", vp.w, vp.h), func(t *testing.T) { testBridgeTransportControls(t, vp.w, vp.h) })
	}
}

func testBridgeTransportControls(t *testing.T, w, h int64) {
	tb := newTab(t)
	if w < 600 {
		tb.run(t, 10*time.Second, chromedp.EmulateViewport(w, h, chromedp.EmulateMobile))
	} else {
		tb.run(t, 10*time.Second, chromedp.EmulateViewport(w, h))
	}
	query := "x=gaussian&y=8gaussians&n=120&m=120&particles=40&steps=10&sigma=0.1&seed=1&noise=drift&backend=cpu"
	tb.run(t, 30*time.Second, chromedp.Navigate(env.baseURL+ui.BridgePath+"?"+query))
	waitBridge(t, tb, "f.step === 0", 40*time.Second)
	shown := func(id string) bool {
		return eval[bool](t, tb, `!!document.getElementById("`+id+`")`)
	}
	if shown("in-transport") || shown("in-momentum") || !shown("in-multiscale") {
		t.Errorf("noise=drift: transport shown %v, momentum %v, multiscale %v; want only multiscale", shown("in-transport"), shown("in-momentum"), shown("in-multiscale"))
	}
	setSelect := func(id, v string) {
		eval[bool](t, tb, `(() => { const s = document.getElementById("`+id+`"); s.value = "`+v+`"; s.dispatchEvent(new Event("change", {bubbles: true})); return true; })()`)
	}
	setSelect("in-noise", "sde")
	poll[bool](t, tb, `!!document.getElementById("in-transport")`, 10*time.Second)
	if shown("in-momentum") {
		t.Error("momentum beta shown for transport=drift")
	}
	setSelect("in-transport", "momentum")
	poll[bool](t, tb, `!!document.getElementById("in-momentum")`, 10*time.Second)
	if m := eval[string](t, tb, `document.getElementById("field-momentum").querySelector("math").textContent`); !strings.Contains(m, "β") || !strings.Contains(m, "←") {
		t.Errorf("momentum formula %q", m)
	}
	// beta 0.7 by its slider; K typed.
	eval[bool](t, tb, `(() => { const s = document.getElementById("in-momentum-slider"); s.value = "0.7"; s.dispatchEvent(new Event("input", {bubbles: true})); return true; })()`)
	poll[bool](t, tb, `document.getElementById("in-momentum").value === "0.7"`, 5*time.Second)
	eval[bool](t, tb, `(() => { const s = document.getElementById("in-multiscale"); s.value = "30"; s.dispatchEvent(new Event("change", {bubbles: true})); return true; })()`)
	click(t, tb, "apply")
	poll[bool](t, tb, `location.search.includes("transport=momentum") && location.search.includes("momentum=0.7") && location.search.includes("multiscale=30")`, 10*time.Second)
	f := waitBridge(t, tb, `f.step === 0 && f.transport === "momentum"`, 60*time.Second)
	if f.CoarseN != 30 || f.CoarseIterations < 1 || f.Momentum != 0.7 || f.PathEnergy != nil {
		t.Errorf("after Apply: coarse %d (%d iterations), beta %g, path energy %v before t = 1", f.CoarseN, f.CoarseIterations, f.Momentum, f.PathEnergy)
	}
	click(t, tb, "play")
	f = waitBridge(t, tb, "f.finished", 60*time.Second)

	// Native: the same problem, coarse-to-fine, and the momentum transport.
	cpu := compute.NewCPU(0)
	xs, _ := data.Generate("gaussian", 120, data.Options{Seed: 1})
	ys, _ := data.Generate("8gaussians", 120, data.Options{Seed: 2})
	ps, _ := data.Generate("gaussian", 40, data.Options{Seed: 3})
	br, info, err := bridge.NewMultiscale(cpu, ot.Problem{X: xs.Points, Y: ys.Points, N: 120, M: 120, D: 2}, bridge.Settings{Sigma: 0.1}, 30)
	if err != nil {
		t.Fatal(err)
	}
	defer br.Free()
	res, err := br.Simulate(ps.Points, bridge.SimSettings{Steps: 10, Seed: 1, Transport: bridge.TransportMomentum, Momentum: 0.7, PathEnergy: true})
	if err != nil {
		t.Fatal(err)
	}
	d := diffusionMaxAbs(f.X, res.X)
	t.Logf("finished: path energy %.6g (native %.6g), coarse %dx%d %d iterations (native %d), end positions differ by %.3g", deref(f.PathEnergy), res.PathEnergy, f.CoarseN, f.CoarseM, f.CoarseIterations, info.CoarseIterations, d)
	if f.PathEnergy == nil || math.Abs(*f.PathEnergy-res.PathEnergy) > 1e-9*res.PathEnergy || !(d <= 1e-9) || f.CoarseIterations != info.CoarseIterations {
		t.Errorf("page: path energy %v, positions differ by %g, coarse iterations %d; native %g, %d", f.PathEnergy, d, f.CoarseIterations, res.PathEnergy, info.CoarseIterations)
	}
	if txt := eval[string](t, tb, `document.getElementById("bridge-stats").textContent`); !strings.Contains(txt, "path energy") || !strings.Contains(txt, "momentum, β = 0.7") || !strings.Contains(txt, "coarse 30 x 30") {
		t.Errorf("read-out: %q", txt)
	}
	shot(t, tb, "bridge-momentum", w)
	if w < 600 { // the phone's panel is a drawer
		click(t, tb, "panel-button")
	}
	eval[bool](t, tb, `(() => { document.getElementById("field-transport").scrollIntoView(); return true; })()`)
	shot(t, tb, "bridge-controls", w)
	tb.checkConsole(t)
}

// mustDecodeState decodes a query that the schema must accept (a refused
// value would silently run its default).
func mustDecodeState(t *testing.T, s ui.Schema, q string) ui.State {
	t.Helper()
	st, err := s.DecodeQuery(q)
	if err != nil {
		t.Fatalf("query %q: %v", q, err)
	}
	return st
}

// deref is *p, or NaN for nil.
func deref(p *float64) float64 {
	if p == nil {
		return math.NaN()
	}
	return *p
}
