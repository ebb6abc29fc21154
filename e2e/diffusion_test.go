package e2e

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/otplay/otplay/compute"
	"github.com/otplay/otplay/play"
	"github.com/otplay/otplay/solvers/data"
	"github.com/otplay/otplay/solvers/diffusion"
	"github.com/otplay/otplay/solvers/metrics"
	"github.com/otplay/otplay/ui"
)

// waitDiffusion waits until /diffusion has published a frame satisfying
// cond (a JavaScript expression over the frame f) and returns it.
func waitDiffusion(t *testing.T, tb *tab, cond string, timeout time.Duration) ui.DiffusionFrame {
	t.Helper()
	expr := `(() => { const f = window.otplayResult; return f && f.page === "/diffusion" && f.done && (f.error || (` + cond + `)) ? JSON.stringify(f) : false; })()`
	text := poll[string](t, tb, expr, timeout)
	var f ui.DiffusionFrame
	if err := json.Unmarshal([]byte(text), &f); err != nil {
		t.Fatalf("decoding the frame: %v\n%s", err, text)
	}
	if f.Error != "" {
		t.Fatalf("page error: %s\nconsole:\n%s", f.Error, tb.console())
	}
	return f
}

func diffusionMaxAbs(a, b []float64) float64 {
	if len(a) != len(b) {
		return math.Inf(1)
	}
	m := 0.0
	for i := range a {
		m = math.Max(m, math.Abs(a[i]-b[i]))
	}
	return m
}

// /diffusion on the browser's WebGPU and on the wasm CPU backend: the
// prior, one Step and the played run agree with diffusion.Sample run
// natively (the empirical model of the same data, DDIM, the same seed);
// the canvases are drawn; the URL state is what the page runs and shows.
func TestDiffusionPage(t *testing.T) {
	for _, backend := range []string{"auto", "cpu"} {
		t.Run(backend, func(t *testing.T) { testDiffusionPage(t, backend) })
	}
}

