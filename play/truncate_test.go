package play

import (
	"context"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/otplay/otplay/compute"
	"github.com/otplay/otplay/compute/webgpu/gputest"
	"github.com/otplay/otplay/figure"
	"github.com/otplay/otplay/solvers/data"
	"github.com/otplay/otplay/solvers/diffusion"
	"github.com/otplay/otplay/solvers/metrics"
	"github.com/otplay/otplay/solvers/truncate"
)

func mustTruncate(t testing.TB, query string) Truncate {
	t.Helper()
	st, err := TruncateSchema.DecodeQuery(query)
	if err != nil {
		t.Fatal(err)
	}
	tr, err := ParseTruncate(st)
	if err != nil {
		t.Fatal(err)
	}
	return tr
}

func TestTruncateState(t *testing.T) {
	if err := TruncateSchema.Check(); err != nil {
		t.Fatal(err)
	}
	if _, err := TruncateSchema.DecodeQuery("ttrunc=1&prior=magic&sampler=ode-adaptive"); err == nil ||
		!strings.Contains(err.Error(), "ttrunc") || !strings.Contains(err.Error(), "prior") || !strings.Contains(err.Error(), "sampler") {
		t.Errorf("bad values not reported by name: %v", err)
	}
	tr := mustTruncate(t, "prior=sliced&ttrunc=250&seed=9&model=exact")
	s, err := tr.FitSettings(diffusion.Linear(0))
	if err != nil || s.Prior != truncate.Sliced || s.TTrunc != 250 || s.Seed != 9 || tr.Model != "empirical" {
		t.Errorf("settings %+v, model %s, %v", s, tr.Model, err)
	}
	st, _ := TruncateSchema.DecodeQuery("prior=sliced&ttrunc=250&seed=9&model=exact")
	if back, err := tr.State(); err != nil || back.Encode() != st.Encode() {
		t.Errorf("state %q, want %q (%v)", back.Encode(), st.Encode(), err)
	}
}

// dropFitCache frees the cached prior, so the next run fits.
func dropFitCache() {
	fitCache.Lock()
	defer fitCache.Unlock()
	if fitCache.fit != nil {
		fitCache.fit.Free()
	}
	fitCache.key, fitCache.fit = "", nil
}

// playTruncate starts the model's run on b (progress recorded) and steps
// it to the end, returning every frame.
func playTruncate(t testing.TB, tr Truncate, b compute.Backend) ([]TruncateFrame, []Progress) {
	t.Helper()
	ctx := context.Background()
	var progress []Progress
	run, err := tr.Start(ctx, b, func(p Progress) { progress = append(progress, p) })
	if err != nil {
		t.Fatal(err)
	}
	defer run.Close()
	f, err := run.Step(ctx, 0, false)
	if err != nil {
		t.Fatal(err)
	}
	frames := []TruncateFrame{f}
	for !f.Finished() {
		if f, err = run.Step(ctx, 1, true); err != nil {
			t.Fatal(err)
		}
		frames = append(frames, f)
		if len(frames) > 500 {
			t.Fatal("no end after 500 steps")
		}
	}
	return frames, progress
}

