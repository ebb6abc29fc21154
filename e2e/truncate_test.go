package e2e

import (
	"encoding/json"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/otplay/otplay/compute"
	"github.com/otplay/otplay/solvers/data"
	"github.com/otplay/otplay/solvers/diffusion"
	"github.com/otplay/otplay/solvers/metrics"
	"github.com/otplay/otplay/solvers/truncate"
	"github.com/otplay/otplay/ui"
)

func waitTruncate(t *testing.T, tb *tab, cond string, timeout time.Duration) ui.TruncateFrame {
	t.Helper()
	expr := `(() => { const f = window.otplayResult; return f && f.page === "/truncate" && f.done && (f.error || (` + cond + `)) ? JSON.stringify(f) : false; })()`
	text := poll[string](t, tb, expr, timeout)
	var f ui.TruncateFrame
	if err := json.Unmarshal([]byte(text), &f); err != nil {
		t.Fatalf("decoding the frame: %v\n%s", err, text)
	}
	if f.Error != "" {
		t.Fatalf("page error: %s\nconsole:\n%s", f.Error, tb.console())
	}
	return f
}

// /truncate on WebGPU and on the wasm CPU backend: the full and the
// truncated sampler, stepped side by side and played, and the quality
// ladder agree with diffusion.Sample and truncate.FitPrior +
// SampleReverse run natively; the canvases are drawn; the T_trunc slider
// moves to the URL of the new state.
func TestTruncatePage(t *testing.T) {
	for _, backend := range []string{"auto", "cpu"} {
		t.Run(backend, func(t *testing.T) { testTruncatePage(t, backend) })
	}
}

