package barycenter_test

import (
	"fmt"

	"github.com/otplay/otplay/compute"
	"github.com/otplay/otplay/solvers/barycenter"
)

// The entropic barycenter of two bumps on a line sits halfway between
// them, with mass 1.
func ExampleEntropic() {
	n := 101
	support := make([]float64, n)
	hists := make([]float64, 2*n)
	for i := range support {
		support[i] = float64(i) / float64(n-1)
	}
	hists[20], hists[21], hists[22] = 0.25, 0.5, 0.25       // a bump at 0.21
	hists[n+70], hists[n+71], hists[n+72] = 0.25, 0.5, 0.25 // a bump at 0.71
	r, err := barycenter.Entropic(barycenter.Histograms{Hists: hists, K: 2, N: n, Support: support, D: 1},
		barycenter.Settings{Eps: 1e-3, Tol: 1e-8})
	if err != nil {
		fmt.Println(err)
		return
	}
	mean, mass := 0.0, 0.0
	for i, b := range r.Barycenter {
		mean, mass = mean+b*support[i], mass+b
	}
	fmt.Printf("mean %.3f, mass %.3f, converged %v\n", mean, mass, r.Converged)
	// Output: mean 0.460, mass 1.000, converged true
}

// A 3 x 3 square of barycenters of four shapes (Solomon et al. 2015,
// Fig. 1): the centre cell weighs each corner 1/4.
func ExampleConvolutional() {
	var imgs []float64
	for _, name := range []string{"disc", "square", "cross", "ring"} {
		img, _ := barycenter.Shape(name, 16)
		imgs = append(imgs, img...)
	}
	be := compute.NewCPU(1)
	for i, w := range barycenter.SquareWeights(3) {
		r, err := barycenter.Convolutional(be, barycenter.Images{Images: imgs, K: 4, H: 16, W: 16, Weights: w}, barycenter.Settings{Eps: 0.01})
		if err != nil {
			fmt.Println(err)
			return
		}
		if i == 4 {
			fmt.Printf("centre cell: weights %v, converged %v\n", w, r.Converged)
		}
	}
	// Output: centre cell: weights [0.25 0.25 0.25 0.25], converged true
}

// The free-support barycenter of two Diracs is the Dirac at their
// weighted mean.
func ExampleFreeSupport() {
	r, err := barycenter.FreeSupport(barycenter.Clouds{Clouds: [][]float64{{1, 2}, {3, -2}}, D: 2, Weights: []float64{0.25, 0.75}, N: 1}, barycenter.Settings{})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(r.Barycenter, r.Iterations)
	// Output: [2.5 -1] 2
}
