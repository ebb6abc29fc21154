package bridge

import (
	"math"
	"sort"
	"testing"

	"github.com/otplay/otplay/compute"
	"github.com/otplay/otplay/compute/webgpu/gputest"
	"github.com/otplay/otplay/solvers/ot"
)

// TestGPUTransportAgreement runs the momentum and Fisher transports on the
// CPU (float64) and the GPU (float32, lavapipe under OTPLAY_REQUIRE_GPU=1)
// with the same Philox noise; bounds as TestGPUBridgeAgreement's for the
// simulated end points (median distance 1e-4, SW_2 1e-3). The Fisher
// preconditioner is a float32 covariance on the GPU.
func TestGPUTransportAgreement(t *testing.T) {
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
	xs := toy(t, "gaussian", 200, 9)
	for _, tr := range []Transport{TransportMomentum, TransportFisher} {
		s := SimSettings{Steps: 20, Seed: 3, Transport: tr}
		rc, err := bc.Simulate(xs, s)
		if err != nil {
			t.Fatal(err)
		}
		rg, err := bg.Simulate(xs, s)
		if err != nil {
			t.Fatal(err)
		}
		d := make([]float64, len(xs)/2)
		for k := range d {
			d[k] = math.Hypot(rc.X[2*k]-rg.X[2*k], rc.X[2*k+1]-rg.X[2*k+1])
		}
		sort.Float64s(d)
		s2 := sw(t, rc.X, rg.X)
		t.Logf("%s: end points median |CPU - GPU| %.2g, max %.2g, SW2 %.2g", tr, d[len(d)/2], d[len(d)-1], s2)
		if !(s2 <= 1e-3 && d[len(d)/2] <= 1e-4) {
			t.Errorf("%s: end points differ: SW2 %g, median distance %g", tr, s2, d[len(d)/2])
		}
	}
}

// TestGPUMultiscale solves coarse-to-fine on the GPU (float32: the
// c-transforms are GPU SoftMins) and compares the conditional mean with
// the single-scale CPU bridge: bound 2e-4 as TestGPUBridgeAgreement's.
func TestGPUMultiscale(t *testing.T) {
	g := gputest.Backend(t)
	const n = 400
	p := ot.Problem{X: toy(t, "gaussian", n, 1), Y: toy(t, "moons", n, 2), N: n, M: n, D: 2}
	set := Settings{Sigma: 0.3, Sinkhorn: ot.Settings{Tol: 1e-5}}
	bc, err := New(compute.NewCPU(0), p, set)
	if err != nil {
		t.Fatal(err)
	}
	defer bc.Free()
	bg, info, err := NewMultiscale(g, p, set, 50)
	if err != nil {
		t.Fatal(err)
	}
	defer bg.Free()
	if !bg.Static.Converged || info.CoarseIterations < 1 {
		t.Fatalf("GPU multiscale: converged %v, coarse %+v", bg.Static.Converged, info)
	}
	xs := toy(t, "gaussian", 200, 9)
	for _, tt := range []float64{0, 0.5} {
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
			worst = math.Max(worst, math.Abs((1-tt)*(vc[k]-vg[k])))
		}
		t.Logf("t = %g: max |E[Y|x] CPU single-scale - GPU multiscale| = %.2g", tt, worst)
		if !(worst <= 2e-4) {
			t.Errorf("t = %g: conditional means differ by %g", tt, worst)
		}
	}
}
