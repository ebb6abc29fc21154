package play

import (
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/otplay/otplay/compute"
	"github.com/otplay/otplay/solvers/data"
	"github.com/otplay/otplay/solvers/diffusion"
)

// The labelled sets are exactly those of PointSets whose generator gives
// labels, and the class and guidance controls parse, encode back and
// drop a class of an unlabelled set.
func TestDiffusionClassState(t *testing.T) {
	for _, name := range OTSets {
		s, err := data.Generate(name, 20, data.Options{})
		if err != nil {
			t.Fatal(err)
		}
		if got := s.Labels != nil; got != slices.Contains(LabelledSets, name) {
			t.Errorf("%s: labels %v, LabelledSets says %v", name, got, !got)
		}
		for _, l := range s.Labels {
			if l >= MaxClasses {
				t.Errorf("%s: label %d >= MaxClasses", name, l)
			}
		}
	}
	d := mustDiffusion(t, "class=3&guidance=2.5")
	if d.Class != 3 || d.Guidance != 2.5 || d.Conditional {
		t.Errorf("parsed class %d guidance %v conditional %v", d.Class, d.Guidance, d.Conditional)
	}
	if st, err := d.State(); err != nil || st.Encode() != "class=3&guidance=2.5" {
		t.Errorf("state %q, %v", st.Encode(), err)
	}
	if d := mustDiffusion(t, "model=mlp&class=1"); !d.Conditional || d.Guidance != 1 {
		t.Errorf("mlp with a class: conditional %v guidance %v", d.Conditional, d.Guidance)
	}
	if d := mustDiffusion(t, "data=swissroll&class=2"); d.Class != -1 {
		t.Errorf("swissroll (no labels) class=2 parsed as class %d", d.Class)
	}
	if _, err := DiffusionSchema.DecodeQuery("guidance=6"); err == nil || !strings.Contains(err.Error(), "guidance") {
		t.Errorf("guidance=6 (outside [0, 5]) not refused by name: %v", err)
	}
}

// A guided run is diffusion.Sample with diffusion.Guided of the class's
// empirical denoiser and the data's, at the same settings.
func TestDiffusionGuidedEqualsSample(t *testing.T) {
	d := mustDiffusion(t, "n=200&particles=60&sampler=ddim&steps=8&seed=4&class=2&guidance=2&backend=cpu&field=none")
	frames := playDiffusion(t, d, compute.NewCPU(0))
	got := frames[len(frames)-1].All

	b := compute.NewCPU(0)
	s, err := data.Generate("8gaussians", 200, data.Options{Seed: 4})
	if err != nil {
		t.Fatal(err)
	}
	var cx []float64
	for i, l := range s.Labels {
		if l == 2 {
			cx = append(cx, s.Points[2*i:2*i+2]...)
		}
	}
	all, err := diffusion.NewEmpirical(b, s.Points, s.N, 2, nil)
	if err != nil {
		t.Fatal(err)
	}
	cond, err := diffusion.NewEmpirical(b, cx, len(cx)/2, 2, nil)
	if err != nil {
		t.Fatal(err)
	}
	g, err := diffusion.NewGuided(b, cond, all, 2)
	if err != nil {
		t.Fatal(err)
	}
	want := sampleDirect(t, b, g, 60, diffusion.Settings{Sampler: diffusion.DDIM, Steps: 8, Seed: 4})
	for i := range want {
		if math.Abs(got[i]-want[i]) > 1e-12 {
			t.Fatalf("particle coordinate %d: page %v, diffusion.Sample with Guided %v", i, got[i], want[i])
		}
	}
	f := frames[len(frames)-1]
	if f.Class != 2 || f.Guidance != 2 || !(f.ClassAccuracy > 0) || !(f.Spread > 0) || !(f.ClassSpread > 0) {
		t.Errorf("read-outs: class %d W %v accuracy %v spread %v class spread %v", f.Class, f.Guidance, f.ClassAccuracy, f.Spread, f.ClassSpread)
	}
}

// Guidance trades diversity for fidelity: on 8gaussians (class 0, the
// exact and the mixture model) the class accuracy rises from W = 0
// (about 1/8: every class) to W = 3 (nearly all) and the spread shrinks
// below the class's own at W = 3.
func TestDiffusionGuidanceTradeOff(t *testing.T) {
	for _, model := range []string{"empirical", "gmm"} {
		at := func(w string) DiffusionFrame {
			d := mustDiffusion(t, "model="+model+"&n=400&particles=200&steps=20&class=0&guidance="+w+"&backend=cpu&field=none")
			fr := playDiffusion(t, d, compute.NewCPU(0))
			return fr[len(fr)-1]
		}
		f0, f3 := at("0"), at("3")
		t.Logf("%s: W=0 accuracy %.3f spread %.3f; W=3 accuracy %.3f spread %.3f (class spread %.3f)", model, f0.ClassAccuracy, f0.Spread, f3.ClassAccuracy, f3.Spread, f3.ClassSpread)
		if !(f0.ClassAccuracy < 0.3 && f3.ClassAccuracy > 0.95) {
			t.Errorf("%s: class accuracy %.3f at W=0, %.3f at W=3: want < 0.3 then > 0.95", model, f0.ClassAccuracy, f3.ClassAccuracy)
		}
		if !(f3.Spread < f3.ClassSpread && f0.Spread > f3.Spread) {
			t.Errorf("%s: spread %.3f at W=0, %.3f at W=3, class's own %.3f: want W=3 below both", model, f0.Spread, f3.Spread, f3.ClassSpread)
		}
	}
}

