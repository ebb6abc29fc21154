package play

import (
	"math"
	"strings"
	"testing"

	"github.com/otplay/otplay/compute"
	"github.com/otplay/otplay/solvers/bridge"
	"github.com/otplay/otplay/solvers/data"
	"github.com/otplay/otplay/solvers/diffusion"
	"github.com/otplay/otplay/solvers/preset"
)

// mmdsteps=yes steps through bridge.MMDTimes of the data; correct=yes
// reproduces bridge.SampleCorrected run directly (same model, noise,
// every and lambda) with its steps numbered 1..N as one run; the adaptive
// sampler refuses both by name; the state round-trips.
func TestDiffusionBridgeControls(t *testing.T) {
	cpu := compute.NewCPU(0)
	q := "data=moons&n=80&particles=40&sampler=ddim&steps=6&seed=2&backend=cpu&trail=0"
	d := mustDiffusion(t, q+"&mmdsteps=yes")
	if st, _ := d.State(); !mustDiffusion(t, st.Encode()).MMDSteps {
		t.Errorf("state %q lost mmdsteps", st.Encode())
	}
	frames := playDiffusion(t, d, cpu)
	s, _ := data.Generate("moons", 80, data.Options{Seed: 2})
	sched, _ := diffusion.ParseSchedule("linear")
	times, err := bridge.MMDTimes(sched, s.Points, 80, 2, 6, 1, sched.DefaultTEnd(), 2+5)
	if err != nil {
		t.Fatal(err)
	}
	if len(frames) != 7 {
		t.Fatalf("%d frames, want 7", len(frames))
	}
	for k, f := range frames[1:] {
		if math.Abs(f.T-times[k+1]) > 1e-12 {
			t.Errorf("step %d at t = %g, MMDTimes %g", k+1, f.T, times[k+1])
		}
	}
	t.Logf("MMD-adaptive times %.4g", times)

	d = mustDiffusion(t, q+"&correct=yes&every=2&lambda=0.7")
	if st, _ := d.State(); !strings.Contains(st.Encode(), "correct=yes&") || !strings.Contains(st.Encode(), "every=2&lambda=0.7&") {
		t.Errorf("state %q lost the correction", st.Encode())
	}
	frames = playDiffusion(t, d, cpu)
	model, x := moonsStart(t, cpu)
	res, err := bridge.SampleCorrected(cpu, model, sched, x, 40, s.Points, 80, bridge.CorrectSettings{
		Sampler: diffusion.Settings{Sampler: diffusion.DDIM, Steps: 6, Seed: 2}, Every: 2, Relax: 0.7, Seed: 2 + 3})
	if err != nil {
		t.Fatal(err)
	}
	out := make([]float64, 80)
	cpu.Read(out, x)
	last := frames[len(frames)-1]
	t.Logf("corrected: %d frames, %d corrections, NFE %d (direct %d), last x differs by %g", len(frames), res.Corrections, last.NFE, res.NFE, maxAbsDiff(last.X, out))
	if len(frames) != 7 || !last.AtEnd || res.Corrections != 2 || maxAbsDiff(last.X, out) > 1e-12 || last.NFE != res.NFE {
		t.Errorf("corrected run: %d frames, at end %v, %d corrections, NFE %d vs %d", len(frames), last.AtEnd, res.Corrections, last.NFE, res.NFE)
	}
	for k, f := range frames {
		if f.Step != k {
			t.Errorf("frame %d numbered step %d", k, f.Step)
		}
	}
	st, _ := DiffusionSchema.DecodeQuery(q + "&sampler=ode-adaptive&correct=yes")
	if _, err := ParseDiffusion(st); err == nil || !strings.Contains(err.Error(), "fixed-step sampler") {
		t.Errorf("adaptive sampler with the correction: error %v", err)
	}
}

