package imageio

import (
	"math"
	"testing"
)

// ramp returns an image whose channel c at (x, y) is a + bx*x + by*y + c.
func ramp(w, h int, a, bx, by float64) *Image {
	img, _ := New(w, h)
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			for c := 0; c < 3; c++ {
				img.Pix[(y*w+x)*3+c] = a + bx*float64(x) + by*float64(y) + float64(c)
			}
		}
	}
	return img
}

func TestResizeConstantAndRamp(t *testing.T) {
	src := ramp(40, 30, 0.5, 0.01, -0.02)
	// Sizes where the sampled triangle is symmetric about every output
	// centre: enlarging (two taps, 1-d and d) and shrinking by integers.
	for _, s := range [][2]int{{20, 15}, {10, 10}, {80, 60}, {97, 41}, {40, 30}} {
		dst, err := Resize(src, s[0], s[1])
		if err != nil {
			t.Fatal(err)
		}
		sx, sy := 40/float64(s[0]), 30/float64(s[1])
		// A symmetric filter reproduces a linear function exactly where its
		// support lies inside the image: check the interior.
		mx, my := int(math.Ceil(2/sx))+1, int(math.Ceil(2/sy))+1
		for y := my; y < s[1]-my; y++ {
			for x := mx; x < s[0]-mx; x++ {
				cx, cy := (float64(x)+0.5)*sx-0.5, (float64(y)+0.5)*sy-0.5
				for c := 0; c < 3; c++ {
					want := 0.5 + 0.01*cx - 0.02*cy + float64(c)
					if got := dst.Pix[(y*s[0]+x)*3+c]; math.Abs(got-want) > 1e-12 {
						t.Fatalf("Resize to %v: (%d,%d,%d) = %.15g, want %.15g", s, x, y, c, got, want)
					}
				}
			}
		}
	}
	flat, _ := New(17, 9)
	for i := range flat.Pix {
		flat.Pix[i] = 0.3
	}
	for _, s := range [][2]int{{5, 3}, {50, 31}, {1, 9}} {
		dst, err := Resize(flat, s[0], s[1])
		if err != nil {
			t.Fatal(err)
		}
		for i, v := range dst.Pix {
			if math.Abs(v-0.3) > 1e-15 {
				t.Fatalf("Resize of a constant image to %v: Pix[%d] = %g", s, i, v)
			}
		}
	}
	if _, err := Resize(src, 0, 5); err == nil {
		t.Error("Resize to 0 x 5 returned no error")
	}
	if _, err := Resize(src, MaxSide+1, 5); err == nil {
		t.Error("Resize beyond MaxSide returned no error")
	}
}

func TestResizeHalvingAveragesPairs(t *testing.T) {
	// Shrinking by exactly 2 with the stretched triangle puts weights
	// (1, 3, 3, 1)/8 on the four nearest samples (Pillow's BILINEAR).
	src, _ := New(8, 1)
	for x := 0; x < 8; x++ {
		for c := 0; c < 3; c++ {
			src.Pix[x*3+c] = float64(x * x)
		}
	}
	dst, _ := Resize(src, 4, 1)
	want := (1*9.0 + 3*16 + 3*25 + 1*36) / 8 // output 2 covers inputs 3..6 (centre 4.5)
	if got := dst.Pix[2*3]; math.Abs(got-want) > 1e-12 {
		t.Errorf("halved sample 2 = %g, want %g", got, want)
	}
}
