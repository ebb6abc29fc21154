package kernel

import (
	"math"
	"strings"
	"testing"

	"github.com/otplay/otplay/compute"
	"github.com/otplay/otplay/compute/webgpu/gputest"
)

// TestStatusSaysWhy: every tier's Result judges Converged by its float64
// host check (Check says so), and a run stopped by MaxIter says it is not
// converged and what to do; the low-rank tiers' status names their kernel
// error. On the float64 backend the host check agrees with the
// on-backend residual of the loop.
func TestStatusSaysWhy(t *testing.T) {
	be := compute.NewCPU(0)
	x, y := cloud(t, "moons:150:seed=3"), cloud(t, "circles:130:seed=4")
	p := Problem{X: x.Points, Y: y.Points, N: 150, M: 130, D: 2, Eps: 1}
	for _, tier := range []Tier{Full, RFF, Nystrom} {
		for _, c := range []struct {
			iters int
			tol   float64
			conv  bool
		}{{3, 1e-10, false}, {5000, 1e-10, true}, {40, -1e-30, false}} {
			r, err := Solve(be, p, Settings{Tier: tier, MaxIter: c.iters, Tol: c.tol, Landmarks: 100, Features: 300, CheckEvery: 1})
			if err != nil {
				t.Fatalf("%v: %v", tier, err)
			}
			t.Logf("%v, %d iterations, tol %g: %s [%s]", tier, c.iters, c.tol, r.Status, r.Check)
			if r.Converged != c.conv || r.Converged != (r.MarginalError <= r.Tol) || r.Tol != math.Abs(c.tol) {
				t.Errorf("%v: converged %v (want %v), marginal error %g, tol %g", tier, r.Converged, c.conv, r.MarginalError, r.Tol)
			}
			if !strings.Contains(r.Check, "float64 on the host") || r.Precision != "float64" {
				t.Errorf("%v: check %q, precision %q", tier, r.Check, r.Precision)
			}
			if !c.conv && !strings.Contains(r.Status, "not converged") || c.tol < 0 && !strings.Contains(r.Status, "never stop early") {
				t.Errorf("%v: status %q", tier, r.Status)
			}
			if c.tol < 0 && r.Iterations != c.iters {
				t.Errorf("%v: a negative tol stopped after %d of %d iterations", tier, r.Iterations, c.iters)
			}
			if tier != Full && !strings.Contains(r.Status, "kernel itself is off by") {
				t.Errorf("%v: status %q does not give the kernel error", tier, r.Status)
			}
		}
	}
}

// TestGPUNystromSaysWhy: on the GPU (float32) Nystrom's features cancel in
// the kernel products; a run that does not converge used to report only
// a host-computed kernel error of 8e-7. Now the marginal error is
// recomputed in float64 from the GPU's own factors, the kernel error is
// measured on them, and the Status says not converged and why.
func TestGPUNystromSaysWhy(t *testing.T) {
	gpu := gputest.Backend(t)
	x, y := cloud(t, "moons:200:seed=1"), cloud(t, "8gaussians:200:seed=2")
	p := Problem{X: x.Points, Y: y.Points, N: 200, M: 200, D: 2, Eps: 0.3}
	r, err := Solve(gpu, p, Settings{Tier: Nystrom, MaxIter: 200, Tol: 1e-7})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%s [%s]; floor %.3g", r.Status, r.Check, r.PrecisionFloor)
	if r.Converged != (r.MarginalError <= 1e-7) || !strings.Contains(r.Check, "float64 on the host from the backend's nystrom factors") || r.Precision != "float32" {
		t.Errorf("converged %v, marginal error %g, check %q, precision %q", r.Converged, r.MarginalError, r.Check, r.Precision)
	}
	if !r.Converged && !strings.HasPrefix(r.Status, "not converged") {
		t.Errorf("status %q", r.Status)
	}
	if !(r.PrecisionFloor > 0) || !(r.ErrorEstimate > 0) {
		t.Errorf("floor %g, kernel error %g: both must be measured", r.PrecisionFloor, r.ErrorEstimate)
	}
}
