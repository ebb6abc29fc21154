package sliced

import (
	"fmt"
	"math"
	"time"

	"github.com/otplay/otplay/compute"
)

// MaxSettings of Max. The zero value means the documented defaults.
type MaxSettings struct {
	// Candidates is the number of directions evaluated on the backend to
	// start from (default 200).
	Candidates int
	// Sampling and Seed draw the candidates (defaults Random, 0).
	Sampling Sampling
	Seed     uint64
	// Iterations bounds the gradient-ascent steps (default 100; 0 steps
	// with Iterations < 0: keep the best candidate).
	Iterations int
	// Tol stops the ascent when a step improves W_2^2 by less than Tol
	// times its value, or the step angle falls below Tol (default 1e-9).
	Tol float64
}

// MaxResult of Max.
type MaxResult struct {
	// MaxSW is W_2 of the projections on Direction: the max-sliced
	// distance estimate (a lower bound of the true maximum).
	MaxSW     float64
	Direction []float64
	// BestCandidate is W_2 along the best candidate, before the ascent.
	BestCandidate float64
	// History[k] is W_2^2 after accepted step k (nondecreasing).
	History    []float64
	Iterations int
	Converged  bool
	Time       time.Duration
}

// Max estimates the max-sliced Wasserstein distance of Deshpande et al.
// 2019 ("Max-Sliced Wasserstein Distance and its use for GANs", CVPR,
// eq. (4)):
//
//	max-SW_2(mu, nu) = max_{theta in S^{d-1}} W_2(theta# mu, theta# nu)
//
// in two stages: the best of Candidates directions, evaluated together on
// the backend like Distance; then projected gradient ascent on the sphere
// from it, on the host in float64. For the optimal monotone coupling pi of
// the current direction, the gradient of W_2^2 is
// 2 sum_k pi_k (theta . (x_{i_k} - y_{j_k})) (x_{i_k} - y_{j_k}) (Danskin's
// theorem; the coupling is locally constant almost everywhere). A step
// rotates theta along the tangent part of the gradient by an angle that
// grows by 3/2 after an accepted step and halves after a rejected one, so
// W_2^2 never decreases. The objective is not concave: the result is a
// local maximum near the best candidate.
func Max(be compute.Backend, x, y Measure, s MaxSettings) (MaxResult, error) {
	start := time.Now()
	cand := s.Candidates
	if cand == 0 {
		cand = 200
	}
	iters := s.Iterations
	if iters == 0 {
		iters = 100
	}
	tol := s.Tol
	if tol == 0 {
		tol = 1e-9
	}
	if !(tol > 0) || math.IsInf(tol, 0) {
		return MaxResult{}, fmt.Errorf("%w: Tol = %g must be positive", ErrBadArgument, s.Tol)
	}
	r0, err := Distance(be, x, y, Settings{Projections: cand, Sampling: s.Sampling, Seed: s.Seed})
	if err != nil {
		return MaxResult{}, err
	}
	d := x.D
	best := 0
	for l, w := range r0.PerDirection {
		if w > r0.PerDirection[best] {
			best = l
		}
	}
	theta := append([]float64(nil), r0.Directions[best*d:(best+1)*d]...)
	res := MaxResult{BestCandidate: math.Sqrt(r0.PerDirection[best])}
	val, grad := maxObjective(x, y, theta)
	res.History = append(res.History, val)
	angle := 0.5
	next := make([]float64, d)
	for it := 0; it < max(iters, 0); it++ {
		res.Iterations = it + 1
		// Tangent part of the gradient.
		var gt float64
		for k := range grad {
			gt += grad[k] * theta[k]
		}
		var gn float64
		for k := range grad {
			grad[k] -= gt * theta[k]
			gn += grad[k] * grad[k]
		}
		gn = math.Sqrt(gn)
		if gn <= 1e-14*math.Max(val, 1e-300) || d == 1 {
			res.Converged = true // stationary (or d = 1: nothing to turn)
			break
		}
		// Rotate by angle along the geodesic towards the gradient.
		c, sn := math.Cos(angle), math.Sin(angle)
		for k := range next {
			next[k] = c*theta[k] + sn*grad[k]/gn
		}
		normalise(next)
		nv, ng := maxObjective(x, y, next)
		if nv > val {
			gain := (nv - val) / val
			copy(theta, next)
			val, grad = nv, ng
			res.History = append(res.History, val)
			angle = math.Min(1.5*angle, math.Pi/2)
			if gain < tol {
				res.Converged = true
				break
			}
		} else {
			angle /= 2
			if angle < tol {
				res.Converged = true
				break
			}
		}
	}
	res.MaxSW = math.Sqrt(val)
	res.Direction = theta
	res.Time = time.Since(start)
	return res, nil
}

// maxObjective returns W_2^2 of the projections on theta and its gradient
// in theta for the optimal coupling.
func maxObjective(x, y Measure, theta []float64) (float64, []float64) {
	od, _ := Transport1D(project(x, theta), x.Weights, project(y, theta), y.Weights)
	d := x.D
	g := make([]float64, d)
	for _, mt := range od.Plan {
		xi, yj := x.Points[mt.I*d:(mt.I+1)*d], y.Points[mt.J*d:(mt.J+1)*d]
		var p float64
		for k := range theta {
			p += theta[k] * (xi[k] - yj[k])
		}
		f := 2 * mt.Mass * p
		for k := range g {
			g[k] += f * (xi[k] - yj[k])
		}
	}
	return od.W2Sq, g
}