func testDiffusionPage(t *testing.T, backend string) {
	tb := newTab(t)
	query := "data=moons&n=120&particles=60&sampler=ddim&steps=8&seed=5&trail=4&backend=" + backend
	st, err := ui.DiffusionSchema.DecodeQuery(query)
	if err != nil {
		t.Fatal(err)
	}
	tb.run(t, 30*time.Second, chromedp.Navigate(env.baseURL+ui.DiffusionPath+"?"+query))
	f := waitDiffusion(t, tb, "f.step === 0 && f.phase === 'sampling'", 40*time.Second)
	t.Logf("backend %s", f.Backend.Badge())
	if backend == "auto" && f.Backend.Kind != ui.KindWebGPU {
		t.Errorf("backend=auto opened %s; the browser has WebGPU", f.Backend.Badge())
	}
	if f.State != st.Encode() {
		t.Errorf("page runs state %q, URL says %q", f.State, st.Encode())
	}
	// The form shows the URL's values.
	if got := eval[[]string](t, tb, `["sampler", "steps", "data"].map(k => document.getElementById("in-" + k).value)`); len(got) != 3 || got[0] != "ddim" || got[1] != "8" || got[2] != "moons" {
		t.Errorf("form shows %v, want [ddim 8 moons]", got)
	}

	// The native reference.
	cpu := compute.NewCPU(0)
	s, err := data.Generate("moons", 120, data.Options{Seed: 5})
	if err != nil {
		t.Fatal(err)
	}
	model, err := diffusion.NewEmpirical(cpu, s.Points, 120, 2, nil)
	if err != nil {
		t.Fatal(err)
	}
	x, _ := cpu.Alloc(120)
	if err := diffusion.InitialNoise(cpu, x, 5); err != nil {
		t.Fatal(err)
	}
	prior := make([]float64, 120)
	if err := cpu.Read(prior, x); err != nil {
		t.Fatal(err)
	}
	var steps []diffusion.Step
	sched, _ := diffusion.ParseSchedule("linear")
	if _, err := diffusion.Sample(cpu, model, sched, x, 60, diffusion.Settings{Sampler: diffusion.DDIM, Steps: 8, Seed: 5,
		Callback: func(s diffusion.Step) error { steps = append(steps, s); return nil }}); err != nil {
		t.Fatal(err)
	}

	// Tolerances: the wasm CPU backend runs the same float64 code. WebGPU
	// is float32 (Philox normals by Box-Muller in float32, soft-means of
	// unit-scale data); measured on SwiftShader: 8.3e-7 at the end, the
	// MMD equal to 7 digits. The bounds leave two orders of magnitude.
	tolPrior, tolStep, tolEnd, tolMMD := 1e-12, 1e-12, 1e-12, 1e-9
	if f.Backend.Kind == ui.KindWebGPU {
		tolPrior, tolStep, tolEnd, tolMMD = 1e-5, 1e-4, 1e-4, 1e-3
	}
	if d := diffusionMaxAbs(f.X, prior); !(d <= tolPrior) {
		t.Errorf("prior differs from InitialNoise by %g (tolerance %g)", d, tolPrior)
	}

	click(t, tb, "step")
	f = waitDiffusion(t, tb, "f.step === 1", 20*time.Second)
	if d := diffusionMaxAbs(f.X, steps[0].X); !(d <= tolStep) || f.NFE != steps[0].NFE || math.Abs(f.T-steps[0].TNext) > 1e-12 {
		t.Errorf("after one step: x differs by %g (tolerance %g), NFE %d vs %d, t %g vs %g", d, tolStep, f.NFE, steps[0].NFE, f.T, steps[0].TNext)
	}
	if d := diffusionMaxAbs(f.Denoised, steps[0].Denoised); !(d <= tolStep) {
		t.Errorf("after one step: denoised estimate differs by %g", d)
	}

	click(t, tb, "play")
	f = waitDiffusion(t, tb, "f.finished", 40*time.Second)
	last := steps[len(steps)-1]
	bw := metrics.MedianBandwidth(s.Points, s.Points, 2)
	want, err := metrics.MMD(cpu, last.X, 60, s.Points, 120, 2, bw)
	if err != nil {
		t.Fatal(err)
	}
	d := diffusionMaxAbs(f.X, last.X)
	t.Logf("finished: step %d, NFE %d, positions differ by %.3g, MMD(sample) %.6g vs native %.6g, timings %v", f.Step, f.NFE, d, f.SampleMMD, want.MMD, f.TimingsMS)
	if f.Step != 8 || f.NFE != last.NFE || len(f.Quality) != 8 || !(d <= tolEnd) {
		t.Errorf("finished frame: step %d, NFE %d (want %d), %d quality values, positions differ by %g (tolerance %g)", f.Step, f.NFE, last.NFE, len(f.Quality), d, tolEnd)
	}
	if !(math.Abs(f.SampleMMD-want.MMD) <= tolMMD*want.MMD) {
		t.Errorf("MMD(sample, data) %g, native %g", f.SampleMMD, want.MMD)
	}
	// The view shows blue particles, orange estimates and green arrows;
	// the quality chart its purple curve.
	ink := eval[[]int](t, tb, `(() => {
		const count = (id, test) => {
			const c = document.getElementById(id);
			const g = c.getContext("2d").getImageData(0, 0, c.width, c.height).data;
			let n = 0;
			for (let k = 0; k < g.length; k += 4) if (test(g[k], g[k+1], g[k+2])) n++;
			return n;
		};
		return [
			count("diffusion-view", (r, g, b) => r < 80 && g > 90 && g < 150 && b > 150),
			count("diffusion-view", (r, g, b) => r > 220 && g > 100 && g < 160 && b < 60),
			count("diffusion-view", (r, g, b) => r < 90 && g > 130 && b < 90),
			count("diffusion-quality", (r, g, b) => r > 120 && r < 170 && g < 130 && b > 160),
		];
	})()`)
	if len(ink) != 4 || ink[0] < 30 || ink[1] < 20 || ink[2] < 30 || ink[3] < 10 {
		t.Errorf("canvas ink (particles blue, estimate orange, arrows green, chart purple) = %v", ink)
	}
	if status := eval[string](t, tb, `document.getElementById("diffusion-stats").dataset.status`); status != "finished" {
		t.Errorf("#diffusion-stats status %q", status)
	}

	// Reset: back to the prior.
	click(t, tb, "reset")
	f = waitDiffusion(t, tb, "f.step === 0", 20*time.Second)
	if d := diffusionMaxAbs(f.X, prior); !(d <= tolPrior) || len(f.Quality) != 0 {
		t.Errorf("after reset: prior differs by %g, %d quality values", d, len(f.Quality))
	}
	tb.checkConsole(t)
}

