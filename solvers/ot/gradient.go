package ot

import (
	"gonum.org/v1/gonum/floats"

	"github.com/otplay/otplay/compute"
)

// Gradient is the gradient of a transport value with respect to the
// points and the weights of both measures.
type Gradient struct {
	// X (N x D) and Y (M x D), row-major: d value / d x_i and d value /
	// d y_j, the weights held fixed; nil for a problem given by a cost
	// matrix (Problem.Cost), which has no points.
	X, Y []float64
	// A (N) and B (M): the gradient with respect to the weights as a
	// tangent vector of the simplex (the masses are fixed, so only
	// directions v with sum v = 0 are meaningful): the dual potential
	// minus its mean, POT's convention for ot.emd2's gradient
	// (set_gradients with log['u'] - mean(log['u'])). For any such v,
	// d value(a + t v)/dt at t = 0 is <A, v>.
	A, B []float64
}

// centred returns v minus its mean.
func centred(v []float64) []float64 {
	out := append([]float64(nil), v...)
	floats.AddConst(-floats.Sum(v)/float64(len(v)), out)
	return out
}

// ObjectiveGradient returns the gradient of the regularised cost
// OT_eps(a, b) = <P, C> + eps KL(P | a x b) (Result.Objective of a
// balanced Sinkhorn solve), by the envelope theorem
// (Feydy et al. 2019, "Interpolating between optimal transport and MMD
// using Sinkhorn divergences", sec. 3.2; Peyre and Cuturi 2019,
// "Computational Optimal Transport", Prop. 9.2): the optimal plan and
// potentials are held fixed, so
//
//	d OT_eps / d x_i = sum_j P_ij grad_x C(x_i, y_j) = 2 a_i (x_i - T(x_i))
//	d OT_eps / d y_j = sum_i P_ij grad_y C(x_i, y_j) = 2 b_j (y_j - T'(y_j))
//	d OT_eps / d a   = F - mean(F),  d OT_eps / d b = G - mean(G)
//
// with T, T' the barycentric projections of the plan (Barycentric,
// TransportBack) and F, G the potentials in GeomLoss's convention (the
// dual's partial derivatives: d/da_i of <a, f> + <b, g> - eps <a x b,
// exp((f + g - C)/eps) - 1> is f_i where the marginals are met). This is
// POT >= 0.9's ot.solve(..., grad="envelope") gradient of the value and
// GeomLoss's; POT 0.8.2's sinkhorn2 returns <P, M> instead and
// differentiates its iterations, which differs by the entropy's share.
// The formula holds at convergence; its error is of the order of the
// marginal error. For C = |x - y|^p with p != 2 the point gradients are
// sum_j P_ij p |x_i - y_j|^(p-2) (x_i - y_j) and its mirror
// (AddPowerCostGradient: at p = 1 the subgradient 0 is taken where x_i =
// y_j), summed over the plan formed on the host; for a cost matrix
// (Problem.Cost) the points have no meaning and Gradient.X and Y are nil:
// only the weights' gradients are returned. It panics if r is nil.
func ObjectiveGradient(be compute.Backend, r *Result) (*Gradient, error) {
	if err := r.checkUsable(); err != nil {
		return nil, err
	}
	if r.Method != Balanced {
		return nil, badInput("ObjectiveGradient: the %v method's objective is not OT_eps(a, b); solve with Sinkhorn", r.Method)
	}
	p := r.prob
	if !p.squaredCost() {
		return generalObjectiveGradient(r), nil
	}
	tx, err := r.Barycentric(be)
	if err != nil {
		return nil, err
	}
	ty, err := r.TransportBack(be, p.Y)
	if err != nil {
		return nil, err
	}
	return &Gradient{
		X: pointGradient(p.A, p.X, tx, nil, p.D),
		Y: pointGradient(p.B, p.Y, ty, nil, p.D),
		A: centred(r.F),
		B: centred(r.G),
	}, nil
}

// pointGradient returns 2 w_i (T_self(z_i) - T(z_i)) for each point z_i,
// where T_self(z_i) = z_i when self is nil.
func pointGradient(w, z, t, self []float64, d int) []float64 {
	g := make([]float64, len(z))
	for i := range len(z) / d {
		for k := range d {
			s := z[i*d+k]
			if self != nil {
				s = self[i*d+k]
			}
			g[i*d+k] = 2 * w[i] * (s - t[i*d+k])
		}
	}
	return g
}

// Gradient returns the gradient of the Sinkhorn divergence
// S = OT_eps(a, b) - (OT_eps(a, a) + OT_eps(b, b)) / 2 with respect to
// both clouds and both weights (Feydy et al. 2019, sec. 3.2 and Prop. 2;
// GeomLoss's gradients), the envelope theorem applied to each term:
//
//	dS/dx_i = 2 a_i (T_aa(x_i) - T_ab(x_i))   (GradX)
//	dS/dy_j = 2 b_j (T_bb(y_j) - T'_ab(y_j))
//	dS/da   = F_ab - F_aa,  dS/db = G_ab - G_bb   (each minus its mean)
//
// where OT_eps(a, a) depends on a through both marginals, so its
// derivative is F_aa + G_aa = 2 F_aa at the symmetric solution (the mean
// of the two is used). The weight gradients are centred as in Gradient.
func (d *DivergenceResult) Gradient(be compute.Backend) (*Gradient, error) {
	p := d.AB.prob
	tba, err := d.AB.TransportBack(be, p.Y)
	if err != nil {
		return nil, err
	}
	tbb, err := d.BB.Barycentric(be)
	if err != nil {
		return nil, err
	}
	ga := make([]float64, p.N)
	for i := range ga {
		ga[i] = d.AB.F[i] - (d.AA.F[i]+d.AA.G[i])/2
	}
	gb := make([]float64, p.M)
	for j := range gb {
		gb[j] = d.AB.G[j] - (d.BB.F[j]+d.BB.G[j])/2
	}
	return &Gradient{
		X: append([]float64(nil), d.GradX...),
		Y: pointGradient(p.B, p.Y, tba, tbb, p.D),
		A: centred(ga),
		B: centred(gb),
	}, nil
}
