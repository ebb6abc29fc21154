package e2e

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/otplay/otplay/batch"
	"github.com/otplay/otplay/compute"
	"github.com/otplay/otplay/solvers/bridge"
	"github.com/otplay/otplay/solvers/data"
	"github.com/otplay/otplay/solvers/diffusion"
	"github.com/otplay/otplay/ui"
)

// The MMD-adaptive steps and Schrödinger-bridge correction controls of
// /diffusion: turned on in the form (with every = 2 and lambda = 0.7) and
// applied, they are in the URL, and the played run ends where
// bridge.SampleCorrected on bridge.MMDTimes ends natively (float64 on
// the wasm CPU backend), the ATLAS hierarchical smoothing (heps = 0.05,
// averaged iteration, barycentric weights) included, whose Sinkhorn
// iterations the read-out counts, from the sliced batch OT start (P = 16
// directions, otplay sample's default target), which the read-out names. A screenshot at 1280x800 goes to
// $OTPLAY_SCREENSHOTS if set.
func TestDiffusionBridgeControls(t *testing.T) {
	tb := newTab(t)
	tb.run(t, 10*time.Second, chromedp.EmulateViewport(1280, 800))
	base := "data=moons&n=120&particles=60&sampler=ddim&steps=8&seed=5&trail=0&backend=cpu"
	tb.run(t, 30*time.Second, chromedp.Navigate(env.baseURL+ui.DiffusionPath+"?"+base))
	waitDiffusion(t, tb, "f.step === 0", 40*time.Second)
	setControl(t, tb, "in-mmdsteps", "yes")
	setControl(t, tb, "in-correct", "yes")
	poll[bool](t, tb, `(() => { const e = document.getElementById("in-lambda"); return !!e; })()`, 5*time.Second)
	setControl(t, tb, "in-every", "2")
	setControl(t, tb, "in-lambda", "0.7")
	setControl(t, tb, "in-hierarchical", "yes")
	poll[bool](t, tb, `(() => { const e = document.getElementById("in-heps"); return !!e; })()`, 5*time.Second)
	setControl(t, tb, "in-heps", "0.05")
	setControl(t, tb, "in-haveraged", "yes")
	setControl(t, tb, "in-hbarycentric", "yes")
	setControl(t, tb, "in-batchot", "sliced")
	poll[bool](t, tb, `(() => { const e = document.getElementById("in-projections"); return !!e && e.getClientRects().length > 0; })()`, 5*time.Second)
	setControl(t, tb, "in-projections", "16")
	click(t, tb, "apply")
	poll[bool](t, tb, `["mmdsteps=yes", "correct=yes", "every=2", "lambda=0.7", "hierarchical=yes", "heps=0.05", "haveraged=yes", "hbarycentric=yes", "batchot=sliced", "projections=16"].every(s => location.search.includes(s))`, 15*time.Second)
	waitDiffusion(t, tb, "f.step === 0 && f.state.includes('correct=yes')", 40*time.Second)
	click(t, tb, "play")
	f := waitDiffusion(t, tb, "f.finished", 60*time.Second)

	cpu := compute.NewCPU(0)
	s, _ := data.Generate("moons", 120, data.Options{Seed: 5})
	model, err := diffusion.NewEmpirical(cpu, s.Points, 120, 2, nil)
	if err != nil {
		t.Fatal(err)
	}
	sched, _ := diffusion.ParseSchedule("linear")
	times, err := bridge.MMDTimes(sched, s.Points, 120, 2, 8, 1, sched.DefaultTEnd(), 5+5)
	if err != nil {
		t.Fatal(err)
	}
	x, _ := cpu.Alloc(120)
	if err := diffusion.InitialNoise(cpu, x, 5); err != nil {
		t.Fatal(err)
	}
	// The batch OT start: otplay sample's default target, a held-out draw
	// of the data pushed to the first time, and the sliced map.
	target, err := batch.TargetDraw("moons:120:seed=5", s, 60)
	if err != nil {
		t.Fatal(err)
	}
	y, err := diffusion.BatchOTTarget(cpu, target.Points, sched, times[0], 5)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := diffusion.TransportBatch(cpu, x, 60, 2, y, sched, times[0], diffusion.BatchOTSettings{Projections: 16, Seed: 5}); err != nil {
		t.Fatal(err)
	}
	res, err := bridge.SampleCorrected(cpu, model, sched, x, 60, s.Points, 120, bridge.CorrectSettings{
		Sampler: diffusion.Settings{Sampler: diffusion.DDIM, Steps: 8, Seed: 5, Times: times,
			Hierarchical: diffusion.HierarchicalSettings{On: true, Bandwidth: 0.05, Averaged: true, Barycentric: true}}, Every: 2, Relax: 0.7, Seed: 5 + 3})
	if err != nil {
		t.Fatal(err)
	}
	want := make([]float64, 120)
	cpu.Read(want, x)
	d := diffusionMaxAbs(f.X, want)
	t.Logf("finished: step %d, NFE %d (native %d), %d corrections natively, positions differ by %.3g, MMD(sample) %.4g", f.Step, f.NFE, res.NFE, res.Corrections, d, f.SampleMMD)
	// 1e-9: the native CPU backend's SIMD soft-mean rounds differently from
	// the wasm build's scalar one; the Sinkhorn corrections carry it to
	// 4.5e-12 here.
	if f.Step != 8 || f.NFE != res.NFE || !(d <= 1e-9) {
		t.Errorf("finished frame: step %d, NFE %d (want %d), positions differ by %g", f.Step, f.NFE, res.NFE, d)
	}
	// The hierarchical smoothing's read-out: its Sinkhorn iterations, as
	// many as natively.
	// The batch OT start's: its map and directions.
	readout := "Sinkhorn iterations (hierarchical)" + strconv.Itoa(res.HierarchicalIterations)
	moved := "batch OT startsliced, P = 16 directions"
	if text := eval[string](t, tb, `document.getElementById("diffusion-stats").textContent`); res.HierarchicalIterations < 8 || !strings.Contains(text, readout) || !strings.Contains(text, moved) {
		t.Errorf("read-out %q does not contain %q and %q", text, readout, moved)
	}

	// The rff model with its features control (shown for rff only) and
	// the draft preset: the run uses D = 256 features; the preset sets
	// what sits at its default and keeps the steps and particles of the
	// URL, and the read-out says so.
	if eval[bool](t, tb, `(() => { const e = document.getElementById("in-features"); return !!e && e.getClientRects().length > 0; })()`) {
		t.Errorf("the features control is shown for the empirical model")
	}
	setControl(t, tb, "in-model", "rff")
	poll[bool](t, tb, `(() => { const e = document.getElementById("in-features"); return !!e && e.getClientRects().length > 0; })()`, 5*time.Second)
	setControl(t, tb, "in-features", "256")
	setControl(t, tb, "in-preset", "draft")
	click(t, tb, "apply")
	r := waitDiffusion(t, tb, "f.step === 0 && f.features === 256 && f.preset", 40*time.Second)
	stats := eval[string](t, tb, `document.getElementById("diffusion-stats").textContent`)
	t.Logf("rff, draft: %s", r.Preset.Text())
	if r.Preset.Name != "draft" || !strings.Contains(stats, "kept your steps = 8, particles = 60") || !strings.Contains(stats, "D = 256 features") {
		t.Errorf("rff with draft: read-out %+v; stats %q", r.Preset, stats)
	}
	shot(t, tb, "diffusion-correct", 1280)
	tb.checkConsole(t)
}
