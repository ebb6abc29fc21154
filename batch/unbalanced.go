//go:build !js

package batch

import (
	"math"

	"github.com/otplay/otplay/solvers/ot"
)

// checkUnbalanced checks --tau-a, --tau-b and --reg-type.
func (r SolveRequest) checkUnbalanced() error {
	for _, t := range []struct {
		flag string
		v    float64
	}{{"--tau-a", r.TauA}, {"--tau-b", r.TauB}} {
		if math.IsNaN(t.v) || t.v < 0 {
			return usage("%s %g: must be positive (+Inf: a hard constraint; 0: --tau)", t.flag, t.v)
		}
	}
	if r.RegType != "" {
		if _, err := ot.ParseUnbalancedReg(r.RegType); err != nil {
			return usage("--reg-type %q: want entropy (POT 0.8.2's) or kl (current POT's default)", r.RegType)
		}
	}
	if r.Method != "unbalanced" && (r.TauA != 0 || r.TauB != 0 || (r.RegType != "" && r.RegType != "entropy")) {
		return usage("--tau-a/--tau-b/--reg-type apply to --method unbalanced, not %s", r.Method)
	}
	return nil
}

// unbalancedSettings sets the penalties of the two marginals (TauA, TauB
// when given, else Tau: POT's reg_m as a pair) and the entropic term.
func unbalancedSettings(req SolveRequest, set *ot.Settings, rep *SolveResult) error {
	set.TauA, set.TauB = req.Tau, req.Tau
	if req.TauA > 0 {
		set.TauA = req.TauA
	}
	if req.TauB > 0 {
		set.TauB = req.TauB
	}
	reg := ot.RegEntropy
	if req.RegType != "" {
		var err error
		if reg, err = ot.ParseUnbalancedReg(req.RegType); err != nil {
			return usage("--reg-type: %v", err)
		}
	}
	set.UnbalancedReg = reg
	rep.Tau, rep.TauA, rep.TauB, rep.RegType = req.Tau, set.TauA, set.TauB, reg.String()
	return nil
}
