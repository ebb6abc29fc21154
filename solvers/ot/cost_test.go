package ot

import (
	"encoding/json"
	"errors"
	"math"
	"os"
	"strings"
	"testing"

	"github.com/otplay/otplay/compute"
	"github.com/otplay/otplay/compute/webgpu/gputest"
)

// potCostCase is one case of testdata/pot_cost_ref.json (made by
// testdata/make_cost_ref.py with POT 0.8.2).
type potCostCase struct {
	Name, Kind string
	Matrix     bool
	P          float64
	N, M, D    int
	X, Y       []float64
	Cost       []float64 `json:"C"`
	A, B, Plan []float64
	Value      float64 `json:"cost"`
	Eps, Tau   float64
	Mass       float64
}

func loadPOTCost(t *testing.T) []potCostCase {
	t.Helper()
	raw, err := os.ReadFile("testdata/pot_cost_ref.json")
	if err != nil {
		t.Fatal(err)
	}
	var ref struct{ Cases []potCostCase }
	if err := json.Unmarshal(raw, &ref); err != nil {
		t.Fatal(err)
	}
	if len(ref.Cases) != 9 {
		t.Fatalf("%d cases in testdata/pot_cost_ref.json, want 9", len(ref.Cases))
	}
	return ref.Cases
}

// problem returns the case as otplay takes it: the cost matrix for
// "matrix" cases, else the points with P.
func (c potCostCase) problem() Problem {
	if c.Matrix {
		return Problem{Cost: c.Cost, N: c.N, M: c.M, A: c.A, B: c.B}
	}
	return Problem{X: c.X, Y: c.Y, N: c.N, M: c.M, D: c.D, A: c.A, B: c.B, P: c.P}
}

func (c potCostCase) solve(b compute.Backend, s Settings) (*Result, error) {
	p := c.problem()
	s.Eps = c.Eps
	switch c.Kind {
	case "unbalanced":
		s.TauA, s.TauB = c.Tau, c.Tau
		return Unbalanced(b, p, s)
	case "partial":
		s.Mass = c.Mass
		return Partial(b, p, s)
	}
	return Sinkhorn(b, p, s)
}

// TestPOTCostReference compares plans and transport costs with POT 0.8.2's
// sinkhorn_log, sinkhorn_unbalanced and entropic_partial_wasserstein for a
// given cost matrix M and for M = ot.dist(x, y, 'euclidean')**P, P = 1 and
// 1.5, on the float64 CPU backend: to 1e-9 relative.
func TestPOTCostReference(t *testing.T) {
	b := cpu()
	for _, c := range loadPOTCost(t) {
		t.Run(c.Name, func(t *testing.T) {
			r, err := c.solve(b, Settings{Tol: 1e-13, MaxIter: 200000})
			if err != nil {
				t.Fatal(err)
			}
			if !r.Converged {
				t.Errorf("not converged after %d iterations: %s", r.Iterations, r.Status)
			}
			pl, err := r.PlanDense(b)
			if err != nil {
				t.Fatal(err)
			}
			d := relDiff(pl, c.Plan)
			t.Logf("iterations %d, plan max rel error %.2e, cost %.12g (POT %.12g)", r.Iterations, d, r.Cost, c.Value)
			if d > 1e-9 {
				t.Errorf("plan differs from POT's by %.3g (relative to the max entry)", d)
			}
			if !closeRel(r.Cost, c.Value, 1e-9) {
				t.Errorf("%s(eps=%g) cost = %.12g, want POT's %.12g", c.Kind, c.Eps, r.Cost, c.Value)
			}
		})
	}
}

// TestPOTCostReferenceGPU runs the same cases on the GPU (lavapipe in CI,
// float32) and on the fast CPU backend (whose pair loops fall back to the
// float64 reference for these costs). The float32 floor is
// compute.Float32.Floor(max C, eps), 1.2e-7 max C / eps (3e-6 for these
// cases); the plan and cost must agree with POT to 20 times it, about
// 6e-5, the error of float32 potentials after many iterations.
func TestPOTCostReferenceGPU(t *testing.T) {
	backends := []compute.Backend{gputest.Backend(t), compute.NewCPUFast(0)}
	for _, b := range backends {
		for _, c := range loadPOTCost(t) {
			t.Run(b.Info().Name+"/"+c.Name, func(t *testing.T) {
				r, err := c.solve(b, Settings{Tol: 1e-6, MaxIter: 20000})
				if err != nil {
					t.Fatal(err)
				}
				pl, err := r.PlanDense(cpu())
				if err != nil {
					t.Fatal(err)
				}
				floor := compute.Float32.Floor(compute.MaxAbs(c.Cost), c.Eps)
				d := relDiff(pl, c.Plan)
				t.Logf("iterations %d, plan max rel error %.2e (floor %.2e), cost %.9g (POT %.9g): %s", r.Iterations, d, floor, r.Cost, c.Value, r.Status)
				if d > 20*floor {
					t.Errorf("plan differs from POT's by %.3g, over 20 x the float32 floor %.3g", d, floor)
				}
				if !closeRel(r.Cost, c.Value, 20*floor) {
					t.Errorf("%s(eps=%g) cost = %.9g, want POT's %.9g", c.Kind, c.Eps, r.Cost, c.Value)
				}
			})
		}
	}
}