// The MLP is trained in the page with a live loss curve: the losses the
// wasm CPU backend reports are those of diffusion.Train run natively.
func TestDiffusionPageTraining(t *testing.T) {
	for _, backend := range []string{"auto", "cpu"} {
		t.Run(backend, func(t *testing.T) {
			t.Parallel() // SwiftShader's WebGPU beside the wasm CPU, a tab each
			testDiffusionPageTraining(t, backend)
		})
	}
}

func testDiffusionPageTraining(t *testing.T, backend string) {
	tb := newTab(t)
	// 30 Adam steps on the wasm CPU (4 s); 10 (the schema's minimum) on SwiftShader's WebGPU,
	// where each step costs ~0.8 s of emulated dispatches.
	train := map[string]int{"auto": 10, "cpu": 30}[backend]
	query := "data=8gaussians&n=200&particles=50&model=mlp&train=" + itoa(train) + "&sampler=dpmpp2m&steps=4&seed=1&backend=" + backend
	st, err := ui.DiffusionSchema.DecodeQuery(query)
	if err != nil {
		t.Fatal(err) // a refused value would silently run its default
	}
	tb.run(t, 30*time.Second, chromedp.Navigate(env.baseURL+ui.DiffusionPath+"?"+query))
	f := waitDiffusion(t, tb, "f.phase === 'sampling'", 60*time.Second)
	d, err := play.ParseDiffusion(st)
	if err != nil {
		t.Fatal(err)
	}
	x, n, _ := d.Points()
	sched, _ := diffusion.ParseSchedule("linear")
	_, res, err := diffusion.Train(compute.NewCPU(0), sched, x, n, 2, d.TrainSettings())
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("losses: page %v, native %v", f.Loss, res.Losses)
	if len(f.Loss) != len(res.Losses) || f.TrainStep != train {
		t.Fatalf("%d losses at step %d, native %d", len(f.Loss), f.TrainStep, len(res.Losses))
	}
	tol := 1e-9
	if f.Backend.Kind == ui.KindWebGPU {
		tol = 1e-4 // float32 forward, backward and Adam (measured ~1e-7 relative over 30 steps)
	}
	for i := range f.Loss {
		if math.Abs(f.Loss[i]-res.Losses[i]) > tol*res.Losses[i] || f.LossAt[i] != res.LossAt[i] {
			t.Errorf("loss %d at %d: page %g, native %g at %d", i, f.LossAt[i], f.Loss[i], res.Losses[i], res.LossAt[i])
		}
	}
	ink := eval[int](t, tb, `(() => {
		const c = document.getElementById("diffusion-loss");
		const g = c.getContext("2d").getImageData(0, 0, c.width, c.height).data;
		let n = 0;
		for (let k = 0; k < g.length; k += 4) if (g[k] > 180 && g[k+1] < 80 && g[k+2] < 80) n++;
		return n;
	})()`)
	if ink < 10 {
		t.Errorf("loss chart: %d red pixels", ink)
	}
	click(t, tb, "play")
	f = waitDiffusion(t, tb, "f.finished", 30*time.Second)
	if f.NFE != 4 {
		t.Errorf("DPM-Solver++ 2M, 4 steps: NFE %d", f.NFE)
	}
	tb.checkConsole(t)
}

