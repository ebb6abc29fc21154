package play

import (
	"context"
	"math"
	"strings"
	"testing"

	"github.com/otplay/otplay/compute"
	"github.com/otplay/otplay/solvers/kernel"
	"github.com/otplay/otplay/solvers/ot"
	"github.com/otplay/otplay/solvers/preset"
)

// p = 1 and p = 1.5 solve the problem with the cost |x - y|^p: the
// converged frame's cost equals ot.Sinkhorn's with Problem.P = p, and
// differs from p = 2's; the typed state round-trips p; a tier refuses
// p != 2 with the reason.
func TestOTCostPower(t *testing.T) {
	cpu := compute.NewCPU(0)
	costs := map[string]float64{}
	for _, p := range OTCostPowers {
		o := otOf(t, "x=gaussian&y=8gaussians&n=40&m=30&eps=0.1&backend=cpu&p="+p)
		if st, err := o.State(); err != nil || st.Encode() != otOf(t, st.Encode()).mustEncode(t) {
			t.Fatalf("p=%s: state %v", p, err)
		}
		r := startOT(t, o, cpu)
		f, err := r.Step(context.Background(), 1000, false)
		r.Close()
		if err != nil || !f.Converged {
			t.Fatalf("p=%s: error %v, converged %v", p, err, f.Converged)
		}
		prob, _ := o.Problem()
		want, err := ot.Sinkhorn(cpu, prob, o.Settings())
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("p = %s: <P, C> = %.9g (ot.Sinkhorn P = %g: %.9g), %d iterations", p, f.Cost, prob.P, want.Cost, f.Iteration)
		if prob.P != o.P || f.P != o.P || math.Abs(f.Cost-want.Cost) > 1e-6*want.Cost {
			t.Errorf("p=%s: frame P %g cost %.9g, ot.Sinkhorn P %g cost %.9g", p, f.P, f.Cost, prob.P, want.Cost)
		}
		costs[p] = f.Cost
	}
	if math.Abs(costs["1"]-costs["2"]) < 1e-3*costs["2"] {
		t.Errorf("p = 1 and p = 2 gave the same cost %.9g", costs["1"])
	}
	r := startOT(t, otOf(t, "n=10&m=10&p=1&tier=full&backend=cpu"), cpu)
	defer r.Close()
	if f, _ := r.Step(context.Background(), 0, false); f.Tier == nil || !strings.Contains(f.Tier.Error, "|x − y|² only") {
		t.Errorf("tier with p = 1: %+v", f.Tier)
	}
	if _, err := OTSchema.DecodeQuery("p=3"); err == nil || !strings.Contains(err.Error(), "p") {
		t.Errorf("p=3 accepted (error %v)", err)
	}
}

// mustEncode encodes the typed state's URL state.
func (o OT) mustEncode(t *testing.T) string {
	t.Helper()
	st, err := o.State()
	if err != nil {
		t.Fatal(err)
	}
	return st.Encode()
}

// richardson=yes shows ot.Richardson's extrapolated cost, 2 Fine - Coarse,
// with Coarse the plain converged cost; with p = 1 too; with another
// method than balanced it is not run (its control is hidden).
func TestOTRichardson(t *testing.T) {
	cpu := compute.NewCPU(0)
	for _, q := range []string{"x=gaussian&y=gaussian&n=60&m=50&eps=0.5", "x=gaussian&y=moons&n=40&m=30&eps=0.2&p=1"} {
		o := otOf(t, q+"&richardson=yes&backend=cpu")
		r := startOT(t, o, cpu)
		f, err := r.Step(context.Background(), 1000, false)
		r.Close()
		if err != nil || f.Richardson == nil || !f.Richardson.Converged {
			t.Fatalf("%s: error %v, richardson %+v", q, err, f.Richardson)
		}
		prob, _ := o.Problem()
		want, err := ot.Richardson(cpu, prob, o.Settings())
		if err != nil {
			t.Fatal(err)
		}
		x := f.Richardson
		t.Logf("%s: plain %.9g, at eps/2 %.9g, extrapolated %.9g (ot.Richardson %.9g), %d iterations", q, x.Coarse, x.Fine, x.Cost, want.Cost, x.Iterations)
		if math.Abs(x.Cost-want.Cost) > 1e-6*math.Abs(want.Cost) || math.Abs(x.Cost-(2*x.Fine-x.Coarse)) > 1e-12*math.Abs(x.Cost) ||
			math.Abs(x.Coarse-f.Cost) > 1e-5*f.Cost || x.Fine >= x.Coarse {
			t.Errorf("%s: richardson %+v, ot.Richardson %.9g, plain frame cost %.9g", q, x, want.Cost, f.Cost)
		}
	}
	if none := startOT(t, otOf(t, "n=10&m=10&backend=cpu"), cpu); none.richardson != nil {
		t.Error("richardson=no solved anyway")
	} else {
		none.Close()
	}
	if partial := startOT(t, otOf(t, "n=10&m=10&method=partial&richardson=yes&backend=cpu"), cpu); partial.richardson != nil {
		t.Error("richardson=yes with method=partial solved (Richardson is for balanced OT)")
	} else {
		partial.Close()
	}
}

