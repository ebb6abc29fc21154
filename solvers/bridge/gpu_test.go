package bridge

import (
	"math"
	"sort"
	"testing"

	"github.com/otplay/otplay/compute"
	"github.com/otplay/otplay/compute/webgpu/gputest"
	"github.com/otplay/otplay/solvers/ot"
)

// CPU-vs-GPU agreement. The GPU computes in float32: the Sinkhorn
// potentials agree to about 1e-5 relative (package ot's tolerance), the
// logits (G_j - C_ij)/eps to ~1e-6 |C|/eps, so the conditional mean E[Y | x]
// (a softmax-weighted mean of unit-scale points) may differ by ~1e-5;
// measured on lavapipe at sigma = 0.3: 1e-6 (t = 0) .. 7e-6 (t = 0.95);
// bound 2e-4. Pair draws by inverse CDF agree except where a uniform falls
// within float32 rounding of a CDF step (measured: 0 of 4000 differ;
// bound 1%). Simulated end points (20 steps, same Philox noise): measured
// median distance 2e-7, max 3e-6; bounds 1e-4 on the median and 1e-3 on
// the SW_2 between the two clouds (a particle near a decision boundary of
// the last posterior-mean step may go either way).

func TestGPUBridgeAgreement(t *testing.T) {
	g := gputest.Backend(t)
	c := compute.NewCPU(0)
	const n = 300
	p := ot.Problem{X: toy(t, "gaussian", n, 1), Y: toy(t, "moons", n, 2), N: n, M: n, D: 2}
	set := Settings{Sigma: 0.3}
	bc, err := New(c, p, set)
	if err != nil {
		t.Fatal(err)
	}
	defer bc.Free()
	bg, err := New(g, p, set)
	if err != nil {
		t.Fatal(err)
	}
	defer bg.Free()
	if !bc.Static.Converged || !bg.Static.Converged {
		t.Fatalf("Sinkhorn converged: CPU %v, GPU %v", bc.Static.Converged, bg.Static.Converged)
	}
	xs := toy(t, "gaussian", 200, 9)
	for _, tt := range []float64{0, 0.3, 0.7, 0.95} {
		vc, err := bc.DriftHost(xs, tt)
		if err != nil {
			t.Fatal(err)
		}
		vg, err := bg.DriftHost(xs, tt)
		if err != nil {
			t.Fatal(err)
		}
		worst := 0.0
		for k := range vc {
			// compare E[Y | x] = x + (1 - t) v
			worst = math.Max(worst, math.Abs((1-tt)*(vc[k]-vg[k])))
		}
		t.Logf("t = %g: max |E[Y|x] CPU - GPU| = %.2g", tt, worst)
		if worst > 2e-4 {
			t.Errorf("t = %g: conditional means differ by %g > 2e-4", tt, worst)
		}
	}
	ic, jc, err := bc.SamplePairs(4000, 5)
	if err != nil {
		t.Fatal(err)
	}
	ig, jg, err := bg.SamplePairs(4000, 5)
	if err != nil {
		t.Fatal(err)
	}
	diff := 0
	for k := range ic {
		if ic[k] != ig[k] {
			t.Fatalf("source index %d differs: %d vs %d (host inverse CDF, must be identical)", k, ic[k], ig[k])
		}
		if jc[k] != jg[k] {
			diff++
		}
	}
	t.Logf("pairs differing CPU vs GPU: %d of 4000", diff)
	if diff > 40 {
		t.Errorf("%d of 4000 pair draws differ", diff)
	}
	rc, err := bc.Simulate(xs, SimSettings{Steps: 20, Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	rg, err := bg.Simulate(xs, SimSettings{Steps: 20, Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	d := make([]float64, len(xs)/2)
	for k := range d {
		d[k] = math.Hypot(rc.X[2*k]-rg.X[2*k], rc.X[2*k+1]-rg.X[2*k+1])
	}
	sort.Float64s(d)
	s := sw(t, rc.X, rg.X)
	t.Logf("simulated end points: median |CPU - GPU| %.2g, max %.2g, SW2 %.2g", d[len(d)/2], d[len(d)-1], s)
	if s > 1e-3 || d[len(d)/2] > 1e-4 {
		t.Errorf("simulated end points differ: SW2 %g, median distance %g", s, d[len(d)/2])
	}
}