// The bare embed view runs the same state without the form; on the full
// page the form's Apply moves to the URL of the edited state, which the
// page then runs; a bad URL value is named and replaced by its default.
func TestDiffusionEmbedAndForm(t *testing.T) {
	tb := newTab(t)
	query := "data=circles&n=60&particles=30&steps=3&backend=cpu"
	st := mustDecodeState(t, ui.DiffusionSchema, query)
	tb.run(t, 30*time.Second, chromedp.Navigate(env.baseURL+"/embed"+ui.DiffusionPath+"?"+query))
	f := waitDiffusion(t, tb, "f.step === 0", 30*time.Second)
	if f.State != st.Encode() {
		t.Errorf("embed runs %q, want %q", f.State, st.Encode())
	}
	if n := eval[int](t, tb, `document.querySelectorAll("#in-sampler, #apply, nav").length`); n != 0 {
		t.Errorf("the embed view has %d form or nav elements", n)
	}
	if n := eval[int](t, tb, `document.querySelectorAll("#diffusion-view, #step").length`); n != 2 {
		t.Errorf("the embed view lacks its view or controls (%d of 2)", n)
	}

	tb.run(t, 30*time.Second, chromedp.Navigate(env.baseURL+ui.DiffusionPath+"?"+query+"&steps=0"))
	f = waitDiffusion(t, tb, "f.step === 0", 30*time.Second)
	if msg := eval[string](t, tb, `document.getElementById("state-error").textContent`); !strings.Contains(msg, "steps") || f.Steps != 25 {
		t.Errorf("steps=0: message %q, steps run %d (want the default 25)", msg, f.Steps)
	}
	eval[bool](t, tb, `(() => {
		const set = (id, v) => { const e = document.getElementById(id); e.value = v; e.dispatchEvent(new Event("change", {bubbles: true})); };
		set("in-sampler", "heun"); set("in-steps", "4");
		return true; })()`)
	click(t, tb, "apply")
	want, _ := st.With("sampler", "heun")
	want, _ = want.With("steps", "4")
	f = waitDiffusion(t, tb, "f.state === "+jsString(want.Encode()), 30*time.Second)
	click(t, tb, "play")
	f = waitDiffusion(t, tb, "f.finished", 30*time.Second)
	if loc := eval[string](t, tb, `location.search`); !strings.Contains(loc, "sampler=heun") || f.NFE != 8 {
		t.Errorf("after Apply: location %q, NFE %d (Heun, 4 steps ending at t_end > 0: 2 per step, 8)", loc, f.NFE)
	}
	tb.checkConsole(t)
}

// A CSV of points uploaded on /diffusion becomes the data (data=upload);
// a file with three columns is refused with a message naming it.
func TestDiffusionUpload(t *testing.T) {
	tb := newTab(t)
	tb.run(t, 30*time.Second, chromedp.Navigate(env.baseURL+ui.DiffusionPath+"?particles=20&steps=12&backend=cpu"))
	waitDiffusion(t, tb, "f.step === 0", 30*time.Second)
	dir := t.TempDir()
	bad := filepath.Join(dir, "three.csv")
	os.WriteFile(bad, []byte("1,2,3\n4,5,6\n"), 0o644)
	tb.run(t, 10*time.Second, chromedp.SetUploadFiles("#upload-data", []string{bad}))
	msg := poll[string](t, tb, `(() => { const e = document.getElementById("upload-error"); return e ? e.textContent : false; })()`, 10*time.Second)
	if !strings.Contains(msg, "three.csv") || !strings.Contains(msg, "3 columns") {
		t.Errorf("upload error %q", msg)
	}
	// Twelve points on a circle of radius 1.5.
	var b strings.Builder
	b.WriteString("x,y\n")
	for k := 0; k < 12; k++ {
		a := 2 * math.Pi * float64(k) / 12
		b.WriteString(strconv.FormatFloat(1.5*math.Cos(a), 'g', -1, 64) + "," + strconv.FormatFloat(1.5*math.Sin(a), 'g', -1, 64) + "\n")
	}
	good := filepath.Join(dir, "circle.csv")
	os.WriteFile(good, []byte(b.String()), 0o644)
	tb.run(t, 10*time.Second, chromedp.SetUploadFiles("#upload-data", []string{good}))
	f := waitDiffusion(t, tb, `f.state.includes("data=upload") && f.step === 0`, 20*time.Second)
	click(t, tb, "play")
	f = waitDiffusion(t, tb, "f.finished", 20*time.Second)
	// The exact model of 12 points: DPM-Solver++ in 12 steps lands on
	// the circle.
	for i := 0; i < 20; i++ {
		if r := math.Hypot(f.X[2*i], f.X[2*i+1]); math.Abs(r-1.5) > 0.05 {
			t.Errorf("particle %d at radius %.3f, the uploaded circle has 1.5", i, r)
		}
	}
	tb.checkConsole(t)
}