// The frame's entropic map of query points equals ot.EntropicMap on the
// same problem (with p = 1 too); each arrow is a shaft from z to T(z)
// and two barbs at T(z); partial transport is refused by name.
func TestOTMapPoints(t *testing.T) {
	cpu := compute.NewCPU(0)
	z := []float64{0, 0, 1.5, -0.5, -2, 2}
	for _, q := range []string{"x=gaussian&y=moons&n=50&m=40&eps=0.1", "x=gaussian&y=moons&n=50&m=40&eps=0.1&p=1"} {
		o := otOf(t, q+"&backend=cpu")
		r := startOT(t, o, cpu)
		f, err := r.Step(context.Background(), 1000, false)
		r.Close()
		if err != nil {
			t.Fatal(err)
		}
		tz, err := f.MapPoints(z)
		if err != nil {
			t.Fatal(err)
		}
		prob, _ := o.Problem()
		want, _, err := ot.EntropicMap(cpu, prob, o.Settings(), z)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%s: T(z) = %.5g (ot.EntropicMap %.5g)", q, tz, want)
		for k := range want {
			if math.Abs(tz[k]-want[k]) > 1e-5 {
				t.Errorf("%s: T(z)[%d] = %.9g, ot.EntropicMap %.9g", q, k, tz[k], want[k])
			}
		}
		lines, pts := OTMapArrows(z, tz)
		if len(lines.Segs) != 3*2*len(z) || len(pts.XY) != len(z) || lines.Segs[2] != tz[0] || lines.Segs[3] != tz[1] || lines.Segs[4] != tz[0] {
			t.Errorf("arrows %v for z %v, T(z) %v", lines.Segs, z, tz)
		}
	}
	r := startOT(t, otOf(t, "n=10&m=10&method=partial&backend=cpu"), cpu)
	defer r.Close()
	f, _ := r.Step(context.Background(), 1, false)
	if _, err := f.MapPoints(z); err == nil || !strings.Contains(err.Error(), "partial") {
		t.Errorf("map with partial: error %v", err)
	}
	if _, err := (OTFrame{}).MapPoints(z); err == nil {
		t.Error("map without an iterate succeeded")
	}
}

// warm=yes starts from the previous run's potentials when only ε changed:
// from ε = 0.05 to 0.04 it converges to the cold start's cost in fewer
// iterations than the cold solve it reports (which equals ot.Sinkhorn
// from zeros); potentials of another problem are not used. (A warm start
// does not always save: from 0.1 to 0.05 on this problem it takes 466
// iterations against 449 from zeros; the page shows either.)
func TestOTWarmStart(t *testing.T) {
	cpu := compute.NewCPU(0)
	first := otOf(t, "x=gaussian&y=moons&n=60&m=50&eps=0.05&backend=cpu")
	r := startOT(t, first, cpu)
	f, err := r.Step(context.Background(), 1000, false)
	r.Close()
	if err != nil || !f.Converged {
		t.Fatalf("first run: %v", err)
	}
	o := otOf(t, "x=gaussian&y=moons&n=60&m=50&eps=0.04&warm=yes&backend=cpu")
	o.From = f.Potentials(first)
	r = startOT(t, o, cpu)
	defer r.Close()
	var w OTFrame
	for !w.Finished() {
		if w, err = r.Step(context.Background(), 1, false); err != nil {
			t.Fatal(err)
		}
	}
	prob, _ := o.Problem()
	cold, err := ot.Sinkhorn(cpu, prob, o.Settings())
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("eps 0.05 -> 0.04: warm %d iterations, cold %d (ot.Sinkhorn %d), cost %.9g (cold %.9g)", w.Iteration, w.Warm.ColdIterations, cold.Iterations, w.Cost, cold.Cost)
	if w.Warm == nil || w.Warm.FromEps != 0.05 || w.Warm.ColdIterations != cold.Iterations || !w.Converged || w.Iteration >= cold.Iterations || math.Abs(w.Cost-cold.Cost) > 1e-4*cold.Cost {
		t.Errorf("warm %+v after %d iterations (converged %v, cost %.9g); cold %d iterations, cost %.9g", w.Warm, w.Iteration, w.Converged, w.Cost, cold.Iterations, cold.Cost)
	}
	other := otOf(t, "x=uniform&y=moons&n=60&m=50&eps=0.05&warm=yes&backend=cpu")
	other.From = f.Potentials(first)
	if r2 := startOT(t, other, cpu); r2.warm != nil {
		t.Error("potentials of another data set warm-started the run")
	} else {
		r2.Close()
	}
}

