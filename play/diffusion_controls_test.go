package play

import (
	"math"
	"strings"
	"testing"

	"github.com/otplay/otplay/compute"
	"github.com/otplay/otplay/solvers/bridge"
	"github.com/otplay/otplay/solvers/data"
	"github.com/otplay/otplay/solvers/diffusion"
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
	model, err := diffusion.NewEmpirical(cpu, s.Points, 80, 2, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer model.Free()
	x, _ := cpu.Alloc(80)
	if err := diffusion.InitialNoise(cpu, x, 2); err != nil {
		t.Fatal(err)
	}
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