// TestCostPowerTwoIsDefault: P = 2 is the default cost, to the last bit.
func TestCostPowerTwoIsDefault(t *testing.T) {
	c := loadPOTCost(t)[3] // sinkhorn p=1's points
	p := c.problem()
	p.P = 0
	r0, err := Sinkhorn(cpu(), p, Settings{Eps: 0.3})
	if err != nil {
		t.Fatal(err)
	}
	p.P = 2
	r2, err := Sinkhorn(cpu(), p, Settings{Eps: 0.3})
	if err != nil {
		t.Fatal(err)
	}
	if r0.Cost != r2.Cost || maxAbsDiff(r0.F, r2.F) != 0 {
		t.Errorf("P = 2 gives cost %v, the default %v", r2.Cost, r0.Cost)
	}
	// With a cost matrix, P = 2 (the default spelled out) is accepted.
	m := Problem{Cost: []float64{0, 1, 1, 0}, N: 2, M: 2, P: 2}
	if _, err := Sinkhorn(cpu(), m, Settings{Eps: 0.3}); err != nil {
		t.Errorf("a cost matrix with P = 2: %v", err)
	}
}

// TestCostBadInput: bad costs are refused with ErrBadInput before
// anything is allocated, and the methods defined through points say so.
func TestCostBadInput(t *testing.T) {
	b := cpu()
	x := []float64{0, 1, 2}
	for _, c := range []struct {
		name string
		p    Problem
	}{
		{"matrix of the wrong size", Problem{Cost: []float64{1, 2, 3}, N: 2, M: 2}},
		{"matrix with NaN", Problem{Cost: []float64{1, math.NaN(), 3, 4}, N: 2, M: 2}},
		{"matrix and points", Problem{Cost: []float64{1, 2, 3, 4}, X: x[:2], Y: x[:2], N: 2, M: 2, D: 1}},
		{"matrix and P", Problem{Cost: []float64{1, 2, 3, 4}, N: 2, M: 2, P: 1}},
		{"matrix over the limit", Problem{Cost: []float64{1}, N: 3000, M: 3000}},
		{"P = -1", Problem{X: x, Y: x, N: 3, M: 3, D: 1, P: -1}},
		{"P = 17", Problem{X: x, Y: x, N: 3, M: 3, D: 1, P: 17}},
		{"P = NaN", Problem{X: x, Y: x, N: 3, M: 3, D: 1, P: math.NaN()}},
	} {
		if _, err := Sinkhorn(b, c.p, Settings{}); !errors.Is(err, ErrBadInput) {
			t.Errorf("%s: err = %v, want ErrBadInput", c.name, err)
		}
	}
	m := Problem{Cost: []float64{0, 1, 1, 0}, N: 2, M: 2}
	r, err := Sinkhorn(b, m, Settings{Eps: 0.1})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.Transport(b, []float64{0}); !errors.Is(err, ErrBadInput) || !strings.Contains(err.Error(), "cost matrix") {
		t.Errorf("Transport of a cost-matrix problem: err = %v, want ErrBadInput naming the cost matrix", err)
	}
	if _, _, err := r.PotentialsAt(b, []float64{0}); !errors.Is(err, ErrBadInput) || !strings.Contains(err.Error(), "cost matrix") {
		t.Errorf("PotentialsAt of a cost-matrix problem: err = %v, want ErrBadInput naming the cost matrix", err)
	}
	if pl, err := r.PlanDense(b); err != nil || len(pl) != 4 || math.Abs(pl[0]+pl[1]+pl[2]+pl[3]-1) > 1e-6 {
		t.Errorf("PlanDense of a cost-matrix problem: %v, %v", pl, err)
	}
	if _, err := DivergenceDetail(b, m, Settings{}); !errors.Is(err, ErrBadInput) {
		t.Errorf("Divergence of a cost-matrix problem: err = %v, want ErrBadInput", err)
	}
	if _, err := DivergenceDetail(b, Problem{X: x, Y: x, N: 3, M: 3, D: 1, P: 1}, Settings{}); !errors.Is(err, ErrBadInput) {
		t.Errorf("Divergence with P = 1: err = %v, want ErrBadInput", err)
	}
}

// TestCostScaling: eps-scaling anneals from the cost's own scale (max C
// for a matrix) and reaches the same plan as plain iterations.
func TestCostScaling(t *testing.T) {
	c := loadPOTCost(t)[0]
	r, err := c.solve(cpu(), Settings{Tol: 1e-11, MaxIter: 200000, Scaling: 0.5})
	if err != nil {
		t.Fatal(err)
	}
	pl, err := r.PlanDense(cpu())
	if err != nil {
		t.Fatal(err)
	}
	if d := relDiff(pl, c.Plan); d > 1e-8 {
		t.Errorf("scaled: plan differs from POT's by %.3g", d)
	}
}