// method=hilbert: at convergence the page's S equals
// kernel.HilbertDivergence (Li et al. 2021, eq. (7)) of the same clouds,
// features and seed, as otplay solve --method hilbert computes it; the
// plan is drawn between the 2-D clouds; D is in the state, shown only for
// hilbert; a cost power other than 2 is refused by name.
func TestOTHilbertMethod(t *testing.T) {
	o := otOf(t, "x=gaussian&y=moons&n=40&m=30&eps=0.05&method=hilbert&features=64&seed=3&backend=cpu")
	if st, _ := o.State(); !strings.Contains(st.Encode(), "features=64") || !strings.Contains(st.Encode(), "method=hilbert") {
		t.Errorf("state %q lost the method or its features", st.Encode())
	}
	if p, _ := OTSchema.Param("features"); p.Shown(map[string]string{"method": "divergence"}) || !p.Shown(map[string]string{"method": "hilbert"}) {
		t.Errorf("features control shown for divergence or hidden for hilbert")
	}
	run, err := o.Start(context.Background(), compute.NewCPU(0), func(Progress) {})
	if err != nil {
		t.Fatal(err)
	}
	defer run.Close()
	f, err := run.Step(context.Background(), 1000, false)
	if err != nil || !f.Converged {
		t.Fatalf("frame: error %v, converged %v", err, f.Converged)
	}
	prob, _ := o.Problem()
	want, err := kernel.HilbertDivergence(compute.NewCPU(0), prob, kernel.HilbertSettings{Features: 64, Seed: 3, OT: o.Settings()})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("Hilbert S = %.9g (kernel.HilbertDivergence %.9g), sigma %.4g, D %d", f.Divergence, want.Value, f.Hilbert.Bandwidth, f.Hilbert.Features)
	if math.Abs(f.Divergence-want.Value) > 1e-5*math.Abs(want.Value) || !(f.Divergence > 0) || f.Hilbert.Bandwidth != want.Bandwidth || f.Hilbert.Features != 64 {
		t.Errorf("page S = %.9g (sigma %g), kernel.HilbertDivergence %.9g (sigma %g)", f.Divergence, f.Hilbert.Bandwidth, want.Value, want.Bandwidth)
	}
	if f.Problem.D != 2 || f.Problem.N != 40 || len(f.Plan.Lines[0].Segs) == 0 {
		t.Errorf("the frame's problem is %d-D (want the 2-D clouds) with %d line values", f.Problem.D, len(f.Plan.Lines[0].Segs))
	}
	st, _ := OTSchema.DecodeQuery("method=hilbert&p=1")
	if _, err := ParseOT(st); err == nil || !strings.Contains(err.Error(), "hilbert") {
		t.Errorf("hilbert with p = 1: error %v", err)
	}
}

// preset=fast caps the run at SPOT's 30 iterations (preset.For's): the
// run stops there, not converged, with ot.Sinkhorn's cost at MaxIter 30;
// repro computes on the float64 CPU backend where backend is left at
// auto, and an explicit backend wins; the state round-trips the preset.
func TestOTPreset(t *testing.T) {
	want, _ := preset.For("fast", preset.Hardware{})
	o := otOf(t, "x=gaussian&y=moons&n=60&m=50&eps=0.002&preset=fast&backend=cpu")
	if st, _ := o.State(); !strings.Contains(st.Encode(), "preset=fast") {
		t.Errorf("state %q lost the preset", st.Encode())
	}
	run, err := o.Start(context.Background(), compute.NewCPU(0), func(Progress) {})
	if err != nil {
		t.Fatal(err)
	}
	defer run.Close()
	f, err := run.Step(context.Background(), 1000, false)
	if err != nil {
		t.Fatal(err)
	}
	prob, _ := o.Problem()
	res, err := ot.Sinkhorn(compute.NewCPU(0), prob, ot.Settings{Eps: 0.002, MaxIter: want.Iters, Tol: want.Tol})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("fast: %d iterations, converged %v, cost %.9g (ot.Sinkhorn %.9g, %d iterations); %s", f.Iteration, f.Converged, f.Cost, res.Cost, res.Iterations, f.Preset.Text())
	if f.Iteration != want.Iters || !f.Finished() || f.Converged || math.Abs(f.Cost-res.Cost) > 1e-9*math.Abs(res.Cost) {
		t.Errorf("fast: %d iterations (want %d), finished %v, cost %g vs ot.Sinkhorn's %g", f.Iteration, want.Iters, f.Finished(), f.Cost, res.Cost)
	}
	if !strings.Contains(f.Preset.Text(), "fast (SPOT) set at most 30 iterations") {
		t.Errorf("read-out %q", f.Preset.Text())
	}
	st, _ := OTSchema.DecodeQuery("preset=repro")
	if PreferredBackend(st) != "cpu" {
		t.Errorf("repro with backend auto computes on %q, want cpu", PreferredBackend(st))
	}
	if r, _ := ParseOT(st); !strings.Contains(r.PresetSetup.Text(), "backend = cpu (float64)") {
		t.Errorf("repro read-out %q", r.PresetSetup.Text())
	}
	st, _ = OTSchema.DecodeQuery("preset=repro&backend=gpu")
	if r, _ := ParseOT(st); PreferredBackend(st) != "gpu" || !strings.Contains(r.PresetSetup.Text(), "kept your backend = gpu") {
		t.Errorf("repro with backend=gpu: %q, %q", PreferredBackend(st), r.PresetSetup.Text())
	}
}
