package ot

import "fmt"

// UnbalancedReg names the entropic term of Unbalanced. The two forms
// differ by a term linear in P, eps <P, log a_i + log b_j>, so they have
// different plans whenever a marginal is penalised; with both marginals
// hard (balanced) the plans agree.
type UnbalancedReg int

const (
	// RegEntropy is eps sum_ij P_ij (log P_ij - 1), the kernel
	// exp(-C/eps) of POT 0.8.2's ot.sinkhorn_unbalanced (the only form
	// there; reg_type="entropy" in later POT). The default.
	RegEntropy UnbalancedReg = iota
	// RegKL is eps KL(P | a x b), the kernel a_i b_j exp(-C_ij/eps):
	// current POT's sinkhorn_unbalanced default (reg_type="kl", the
	// reference measure c = a b^T), and Sejourne et al. 2019's
	// ("Sinkhorn divergences for unbalanced optimal transport", eq. (2))
	// objective. It equals RegEntropy with the cost
	// C_ij - eps (log a_i + log b_j).
	RegKL
)

func (r UnbalancedReg) String() string {
	switch r {
	case RegEntropy:
		return "entropy"
	case RegKL:
		return "kl"
	}
	return fmt.Sprintf("UnbalancedReg(%d)", int(r))
}

// ParseUnbalancedReg reads "entropy" or "kl" (POT's reg_type names).
func ParseUnbalancedReg(s string) (UnbalancedReg, error) {
	switch s {
	case "entropy":
		return RegEntropy, nil
	case "kl":
		return RegKL, nil
	}
	return 0, badInput("unbalanced regularisation %q: want entropy or kl", s)
}

// logWeightShare is the factor of eps log a in the unbalanced update and
// in the fixed point: 1 for RegEntropy (whose kernel lacks the weights),
// 0 for RegKL.
func (r UnbalancedReg) logWeightShare() float64 {
	if r == RegKL {
		return 0
	}
	return 1
}
