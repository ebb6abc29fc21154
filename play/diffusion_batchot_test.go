package play

import (
	"strings"
	"testing"

	"github.com/otplay/otplay/compute"
	"github.com/otplay/otplay/solvers/data"
	"github.com/otplay/otplay/solvers/diffusion"
)

// batchOTDirect runs what the page's batch OT start stands for with the
// library: otplay sample's default target (a held-out draw of the data
// spec), pushed to the grid's first time (diffusion.BatchOTTarget), then
// diffusion.SampleBatchOT with the same settings; it returns the sample
// and the move's report.
func batchOTDirect(t *testing.T, b compute.Backend, bset diffusion.BatchOTSettings, set diffusion.Settings) ([]float64, diffusion.BatchOTReport) {
	t.Helper()
	// otplay sample's default target for moons:80:seed=2 (batch.TargetDraw,
	// which e2e's TestDiffusionBridgeControls calls; play's tests build
	// for the browser, batch does not): 40 points at seed 2 + 1 + 1,000,003.
	y0, err := data.Generate("moons", 40, data.Options{Seed: 2 + 1 + 1000003})
	if err != nil {
		t.Fatal(err)
	}
	sched, _ := diffusion.ParseSchedule("linear")
	grid, err := diffusion.Grid(sched, set)
	if err != nil {
		t.Fatal(err)
	}
	y, err := diffusion.BatchOTTarget(b, y0.Points, sched, grid[0], 2)
	if err != nil {
		t.Fatal(err)
	}
	model, x := moonsStart(t, b)
	_, rep, err := diffusion.SampleBatchOT(b, model, sched, x, 40, y, bset, set)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]float64, 80)
	if err := b.Read(out, x); err != nil {
		t.Fatal(err)
	}
	return out, rep
}

// batchot=sliced (P = 16) and batchot=full reproduce otplay sample's
// batch OT sampling with its default target run through the library
// (same data, noise, target draw and seed), the read-out reports the
// move, projections is shown for sliced only and dropped otherwise, and
// a class, or an upload of another size than the particles, is refused
// with a reason.
func TestDiffusionBatchOTControl(t *testing.T) {
	cpu := compute.NewCPU(0)
	q := "data=moons&n=80&particles=40&sampler=euler-maruyama&steps=6&seed=2&backend=cpu&trail=0"
	set := diffusion.Settings{Sampler: diffusion.EulerMaruyama, Steps: 6, Seed: 2}
	plain := mustDiffusion(t, q)
	noise := playDiffusion(t, plain, cpu)[0]
	if plain.BatchOT != "" || noise.BatchOT != nil {
		t.Errorf("batchot off by default: parsed %q, read-out %+v", plain.BatchOT, noise.BatchOT)
	}
	for _, c := range []struct {
		query string
		bset  diffusion.BatchOTSettings
	}{
		{"&batchot=sliced&projections=16", diffusion.BatchOTSettings{Method: diffusion.BatchOTSliced, Projections: 16, Seed: 2}},
		{"&batchot=full", diffusion.BatchOTSettings{Method: diffusion.BatchOTFull, Seed: 2}},
	} {
		d := mustDiffusion(t, q+c.query)
		st, _ := d.State()
		for _, kv := range strings.Split(c.query[1:], "&") {
			if !strings.Contains(st.Encode(), kv) {
				t.Errorf("state %q lost %q", st.Encode(), kv)
			}
		}
		frames := playDiffusion(t, d, cpu)
		want, rep := batchOTDirect(t, cpu, c.bset, set)
		first, last := frames[0], frames[len(frames)-1]
		t.Logf("%s: %s; last x differs by %g", c.query, first.BatchOT.Text(), maxAbsDiff(last.X, want))
		// The start is moved: it is not the initial noise.
		if len(frames) != 7 || !last.AtEnd || maxAbsDiff(last.X, want) > 1e-12 || !(maxAbsDiff(first.X, noise.X) > 0.1) {
			t.Errorf("%s: %d frames, at end %v, x differs from the library's by %g, start from the noise by %g",
				c.query, len(frames), last.AtEnd, maxAbsDiff(last.X, want), maxAbsDiff(first.X, noise.X))
		}
		if r := first.BatchOT; r == nil || r.Method != rep.Method || r.Eps != rep.Eps || r.SinkhornIterations != rep.SinkhornIterations || r.T0 != 1 {
			t.Errorf("%s: read-out %+v, library's report %+v", c.query, r, rep)
		}
	}
	if p, ok := DiffusionSchema.Param("projections"); !ok || p.ShownWhen != "batchot=sliced" {
		t.Errorf("projections is shown when %q, want batchot=sliced", p.ShownWhen)
	}
	if d := mustDiffusion(t, q+"&batchot=full&projections=16"); d.Projections != 0 || d.BatchOT != "full" {
		t.Errorf("full with a hidden projections: parsed %+v", d)
	}
	st, _ := DiffusionSchema.DecodeQuery(q + "&data=8gaussians&class=3&batchot=sliced")
	if _, err := ParseDiffusion(st); err == nil || !strings.Contains(err.Error(), "whole data") {
		t.Errorf("batch OT with a class: error %v", err)
	}
	up := mustDiffusion(t, "data=upload&n=4&particles=3&batchot=sliced&backend=cpu")
	up.Upload = []float64{0, 0, 1, 1, 2, 2, 3, 3}
	if _, err := up.Start(t.Context(), cpu, func(Progress) {}); err == nil || !strings.Contains(err.Error(), "particles must be as many") {
		t.Errorf("upload of 4 points, 3 particles: error %v", err)
	}
}

