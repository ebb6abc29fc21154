package sliced_test

import (
	"fmt"

	"github.com/otplay/otplay/compute"
	"github.com/otplay/otplay/solvers/sliced"
)

// Two clouds that differ by the shift (3, 4): every projection moves by
// theta . (3, 4), so SW_2^2 averages (theta . delta)^2 over the circle,
// |delta|^2 / 2 = 12.5, and the QMC directions get it nearly exactly.
func ExampleDistance() {
	x := []float64{0, 0, 1, 0, 0, 1, 1, 1}
	y := []float64{3, 4, 4, 4, 3, 5, 4, 5}
	r, err := sliced.Distance(compute.NewCPU(1),
		sliced.Measure{Points: x, N: 4, D: 2}, sliced.Measure{Points: y, N: 4, D: 2},
		sliced.Settings{Projections: 100, Sampling: sliced.QMC})
	if err != nil {
		panic(err)
	}
	fmt.Printf("SW_2^2 = %.4f (%s)\n", r.SW*r.SW, r.Path)
	// Output: SW_2^2 = 12.5000 (device)
}
