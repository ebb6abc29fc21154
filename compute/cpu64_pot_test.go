package compute_test

import (
	"encoding/json"
	"math"
	"os"
	"strings"
	"testing"

	"github.com/otplay/otplay/compute"
	"github.com/otplay/otplay/solvers/ot"
)

// TestCPUPlansEqualPOT solves POT's cases (solvers/ot/testdata/pot_ref.json,
// made by POT 0.8.2's sinkhorn_log, sinkhorn_unbalanced and
// entropic_partial_wasserstein, and pot_hd_ref.json, the same at d = 64)
// on the float64 backend's fast kernels (NewCPU) and on its plain loops
// (NewCPURef): each plan equals POT's to 1e-12 of its largest entry, and
// the two backends' plans agree to 1e-13. At d = 64 the fast backend reads
// the cost from its stored matrix (compute/costcache.go): its stats must
// say so.
func TestCPUPlansEqualPOT(t *testing.T) {
	for _, file := range []string{"pot_ref.json", "pot_hd_ref.json"} {
		t.Run(file, func(t *testing.T) { cpuPlansEqualPOT(t, "../solvers/ot/testdata/"+file) })
	}
}

func cpuPlansEqualPOT(t *testing.T, file string) {
	raw, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var ref struct {
		Cases []struct {
			Name             string
			N, M, D          int
			X, Y, A, B, Plan []float64
			Eps, Tau, Mass   float64
		}
	}
	if err := json.Unmarshal(raw, &ref); err != nil {
		t.Fatal(err)
	}
	if len(ref.Cases) == 0 {
		t.Fatal("no cases in " + file)
	}
	for _, c := range ref.Cases {
		p := ot.Problem{X: c.X, Y: c.Y, N: c.N, M: c.M, D: c.D, A: c.A, B: c.B}
		s := ot.Settings{Eps: c.Eps, Tol: 1e-13, MaxIter: 200000}
		var plans [2][]float64
		fast := compute.NewCPU(0)
		for k, b := range []compute.Backend{fast, compute.NewCPURef(0)} {
			var r *ot.Result
			switch {
			case strings.HasPrefix(c.Name, "sinkhorn"):
				r, err = ot.Sinkhorn(b, p, s)
			case strings.HasPrefix(c.Name, "unbalanced"):
				s.TauA, s.TauB = c.Tau, c.Tau
				r, err = ot.Unbalanced(b, p, s)
			case strings.HasPrefix(c.Name, "partial"):
				s.Mass = c.Mass
				r, err = ot.Partial(b, p, s)
			default:
				t.Fatalf("unknown case %q", c.Name)
			}
			if err != nil {
				t.Fatal(err)
			}
			if plans[k], err = r.PlanDense(b); err != nil {
				t.Fatal(err)
			}
			top := 0.0
			for _, v := range c.Plan {
				top = max(top, math.Abs(v))
			}
			e := maxDiff(plans[k], c.Plan) / top
			t.Logf("%s on %s: plan within %.2e of POT's (relative to its largest entry), %d iterations", c.Name, b.Info().Name, e, r.Iterations)
			if !(e <= 1e-12) {
				t.Errorf("%s on %s: plan differs from POT's by %.3g of its largest entry, want <= 1e-12", c.Name, b.Info().Name, e)
			}
		}
		if e := maxDiff(plans[0], plans[1]); !(e <= 1e-13) {
			t.Errorf("%s: cpu and cpuref plans differ by %.3g", c.Name, e)
		}
		if st := fast.CostCacheStats(); c.D >= 16 && (st.Cached == 0 || st.Built == 0) {
			t.Errorf("%s (d = %d): cpu read no stored cost matrix: %+v", c.Name, c.D, st)
		} else if c.D >= 16 {
			t.Logf("%s: %s", c.Name, fast.Info().Notes)
		}
	}
}

func maxDiff(a, b []float64) float64 {
	if len(a) != len(b) {
		return math.Inf(1)
	}
	m := 0.0
	for i := range a {
		m = max(m, math.Abs(a[i]-b[i]))
	}
	return m
}
