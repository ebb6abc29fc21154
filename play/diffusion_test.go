package play

import (
	"context"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/otplay/otplay/compute"
	"github.com/otplay/otplay/compute/webgpu/gputest"
	"github.com/otplay/otplay/figure"
	"github.com/otplay/otplay/solvers/data"
	"github.com/otplay/otplay/solvers/diffusion"
	"github.com/otplay/otplay/solvers/metrics"
)

func mustDiffusion(t testing.TB, query string) Diffusion {
	t.Helper()
	st, err := DiffusionSchema.DecodeQuery(query)
	if err != nil {
		t.Fatal(err)
	}
	d, err := ParseDiffusion(st)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestDiffusionState(t *testing.T) {
	if err := DiffusionSchema.Check(); err != nil {
		t.Fatal(err)
	}
	st, err := DiffusionSchema.DecodeQuery("sampler=heun&steps=7&particles=0&model=bogus")
	if err == nil || !strings.Contains(err.Error(), "particles") || !strings.Contains(err.Error(), "model") {
		t.Errorf("bad values not reported by name: %v", err)
	}
	d, err := ParseDiffusion(st)
	if err != nil || d.Particles != 500 || d.Model != "empirical" || d.Steps != 7 {
		t.Errorf("parsed %+v, %v", d, err)
	}
	set, err := d.Settings()
	if err != nil || set.Sampler != diffusion.Heun || set.Steps != 7 {
		t.Errorf("settings %+v, %v", set, err)
	}
	if back, err := d.State(); err != nil || back.Encode() != st.Encode() {
		t.Errorf("state %q, want %q (%v)", back.Encode(), st.Encode(), err)
	}
	// "exact", the model's old name in the page, still loads and is
	// written back under the CLI's name.
	if d := mustDiffusion(t, "model=exact"); d.Model != "empirical" {
		t.Errorf("model=exact parsed as %q", d.Model)
	}
	up := mustDiffusion(t, "data=upload&n=3")
	if _, _, err := up.Points(); err == nil || !strings.Contains(err.Error(), "upload") {
		t.Errorf("data=upload without points: %v", err)
	}
	up.Upload = []float64{0, 0, 1, 1, 2, 2, 3, 3}
	if x, n, err := up.Points(); err != nil || n != 3 || len(x) != 6 {
		t.Errorf("upload: %d points, %v", n, err)
	}
}

// playDiffusion starts the model's run on b and steps it to the end,
// returning every frame (the first at t = 1).
// moonsStart is the tests' direct run's start: the empirical model of
// moons (80 points, seed 2) on b and the initial noise of 40 particles
// (seed 2), freed when the test ends.
func moonsStart(t testing.TB, b compute.Backend) (diffusion.Model, compute.Array) {
	t.Helper()
	s, _ := data.Generate("moons", 80, data.Options{Seed: 2})
	model, err := diffusion.NewEmpirical(b, s.Points, 80, 2, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(model.Free)
	x, err := b.Alloc(80)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Free(x) })
	if err := diffusion.InitialNoise(b, x, 2); err != nil {
		t.Fatal(err)
	}
	return model, x
}

func playDiffusion(t testing.TB, d Diffusion, b compute.Backend) []DiffusionFrame {
	t.Helper()
	ctx := context.Background()
	run, err := d.Start(ctx, b, func(Progress) {})
	if err != nil {
		t.Fatal(err)
	}
	defer run.Close()
	f, err := run.Step(ctx, 0, false)
	if err != nil {
		t.Fatal(err)
	}
	frames := []DiffusionFrame{f}
	for !f.Finished() {
		if f, err = run.Step(ctx, 1, true); err != nil {
			t.Fatal(err)
		}
		frames = append(frames, f)
		if len(frames) > 2000 {
			t.Fatal("no end after 2000 steps")
		}
	}
	return frames
}