// With model mlp, a class trains the network class-conditional on the
// data's labels (a separate cache entry from the unconditional one) and
// a guided run ends with its read-outs.
func TestDiffusionGuidedMLP(t *testing.T) {
	d := mustDiffusion(t, "model=mlp&train=20&n=200&particles=40&steps=5&class=1&guidance=2&backend=cpu&field=none")
	b := compute.NewCPU(0)
	m, err := d.Build(b, nil)
	if err != nil {
		t.Fatal(err)
	}
	mm, ok := m.Model.(*diffusion.MLP)
	if !ok || mm.Classes() != 8 {
		t.Fatalf("built %T, want a class-conditional MLP of 8 classes", m.Model)
	}
	m.Free()
	frames := playDiffusion(t, d, b)
	f := frames[len(frames)-1]
	if f.Class != 1 || f.Guidance != 2 || !(f.ClassAccuracy >= 0 && f.ClassAccuracy <= 1) || !(f.Spread > 0) {
		t.Errorf("mlp read-outs: class %d W %v accuracy %v spread %v", f.Class, f.Guidance, f.ClassAccuracy, f.Spread)
	}
	// The unconditional network of the same settings is another training.
	u := mustDiffusion(t, "model=mlp&train=20&n=200&particles=40&steps=5&backend=cpu")
	um, err := u.Build(b, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer um.Free()
	if c := um.Model.(*diffusion.MLP).Classes(); c != 0 {
		t.Errorf("unconditional build after a conditional one: %d classes, want 0 (the cache must key on conditioning)", c)
	}
}

// sampleDirect runs diffusion.Sample of model on the linear schedule from
// diffusion.InitialNoise of set.Seed (n 2-D particles) and returns the
// particles.
func sampleDirect(t *testing.T, b compute.Backend, model diffusion.Model, n int, set diffusion.Settings) []float64 {
	t.Helper()
	sched, _ := diffusion.ParseSchedule("linear")
	x, err := b.Alloc(2 * n)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Free(x)
	if err := diffusion.InitialNoise(b, x, set.Seed); err != nil {
		t.Fatal(err)
	}
	if _, err := diffusion.Sample(b, model, sched, x, n, set); err != nil {
		t.Fatal(err)
	}
	out := make([]float64, 2*n)
	if err := b.Read(out, x); err != nil {
		t.Fatal(err)
	}
	return out
}

// The corrector, threshold and churn controls: a run with the Langevin
// corrector, thresholding at p = 0.9 and Heun's churn 2 ends where
// diffusion.Sample ends with the same settings (the bound R: the data's
// largest |coordinate|); churn of another sampler is dropped; the
// adaptive solver refuses a corrector by name.
func TestDiffusionSamplerOptionControls(t *testing.T) {
	q := "data=moons&n=80&particles=40&sampler=heun&steps=6&seed=2&backend=cpu&trail=0&field=none"
	d := mustDiffusion(t, q+"&corrector=langevin&threshold=0.9&churn=2")
	if st, _ := d.State(); !strings.Contains(st.Encode(), "churn=2&corrector=langevin") || !strings.Contains(st.Encode(), "threshold=0.9") {
		t.Errorf("state %q lost the options", st.Encode())
	}
	b := compute.NewCPU(0)
	frames := playDiffusion(t, d, b)
	s, _ := data.Generate("moons", 80, data.Options{Seed: 2})
	model, err := diffusion.NewEmpirical(b, s.Points, 80, 2, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer model.Free()
	r := 0.0
	for _, v := range s.Points {
		r = math.Max(r, math.Abs(v))
	}
	want := sampleDirect(t, b, model, 40, diffusion.Settings{Sampler: diffusion.Heun, Steps: 6, Seed: 2,
		Corrector: diffusion.Langevin, Threshold: 0.9, ThresholdBound: r, Churn: 2})
	plain := sampleDirect(t, b, model, 40, diffusion.Settings{Sampler: diffusion.Heun, Steps: 6, Seed: 2})
	last := frames[len(frames)-1]
	t.Logf("with options: NFE %d, differs from diffusion.Sample by %g, from the plain sampler by %g", last.NFE, maxAbsDiff(last.All, want), maxAbsDiff(last.All, plain))
	if maxAbsDiff(last.All, want) > 1e-12 || !(maxAbsDiff(last.All, plain) > 1e-6) {
		t.Errorf("the options' run differs from diffusion.Sample by %g (want 0) and from the plain run by %g (want > 0)", maxAbsDiff(last.All, want), maxAbsDiff(last.All, plain))
	}
	if d := mustDiffusion(t, "sampler=ddim&churn=3"); d.Churn != 0 {
		t.Errorf("ddim with churn=3: churn %v, want it dropped", d.Churn)
	}
	st, _ := DiffusionSchema.DecodeQuery("sampler=ode-adaptive&corrector=langevin")
	if _, err := ParseDiffusion(st); err == nil || !strings.Contains(err.Error(), "corrector") {
		t.Errorf("adaptive sampler with a corrector: error %v", err)
	}
}
