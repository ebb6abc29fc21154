package bridge

import (
	"fmt"
	"strings"

	"github.com/otplay/otplay/compute"
)

// Transport names the step that moves the particles along the bridge
// drift in Simulate (SimSettings.Transport). The empty value is
// TransportDrift.
type Transport string

const (
	// TransportDrift is the Euler-Maruyama step along the drift
	// (Simulate's default): X_{k+1} = X_k + h u_k + sigma sqrt(h) Z_k with
	// u_k = v(X_k, t_k).
	TransportDrift Transport = "drift"
	// TransportMomentum replaces u_k by an exponential moving average of
	// the drifts, the velocity of FastSB-OT's MomentumTransport
	// (heavy-ball momentum; see SimSettings.Momentum).
	TransportMomentum Transport = "momentum"
	// TransportFisher preconditions u_k by the inverse Fisher information
	// of the Gaussian fit of the particle cloud (a natural-gradient
	// step; FastSB-OT's compute_fisher_transport).
	TransportFisher Transport = "fisher"
)

// Transports lists the transports ParseTransport accepts.
var Transports = []Transport{TransportDrift, TransportMomentum, TransportFisher}

// ParseTransport returns the Transport named s ("" is TransportDrift).
func ParseTransport(s string) (Transport, error) {
	if s == "" {
		return TransportDrift, nil
	}
	for _, t := range Transports {
		if string(t) == s {
			return t, nil
		}
	}
	names := make([]string, len(Transports))
	for k, t := range Transports {
		names[k] = string(t)
	}
	return "", badInput("transport %q: want %s", s, strings.Join(names, ", "))
}

// DefaultMomentum is the momentum coefficient beta of TransportMomentum
// when SimSettings.Momentum is zero (FastSB-OT's MomentumTransport
// default).
const DefaultMomentum = 0.9

// transportStep holds the scratch arrays of one Simulate run's transport
// and computes the deterministic part of each step.
type transportStep struct {
	br   *Bridge
	kind Transport
	beta float64
	n    int
	// u: drift; v, vn: velocity (momentum); pu: preconditioned drift,
	// ones, mean, centred, cov, pre: the Gaussian fit (fisher).
	u, v, vn, pu, ones, mean, centred, cov, pre compute.Array
	diff                                        compute.Array // path energy scratch
	host                                        []float64
}

func (br *Bridge) newTransportStep(s SimSettings, n int) (*transportStep, error) {
	kind, err := ParseTransport(string(s.Transport))
	if err != nil {
		return nil, err
	}
	st := &transportStep{br: br, kind: kind, beta: s.Momentum, n: n}
	if st.beta == 0 {
		st.beta = DefaultMomentum
	}
	if kind == TransportMomentum && !(st.beta > 0 && st.beta < 1) {
		return nil, badInput("momentum = %v: want a number in (0, 1)", s.Momentum)
	}
	be, nd, d := br.be, n*br.D, br.D
	alloc := func(dst *compute.Array, size int) {
		if err == nil {
			*dst, err = be.Alloc(size)
		}
	}
	switch kind {
	case TransportMomentum:
		alloc(&st.u, nd)
		alloc(&st.v, nd)
		alloc(&st.vn, nd)
	case TransportFisher:
		alloc(&st.u, nd)
		alloc(&st.pu, nd)
		alloc(&st.mean, d)
		alloc(&st.centred, nd)
		alloc(&st.cov, d*d)
		alloc(&st.pre, d*d)
		if err == nil {
			ones := make([]float64, n)
			for i := range ones {
				ones[i] = 1
			}
			st.ones, err = be.Upload(ones)
		}
		st.host = make([]float64, d*d)
	}
	if err != nil {
		st.free()
		return nil, err
	}
	return st, nil
}

func (st *transportStep) free() {
	for _, a := range []compute.Array{st.u, st.v, st.vn, st.pu, st.ones, st.mean, st.centred, st.cov, st.pre, st.diff} {
		if a != nil {
			st.br.be.Free(a)
		}
	}
}

