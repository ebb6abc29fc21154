package barycenter

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/otplay/otplay/solvers/data"
)

// ShapeNames lists the built-in shapes of Shape: geometric figures and
// the digits 0-9 (the first image of each class of the UCI digits set of
// solvers/data, 8 x 8, resampled).
var ShapeNames = []string{"disc", "ring", "square", "cross", "triangle", "heart",
	"digit0", "digit1", "digit2", "digit3", "digit4", "digit5", "digit6", "digit7", "digit8", "digit9"}

// MaxShapeSide bounds Shape's side.
const MaxShapeSide = 512

// Shape returns the named shape as a size x size image of mass 1,
// row-major, row 0 at the top: the classic inputs of convolutional
// barycenters (Solomon et al. 2015, Fig. 1). Geometric shapes are
// indicator functions on [-1, 1]^2 averaged over 3 x 3 samples per pixel
// (anti-aliased edges); digits are the 8 x 8 grey levels resampled
// bilinearly.
func Shape(name string, size int) ([]float64, error) {
	if size < 2 || size > MaxShapeSide {
		return nil, badInput("shape side %d: want 2..%d", size, MaxShapeSide)
	}
	name = strings.ToLower(strings.TrimSpace(name))
	var img []float64
	if d, ok := strings.CutPrefix(name, "digit"); ok {
		k, err := strconv.Atoi(d)
		if err != nil || k < 0 || k > 9 {
			return nil, badInput("shape %q: digits are digit0 .. digit9", name)
		}
		if img, err = digitImage(k, size); err != nil {
			return nil, err
		}
	} else {
		inside := shapeIndicators[name]
		if inside == nil {
			return nil, badInput("unknown shape %q (known: %s)", name, strings.Join(ShapeNames, ", "))
		}
		img = make([]float64, size*size)
		const ss = 3
		for i := 0; i < size; i++ {
			for j := 0; j < size; j++ {
				c := 0
				for a := 0; a < ss; a++ {
					for b := 0; b < ss; b++ {
						y := 2*(float64(i)+(float64(a)+0.5)/ss)/float64(size) - 1
						x := 2*(float64(j)+(float64(b)+0.5)/ss)/float64(size) - 1
						if inside(x, y) {
							c++
						}
					}
				}
				img[i*size+j] = float64(c) / ss / ss
			}
		}
	}
	s := 0.0
	for _, v := range img {
		s += v
	}
	if !(s > 0) {
		return nil, badInput("shape %q has no mass at side %d", name, size)
	}
	for i := range img {
		img[i] /= s
	}
	return img, nil
}

// shapeIndicators are the geometric shapes on [-1, 1]^2, y pointing down.
var shapeIndicators = map[string]func(x, y float64) bool{
	"disc": func(x, y float64) bool { return math.Hypot(x, y) < 0.6 },
	"ring": func(x, y float64) bool { r := math.Hypot(x, y); return r > 0.45 && r < 0.75 },
	"square": func(x, y float64) bool {
		return math.Max(math.Abs(x), math.Abs(y)) < 0.55
	},
	"cross": func(x, y float64) bool {
		return (math.Abs(x) < 0.2 && math.Abs(y) < 0.75) || (math.Abs(y) < 0.2 && math.Abs(x) < 0.75)
	},
	"triangle": func(x, y float64) bool {
		// Apex (0, -0.7), base y = 0.6 from x = -0.75 to 0.75.
		return y < 0.6 && y > -0.7 && math.Abs(x) < 0.75*(y+0.7)/1.3
	},
	"heart": func(x, y float64) bool {
		// (x^2 + y^2 - 1)^3 - x^2 y^3 < 0, y up, scaled to fit.
		u, v := x/0.75, -y/0.75+0.1
		q := u*u + v*v - 1
		return q*q*q-u*u*v*v*v < 0
	},
}

func digitImage(k, size int) ([]float64, error) {
	px, labels, err := data.Digits()
	if err != nil {
		return nil, err
	}
	i := slices.Index(labels, k)
	if i < 0 {
		return nil, fmt.Errorf("barycenter: no digit %d in the digits set", k)
	}
	src := px[i*64 : (i+1)*64]
	img := make([]float64, size*size)
	for r := 0; r < size; r++ {
		for c := 0; c < size; c++ {
			// Pixel centres: source coordinates in [0, 7].
			y := math.Max(0, math.Min(7, (float64(r)+0.5)*8/float64(size)-0.5))
			x := math.Max(0, math.Min(7, (float64(c)+0.5)*8/float64(size)-0.5))
			y0, x0 := int(y), int(x)
			y1, x1 := min(y0+1, 7), min(x0+1, 7)
			fy, fx := y-float64(y0), x-float64(x0)
			at := func(a, b int) float64 { return (src[a*8+b] + 1) / 2 } // [-1, 1] -> [0, 1]
			img[r*size+c] = (1-fy)*((1-fx)*at(y0, x0)+fx*at(y0, x1)) + fy*((1-fx)*at(y1, x0)+fx*at(y1, x1))
		}
	}
	return img, nil
}

// SquareWeights returns the bilinear weights of an n x n square of
// interpolations between four corners (top-left, top-right, bottom-left,
// bottom-right), row-major: cell (i, j) has weights
// ((1-s)(1-t), (1-s)t, s(1-t), st) with s = i/(n-1), t = j/(n-1), the
// layout of Solomon et al. 2015, Fig. 1. n must be >= 2.
func SquareWeights(n int) [][]float64 {
	w := make([][]float64, 0, n*n)
	for i := 0; i < n; i++ {
		s := float64(i) / float64(n-1)
		for j := 0; j < n; j++ {
			t := float64(j) / float64(n-1)
			w = append(w, []float64{(1 - s) * (1 - t), (1 - s) * t, s * (1 - t), s * t})
		}
	}
	return w
}