// The model's two sides are diffusion.Sample from N(0, I) at t = 1 and
// truncate's FitPrior + SampleReverse at T_trunc, with the same model,
// sampler and seed; the ladder is the same at every rung it computes; the
// fit's Sinkhorn iterations are reported in order up to the cap.
func TestTruncateRunCPU(t *testing.T) {
	tr := mustTruncate(t, "data=moons&n=150&particles=60&ttrunc=250&prior=entropic&fit=300&sampler=ddim&steps=4&seed=3&backend=cpu")
	cpu := compute.NewCPU(0)
	dropFitCache()
	start := time.Now()
	frames, progress := playTruncate(t, tr, cpu)
	last := frames[len(frames)-1]
	t.Logf("%d frames in %v; prior MMD %.4f; ladder NFE %v full %.4f truncated %.4f", len(frames), time.Since(start), last.PriorMMD, last.LadderNFE, last.LadderFull, last.LadderTrunc)
	if len(frames) != 5 || frames[0].Full.Step != 0 || frames[0].Phase != "sampling" {
		t.Errorf("%d frames, the first at step %d phase %s", len(frames), frames[0].Full.Step, frames[0].Phase)
	}
	if last.Phase != "finished" || !last.Full.AtEnd || !last.Trunc.AtEnd || last.Full.NFE != 4 || last.Trunc.NFE != 4 {
		t.Fatalf("last frame: phase %s, full %+v, truncated %+v", last.Phase, last.Full.Step, last.Trunc.Step)
	}
	if math.Abs(last.TStart-0.25) > 1e-12 || len(last.LadderNFE) != len(TruncateLadder)+1 || last.LadderSteps[3] != 4 {
		t.Errorf("t start %g, %d ladder rungs", last.TStart, len(last.LadderNFE))
	}
	// Progress: the fit's iterations rising to the cap (1000), then the
	// ladder's rungs 0 .. 7 of 8.
	fitDone, rungs := -1, 0
	for _, p := range progress {
		switch {
		case strings.HasPrefix(p.Phase, "Fitting the entropic prior") && p.Total > 0:
			if p.Total != 1000 || p.Done < fitDone {
				t.Fatalf("fit progress %+v after %d", p, fitDone)
			}
			fitDone = p.Done
		case strings.HasPrefix(p.Phase, "Measuring"):
			if p.Done != rungs || p.Total != 8 {
				t.Fatalf("ladder progress %+v, want rung %d of 8", p, rungs)
			}
			rungs++
		}
	}
	if fitDone != 1000 || rungs != 8 || last.FitDone != 1000 || last.FitTotal != 1000 {
		t.Errorf("fit progress ended at %d (frame %d of %d), %d ladder rungs reported", fitDone, last.FitDone, last.FitTotal, rungs)
	}

	s, _ := data.Generate("moons", 150, data.Options{Seed: 3})
	model, err := diffusion.NewEmpirical(cpu, s.Points, 150, 2, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer model.Free()
	sched := diffusion.Linear(0)
	fit, err := truncate.FitPrior(cpu, s.Points, 150, 2, truncate.Settings{Schedule: sched, TTrunc: 250, Prior: truncate.Entropic, Seed: 3, FitSamples: 300})
	if err != nil {
		t.Fatal(err)
	}
	defer fit.Free()
	x, _ := cpu.Alloc(120)
	set := diffusion.Settings{Sampler: diffusion.DDIM, Steps: 4, Seed: 3}
	if _, err := fit.SampleReverse(model, sched, x, 60, 3, set); err != nil {
		t.Fatal(err)
	}
	trunc := make([]float64, 120)
	cpu.Read(trunc, x)
	diffusion.InitialNoise(cpu, x, 3)
	if _, err := diffusion.Sample(cpu, model, sched, x, 60, set); err != nil {
		t.Fatal(err)
	}
	full := make([]float64, 120)
	cpu.Read(full, x)
	if d := maxAbsDiff(last.Trunc.All, trunc); d > 1e-12 {
		t.Errorf("truncated side differs from SampleReverse by %g", d)
	}
	if d := maxAbsDiff(last.Full.All, full); d > 1e-12 {
		t.Errorf("full side differs from Sample by %g", d)
	}
	bw := metrics.MedianBandwidth(s.Points, s.Points, 2)
	mt, _ := metrics.MMDHost(trunc, 60, s.Points, 150, 2, bw)
	mf, _ := metrics.MMDHost(full, 60, s.Points, 150, 2, bw)
	if math.Abs(last.Trunc.MMD-mt.MMD) > 1e-12 || math.Abs(last.Full.MMD-mf.MMD) > 1e-12 {
		t.Errorf("MMD truncated %g vs %g, full %g vs %g", last.Trunc.MMD, mt.MMD, last.Full.MMD, mf.MMD)
	}
	// The ladder has the state's 4 steps added: its rung 3 is the run
	// above; check rung 5 (8 steps) against a direct run.
	if math.Abs(last.LadderTrunc[3]-last.Trunc.MMD) > 1e-12 || math.Abs(last.LadderFull[3]-last.Full.MMD) > 1e-12 {
		t.Errorf("ladder at 4 steps %g, %g; sides %g, %g", last.LadderFull[3], last.LadderTrunc[3], last.Full.MMD, last.Trunc.MMD)
	}
	set.Steps = 8
	fit.SampleReverse(model, sched, x, 60, 3, set)
	cpu.Read(trunc, x)
	mt, _ = metrics.MMDHost(trunc, 60, s.Points, 150, 2, bw)
	if i := 5; last.LadderSteps[i] != 8 || math.Abs(last.LadderTrunc[i]-mt.MMD) > 1e-12 {
		t.Errorf("ladder rung %d: %d steps, truncated MMD %g vs %g", i, last.LadderSteps[i], last.LadderTrunc[i], mt.MMD)
	}
	for _, fig := range []figure.Figure{last.FullView, last.TruncView, last.LadderChart} {
		if err := fig.Draw(&figure.Recorder{}); err != nil {
			t.Error(err)
		}
	}
	// A second run takes the prior from the cache: no fit progress.
	_, again := playTruncate(t, tr, cpu)
	for _, p := range again {
		if strings.HasPrefix(p.Phase, "Fitting the entropic prior") {
			t.Fatalf("the cached prior was fitted again: %+v", p)
		}
	}
}

// The Gaussian and sliced priors run; the steps add to the ladder; the
// sliced fit reports its Adam steps up to priorsteps.
func TestTruncatePriors(t *testing.T) {
	for _, q := range []string{"prior=gaussian&steps=6&sampler=dpmpp2m", "prior=sliced&priorsteps=100&steps=2&sampler=heun&model=gmm&fit=200"} {
		tr := mustTruncate(t, q+"&n=120&particles=40&backend=cpu")
		dropFitCache()
		frames, progress := playTruncate(t, tr, compute.NewCPU(0))
		last := frames[len(frames)-1]
		t.Logf("%s: prior MMD %.4f, full %.4f, truncated %.4f, NFE %d", q, last.PriorMMD, last.Full.MMD, last.Trunc.MMD, last.Trunc.NFE)
		if last.Phase != "finished" || !(last.Trunc.MMD >= 0) {
			t.Errorf("%s: phase %s", q, last.Phase)
		}
		if strings.Contains(q, "steps=6") && !slices.Contains(last.LadderSteps, 6) {
			t.Errorf("ladder %v lacks the state's 6 steps", last.LadderSteps)
		}
		if strings.Contains(q, "sliced") {
			done := 0
			for _, p := range progress {
				if p.Unit == "Adam steps" && p.Total > 0 {
					if p.Total != 100 || p.Done < done {
						t.Fatalf("sliced fit progress %+v after %d", p, done)
					}
					done = p.Done
				}
			}
			if done != 100 || last.FitTotal != 100 {
				t.Errorf("sliced fit progress ended at %d (frame %d)", done, last.FitTotal)
			}
		}
	}
}

// The run on the native GPU backend follows the CPU run within float32
// tolerance.
func TestTruncateGPUAgreement(t *testing.T) {
	gpu := gputest.Backend(t)
	tr := mustTruncate(t, "n=120&particles=64&prior=entropic&fit=200&steps=3&sampler=dpmpp2m&seed=2")
	c, _ := playTruncate(t, tr, compute.NewCPU(0))
	g, _ := playTruncate(t, tr, gpu)
	lc, lg := c[len(c)-1], g[len(g)-1]
	df, dt := maxAbsDiff(lc.Full.All, lg.Full.All), maxAbsDiff(lc.Trunc.All, lg.Trunc.All)
	t.Logf("full sides differ by %.3g, truncated by %.3g; MMD truncated CPU %.5f GPU %.5f", df, dt, lc.Trunc.MMD, lg.Trunc.MMD)
	if df > 2e-2 || dt > 5e-2 {
		t.Errorf("GPU differs: full by %g, truncated by %g", df, dt)
	}
}
