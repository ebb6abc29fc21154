package kernel

import (
	"math"
	"testing"

	"github.com/otplay/otplay/compute"
	"github.com/otplay/otplay/compute/webgpu/gputest"
)

// TestGPUAgreesWithCPU solves the same problems on the GPU backend
// (float32) and the CPU reference (float64). Tolerances: the marginal
// target is 1e-4 (float32 potentials of size ~1 carry ~1e-7 relative
// error, but eps-scaled exponents amplify it by |f|/eps ~ 10-100);
// cost and objective must agree to relative 1e-3, the float32 level after
// that amplification.
func TestGPUAgreesWithCPU(t *testing.T) {
	gpu := gputest.Backend(t)
	cpu := compute.NewCPU(0)
	x, y := cloud(t, "moons:300:seed=1"), cloud(t, "8gaussians:200:seed=2")
	p := Problem{X: x.Points, Y: y.Points, N: 300, M: 200, D: 2}
	s := Settings{Tol: 1e-4, Features: 500, Landmarks: 100, Seed: 3}
	for _, c := range []struct {
		tier Tier
		eps  float64
	}{{Full, 0.1}, {RFF, 1}, {Nystrom, 1}} {
		p.Eps = c.eps
		s.Tier = c.tier
		rc, err := Solve(cpu, p, s)
		if err != nil {
			t.Fatal(err)
		}
		rg, err := Solve(gpu, p, s)
		if err != nil {
			t.Fatalf("%v on the GPU: %v", c.tier, err)
		}
		t.Logf("%v eps=%g: cost cpu %.7g gpu %.7g; objective cpu %.7g gpu %.7g; marginal error gpu %.2g; iterations %d/%d; time cpu %v gpu %v",
			c.tier, c.eps, rc.Cost, rg.Cost, rc.Objective, rg.Objective, rg.MarginalError, rc.Iterations, rg.Iterations, rc.Time, rg.Time)
		if relErr(rg.Cost, rc.Cost) > 1e-3 || relErr(rg.Objective, rc.Objective) > 1e-3 {
			t.Errorf("%v: GPU cost %.7g objective %.7g, CPU %.7g %.7g (limit relative 1e-3)", c.tier, rg.Cost, rg.Objective, rc.Cost, rc.Objective)
		}
		if !rg.Converged || rg.MarginalError > 1e-3 {
			t.Errorf("%v: GPU converged %v marginal error %g", c.tier, rg.Converged, rg.MarginalError)
		}
	}
	// Grid: 32 x 32, eps = 0.05 (diam^2/eps = 40, inside float32's range).
	const h, w = 32, 32
	a, b := make([]float64, h*w), make([]float64, h*w)
	for i := 0; i < h; i++ {
		for j := 0; j < w; j++ {
			a[i*w+j] = math.Exp(-(math.Pow(float64(i)-8, 2) + math.Pow(float64(j)-10, 2)) / 20)
			b[i*w+j] = math.Exp(-(math.Pow(float64(i)-22, 2)+math.Pow(float64(j)-20, 2))/30) + 1e-3
		}
	}
	gp := GridProblem{A: a, B: b, H: h, W: w, Eps: 0.05}
	rc, err := SolveGrid(cpu, gp, Settings{Tol: 1e-4})
	if err != nil {
		t.Fatal(err)
	}
	rg, err := SolveGrid(gpu, gp, Settings{Tol: 1e-4})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("grid: cost cpu %.7g gpu %.7g; objective cpu %.7g gpu %.7g; iterations %d/%d", rc.Cost, rg.Cost, rc.Objective, rg.Objective, rc.Iterations, rg.Iterations)
	if relErr(rg.Cost, rc.Cost) > 1e-3 || relErr(rg.Objective, rc.Objective) > 1e-3 || !rg.Converged {
		t.Errorf("grid: GPU cost %.7g objective %.7g converged %v, CPU %.7g %.7g", rg.Cost, rg.Objective, rg.Converged, rc.Cost, rc.Objective)
	}
}
