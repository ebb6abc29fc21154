package e2e

import (
	"encoding/json"
	"math"
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
