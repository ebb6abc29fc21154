package ui

import (
	"math"
	"strings"
	"testing"
	"time"

	"github.com/maxence-charriere/go-app/v10/pkg/app"
	"github.com/otplay/otplay/compute"
	"github.com/otplay/otplay/compute/webgpu/gputest"
	"github.com/otplay/otplay/solvers/data"
	"github.com/otplay/otplay/solvers/diffusion"
	"github.com/otplay/otplay/solvers/metrics"
)

func TestDiffusionSchema(t *testing.T) {
	if err := DiffusionSchema.Check(); err != nil {
		t.Fatal(err)
	}
	st, err := DiffusionSchema.DecodeQuery("sampler=heun&steps=7&particles=0&model=bogus")
	if err == nil || !strings.Contains(err.Error(), "particles") || !strings.Contains(err.Error(), "model") {
		t.Errorf("bad values not reported by name: %v", err)
	}
	if st.Int("particles") != 500 || st.String("model") != "empirical" || st.Int("steps") != 7 {
		t.Errorf("decoded %q", st.Encode())
	}
	set, err := DiffusionSettings(st)
	if err != nil || set.Sampler != diffusion.Heun || set.Steps != 7 {
		t.Errorf("settings %+v, %v", set, err)
	}
	// "exact", the model's old name in the page, still loads and is
	// written back under the CLI's name, on both pages.
	for _, schema := range []Schema{DiffusionSchema, TruncateSchema} {
		old, err := schema.DecodeQuery("model=exact")
		if err != nil || old.String("model") != "empirical" || strings.Contains(old.Encode(), "exact") {
			t.Errorf("model=exact: %v, state %q", err, old.Encode())
		}
	}
}

// runDiffusionFrames plays a whole run with no frame gap and returns its
// frames.
func runDiffusionFrames(t *testing.T, st State) []DiffusionFrame {
	t.Helper()
	g := newStepGate()
	g.gap = 0
	g.play()
	var frames []DiffusionFrame
	runDiffusion(st, g, func(f DiffusionFrame) { frames = append(frames, f) }, nil)
	if len(frames) == 0 {
		t.Fatal("no frame")
	}
	if last := frames[len(frames)-1]; last.Error != "" {
		t.Fatalf("run failed: %s", last.Error)
	}
	return frames
}

