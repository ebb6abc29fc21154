package ui

import (
	"math"
	"testing"

	"github.com/otplay/otplay/play"
)

// Hovering: the pick finds the point drawn under the mouse, and none far
// outside the canvas.
func TestHoverPick(t *testing.T) {
	st, _ := OTSchema.DecodeQuery("n=25&m=20&eps=0.05")
	prob, _ := OTProblem(st)
	fig := play.OTPlanFigure(prob, nil, nil)
	px, py := fig.Transform().Apply(prob.Y[7*2], prob.Y[7*2+1])
	if h, ok := hoverPick(fig, prob, px+1, py-1); !ok || h != (otHover{"y", 7}) {
		t.Errorf("pick at y_7: %+v %v", h, ok)
	}
	if _, ok := hoverPick(fig, prob, -100, -100); ok {
		t.Error("picked a point far outside the canvas")
	}
	if qx, qy := OTPlanPixel(prob, "y", 7); qx != px || qy != py {
		t.Errorf("OTPlanPixel(y, 7) = (%g, %g), drawn at (%g, %g)", qx, qy, px, py)
	}
}

func TestTransformInverse(t *testing.T) {
	st, _ := OTSchema.DecodeQuery("n=25&m=20")
	prob, _ := OTProblem(st)
	tr := play.OTPlanFigure(prob, nil, nil).Transform()
	for _, z := range [][2]float64{{0, 0}, {1.5, -2}, {-3, 0.25}} {
		px, py := tr.Apply(z[0], z[1])
		x, y := tr.Inverse(px, py)
		if math.Abs(x-z[0]) > 1e-12 || math.Abs(y-z[1]) > 1e-12 {
			t.Errorf("Inverse(Apply(%v)) = (%g, %g)", z, x, y)
		}
	}
}
