package kernel

import (
	"math"
	"testing"

	"github.com/otplay/otplay/compute"
	"github.com/otplay/otplay/solvers/data"
	"github.com/otplay/otplay/solvers/ot"
)

// denseOTeps is OT_eps = <a, f> + <b, g> of uniform weights and the
// dense cost matrix c (n x m) by plain log-domain Sinkhorn (Peyre and
// Cuturi 2019, eq. (4.43)), 5000 iterations: the reference, written
// independently of package ot.
func denseOTeps(c []float64, n, m int, eps float64) float64 {
	f, g := make([]float64, n), make([]float64, m)
	la, lb := math.Log(1/float64(n)), math.Log(1/float64(m))
	lse := func(v []float64) float64 {
		top := math.Inf(-1)
		for _, t := range v {
			top = max(top, t)
		}
		s := 0.0
		for _, t := range v {
			s += math.Exp(t - top)
		}
		return top + math.Log(s)
	}
	row, col := make([]float64, m), make([]float64, n)
	for range 5000 {
		for i := range n {
			for j := range m {
				row[j] = lb + (g[j]-c[i*m+j])/eps
			}
			f[i] = -eps * lse(row)
		}
		for j := range m {
			for i := range n {
				col[i] = la + (f[i]-c[i*m+j])/eps
			}
			g[j] = -eps * lse(col)
		}
	}
	s := 0.0
	for _, v := range f {
		s += v / float64(n)
	}
	for _, v := range g {
		s += v / float64(m)
	}
	return s
}

// hilbertExact is the Hilbert Sinkhorn divergence with the exact kernel
// cost 2 - 2 exp(-|x - y|^2 / (2 sigma^2)).
func hilbertExact(x, y []float64, n, m, d int, sigma, eps float64) float64 {
	cost := func(p, q []float64, np, nq int) []float64 {
		c := make([]float64, np*nq)
		for i := range np {
			for j := range nq {
				c[i*nq+j] = 2 - 2*math.Exp(-sqDist(p[i*d:(i+1)*d], q[j*d:(j+1)*d])/(2*sigma*sigma))
			}
		}
		return c
	}
	return denseOTeps(cost(x, y, n, m), n, m, eps) - (denseOTeps(cost(x, x, n, n), n, n, eps)+denseOTeps(cost(y, y, m, m), m, m, eps))/2
}

// TestHilbertDivergence: the RFF feature cost approximates 2 - 2 k to
// O(1/sqrt(D)), and the divergence on the features approaches the
// divergence with the exact kernel cost (dense reference) as D grows
// (mean error over 4 seeds drops from D = 16 to D = 256).
func TestHilbertDivergence(t *testing.T) {
	xs, _ := data.Parse("moons:40:seed=1")
	ys, _ := data.Parse("8gaussians:30:seed=2")
	const eps = 0.05
	be := compute.NewCPU(0)
	p := ot.Problem{X: xs.Points, Y: ys.Points, N: xs.N, M: ys.N, D: 2}
	sigma := medianDistance(p.X, p.Y, p.N, p.M, 2)
	want := hilbertExact(p.X, p.Y, p.N, p.M, 2, sigma, eps)
	var prevErr float64
	for k, D := range []int{16, 64, 256} {
		meanErr, worstCost := 0.0, 0.0
		for seed := range uint64(4) {
			r, err := HilbertDivergence(be, p, HilbertSettings{Features: D, Seed: seed, OT: ot.Settings{Eps: eps, Tol: 1e-9, MaxIter: 5000}})
			if err != nil {
				t.Fatal(err)
			}
			if !r.Converged || r.Bandwidth != sigma || r.Features != D {
				t.Fatalf("D=%d: converged %v, bandwidth %g (want %g), features %d", D, r.Converged, r.Bandwidth, sigma, r.Features)
			}
			meanErr += math.Abs(r.Value-want) / 4
			fx := RFFEmbed(p.X, p.N, 2, D, sigma, seed)
			fy := RFFEmbed(p.Y, p.M, 2, D, sigma, seed)
			for i := range p.N {
				for j := range p.M {
					exact := 2 - 2*math.Exp(-sqDist(p.X[2*i:2*i+2], p.Y[2*j:2*j+2])/(2*sigma*sigma))
					worstCost = max(worstCost, math.Abs(sqDist(fx[i*D:(i+1)*D], fy[j*D:(j+1)*D])-exact))
				}
			}
		}
		t.Logf("D=%3d: Hilbert S = exact %.5f +- %.5f (mean error, 4 seeds); worst feature-cost error %.3f", D, want, meanErr, worstCost)
		if worstCost > 8/math.Sqrt(float64(D)) {
			t.Errorf("D=%d: feature cost error %.3f above 8/sqrt(D)", D, worstCost)
		}
		if k > 0 && !(meanErr < prevErr) {
			t.Errorf("D=%d: mean error %.5f not below %.5f at fewer features", D, meanErr, prevErr)
		}
		prevErr = meanErr
	}
	if prevErr > 0.1*want {
		t.Errorf("D=256: mean error %.5f above 10%% of S = %.5f", prevErr, want)
	}
	if _, err := HilbertDivergence(be, p, HilbertSettings{Features: 1000}); err == nil {
		t.Error("Features = 1000 > MaxDim: no error")
	}
}