// The page's run on the CPU reproduces diffusion.Sample run directly (the
// empirical model of the same data, DDIM, same seed) step for step, and
// its quality numbers are metrics.MMD of those steps.
func TestRunDiffusionCPU(t *testing.T) {
	st := mustDecodeTestState(t, DiffusionSchema, "data=moons&n=80&particles=40&sampler=ddim&steps=6&seed=2&backend=cpu&trail=3")
	frames := runDiffusionFrames(t, st)
	if len(frames) != 7 {
		t.Fatalf("%d frames, want 7 (the prior and 6 steps)", len(frames))
	}
	cpu := compute.NewCPU(0)
	s, _ := data.Generate("moons", 80, data.Options{Seed: 2})
	model, err := diffusion.NewEmpirical(cpu, s.Points, 80, 2, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer model.Free()
	x, _ := cpu.Alloc(80)
	if err := diffusion.InitialNoise(cpu, x, 2); err != nil {
		t.Fatal(err)
	}
	prior := make([]float64, 80)
	cpu.Read(prior, x)
	if d := diffusionMaxAbsDiff(frames[0].X, prior); d != 0 || frames[0].Step != 0 || frames[0].T != 1 {
		t.Errorf("frame 0: step %d t %g, prior differs by %g", frames[0].Step, frames[0].T, d)
	}
	var steps []diffusion.Step
	sched, _ := diffusion.ParseSchedule("linear")
	res, err := diffusion.Sample(cpu, model, sched, x, 40, diffusion.Settings{Sampler: diffusion.DDIM, Steps: 6, Seed: 2,
		Callback: func(s diffusion.Step) error { steps = append(steps, s); return nil }})
	if err != nil {
		t.Fatal(err)
	}
	bw := metrics.MedianBandwidth(s.Points, s.Points, 2)
	for k, s := range steps {
		f := frames[k+1]
		if d := diffusionMaxAbsDiff(f.X, s.X); d > 1e-12 || f.NFE != s.NFE || f.Step != k+1 || f.T != s.TNext {
			t.Errorf("step %d: x differs by %g, NFE %d vs %d, t %g vs %g", k+1, d, f.NFE, s.NFE, f.T, s.TNext)
		}
	}
	last := frames[6]
	if !last.Finished || last.Phase != "finished" || last.NFE != res.NFE || len(last.Quality) != 6 {
		t.Errorf("last frame: finished %v phase %s NFE %d (want %d), %d quality values", last.Finished, last.Phase, last.NFE, res.NFE, len(last.Quality))
	}
	want, err := metrics.MMDHost(steps[5].Denoised, 40, s.Points, 80, 2, bw)
	if err != nil {
		t.Fatal(err)
	}
	if d := math.Abs(last.Quality[5] - want.MMD); d > 1e-12 || last.QualityBandwidth != bw {
		t.Errorf("quality %g vs MMD %g, bandwidth %g vs %g", last.Quality[5], want.MMD, last.QualityBandwidth, bw)
	}
	sample, _ := metrics.MMDHost(steps[5].X, 40, s.Points, 80, 2, bw)
	if math.Abs(last.SampleMMD-sample.MMD) > 1e-12 {
		t.Errorf("sample MMD %g, want %g", last.SampleMMD, sample.MMD)
	}
	// The view has the field arrows, trails, particles and the estimate.
	v := last.view
	if len(v.Lines) != 2 || len(v.Points) != 3 || len(v.Points[1].XY) != 80 {
		t.Errorf("view layers: %d line sets, %d point sets", len(v.Lines), len(v.Points))
	}
	if err := v.Draw(&Recorder{}); err != nil {
		t.Error(err)
	}
}

// Every model and sampler runs; the GMM and MLP runs end near the data.
func TestRunDiffusionModels(t *testing.T) {
	for _, q := range []string{
		"model=gmm&k=8&sampler=dpmpp2m&steps=10",
		"model=mlp&train=40&sampler=heun&steps=4&field=drift",
		"model=empirical&sampler=ode-adaptive&steps=4",
		"model=exact&sampler=ddpm&steps=5&trail=0&field=none",
	} {
		st := mustDecodeTestState(t, DiffusionSchema, q+"&n=200&particles=100&backend=cpu")
		start := time.Now()
		frames := runDiffusionFrames(t, st)
		last := frames[len(frames)-1]
		t.Logf("%s: %d frames, NFE %d, MMD(sample) %.4f, %v", q, len(frames), last.NFE, last.SampleMMD, time.Since(start))
		if !last.Finished || last.NFE < 1 || !(last.SampleMMD >= 0) {
			t.Errorf("%s: finished %v, NFE %d, MMD %g", q, last.Finished, last.NFE, last.SampleMMD)
		}
		if strings.Contains(q, "gmm") && last.SampleMMD > 0.15 {
			t.Errorf("gmm sample MMD %g", last.SampleMMD)
		}
		if strings.Contains(q, "mlp") && (len(last.Loss) == 0 || last.TrainSteps != 40) {
			t.Errorf("mlp: %d losses, %d training steps", len(last.Loss), last.TrainSteps)
		}
	}
}

// Step and Reset through the gate: one step at a time, and a stopped run
// emits nothing more.
func TestRunDiffusionGate(t *testing.T) {
	st := mustDecodeTestState(t, DiffusionSchema, "n=50&particles=20&steps=5&backend=cpu")
	g := newStepGate()
	frames := make(chan DiffusionFrame, 16)
	done := make(chan struct{})
	go func() {
		runDiffusion(st, g, func(f DiffusionFrame) { frames <- f }, nil)
		close(done)
	}()
	f := <-frames
	if f.Step != 0 {
		t.Fatalf("first frame at step %d", f.Step)
	}
	select {
	case f = <-frames:
		t.Fatalf("a step ran without Step: %d", f.Step)
	case <-time.After(50 * time.Millisecond):
	}
	g.step()
	if f = <-frames; f.Step != 1 || f.Finished {
		t.Fatalf("after Step: step %d finished %v", f.Step, f.Finished)
	}
	g.stop()
	<-done
	if len(frames) != 0 {
		t.Errorf("%d frames after stop", len(frames))
	}
}

func TestDiffusionPageRender(t *testing.T) {
	html := app.HTMLString(&DiffusionPage{})
	for _, want := range []string{`id="diffusion-stats"`, `data-status="opening"`, `id="step"`, `id="play"`, `id="reset"`, `id="diffusion-view"`, `id="in-sampler"`, "∇log p_t"} {
		if !strings.Contains(html, want) {
			t.Errorf("initial /diffusion lacks %q", want)
		}
	}
	st := mustDecodeTestState(t, DiffusionSchema, "n=50&particles=20&steps=3&backend=cpu")
	frames := runDiffusionFrames(t, st)
	f := frames[1]
	f.Playing = false
	page := &DiffusionPage{state: st, form: newParamForm(DiffusionSchema, st), frame: &f, run: &diffusionRun{st: st, gate: newStepGate()}}
	html = app.HTMLString(page)
	for _, want := range []string{`data-status="sampling"`, `data-step="1"`, "MMD(denoised, data)", "last step: "} {
		if !strings.Contains(html, want) {
			t.Errorf("/diffusion after a step lacks %q", want)
		}
	}
	if csv := page.particlesCSV(); strings.Count(csv, "\n") != 21 {
		t.Errorf("CSV has %d lines, want header + 20", strings.Count(csv, "\n"))
	}
}

func diffusionMaxAbsDiff(a, b []float64) float64 {
	if len(a) != len(b) {
		return math.Inf(1)
	}
	m := 0.0
	for i := range a {
		m = math.Max(m, math.Abs(a[i]-b[i]))
	}
	return m
}

// The run on the native GPU backend follows the CPU run within float32
// tolerance (Philox normals in float32, soft-means of unit-scale data).
func TestRunDiffusionGPUAgreement(t *testing.T) {
	gpu := gputest.Backend(t)
	st := mustDecodeTestState(t, DiffusionSchema, "data=8gaussians&n=150&particles=64&sampler=dpmpp2m&steps=6&seed=3")
	var last [2]DiffusionFrame
	for i, b := range []compute.Backend{compute.NewCPU(0), gpu} {
		g := newStepGate()
		g.gap = 0
		g.play()
		var frames []DiffusionFrame
		runDiffusionOn(BackendStatus{Backend: b, Kind: b.Info().Name}, st, g, func(f DiffusionFrame) { frames = append(frames, f) }, nil)
		last[i] = frames[len(frames)-1]
		if last[i].Error != "" || !last[i].Finished {
			t.Fatalf("%s: %+v", b.Info().Name, last[i].Error)
		}
	}
	d := diffusionMaxAbsDiff(last[0].X, last[1].X)
	t.Logf("final positions differ by %.3g; MMD(sample) CPU %.6g GPU %.6g", d, last[0].SampleMMD, last[1].SampleMMD)
	if d > 2e-2 || math.Abs(last[0].SampleMMD-last[1].SampleMMD) > 1e-2*math.Max(last[0].SampleMMD, 1e-3) {
		t.Errorf("GPU run differs: positions by %g, MMD %g vs %g", d, last[1].SampleMMD, last[0].SampleMMD)
	}
}

// Arrows: to scale up to the 90th percentile, clipped beyond; zero and
// NaN vectors draw nothing.
func TestArrowSegments(t *testing.T) {
	pts := make([]float64, 0, 40)
	vec := make([]float64, 0, 40)
	for i := 0; i < 20; i++ {
		pts = append(pts, float64(i), 0)
		vec = append(vec, float64(i), 0) // lengths 0..19
	}
	vec[2*19] = 1000 // an outlier
	vec[2*5+1] = math.NaN()
	segs := arrowSegments(pts, vec, 1)
	// 18 arrows (not 0, not NaN), 3 segments each.
	if len(segs) != 18*12 {
		t.Fatalf("%d coordinates, want %d", len(segs), 18*12)
	}
	shaft := func(k int) float64 { return math.Hypot(segs[12*k+2]-segs[12*k], segs[12*k+3]-segs[12*k+1]) }
	// Arrow 0 is vector 1; the 90th percentile of the 19 finite positive
	// magnitudes (1..18, 1000) is 18.
	if l := shaft(0); math.Abs(l-1.0/18) > 1e-12 {
		t.Errorf("arrow of length 1: %g, want 1/18", l)
	}
	if l := shaft(17); math.Abs(l-1) > 1e-12 {
		t.Errorf("outlier arrow: %g, want clipped to 1", l)
	}
}
