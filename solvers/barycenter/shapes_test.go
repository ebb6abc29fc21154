package barycenter

import (
	"errors"
	"math"
	"testing"

	"github.com/otplay/otplay/compute"
)

// TestShapes: every built-in shape has mass 1, no negative pixel, and its
// own picture; unknown names and bad sizes are refused.
func TestShapes(t *testing.T) {
	seen := map[string]string{}
	for _, name := range ShapeNames {
		img, err := Shape(name, 32)
		if err != nil {
			t.Fatal(err)
		}
		s, key := 0.0, ""
		for _, v := range img {
			if v < 0 {
				t.Fatalf("%s: negative pixel", name)
			}
			s += v
			if v > 0 {
				key += "1"
			} else {
				key += "0"
			}
		}
		if math.Abs(s-1) > 1e-12 {
			t.Errorf("%s: mass %g", name, s)
		}
		if other, dup := seen[key]; dup {
			t.Errorf("%s has the support of %s", name, other)
		}
		seen[key] = name
	}
	for _, bad := range []struct {
		name string
		size int
	}{{"blob", 32}, {"digit12", 32}, {"disc", 1}, {"disc", MaxShapeSide + 1}} {
		if _, err := Shape(bad.name, bad.size); !errors.Is(err, ErrBadInput) {
			t.Errorf("Shape(%q, %d): err = %v", bad.name, bad.size, err)
		}
	}
}

// TestSquareWeights: the corners are one-hot, every cell sums to 1, and
// the centre of a 3 x 3 square weighs the corners equally.
func TestSquareWeights(t *testing.T) {
	w := SquareWeights(3)
	if len(w) != 9 {
		t.Fatalf("%d cells", len(w))
	}
	for i, c := range []int{0, 2, 6, 8} {
		for k := range 4 {
			want := 0.0
			if k == i {
				want = 1
			}
			if w[c][k] != want {
				t.Errorf("corner %d: weights %v", c, w[c])
			}
		}
	}
	for _, ws := range w {
		if math.Abs(ws[0]+ws[1]+ws[2]+ws[3]-1) > 1e-15 {
			t.Errorf("weights %v do not sum to 1", ws)
		}
	}
	for _, v := range w[4] {
		if v != 0.25 {
			t.Errorf("centre weights %v", w[4])
		}
	}
}

// BenchmarkConvolutionalShapes is one barycenter of four 32 x 32 shapes
// (the page's default) on the float64 CPU backend.
func BenchmarkConvolutionalShapes(b *testing.B) {
	var imgs []float64
	for _, n := range []string{"disc", "square", "cross", "ring"} {
		s, err := Shape(n, 32)
		if err != nil {
			b.Fatal(err)
		}
		imgs = append(imgs, s...)
	}
	p := Images{Images: imgs, K: 4, H: 32, W: 32}
	be := compute.NewCPU(0)
	for b.Loop() {
		r, err := Convolutional(be, p, Settings{Eps: 0.004})
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(r.Iterations), "iters")
	}
}