// The model's run on the CPU reproduces diffusion.Sample run directly
// (the empirical model of the same data, DDIM, same seed) step for step,
// and its quality numbers are metrics.MMDHost of those steps.
func TestDiffusionRunCPU(t *testing.T) {
	d := mustDiffusion(t, "data=moons&n=80&particles=40&sampler=ddim&steps=6&seed=2&backend=cpu&trail=3")
	frames := playDiffusion(t, d, compute.NewCPU(0))
	if len(frames) != 7 {
		t.Fatalf("%d frames, want 7 (the prior and 6 steps)", len(frames))
	}
	cpu := compute.NewCPU(0)
	s, _ := data.Generate("moons", 80, data.Options{Seed: 2})
	model, x := moonsStart(t, cpu)
	prior := make([]float64, 80)
	cpu.Read(prior, x)
	if d := maxAbsDiff(frames[0].X, prior); d != 0 || frames[0].Step != 0 || frames[0].T != 1 || frames[0].Phase != "sampling" {
		t.Errorf("frame 0: step %d t %g phase %s, prior differs by %g", frames[0].Step, frames[0].T, frames[0].Phase, d)
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
		if d := maxAbsDiff(f.X, s.X); d > 1e-12 || f.NFE != s.NFE || f.Step != k+1 || f.T != s.TNext {
			t.Errorf("step %d: x differs by %g, NFE %d vs %d, t %g vs %g", k+1, d, f.NFE, s.NFE, f.T, s.TNext)
		}
	}
	last := frames[6]
	if !last.AtEnd || last.Phase != "finished" || last.NFE != res.NFE || len(last.Quality) != 6 {
		t.Errorf("last frame: finished %v phase %s NFE %d (want %d), %d quality values", last.AtEnd, last.Phase, last.NFE, res.NFE, len(last.Quality))
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
	v := last.View
	if len(v.Lines) != 2 || len(v.Points) != 3 || len(v.Points[1].XY) != 80 {
		t.Errorf("view layers: %d line sets, %d point sets", len(v.Lines), len(v.Points))
	}
	for _, fig := range []figure.Figure{v, last.QualityChart} {
		if err := fig.Draw(&figure.Recorder{}); err != nil {
			t.Error(err)
		}
	}
	if len(last.All) != 80 {
		t.Errorf("All holds %d values, want 80", len(last.All))
	}
}

// Every model and sampler runs; the GMM and MLP runs end near the data;
// the MLP's training reports its Adam steps in order.
func TestDiffusionModels(t *testing.T) {
	for _, q := range []string{
		"model=gmm&k=8&sampler=dpmpp2m&steps=10",
		"model=mlp&train=40&sampler=heun&steps=4&field=drift",
		"model=empirical&sampler=ode-adaptive&steps=4",
		"model=exact&sampler=ddpm&steps=5&trail=0&field=none",
	} {
		d := mustDiffusion(t, q+"&n=200&particles=100&backend=cpu")
		start := time.Now()
		var progress []Progress
		run, err := d.Start(context.Background(), compute.NewCPU(0), func(p Progress) { progress = append(progress, p) })
		if err != nil {
			t.Fatal(err)
		}
		run.Close()
		frames := playDiffusion(t, d, compute.NewCPU(0))
		last := frames[len(frames)-1]
		t.Logf("%s: %d frames, NFE %d, MMD(sample) %.4f, %v", q, len(frames), last.NFE, last.SampleMMD, time.Since(start))
		if !last.AtEnd || last.NFE < 1 || !(last.SampleMMD >= 0) {
			t.Errorf("%s: finished %v, NFE %d, MMD %g", q, last.AtEnd, last.NFE, last.SampleMMD)
		}
		if strings.Contains(q, "gmm") && last.SampleMMD > 0.15 {
			t.Errorf("gmm sample MMD %g", last.SampleMMD)
		}
		if strings.Contains(q, "mlp") {
			if len(last.Loss) == 0 || last.TrainSteps != 40 || last.LossChart.Curves == nil {
				t.Errorf("mlp: %d losses, %d training steps", len(last.Loss), last.TrainSteps)
			}
			// The first Start trained (the second used the cache):
			// Adam steps rising to 40 of 40.
			done := -1
			for _, p := range progress[1:] {
				if p.Total != 40 || p.Done <= done || p.Unit != "Adam steps" {
					t.Fatalf("training progress %+v after %d", p, done)
				}
				done = p.Done
			}
			if done != 40 {
				t.Errorf("training progress ended at %d of 40", done)
			}
		}
	}
}

// Step advances exactly k steps; Close stops a sampler waiting between
// steps and frees it (the run's goroutine exits).
func TestDiffusionStepAndClose(t *testing.T) {
	d := mustDiffusion(t, "n=50&particles=20&steps=5&backend=cpu")
	ctx := context.Background()
	run, err := d.Start(ctx, compute.NewCPU(0), func(Progress) {})
	if err != nil {
		t.Fatal(err)
	}
	f, _ := run.Step(ctx, 0, false)
	if f.Step != 0 || f.Finished() {
		t.Fatalf("first frame at step %d", f.Step)
	}
	if f, _ = run.Step(ctx, 2, false); f.Step != 2 || f.Finished() {
		t.Fatalf("after Step(2): step %d finished %v", f.Step, f.Finished())
	}
	if f, _ = run.Step(ctx, 10, false); f.Step != 5 || !f.Finished() {
		t.Fatalf("after Step(10): step %d finished %v, want the end at 5", f.Step, f.Finished())
	}
	run.Close()

	run, err = d.Start(ctx, compute.NewCPU(0), func(Progress) {})
	if err != nil {
		t.Fatal(err)
	}
	run.Step(ctx, 1, false)
	done := make(chan struct{})
	go func() { run.Close(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Close did not stop the sampler")
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	run2, _ := d.Start(ctx, compute.NewCPU(0), func(Progress) {})
	defer run2.Close()
	if _, err := run2.Step(cctx, 1, false); err == nil {
		t.Error("Step on a cancelled context succeeded")
	}
}

func maxAbsDiff(a, b []float64) float64 {
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
func TestDiffusionGPUAgreement(t *testing.T) {
	gpu := gputest.Backend(t)
	d := mustDiffusion(t, "data=8gaussians&n=150&particles=64&sampler=dpmpp2m&steps=6&seed=3")
	var last [2]DiffusionFrame
	for i, b := range []compute.Backend{compute.NewCPU(0), gpu} {
		frames := playDiffusion(t, d, b)
		last[i] = frames[len(frames)-1]
	}
	dx := maxAbsDiff(last[0].X, last[1].X)
	t.Logf("final positions differ by %.3g; MMD(sample) CPU %.6g GPU %.6g", dx, last[0].SampleMMD, last[1].SampleMMD)
	if dx > 2e-2 || math.Abs(last[0].SampleMMD-last[1].SampleMMD) > 1e-2*math.Max(last[0].SampleMMD, 1e-3) {
		t.Errorf("GPU run differs: positions by %g, MMD %g vs %g", dx, last[1].SampleMMD, last[0].SampleMMD)
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
	segs := ArrowSegments(pts, vec, 1)
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

// BenchmarkDiffusionFrames plays a /diffusion run of 5000 particles on
// 500 points of 8gaussians (exact model, DPM-Solver++ 2M, 20 steps, the
// score field, trails) and reports the model's own per-frame cost without
// drawing: ms/step (sampler step with its readbacks) and ms/frame (step +
// field + MMD + figure building), and the frames per second this allows.
// Run on the GPU with
//
//	go test -run '^$' -bench 'DiffusionFrames/gpu' -benchtime 3x ./play/
func BenchmarkDiffusionFrames(b *testing.B) {
	d := mustDiffusion(b, "particles=5000&n=500&steps=20&trail=8")
	for _, name := range []string{"cpu", "gpu"} {
		b.Run(name, func(b *testing.B) {
			var be compute.Backend = compute.NewCPU(0)
			if name == "gpu" {
				be = gputest.Backend(b)
			}
			var steps, frames float64
			n := 0
			for b.Loop() {
				for _, f := range playDiffusion(b, d, be)[1:] {
					steps += f.TimingsMS["step"]
					frames += f.TimingsMS["step"] + f.TimingsMS["frame"]
					n++
				}
			}
			b.ReportMetric(steps/float64(n), "ms/step")
			b.ReportMetric(frames/float64(n), "ms/frame")
			b.ReportMetric(1000*float64(n)/frames, "frames/s")
		})
	}
}
