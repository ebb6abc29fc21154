package ot

import (
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/otplay/otplay/compute"
	"github.com/otplay/otplay/solvers/data"
	"github.com/otplay/otplay/solvers/exact"
)

// The tests of this file are the repros of issue 9 ("convergence that
// means something"): each asserts that a result either is right, says it
// is not converged and why, or is refused with the reason.

func mustParse(t *testing.T, spec string) data.Set {
	t.Helper()
	s, err := data.Parse(spec)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func pair(t *testing.T, xs, ys string) Problem {
	x, y := mustParse(t, xs), mustParse(t, ys)
	return Problem{X: x.Points, Y: y.Points, N: x.N, M: y.N, D: x.D}
}

type method struct {
	name string
	s    Settings
	run  func(compute.Backend, Problem, Settings) (*Result, error)
}

var methods = []method{
	{"sinkhorn", Settings{}, Sinkhorn},
	{"unbalanced", Settings{TauA: 1, TauB: 1}, Unbalanced},
	{"partial", Settings{Mass: 0.5}, Partial},
	{"divergence", Settings{}, func(b compute.Backend, p Problem, s Settings) (*Result, error) {
		d, err := DivergenceDetail(b, p, s)
		if err != nil {
			return nil, err
		}
		return d.AB, nil
	}},
}

// TestTinyEpsRefused: eps = 1e-20 on moons:200 vs 8gaussians:200 used to
// report converged, marginal error 0 and cost 0.195 while the exact
// optimum is 0.463; at 1e-30 the plan held +Inf. Below what the backend
// resolves (compute.Precision.Resolvable) every method and NewSolver
// (the page's path) refuse with ErrPrecision, naming the floor and what
// to do.
func TestTinyEpsRefused(t *testing.T) {
	p := pair(t, "moons:200", "8gaussians:200")
	for _, be := range []compute.Backend{compute.NewCPU(0), compute.NewCPUFast(0)} {
		for _, eps := range []float64{1e-20, 1e-30, 1e-300} {
			for _, m := range methods {
				s := m.s
				s.Eps = eps
				r, err := m.run(be, p, s)
				if !errors.Is(err, ErrPrecision) {
					t.Fatalf("%s on %s at eps=%g: result %+v, error %v; want ErrPrecision", m.name, be.Info().Precision, eps, r, err)
				}
				for _, want := range []string{"eps >=", "exact"} {
					if !strings.Contains(err.Error(), want) {
						t.Errorf("%s at eps=%g: message %q does not say %q", m.name, eps, err, want)
					}
				}
				if compute.PrecisionOf(be.Info()) == compute.Float32 && !strings.Contains(err.Error(), "--backend cpu") {
					t.Errorf("float32 message %q does not point to the float64 backend", err)
				}
			}
			if _, err := NewSolver(be, p, Settings{Eps: eps}); !errors.Is(err, ErrPrecision) {
				t.Errorf("NewSolver at eps=%g: %v, want ErrPrecision", eps, err)
			}
		}
	}
}

// TestCostNotBelowExact: for every eps the float64 backend accepts, a
// result that says converged has a cost no lower than the exact optimum
// (solvers/exact) by more than its marginal error allows (|P1 - a|_1 max
// C), and one that is not converged says so in its Status. At eps =
// 1e-14 (resolvable by float64, but far too small for Sinkhorn's
// iterations) the cost is below the optimum, and the result must say it
// is not converged.
func TestCostNotBelowExact(t *testing.T) {
	n := 100
	p := pair(t, "moons:100", "8gaussians:100")
	ex, err := exact.Solve(p.X, p.Y, n, n, 2)
	if err != nil {
		t.Fatal(err)
	}
	b := cpu()
	for _, c := range []struct {
		eps, scaling float64
		iters        int
	}{{1e-14, 0, 200}, {1e-6, 0.5, 300}, {5e-2, 0, 3000}, {3e-3, 0.5, 3000}} {
		r, err := Sinkhorn(b, p, Settings{Eps: c.eps, Scaling: c.scaling, MaxIter: c.iters})
		if err != nil {
			t.Fatalf("eps=%g: %v", c.eps, err)
		}
		t.Logf("eps=%g: cost %.6f (exact %.6f), converged %v, residual %.3g: %s", c.eps, r.Cost, ex.Cost, r.Converged, r.Residual, r.Status)
		if r.Converged && r.Cost < ex.Cost-r.ResidualBound*r.MaxCost {
			t.Errorf("eps=%g: converged with cost %.6f below the exact %.6f", c.eps, r.Cost, ex.Cost)
		}
		if !r.Converged && !strings.HasPrefix(r.Status, "not converged") {
			t.Errorf("eps=%g: not converged, status %q", c.eps, r.Status)
		}
		if r.Converged != (r.ResidualBound <= r.Tol) || r.Check == "" || r.Precision != "float64" {
			t.Errorf("eps=%g: converged %v, bound %g, tol %g, check %q, precision %q", c.eps, r.Converged, r.ResidualBound, r.Tol, r.Check, r.Precision)
		}
	}
}

// TestScaledIdenticalClouds: two identical moons at scale 1e6 (costs up
// to 1e13) used to give cost 19220, converged, on the GPU. float32 cannot
// resolve eps = 0.01 against such costs: refused, pointing to the
// float64 backend, which solves it exactly (cost 0).
func TestScaledIdenticalClouds(t *testing.T) {
	m := mustParse(t, "moons:100:scale=1e6")
	p := Problem{X: m.Points, Y: m.Points, N: 100, M: 100, D: 2}
	_, err := Sinkhorn(compute.NewCPUFast(0), p, Settings{})
	if !errors.Is(err, ErrPrecision) || !strings.Contains(err.Error(), "--backend cpu") {
		t.Fatalf("float32-grade backend: %v, want ErrPrecision pointing to --backend cpu", err)
	}
	r, err := Sinkhorn(cpu(), p, Settings{})
	if err != nil {
		t.Fatal(err)
	}
	if !r.Converged || r.Cost != 0 || r.Residual > 1e-12 {
		t.Errorf("float64: converged %v, cost %g, residual %g; want converged, cost 0", r.Converged, r.Cost, r.Residual)
	}
}

// TestDeviceResidualZeroIsNotConvergence: on a float32-grade backend the
// alternating iteration reaches a fixed point of its own rounding, where
// its residual reads exactly 0 (it compares f with T(g) computed by the
// same rounded map). That used to be reported as converged. Now the
// float64 check decides: not converged, stalled, with the reason and the
// float64 backend as the way out; the float64 backend meets the same tol.
func TestDeviceResidualZeroIsNotConvergence(t *testing.T) {
	p := pair(t, "moons:200", "8gaussians:200")
	s := Settings{Eps: 0.1, Tol: 1e-9, MaxIter: 3000, Scaling: 0.5}
	sv, err := NewSolver(compute.NewCPUFast(0), p, s)
	if err != nil {
		t.Fatal(err)
	}
	defer sv.Close()
	if err := sv.Solve(); err != nil {
		t.Fatal(err)
	}
	r, err := sv.Result()
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("float32: device residual %g, float64 %g after %d iterations: %s", r.DeviceResidual, r.Residual, r.Iterations, r.Status)
	if r.DeviceResidual > s.Tol {
		t.Fatalf("the float32 iteration did not claim tol (device residual %g): the repro no longer applies", r.DeviceResidual)
	}
	if r.Converged || sv.Converged() || !sv.Stalled() || r.Residual <= s.Tol || r.Iterations == s.MaxIter {
		t.Errorf("converged %v/%v, stalled %v, residual %g, iterations %d", r.Converged, sv.Converged(), sv.Stalled(), r.Residual, r.Iterations)
	}
	for _, want := range []string{"not converged", "float32", "--backend cpu"} {
		if !strings.Contains(r.Status, want) {
			t.Errorf("status %q does not say %q", r.Status, want)
		}
	}
	r64, err := Sinkhorn(cpu(), p, s)
	if err != nil {
		t.Fatal(err)
	}
	if !r64.Converged || r64.Residual > s.Tol {
		t.Errorf("float64: converged %v, residual %g", r64.Converged, r64.Residual)
	}
}

// TestEveryMethodJudgedInFloat64: for each method, on both CPU backends,
// Converged is exactly ResidualBound <= Tol with Residual recomputed here
// from the potentials in float64; converged float64 solves meet tight
// tolerances.
func TestEveryMethodJudgedInFloat64(t *testing.T) {
	p := pair(t, "moons:60:seed=3", "circles:50:seed=4")
	for _, be := range []compute.Backend{compute.NewCPU(0), compute.NewCPUFast(0)} {
		for _, m := range methods {
			s := m.s
			s.Eps, s.Tol, s.MaxIter = 0.05, 1e-9, 5000
			r, err := m.run(be, p, s)
			if err != nil {
				t.Fatalf("%s: %v", m.name, err)
			}
			sv := &Solver{prob: r.prob, set: s, method: r.Method, tauA: r.tauA, tauB: r.tauB, mass: s.Mass}
			sv.set, _ = s.withDefaults()
			sv.cx, sv.cy = centredCopy(r.prob.Problem)
			sv.iter = -1
			hc := sv.check(r.F, r.G)
			t.Logf("%s on %s: residual %.3g (recomputed %.3g), converged %v: %s", m.name, be.Info().Precision, r.Residual, hc.residual, r.Converged, r.Status)
			if math.Abs(hc.residual-r.Residual) > 1e-12 {
				t.Errorf("%s: residual %g, recomputed %g", m.name, r.Residual, hc.residual)
			}
			if r.Converged != (r.ResidualBound <= s.Tol) {
				t.Errorf("%s: converged %v with bound %g, tol %g", m.name, r.Converged, r.ResidualBound, s.Tol)
			}
			if m.name == "divergence" {
				d, _ := DivergenceDetail(be, p, s)
				if d.Converged != strings.HasPrefix(d.Status, "converged") || d.Status == "" {
					t.Errorf("divergence: converged %v, status %q", d.Converged, d.Status)
				}
			}
			if compute.PrecisionOf(be.Info()) == compute.Float64 && !r.Converged {
				t.Errorf("%s: float64 did not converge: %s", m.name, r.Status)
			}
		}
	}
}

// TestNeverStop: a negative Tol runs every iteration and judges Converged
// against -Tol (NeverStop: DefaultTol).
func TestNeverStop(t *testing.T) {
	p := pair(t, "moons:50", "8gaussians:50")
	r, err := Sinkhorn(cpu(), p, Settings{Eps: 0.1, Tol: NeverStop, MaxIter: 300})
	if err != nil {
		t.Fatal(err)
	}
	if r.Iterations != 300 || r.Tol != DefaultTol || r.Converged != (r.Residual <= DefaultTol) || !r.Converged {
		t.Errorf("iterations %d, tol %g, residual %g, converged %v", r.Iterations, r.Tol, r.Residual, r.Converged)
	}
	if !strings.Contains(r.Status, "never stop early") {
		t.Errorf("status %q", r.Status)
	}
}

// TestSampledCheck: above the host budget the residual is estimated from
// a sample of rows and columns; for every method the stated bound
// (estimate + 3 standard errors) must hold the full float64 residual,
// and Check says so.
func TestSampledCheck(t *testing.T) {
	defer func(v int) { hostCheckPairs = v }(hostCheckPairs)
	p := pair(t, "moons:400:seed=7", "8gaussians:400:seed=8")
	for _, m := range methods[:3] {
		for _, tol := range []float64{1e-3, 1e-7} {
			hostCheckPairs = 1 << 14
			s := m.s
			s.Eps, s.Tol = 0.05, tol
			sv, err := NewSolver(cpu(), p, s)
			if err != nil {
				t.Fatal(err)
			}
			if err := sv.Solve(); err != nil {
				t.Fatal(err)
			}
			r, err := sv.Result()
			if err != nil {
				t.Fatal(err)
			}
			hostCheckPairs, sv.last = 1<<30, nil
			truth := sv.check(r.F, r.G).residual
			sv.Close()
			t.Logf("%s, tol %g: sampled estimate %.3g, bound %.3g, full %.3g: %s", m.name, tol, r.Residual, r.ResidualBound, truth, r.Check)
			if !strings.Contains(r.Check, "sample") || r.ResidualBound < r.Residual || truth > r.ResidualBound {
				t.Errorf("%s, tol %g: estimate %g, bound %g, full residual %g, check %q", m.name, tol, r.Residual, r.ResidualBound, truth, r.Check)
			}
		}
	}
}

// TestPlanDenseRefusesNonFinite: potentials that do not define a finite
// plan give ErrNumerical, never a plan holding +Inf.
func TestPlanDenseRefusesNonFinite(t *testing.T) {
	p := pair(t, "moons:20", "8gaussians:20")
	b := cpu()
	r, err := Sinkhorn(b, p, Settings{Eps: 1e-3, MaxIter: 10})
	if err != nil {
		t.Fatal(err)
	}
	r.F[3] += 1e3 // exp(1e6): overflows
	if _, err := r.PlanDense(b); !errors.Is(err, ErrNumerical) {
		t.Errorf("PlanDense: %v, want ErrNumerical", err)
	}
}

// TestOneDimGaussiansSmallEps: 1-D Gaussians at eps = 1e-5 with
// eps-scaling and tol 1e-9 used to be reported converged on the GPU at a
// marginal error of 1.3e-3 (cost 17% off). On a float32-grade backend the
// result must say not converged, with the float32 floor named.
func TestOneDimGaussiansSmallEps(t *testing.T) {
	p := pair(t, "gaussian:200:d=1:seed=1", "gaussian:200:d=1:seed=2")
	r, err := Sinkhorn(compute.NewCPUFast(0), p, Settings{Eps: 1e-5, Scaling: 0.5, Tol: 1e-9})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%s", r.Status)
	if r.Converged || r.Residual <= 1e-9 || !strings.Contains(r.Status, "float32 rounding floor") || !(r.PrecisionFloor > 1e-9) {
		t.Errorf("converged %v, residual %g, floor %g, status %q", r.Converged, r.Residual, r.PrecisionFloor, r.Status)
	}
}

// TestStagedScalingSolvesSmallEps: eps = 1e-5 on moons:200 vs
// 8gaussians:200 in float64. GeomLoss's one iteration per eps-scaling
// stage leaves Sinkhorn far from converged (marginal error 0.13 after
// 5000 iterations, measured); iterating each stage to StageTol = 1e-3
// (Schmitzer 2019) converges, to the exact optimum (solvers/exact) within
// eps log n.
func TestStagedScalingSolvesSmallEps(t *testing.T) {
	p := pair(t, "moons:200", "8gaussians:200")
	ex, err := exact.Solve(p.X, p.Y, 200, 200, 2)
	if err != nil {
		t.Fatal(err)
	}
	r, err := Sinkhorn(cpu(), p, Settings{Eps: 1e-5, Scaling: 0.5, StageTol: 1e-3, MaxIter: 10000, CheckEvery: 5})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d iterations, cost %.9f (exact %.9f): %s", r.Iterations, r.Cost, ex.Cost, r.Status)
	if !r.Converged || math.Abs(r.Cost-ex.Cost) > 1e-5*math.Log(200)+r.ResidualBound*r.MaxCost {
		t.Errorf("converged %v, cost %.9f, exact %.9f", r.Converged, r.Cost, ex.Cost)
	}
}
