package diffusion

import (
	"github.com/otplay/otplay/compute"
	"github.com/otplay/otplay/solvers/exact"
)

// Minibatch OT pairing of noise and data in training (TrainSettings.
// OTPairing, otplay train --ot-pairing), the coupling of Pooladian et al.
// 2023 ("Multisample Flow Matching: Straightening Flows with Minibatch
// Couplings", section 3, the BatchOT coupling) and Tong et al. 2023
// ("Improving and Generalizing Flow-Based Generative Models with
// Minibatch Optimal Transport", OT-CFM), in the seed code's
// sample_batch_ot spirit (FastSB-OT pairs noise and data batches by
// sliced OT): in every batch the B noise draws are permuted so that
// noise i goes with the data point it is matched to by the exact
// assignment minimising sum_i |x0_i - eps_perm(i)|^2 (solvers/exact's
// Hungarian algorithm, O(B^3) per step on the host: B = 256 adds a few
// milliseconds per step).
//
// Why the trained model is still a sampler: x_t = alpha x0 + sigma eps
// with (x0, eps) drawn from any coupling of the data and N(0, I) defines
// a path of marginals p_t from the data (t = 0) to N(0, I) (t = 1), and
// the velocity v(x, t) = E[alpha' x0 + sigma' eps | x_t = x] transports
// them (Pooladian et al., Prop. 3.1; Lipman et al. 2023, Thm. 1). With D
// = E[x0 | x_t] and E[eps | x_t] = (x - alpha D)/sigma it is
//
//	v = alpha' D + sigma' (x - alpha D) / sigma,
//
// the probability-flow ODE written with D that DDIM (eta = 0), DPM-Solver++
// and Heun integrate. The score identity score = (alpha D - x)/sigma^2
// does not hold under a coupling, so stochastic samplers (DDPM, the
// reverse SDE, churn, Langevin correctors) do not sample p_0 with such a
// model: use the deterministic ones. The file's meta records the coupling
// (MetaCoupling).

// MetaCoupling names the noise-data coupling of training in a model file:
// absent for independent draws, CouplingMinibatchOT for OT pairing.
const (
	MetaCoupling        = "coupling"
	CouplingMinibatchOT = "minibatch-ot"
)

// Coupling returns the noise-data coupling the model was trained with:
// "" (independent) or CouplingMinibatchOT.
func (m *MLP) Coupling() string { return m.pairing }

// otPairer permutes a batch's noise to its OT pairing with the data.
type otPairer struct {
	x0, noise, cost, perm []float64
}

// pair reads the batch's data and noise (B x d each) back, solves the
// assignment and writes the permuted noise into noise.
func (p *otPairer) pair(b compute.Backend, x0, noise compute.Array, B, d int) error {
	if p.x0 == nil {
		p.x0, p.noise, p.cost, p.perm = make([]float64, B*d), make([]float64, B*d), make([]float64, B*B), make([]float64, B*d)
	}
	if err := b.Read(p.x0, x0); err != nil {
		return err
	}
	if err := b.Read(p.noise, noise); err != nil {
		return err
	}
	if err := PairByOT(p.perm, p.x0, p.noise, B, d, p.cost); err != nil {
		return err
	}
	return b.Write(noise, p.perm)
}

// PairByOT writes into dst (B x d) the rows of noise permuted so that
// dst row i is the noise row the exact assignment of squared distances
// pairs with x0 row i. cost is B*B scratch (nil: allocated).
func PairByOT(dst, x0, noise []float64, B, d int, cost []float64) error {
	if len(x0) != B*d || len(noise) != B*d || len(dst) != B*d {
		return inputErr("ot pairing: x0 %d, noise %d, dst %d values, want B*d = %d", len(x0), len(noise), len(dst), B*d)
	}
	if cost == nil {
		cost = make([]float64, B*B)
	}
	for i := range B {
		xi := x0[i*d : (i+1)*d]
		for j := range B {
			s := 0.0
			for k, v := range noise[j*d : (j+1)*d] {
				t := xi[k] - v
				s += t * t
			}
			cost[i*B+j] = s
		}
	}
	perm, _, err := exact.Assignment(cost, B)
	if err != nil {
		return err
	}
	for i, j := range perm {
		copy(dst[i*d:(i+1)*d], noise[j*d:(j+1)*d])
	}
	return nil
}