// The hierarchical smoothing's averaged iteration and barycentric weights
// (haveraged, hbarycentric) reproduce diffusion.Sample with the same
// HierarchicalSettings at ε = 0.1 and end elsewhere than the seed's
// iteration; they are shown with the smoothing only and dropped
// without it.
func TestDiffusionHierarchicalVariants(t *testing.T) {
	cpu := compute.NewCPU(0)
	q := "data=moons&n=80&particles=40&sampler=euler-maruyama&steps=6&seed=2&backend=cpu&trail=0&hierarchical=yes&heps=0.1"
	d := mustDiffusion(t, q+"&haveraged=yes&hbarycentric=yes")
	if st, _ := d.State(); !strings.Contains(st.Encode(), "haveraged=yes") || !strings.Contains(st.Encode(), "hbarycentric=yes") {
		t.Errorf("state %q lost the variants", st.Encode())
	}
	frames := playDiffusion(t, d, cpu)
	// The variants change the run: its end is not the seed's iteration's.
	seed := playDiffusion(t, mustDiffusion(t, q), cpu)
	if diff := maxAbsDiff(seed[len(seed)-1].X, frames[len(frames)-1].X); !(diff > 1e-6) {
		t.Errorf("the variants end %g from the seed's iteration", diff)
	} else {
		t.Logf("the variants end %.3g from the seed's iteration", diff)
	}
	sched, _ := diffusion.ParseSchedule("linear")
	model, x := moonsStart(t, cpu)
	res, err := diffusion.Sample(cpu, model, sched, x, 40, diffusion.Settings{Sampler: diffusion.EulerMaruyama, Steps: 6, Seed: 2,
		Hierarchical: diffusion.HierarchicalSettings{On: true, Bandwidth: 0.1, Averaged: true, Barycentric: true}})
	if err != nil {
		t.Fatal(err)
	}
	out := make([]float64, 80)
	cpu.Read(out, x)
	last := frames[len(frames)-1]
	t.Logf("averaged, barycentric: %d Sinkhorn iterations (direct %d), last x differs by %g", last.HierarchicalIterations, res.HierarchicalIterations, maxAbsDiff(last.X, out))
	if len(frames) != 7 || !last.AtEnd || maxAbsDiff(last.X, out) > 1e-12 || last.HierarchicalIterations != res.HierarchicalIterations {
		t.Errorf("averaged, barycentric run: %d frames, at end %v, iterations %d vs %d, x differs by %g",
			len(frames), last.AtEnd, last.HierarchicalIterations, res.HierarchicalIterations, maxAbsDiff(last.X, out))
	}
	for _, name := range []string{"haveraged", "hbarycentric"} {
		if p, ok := DiffusionSchema.Param(name); !ok || p.ShownWhen != "hierarchical=yes" {
			t.Errorf("%s is shown when %q, want hierarchical=yes", name, p.ShownWhen)
		}
	}
	if d := mustDiffusion(t, "hierarchical=no&haveraged=yes&hbarycentric=yes"); d.HierAveraged || d.HierBarycentric {
		t.Errorf("the hidden variants kept without the smoothing: %+v", d)
	}
}
