package ot_test

import (
	"fmt"

	"github.com/otplay/otplay/compute"
	"github.com/otplay/otplay/solvers/ot"
)

// Two points to two points on a line. Every coupling is
// [[p, 1/2-p], [1/2-p, p]]; the entropic optimum has
// p/(1/2-p) = exp((C01 + C10 - C00 - C11) / (2 eps)) = exp(2.2) here, so
// p = 0.450125, 1/2-p = 0.049875 and <P, C> = 0.13 p + 2.33 (1/2-p) =
// 0.174726. (At eps = 0.1 the ratio would be exp(11) and Sinkhorn would
// contract by only 1 - 4 exp(-11) per iteration: small eps on a
// near-permutation plan is slow, as theory says.)
func ExampleSinkhorn() {
	b := compute.NewCPU(0)
	p := ot.Problem{X: []float64{0, 1}, Y: []float64{0.2, 1.3}, N: 2, M: 2, D: 1}
	r, err := ot.Sinkhorn(b, p, ot.Settings{Eps: 0.5, Tol: 1e-12})
	if err != nil {
		fmt.Println(err)
		return
	}
	plan, _ := r.PlanDense(b)
	fmt.Printf("converged %v, cost %.6f\n", r.Converged, r.Cost)
	fmt.Printf("plan [[%.6f %.6f] [%.6f %.6f]]\n", plan[0], plan[1], plan[2], plan[3])
	// Output:
	// converged true, cost 0.174726
	// plan [[0.450125 0.049875] [0.049875 0.450125]]
}

// Stepping a Solver one iteration at a time, as the browser UI animates
// it, with a residual check after every iteration.
func ExampleSolver() {
	b := compute.NewCPU(0)
	p := ot.Problem{X: []float64{0, 1, 2}, Y: []float64{0.5, 3}, N: 3, M: 2, D: 1}
	sv, err := ot.NewSolver(b, p, ot.Settings{Eps: 0.5, CheckEvery: 1, Tol: 1e-8})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer sv.Close()
	for !sv.Converged() && sv.Iterations() < 100 {
		if err := sv.Step(1); err != nil {
			fmt.Println(err)
			return
		}
	}
	res, _ := sv.Errors()
	f, g, _ := sv.Potentials()
	r, _ := sv.Result()
	fmt.Printf("%d iterations, first residual %.3f, last below 1e-8: %v\n", sv.Iterations(), res[0], res[len(res)-1] < 1e-8)
	fmt.Printf("%d + %d potentials, <a,F> + <b,G> = OT_eps: %v\n", len(f), len(g), closeTo(dual(f, g, 3, 2), r.Objective))
	// Output:
	// 52 iterations, first residual 0.369, last below 1e-8: true
	// 3 + 2 potentials, <a,F> + <b,G> = OT_eps: true
}

func dual(f, g []float64, n, m int) float64 {
	s := 0.0
	for _, v := range f {
		s += v / float64(n)
	}
	for _, v := range g {
		s += v / float64(m)
	}
	return s
}

func closeTo(a, b float64) bool { return a-b < 1e-7 && b-a < 1e-7 }
