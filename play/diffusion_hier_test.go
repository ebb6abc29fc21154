package play

import (
	"strings"
	"testing"

	"github.com/otplay/otplay/compute"
	"github.com/otplay/otplay/solvers/diffusion"
)

// hierarchical=yes with heps reproduces diffusion.Sample with the same
// HierarchicalSettings run directly (same model and noise), the frames
// count its Sinkhorn iterations, the state round-trips, heps is hidden
// unless the smoothing is on, and the adaptive sampler refuses it.
func TestDiffusionHierarchicalControl(t *testing.T) {
	cpu := compute.NewCPU(0)
	q := "data=moons&n=80&particles=40&sampler=euler-maruyama&steps=6&seed=2&backend=cpu&trail=0"
	d := mustDiffusion(t, q+"&hierarchical=yes&heps=0.05")
	if st, _ := d.State(); !strings.Contains(st.Encode(), "hierarchical=yes") || !strings.Contains(st.Encode(), "heps=0.05") {
		t.Errorf("state %q lost the hierarchical smoothing", st.Encode())
	}
	if !d.Hierarchical || d.HierEps != 0.05 {
		t.Fatalf("parsed %+v", d)
	}
	frames := playDiffusion(t, d, cpu)
	sched, _ := diffusion.ParseSchedule("linear")
	model, x := moonsStart(t, cpu)
	res, err := diffusion.Sample(cpu, model, sched, x, 40, diffusion.Settings{Sampler: diffusion.EulerMaruyama, Steps: 6, Seed: 2,
		Hierarchical: diffusion.HierarchicalSettings{On: true, Bandwidth: 0.05}})
	if err != nil {
		t.Fatal(err)
	}
	out := make([]float64, 80)
	cpu.Read(out, x)
	last := frames[len(frames)-1]
	t.Logf("hierarchical: %d frames, %d Sinkhorn iterations (direct %d), last x differs by %g", len(frames), last.HierarchicalIterations, res.HierarchicalIterations, maxAbsDiff(last.X, out))
	if len(frames) != 7 || !last.AtEnd || maxAbsDiff(last.X, out) > 1e-12 || last.HierarchicalIterations != res.HierarchicalIterations || res.HierarchicalIterations < 6 {
		t.Errorf("hierarchical run: %d frames, at end %v, iterations %d vs %d, x differs by %g",
			len(frames), last.AtEnd, last.HierarchicalIterations, res.HierarchicalIterations, maxAbsDiff(last.X, out))
	}
	if p, ok := DiffusionSchema.Param("heps"); !ok || p.ShownWhen != "hierarchical=yes" {
		t.Errorf("heps is shown when %q, want hierarchical=yes", p.ShownWhen)
	}
	st, _ := DiffusionSchema.DecodeQuery(q + "&sampler=ode-adaptive&hierarchical=yes")
	if _, err := ParseDiffusion(st); err == nil || !strings.Contains(err.Error(), "fixed-step sampler") {
		t.Errorf("adaptive sampler with the hierarchical smoothing: error %v", err)
	}
	if _, err := DiffusionSchema.DecodeQuery(q + "&hierarchical=yes&heps=-1"); err == nil {
		t.Error("heps = -1 accepted")
	}
}