// model=rff: the page's run ends where diffusion.Sample with
// diffusion.NewRFFScoreModel (same data, D and seed) ends; D is in the
// state, shown only for rff, and counts in the frame; more features bring
// the run closer to the exact (empirical) model's.
func TestDiffusionRFFModel(t *testing.T) {
	q := "data=moons&n=120&particles=50&sampler=ddim&steps=8&seed=3&backend=cpu&trail=0&field=none"
	d := mustDiffusion(t, q+"&model=rff&features=256")
	if st, _ := d.State(); !strings.Contains(st.Encode(), "features=256&") || !strings.Contains(st.Encode(), "model=rff") {
		t.Errorf("state %q lost the rff model or its features", st.Encode())
	}
	if p, _ := DiffusionSchema.Param("features"); p.Shown(map[string]string{"model": "empirical"}) || !p.Shown(map[string]string{"model": "rff"}) {
		t.Errorf("features control shown for empirical or hidden for rff")
	}
	b := compute.NewCPU(0)
	frames := playDiffusion(t, d, b)
	last := frames[len(frames)-1]
	s, _ := data.Generate("moons", 120, data.Options{Seed: 3})
	model, err := diffusion.NewRFFScoreModel(b, s.Points, 120, 2, 256, 3)
	if err != nil {
		t.Fatal(err)
	}
	want := sampleDirect(t, b, model, 50, diffusion.Settings{Sampler: diffusion.DDIM, Steps: 8, Seed: 3})
	if diff := maxAbsDiff(last.All, want); diff > 1e-12 || last.Features != 256 {
		t.Errorf("rff run differs from diffusion.Sample with NewRFFScoreModel by %g (want 0); features %d", diff, last.Features)
	}
	exact := playDiffusion(t, mustDiffusion(t, q), b)
	wide := playDiffusion(t, mustDiffusion(t, q+"&model=rff&features=8192"), b)
	narrow := playDiffusion(t, mustDiffusion(t, q+"&model=rff&features=16"), b)
	e := exact[len(exact)-1].All
	dw, dn := meanAbsDiff(wide[len(wide)-1].All, e), meanAbsDiff(narrow[len(narrow)-1].All, e)
	t.Logf("mean distance to the exact model's samples: D = 8192 %.3g, D = 16 %.3g; fallback points %d and %d", dw, dn, wide[len(wide)-1].RFFFallback, narrow[len(narrow)-1].RFFFallback)
	if !(dw < dn) {
		t.Errorf("D = 8192 ends %g from the exact model, D = 16 %g: more features should be closer", dw, dn)
	}
}

// meanAbsDiff is the mean of |a_i - b_i|.
func meanAbsDiff(a, b []float64) float64 {
	s := 0.0
	for i := range a {
		s += math.Abs(a[i] - b[i])
	}
	return s / float64(len(a))
}

// preset=draft on the CPU backend: the run takes preset.For's steps (10)
// and batch (250 on a CPU backend) where the state leaves them at their
// defaults, ends where diffusion.Sample with those settings ends, and
// says what it set and why; a knob the reader moved wins; the state
// keeps the reader's values.
func TestDiffusionPreset(t *testing.T) {
	b := compute.NewCPU(0)
	want, err := preset.For("draft", preset.FromInfo(b.Info()))
	if err != nil {
		t.Fatal(err)
	}
	q := "data=moons&n=80&sampler=ddim&seed=2&backend=cpu&trail=0&field=none&preset=draft"
	frames := playDiffusion(t, mustDiffusion(t, q), b)
	last := frames[len(frames)-1]
	if last.Steps != want.Steps || last.Particles != want.N || last.Preset == nil {
		t.Fatalf("draft on cpu: %d steps, %d particles, read-out %+v; want preset.For's %d and %d", last.Steps, last.Particles, last.Preset, want.Steps, want.N)
	}
	text := last.Preset.Text()
	for _, w := range []string{"draft (FastSB-OT) set steps = 10, particles = 250", "why: CPU backend cpu"} {
		if !strings.Contains(text, w) {
			t.Errorf("read-out %q lacks %q", text, w)
		}
	}
	s, _ := data.Generate("moons", 80, data.Options{Seed: 2})
	model, err := diffusion.NewEmpirical(b, s.Points, 80, 2, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer model.Free()
	direct := sampleDirect(t, b, model, want.N, diffusion.Settings{Sampler: diffusion.DDIM, Steps: want.Steps, Seed: 2})
	if diff := maxAbsDiff(last.All, direct); diff > 1e-12 {
		t.Errorf("draft run differs from diffusion.Sample in %d steps by %g", want.Steps, diff)
	}
	if !strings.Contains(last.State, "preset=draft") || strings.Contains(last.State, "steps=") {
		t.Errorf("frame state %q: want the reader's (preset=draft, steps at its default)", last.State)
	}
	moved := playDiffusion(t, mustDiffusion(t, q+"&particles=30&steps=4"), b)
	m := moved[len(moved)-1]
	if m.Particles != 30 || m.Steps != 4 || !strings.Contains(m.Preset.Text(), "kept your steps = 4, particles = 30") {
		t.Errorf("moved knobs: %d particles, %d steps, %q; want 30, 4 and both kept", m.Particles, m.Steps, m.Preset.Text())
	}
}
