package play

import (
	"errors"
	"fmt"
	"math"

	"github.com/otplay/otplay/compute"
	"github.com/otplay/otplay/figure"
)

// The entropic map of new points on /ot: the reader clicks the plan view
// and the page draws an arrow from each query point z to T(z).

// MaxOTQueries bounds the query points of the entropic map (each is one
// soft-mean over the m targets, on the host).
const MaxOTQueries = 64

// MapPoints evaluates the entropic map estimator of Pooladian and
// Niles-Weed 2021 ("Entropic estimation of optimal transport maps", eq.
// (3)) of the frame's iterate at the query points z (k x 2, row-major),
//
//	T(z) = sum_j w_j(z) y_j,  w_j(z) ∝ b_j exp((g_j - C(z, y_j))/ε),
//
// with the page's cost C = |z - y|^p (ot.Result.Transport), on the host
// CPU backend like Hover. It is defined for the balanced problem (and the
// divergence's OT(a, b)); other methods get an error that says so.
func (f OTFrame) MapPoints(z []float64) ([]float64, error) {
	if f.Result == nil {
		return nil, errors.New("the entropic map: no iterate yet")
	}
	if f.Method != "balanced" && f.Method != "divergence" {
		return nil, fmt.Errorf("the entropic map is the balanced problem's (method %s)", f.Method)
	}
	if len(z) > 2*MaxOTQueries {
		return nil, fmt.Errorf("the entropic map: %d query points, at most %d", len(z)/2, MaxOTQueries)
	}
	if f.Problem.D != 2 {
		return nil, fmt.Errorf("the entropic map: query points are 2-D, the clouds %d-D", f.Problem.D)
	}
	return f.Result.Transport(compute.NewCPU(1), z)
}

// OTMapArrows draws an arrow from each query point z_k to T(z_k): the
// shaft and two barbs (a quarter of the shaft long, at ±25 degrees), and
// the query points themselves.
func OTMapArrows(z, tz []float64) (figure.LineSet, figure.PointSet) {
	segs := make([]float64, 0, 3*2*len(z))
	for k := 0; k+1 < len(z) && k+1 < len(tz); k += 2 {
		x0, y0, x1, y1 := z[k], z[k+1], tz[k], tz[k+1]
		segs = append(segs, x0, y0, x1, y1)
		dx, dy := x0-x1, y0-y1
		for _, a := range []float64{25, -25} {
			c, s := math.Cos(a*math.Pi/180), math.Sin(a*math.Pi/180)
			segs = append(segs, x1, y1, x1+(c*dx-s*dy)/4, y1+(s*dx+c*dy)/4)
		}
	}
	return figure.LineSet{Segs: segs, Color: "#2ca02c", Width: 2, Opacity: 1, Label: "z → T(z), the entropic map"},
		figure.PointSet{XY: append([]float64(nil), z...), Color: "#2ca02c", Radius: 4, Label: "query points z"}
}