// step writes into xn the deterministic part of one step of length h from
// the particles x at time t, given mean = E[Y | X_t = x] (see Drift):
//
//	drift:    xn = x + h u,  u = (mean - x) / (1 - t)
//	momentum: v <- beta v + (1 - beta) u,  xn = x + h v
//	fisher:   xn = x + h u S,  S = Sigma D / tr Sigma
//
// Momentum. FastSB-OT's MomentumTransport.apply_transport keeps the
// velocity v <- beta v + (1 - beta) drift (v = 0 at the start) and moves x
// by a weight times v; here the weight is the Euler step h. This is the
// heavy-ball method of Polyak 1964 ("Some methods of speeding up the
// convergence of iteration methods", USSR Comp. Math. Math. Phys. 4(5),
// eq. (9): x_{k+1} = x_k - alpha grad f + beta (x_k - x_{k-1})) with the
// step alpha = (1 - beta) h, i.e. the classical momentum of Sutskever et
// al. 2013 ("On the importance of initialization and momentum in deep
// learning", ICML, eqs. (1)-(2)) with a dampened gradient term. The
// seed's extra factor 0.5 + 0.5 (1 - alpha_bar_t) and its image
// smoothness weight have no counterpart for a bridge between point
// clouds (it is 1 for points) and are left out. The velocity lags the
// drift: this is no longer the bridge SDE, and its effect is measured in
// RESULTS.md.
//
// Fisher. For the Gaussian fit N(m, Sigma) of the particles at time t the
// Fisher information of the location is Sigma^{-1}, so the natural
// gradient (Amari 1998, "Natural gradient works efficiently in learning",
// Neural Computation 10(2), Theorem 1: the steepest direction in the
// Riemannian metric G is G^{-1} grad) of a drift u is Sigma u. S is Sigma
// normalised to trace D, so that an isotropic cloud (and every cloud in
// one dimension) gets the plain drift; Sigma is the empirical covariance
// of the centred particles (one MatMul on the backend, D x D read back).
// FastSB-OT estimates a diagonal Fisher information per entry from the
// squared score and divides by it with the step dt / (1 + mean Fisher);
// the full covariance here is its exact counterpart for a Gaussian
// marginal (E[s s^T] = Sigma^{-1} for the Gaussian score s). Preconditioning
// the drift alone (not the noise) also changes the path law.
func (st *transportStep) step(xn, x, mean compute.Array, t, h float64) error {
	be, n, d := st.br.be, st.n, st.br.D
	c := 1 / (1 - t)
	switch st.kind {
	case TransportMomentum:
		if err := be.Map(st.u, compute.MapArgs{Op: compute.OpAxpby, X: mean, Y: x, A: c, B: -c}); err != nil {
			return err
		}
		if err := be.Map(st.vn, compute.MapArgs{Op: compute.OpAxpby, X: st.v, Y: st.u, A: st.beta, B: 1 - st.beta}); err != nil {
			return err
		}
		st.v, st.vn = st.vn, st.v
		return be.Map(xn, compute.MapArgs{Op: compute.OpAxpby, X: x, Y: st.v, A: 1, B: h})
	case TransportFisher:
		if err := be.Map(st.u, compute.MapArgs{Op: compute.OpAxpby, X: mean, Y: x, A: c, B: -c}); err != nil {
			return err
		}
		if err := st.precondition(x, n, d); err != nil {
			return err
		}
		return be.Map(xn, compute.MapArgs{Op: compute.OpAxpby, X: x, Y: st.pu, A: 1, B: h})
	default:
		ch := h * c
		return be.Map(xn, compute.MapArgs{Op: compute.OpAxpby, X: x, Y: mean, A: 1 - ch, B: ch})
	}
}

// precondition writes st.u S into st.pu, S = Sigma D / tr Sigma with Sigma
// the covariance of the n particles x (S = I where tr Sigma is 0).
func (st *transportStep) precondition(x compute.Array, n, d int) error {
	be := st.br.be
	// m = (1/n) 1^T x, centred = x - 1 m, Sigma = centred^T centred / n
	if err := be.MatMul(st.mean, st.ones, x, 1, n, d, false, false); err != nil {
		return err
	}
	if err := be.Map(st.mean, compute.MapArgs{Op: compute.OpAxpby, X: st.mean, A: 1 / float64(n)}); err != nil {
		return err
	}
	if err := be.MatMul(st.centred, st.ones, st.mean, n, 1, d, false, false); err != nil {
		return err
	}
	if err := be.Map(st.centred, compute.MapArgs{Op: compute.OpAxpby, X: x, Y: st.centred, A: 1, B: -1}); err != nil {
		return err
	}
	if err := be.MatMul(st.cov, st.centred, st.centred, d, n, d, true, false); err != nil {
		return err
	}
	if err := be.Read(st.host, st.cov); err != nil {
		return err
	}
	tr := 0.0
	for k := 0; k < d; k++ {
		tr += st.host[k*d+k]
	}
	scale := float64(d) / tr
	for k := range st.host {
		st.host[k] *= scale
	}
	if !(tr > 0) || tr != tr || scale != scale || scale > 1e300 {
		for k := range st.host {
			st.host[k] = 0
		}
		for k := 0; k < d; k++ {
			st.host[k*d+k] = 1
		}
	}
	if err := be.Write(st.pre, st.host); err != nil {
		return fmt.Errorf("fisher preconditioner: %w", err)
	}
	return be.MatMul(st.pu, st.u, st.pre, n, d, d, false, false)
}

// addEnergy adds |to - from|^2 / (n h) summed over the particles to *e
// (see SimResult.PathEnergy); its scratch array is allocated once.
func (st *transportStep) addEnergy(e *float64, to, from compute.Array, h float64) error {
	be := st.br.be
	if st.diff == nil {
		var err error
		if st.diff, err = be.Alloc(to.Len()); err != nil {
			return err
		}
	}
	if err := be.Map(st.diff, compute.MapArgs{Op: compute.OpAxpby, X: to, Y: from, A: 1, B: -1}); err != nil {
		return err
	}
	if err := be.Map(st.diff, compute.MapArgs{Op: compute.OpMul, X: st.diff, Y: st.diff, A: 1}); err != nil {
		return err
	}
	sum, err := be.Sum(st.diff)
	if err != nil {
		return err
	}
	*e += sum / (float64(st.n) * h)
	return nil
}
