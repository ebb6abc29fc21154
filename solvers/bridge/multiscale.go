package bridge

import (
	"math"

	"github.com/otplay/otplay/compute"
	"github.com/otplay/otplay/solvers/ot"
)

// MultiscaleInfo reports the coarse stage of NewMultiscale.
type MultiscaleInfo struct {
	CoarseN, CoarseM int // points of the coarse clouds
	// CoarseIterations is the Sinkhorn iteration count of the coarse
	// solve; the fine solve's is in Bridge.Static.Iterations.
	CoarseIterations int
}

// NewMultiscale is New solved coarse-to-fine (the two-scale case of
// FastSB-OT's HierarchicalBridge, which decomposes the transport over
// scales; here the scales are point counts, as in the multiscale Sinkhorn
// of Schmitzer 2019, "Stabilized sparse scaling algorithms for entropy
// regularized transport problems", SIAM J. Sci. Comput. 41(3), sec. 4, and
// Feydy 2020, "Geometric data analysis, beyond convolutions", sec. 3.3.3).
//
// The coarse clouds keep every k-th point of X and Y (k = ceil(N/coarse),
// ceil(M/coarse)), with their weights renormalised; the static bridge is
// solved there with the same eps = 2 sigma^2 (with eps-scaling). Its
// potentials (F^c, G^c) are extended to the fine clouds by one c-transform
// each (Feydy et al. 2019, "Interpolating between optimal transport and
// MMD using Sinkhorn divergences", eq. (8)):
//
//	G(y_j) = -eps log sum_i a^c_i exp((F^c_i - |x^c_i - y_j|^2) / eps),
//	F(x_i) = -eps log sum_j b^c_j exp((G^c_j - |x_i - y^c_j|^2) / eps),
//
// the potentials of the coarse plan read at fine points, and the fine
// problem is solved from them (a warm start, without eps-scaling) to the
// same tolerance. The fine bridge is then New's bridge up to that
// tolerance (tested: drift and cost), in fewer fine iterations where the
// coarse clouds resolve the plan at this eps (measured in RESULTS.md).
// coarse >= min(N, M) solves single-scale.
func NewMultiscale(b compute.Backend, p ot.Problem, s Settings, coarse int) (*Bridge, MultiscaleInfo, error) {
	if coarse < 1 {
		return nil, MultiscaleInfo{}, badInput("coarse = %d points: want >= 1", coarse)
	}
	if coarse >= p.N || coarse >= p.M || s.Sinkhorn.F != nil || s.Sinkhorn.G != nil {
		br, err := New(b, p, s)
		if err != nil {
			return nil, MultiscaleInfo{}, err
		}
		return br, MultiscaleInfo{CoarseIterations: 0}, nil
	}
	if p.D < 1 || len(p.X) != p.N*p.D || len(p.Y) != p.M*p.D {
		return nil, MultiscaleInfo{}, badInput("X, Y must hold N x D and M x D values")
	}
	sub := func(pts, w []float64, n int) ([]float64, []float64, int) {
		k := (n + coarse - 1) / coarse
		var xs, ws []float64
		for i := 0; i < n; i += k {
			xs = append(xs, pts[i*p.D:(i+1)*p.D]...)
			if w != nil {
				ws = append(ws, w[i])
			}
		}
		return xs, ws, len(xs) / p.D
	}
	cx, ca, cn := sub(p.X, p.A, p.N)
	cy, cb, cm := sub(p.Y, p.B, p.M)
	cs := s
	cs.Sinkhorn.Progress = nil
	cbr, err := New(b, ot.Problem{X: cx, Y: cy, A: ca, B: cb, N: cn, M: cm, D: p.D}, cs)
	if err != nil {
		return nil, MultiscaleInfo{}, err
	}
	info := MultiscaleInfo{CoarseN: cn, CoarseM: cm, CoarseIterations: cbr.Static.Iterations}
	g, err := cTransform(b, p.Y, p.M, cbr.X, cbr.A, cbr.Static.F, cn, p.D, cbr.Eps)
	if err == nil {
		var f []float64
		f, err = cTransform(b, p.X, p.N, cbr.Y, cbr.B, cbr.Static.G, cm, p.D, cbr.Eps)
		s.Sinkhorn.F, s.Sinkhorn.G = f, g
	}
	cbr.Free()
	if err != nil {
		return nil, info, err
	}
	br, err := New(b, p, s)
	return br, info, err
}

// cTransform returns -eps log sum_j w_j exp((h_j - |z_i - y_j|^2) / eps)
// for the n points z, over the m points y with weights w and potential h
// (one Backend.SoftMin).
func cTransform(b compute.Backend, z []float64, n int, y, w, h []float64, m, d int, eps float64) ([]float64, error) {
	logw := make([]float64, m)
	for j := range logw {
		logw[j] = math.Log(w[j])
	}
	var arrs []compute.Array
	defer func() {
		for _, a := range arrs {
			b.Free(a)
		}
	}()
	in := make([]compute.Array, 4) // z, y, log w, h
	for k, v := range [][]float64{z, y, logw, h} {
		a, err := b.Upload(v)
		if err != nil {
			return nil, err
		}
		arrs = append(arrs, a)
		in[k] = a
	}
	dst, err := b.Alloc(n)
	if err != nil {
		return nil, err
	}
	arrs = append(arrs, dst)
	if err := b.SoftMin(dst, compute.Pairs{X: in[0], Y: in[1], N: n, M: m, D: d, LogW: in[2], G: in[3], Eps: eps}); err != nil {
		return nil, err
	}
	out := make([]float64, n)
	if err := b.Read(out, dst); err != nil {
		return nil, err
	}
	return out, compute.CheckFinite("extended potential", out)
}