func testTruncatePage(t *testing.T, backend string) {
	tb := newTab(t)
	query := "data=moons&n=120&particles=48&ttrunc=300&prior=entropic&fit=200&sampler=ddim&steps=3&seed=4&backend=" + backend
	st := mustDecodeState(t, ui.TruncateSchema, query)
	tb.run(t, 30*time.Second, chromedp.Navigate(env.baseURL+ui.TruncatePath+"?"+query))
	// While the prior fits, the progress line counts its Sinkhorn
	// iterations (the page repaints during the fit, on the CPU too).
	poll[bool](t, tb, `(() => { const p = document.getElementById("progress"); return !!p && p.dataset.phase.startsWith("Fitting the entropic prior") && +p.dataset.total === 1000 && +p.dataset.done > 0; })()`, 60*time.Second)
	f := waitTruncate(t, tb, "f.phase === 'sampling' && f.full.x && f.trunc.x", 60*time.Second)
	t.Logf("backend %s", f.Backend.Badge())
	if backend == "auto" && f.Backend.Kind != ui.KindWebGPU {
		t.Errorf("backend=auto opened %s; the browser has WebGPU", f.Backend.Badge())
	}
	if f.State != st.Encode() || f.TTrunc != 300 || math.Abs(f.TStart-0.3) > 1e-12 {
		t.Errorf("state %q (URL %q), T_trunc %d, t start %g", f.State, st.Encode(), f.TTrunc, f.TStart)
	}
	// The entropic fit counted its Sinkhorn iterations up to the cap
	// (reached or jumped to on convergence) while it ran.
	if f.FitTotal != 1000 || f.FitDone != f.FitTotal {
		t.Errorf("fit progress %d of %d, want 1000 of 1000 once fitted", f.FitDone, f.FitTotal)
	}

	cpu := compute.NewCPU(0)
	s, _ := data.Generate("moons", 120, data.Options{Seed: 4})
	model, err := diffusion.NewEmpirical(cpu, s.Points, 120, 2, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer model.Free()
	sched := diffusion.Linear(0)
	fit, err := truncate.FitPrior(cpu, s.Points, 120, 2, truncate.Settings{Schedule: sched, TTrunc: 300, Prior: truncate.Entropic, Seed: 4, FitSamples: 200})
	if err != nil {
		t.Fatal(err)
	}
	defer fit.Free()
	x, _ := cpu.Alloc(96)
	run := func(truncated bool, steps int) ([][]float64, []float64) {
		var xs [][]float64
		set := diffusion.Settings{Sampler: diffusion.DDIM, Steps: steps, Seed: 4,
			Callback: func(s diffusion.Step) error { xs = append(xs, s.X); return nil }}
		var err error
		if truncated {
			_, err = fit.SampleReverse(model, sched, x, 48, 4, set)
		} else if err = diffusion.InitialNoise(cpu, x, 4); err == nil {
			_, err = diffusion.Sample(cpu, model, sched, x, 48, set)
		}
		if err != nil {
			t.Fatal(err)
		}
		out := make([]float64, 96)
		cpu.Read(out, x)
		return xs, out
	}
	fullSteps, _ := run(false, 3)
	truncSteps, _ := run(true, 3)
	// float64 on the wasm CPU. WebGPU: float32 Philox normals, the
	// float32 Sinkhorn of the prior fit and soft-means (measured on
	// SwiftShader: 3.7e-7 full, 3.0e-5 truncated; the ui package's native
	// GPU test 1.4e-6 and 1.3e-4 on lavapipe).
	tolFull, tolTrunc, tolMMD := 1e-12, 1e-12, 1e-9
	if f.Backend.Kind == ui.KindWebGPU {
		tolFull, tolTrunc, tolMMD = 1e-4, 2e-3, 1e-2
	}
	click(t, tb, "step")
	f = waitTruncate(t, tb, "f.full.step === 1 && f.trunc.step === 1", 20*time.Second)
	if d := diffusionMaxAbs(f.Full.X, fullSteps[0]); !(d <= tolFull) {
		t.Errorf("full side after one step differs by %g (tolerance %g)", d, tolFull)
	}
	if d := diffusionMaxAbs(f.Trunc.X, truncSteps[0]); !(d <= tolTrunc) {
		t.Errorf("truncated side after one step differs by %g (tolerance %g)", d, tolTrunc)
	}
	click(t, tb, "play")
	f = waitTruncate(t, tb, "f.phase === 'finished'", 30*time.Second)
	df := diffusionMaxAbs(f.Full.X, fullSteps[2])
	dt := diffusionMaxAbs(f.Trunc.X, truncSteps[2])
	t.Logf("finished: full differs by %.3g, truncated by %.3g; MMD full %.4f truncated %.4f; ladder NFE %v full %.4f truncated %.4f; %v",
		df, dt, f.Full.MMD, f.Trunc.MMD, f.LadderNFE, f.LadderFull, f.LadderTrunc, f.TimingsMS)
	if !(df <= tolFull) || !(dt <= tolTrunc) || f.Full.NFE != 3 || f.Trunc.NFE != 3 {
		t.Errorf("end: full differs by %g, truncated by %g; NFE %d and %d", df, dt, f.Full.NFE, f.Trunc.NFE)
	}
	// The ladder's rungs at 1 and 5 steps, against native runs of both
	// samplers (the truncated MMD reaches its floor 0 within 2 steps here,
	// the full one only at 13).
	bw := metrics.MedianBandwidth(s.Points, s.Points, 2)
	for _, steps := range []int{1, 5} {
		_, tr := run(true, steps)
		_, fu := run(false, steps)
		wt, _ := metrics.MMDHost(tr, 48, s.Points, 120, 2, bw)
		wf, _ := metrics.MMDHost(fu, 48, s.Points, 120, 2, bw)
		i := 0
		for i < len(f.LadderSteps) && f.LadderSteps[i] != steps {
			i++
		}
		if i == len(f.LadderSteps) || math.Abs(f.LadderTrunc[i]-wt.MMD) > tolMMD*(1+wt.MMD) || math.Abs(f.LadderFull[i]-wf.MMD) > tolMMD*(1+wf.MMD) {
			t.Errorf("ladder %v at %d steps: truncated MMD %v (native %g), full %v (native %g)", f.LadderSteps, steps, f.LadderTrunc, wt.MMD, f.LadderFull, wf.MMD)
		}
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
			count("truncate-full", (r, g, b) => r < 80 && g > 90 && g < 150 && b > 150),
			count("truncate-trunc", (r, g, b) => r > 180 && g < 80 && b < 80),
			count("truncate-ladder", (r, g, b) => r > 180 && g < 80 && b < 80),
		];
	})()`)
	if len(ink) != 3 || ink[0] < 30 || ink[1] < 30 || ink[2] < 10 {
		t.Errorf("canvas ink (full blue, truncated red, ladder red) = %v", ink)
	}
	if backend == "cpu" {
		// The slider writes T_trunc into the URL and the page runs it.
		eval[bool](t, tb, `(() => { const s = document.getElementById("ttrunc-slider"); s.value = "500"; s.dispatchEvent(new Event("change", {bubbles: true})); return true; })()`)
		f = waitTruncate(t, tb, "f.ttrunc === 500 && f.phase === 'sampling'", 40*time.Second)
		if loc := eval[string](t, tb, `location.search`); !strings.Contains(loc, "ttrunc=500") || math.Abs(f.TStart-0.5) > 1e-12 {
			t.Errorf("after the slider: location %q, t start %g", loc, f.TStart)
		}
	}
	tb.checkConsole(t)
}
