package ui

import (
	"math"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/maxence-charriere/go-app/v10/pkg/app"
	"github.com/otplay/otplay/compute"
	"github.com/otplay/otplay/compute/webgpu/gputest"
	"github.com/otplay/otplay/solvers/data"
	"github.com/otplay/otplay/solvers/diffusion"
	"github.com/otplay/otplay/solvers/metrics"
	"github.com/otplay/otplay/solvers/truncate"
)

func TestTruncateSchema(t *testing.T) {
	if err := TruncateSchema.Check(); err != nil {
		t.Fatal(err)
	}
	if _, err := TruncateSchema.DecodeQuery("ttrunc=1&prior=magic&sampler=ode-adaptive"); err == nil ||
		!strings.Contains(err.Error(), "ttrunc") || !strings.Contains(err.Error(), "prior") || !strings.Contains(err.Error(), "sampler") {
		t.Errorf("bad values not reported by name: %v", err)
	}
	st := mustDecodeTestState(t, TruncateSchema, "prior=sliced&ttrunc=250&seed=9")
	s, err := TruncateSettings(st, diffusion.Linear(0))
	if err != nil || s.Prior != truncate.Sliced || s.TTrunc != 250 || s.Seed != 9 {
		t.Errorf("settings %+v, %v", s, err)
	}
}

// runTruncateFrames plays a whole run (both sides) with no frame gap.
func runTruncateFrames(t *testing.T, status BackendStatus, st State) []TruncateFrame {
	t.Helper()
	r := newTruncateRun(st)
	for _, g := range r.gates {
		g.gap = 0
	}
	r.play()
	var mu sync.Mutex
	var frames []TruncateFrame
	runTruncateOn(status, r, func(f TruncateFrame) { mu.Lock(); frames = append(frames, f); mu.Unlock() }, nil)
	if len(frames) == 0 {
		t.Fatal("no frame")
	}
	for _, f := range frames {
		if f.Error != "" {
			t.Fatal(f.Error)
		}
	}
	return frames
}

