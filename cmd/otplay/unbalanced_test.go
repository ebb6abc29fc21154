package main

import (
	"math"
	"strings"
	"testing"

	"github.com/otplay/otplay/compute"
	"github.com/otplay/otplay/solvers/data"
	"github.com/otplay/otplay/solvers/ot"
)

// TestSolveTauPairAndRegType: --tau-a/--tau-b/--reg-type reach
// ot.Unbalanced (same cost as a direct call); a pair differs from one
// tau; bad values are usage errors.
func TestSolveTauPairAndRegType(t *testing.T) {
	xs, _ := data.Parse("moons:40:seed=1")
	ys, _ := data.Parse("8gaussians:30:seed=2")
	p := ot.Problem{X: xs.Points, Y: ys.Points, N: 40, M: 30, D: 2}
	args := []string{"--x", "moons:40:seed=1", "--y", "8gaussians:30:seed=2", "--eps", "0.1", "--method", "unbalanced"}
	for _, c := range []struct {
		tauA, tauB string
		a, b       float64
		reg        ot.UnbalancedReg
	}{{"0.5", "2", 0.5, 2, ot.RegEntropy}, {"0.5", "inf", 0.5, math.Inf(1), ot.RegKL}} {
		got := solveJSON(t, append(args, "--tau-a", c.tauA, "--tau-b", c.tauB, "--reg-type", c.reg.String())...)
		want, err := ot.Unbalanced(compute.NewCPU(0), p, ot.Settings{Eps: 0.1, TauA: c.a, TauB: c.b, UnbalancedReg: c.reg, MaxIter: ot.DefaultMaxIter, Tol: ot.DefaultTol})
		if err != nil {
			t.Fatal(err)
		}
		if g := got["cost"].(float64); math.Abs(g-want.Cost) > 1e-12*want.Cost || got["reg_type"] != c.reg.String() || got["tau_a"] != c.a {
			t.Errorf("tau %s/%s %v: report %v, direct cost %g", c.tauA, c.tauB, c.reg, got, want.Cost)
		}
	}
	one := solveJSON(t, append(args, "--tau", "0.5")...)
	pair := solveJSON(t, append(args, "--tau", "0.5", "--tau-b", "2")...)
	if one["cost"] == pair["cost"] {
		t.Errorf("--tau-b 2 did not change the cost %v", one["cost"])
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--tau-a", "-1"}, "--tau-a -1"},
		{[]string{"--reg-type", "magic"}, "--reg-type \"magic\""},
		{[]string{"--method", "sinkhorn", "--tau-b", "2"}, "apply to --method unbalanced"},
	} {
		code, _, errOut := solveRun(t, append([]string{"--x", "moons:10", "--y", "moons:10", "--method", "unbalanced"}, c.args...)...)
		if code != 2 || !strings.Contains(errOut, c.want) {
			t.Errorf("solve %v: exit %d, %q; want 2 and %q", c.args, code, errOut, c.want)
		}
	}
}