// The page's two sides are diffusion.Sample from N(0, I) at t = 1 and
// truncate's FitPrior + SampleReverse at T_trunc, with the same model,
// sampler and seed; the ladder is the same at every rung it computes.
func TestRunTruncateCPU(t *testing.T) {
	st := mustDecodeTestState(t, TruncateSchema, "data=moons&n=150&particles=60&ttrunc=250&prior=entropic&fit=300&sampler=ddim&steps=4&seed=3&backend=cpu")
	cpu := compute.NewCPU(0)
	start := time.Now()
	frames := runTruncateFrames(t, BackendStatus{Backend: cpu, Kind: KindCPU}, st)
	last := frames[len(frames)-1]
	t.Logf("%d frames in %v; prior MMD %.4f; ladder NFE %v full %.4f truncated %.4f", len(frames), time.Since(start), last.PriorMMD, last.LadderNFE, last.LadderFull, last.LadderTrunc)
	if last.Phase != "finished" || !last.Full.Finished || !last.Trunc.Finished || last.Full.NFE != 4 || last.Trunc.NFE != 4 {
		t.Fatalf("last frame: phase %s, full %+v, truncated %+v", last.Phase, last.Full.Step, last.Trunc.Step)
	}
	if math.Abs(last.TStart-0.25) > 1e-12 || len(last.LadderNFE) != len(truncateLadder)+1 || last.LadderSteps[3] != 4 {
		t.Errorf("t start %g, %d ladder rungs", last.TStart, len(last.LadderNFE))
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
	if d := diffusionMaxAbsDiff(last.Trunc.all, trunc); d > 1e-12 {
		t.Errorf("truncated side differs from SampleReverse by %g", d)
	}
	if d := diffusionMaxAbsDiff(last.Full.all, full); d > 1e-12 {
		t.Errorf("full side differs from Sample by %g", d)
	}
	bw := metrics.MedianBandwidth(s.Points, s.Points, 2)
	mt, _ := metrics.MMDHost(trunc, 60, s.Points, 150, 2, bw)
	mf, _ := metrics.MMDHost(full, 60, s.Points, 150, 2, bw)
	if math.Abs(last.Trunc.MMD-mt.MMD) > 1e-12 || math.Abs(last.Full.MMD-mf.MMD) > 1e-12 {
		t.Errorf("MMD truncated %g vs %g, full %g vs %g", last.Trunc.MMD, mt.MMD, last.Full.MMD, mf.MMD)
	}
	// The ladder has the page's 4 steps added: its rung 3 is the run
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
	page := &TruncatePage{state: st, frame: &last, run: newTruncateRun(st)}
	html := app.HTMLString(page)
	for _, want := range []string{`data-status="finished"`, `id="ttrunc-slider"`, `id="truncate-ladder"`, "T_trunc = 250", "MMD(sample, data)"} {
		if !strings.Contains(html, want) {
			t.Errorf("/truncate lacks %q", want)
		}
	}
	for _, fig := range []Figure{truncateSideFigure(last.data, last.Trunc, "t", "#d62728"), truncateLadderFigure(&last)} {
		if err := fig.Draw(&Recorder{}); err != nil {
			t.Error(err)
		}
	}
}

// The Gaussian and sliced priors run; the steps add to the ladder.
func TestRunTruncatePriors(t *testing.T) {
	for _, q := range []string{"prior=gaussian&steps=6&sampler=dpmpp2m", "prior=sliced&priorsteps=100&steps=2&sampler=heun&model=gmm&fit=200"} {
		st := mustDecodeTestState(t, TruncateSchema, q+"&n=120&particles=40&backend=cpu")
		dropTruncateFitCache()
		frames := runTruncateFrames(t, BackendStatus{Backend: compute.NewCPU(0), Kind: KindCPU}, st)
		last := frames[len(frames)-1]
		t.Logf("%s: prior MMD %.4f, full %.4f, truncated %.4f, NFE %d", q, last.PriorMMD, last.Full.MMD, last.Trunc.MMD, last.Trunc.NFE)
		if last.Phase != "finished" || !(last.Trunc.MMD >= 0) {
			t.Errorf("%s: phase %s", q, last.Phase)
		}
		if strings.Contains(q, "steps=6") && !slicesContains(last.LadderSteps, 6) {
			t.Errorf("ladder %v lacks the page's 6 steps", last.LadderSteps)
		}
		if strings.Contains(q, "sliced") {
			checkFitProgress(t, frames, st, 100)
		}
	}
}

// checkFitProgress: while the prior fits (a fresh fit: the page caches
// them) the frames count its work up to total, in order, and the page's
// progress line says so.
func checkFitProgress(t *testing.T, frames []TruncateFrame, st State, total int) {
	t.Helper()
	done, seen := 0, 0
	var line *Progress
	for _, f := range frames {
		if f.Phase != "fitting" || f.FitTotal == 0 {
			continue
		}
		if f.FitTotal != total || f.FitDone < done {
			t.Fatalf("fit progress %d of %d after %d, want rising to %d", f.FitDone, f.FitTotal, done, total)
		}
		done, seen = f.FitDone, seen+1
		line = truncateProgress(&f, st)
	}
	if seen < 2 || done != total {
		t.Fatalf("%d fit progress frames, last at %d, want several up to %d", seen, done, total)
	}
	if line == nil || line.Done != total || line.Total != total || line.Unit == "" {
		t.Errorf("progress line %+v", line)
	}
}

func slicesContains(v []int, x int) bool {
	for _, y := range v {
		if y == x {
			return true
		}
	}
	return false
}

func TestRunTruncateGPUAgreement(t *testing.T) {
	gpu := gputest.Backend(t)
	st := mustDecodeTestState(t, TruncateSchema, "n=120&particles=64&prior=entropic&fit=200&steps=3&sampler=dpmpp2m&seed=2")
	c := runTruncateFrames(t, BackendStatus{Backend: compute.NewCPU(0), Kind: KindCPU}, st)
	g := runTruncateFrames(t, BackendStatus{Backend: gpu, Kind: KindWebGPU}, st)
	lc, lg := c[len(c)-1], g[len(g)-1]
	df, dt := diffusionMaxAbsDiff(lc.Full.all, lg.Full.all), diffusionMaxAbsDiff(lc.Trunc.all, lg.Trunc.all)
	t.Logf("full sides differ by %.3g, truncated by %.3g; MMD truncated CPU %.5f GPU %.5f", df, dt, lc.Trunc.MMD, lg.Trunc.MMD)
	if df > 2e-2 || dt > 5e-2 {
		t.Errorf("GPU differs: full by %g, truncated by %g", df, dt)
	}
}

// dropTruncateFitCache frees the page's cached prior, so the next run fits.
func dropTruncateFitCache() {
	computeMu.Lock()
	defer computeMu.Unlock()
	if truncateFitCache.fit != nil {
		truncateFitCache.fit.Free()
	}
	truncateFitCache.key, truncateFitCache.fit = "", nil
}
