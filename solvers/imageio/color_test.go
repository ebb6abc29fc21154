package imageio

import (
	"math"
	"testing"
)

func TestLabKnownValues(t *testing.T) {
	// Reference values: B. Lindbloom's colour calculator (sRGB, D65, the
	// same primaries matrix), brucelindbloom.com; white and black by
	// definition.
	cases := []struct{ rgb, lab [3]float64 }{
		{[3]float64{1, 1, 1}, [3]float64{100, 0, 0}},
		{[3]float64{0, 0, 0}, [3]float64{0, 0, 0}},
		{[3]float64{1, 0, 0}, [3]float64{53.2408, 80.0925, 67.2032}},
		{[3]float64{0, 1, 0}, [3]float64{87.7347, -86.1827, 83.1793}},
		{[3]float64{0, 0, 1}, [3]float64{32.2970, 79.1875, -107.8602}},
	}
	for _, c := range cases {
		got := RGBToLab(c.rgb)
		for k := range got {
			if math.Abs(got[k]-c.lab[k]) > 2e-4*max(1, math.Abs(c.lab[k])) {
				t.Errorf("RGBToLab(%v) = %v, want %v", c.rgb, got, c.lab)
				break
			}
		}
	}
	if w := RGBToLab([3]float64{1, 1, 1}); math.Abs(w[1]) > 1e-12 || math.Abs(w[2]) > 1e-12 || math.Abs(w[0]-100) > 1e-12 {
		t.Errorf("white = %v, want exactly (100, 0, 0)", w)
	}
}

func TestLabRoundTrip(t *testing.T) {
	img, _ := New(16, 16)
	for i := range img.Pix {
		img.Pix[i] = float64((i*7919)%1000) / 999
	}
	lab, err := img.Convert(RGB, Lab)
	if err != nil {
		t.Fatal(err)
	}
	back, err := lab.Convert(Lab, RGB)
	if err != nil {
		t.Fatal(err)
	}
	for i := range img.Pix {
		if math.Abs(back.Pix[i]-img.Pix[i]) > 1e-12 {
			t.Fatalf("Lab round trip: Pix[%d] = %.15g, want %.15g", i, back.Pix[i], img.Pix[i])
		}
	}
	// Not 0.04045: the standard's two thresholds disagree there by 3e-8.
	for _, s := range []float64{0, 0.002, 0.0404, 0.041, 0.5, 1} {
		if v := LinearToSRGB(SRGBToLinear(s)); math.Abs(v-s) > 1e-14 {
			t.Errorf("sRGB gamma round trip of %g = %g", s, v)
		}
	}
	if _, err := img.Convert("hsv", RGB); err == nil {
		t.Error("Convert from an unknown space returned no error")
	}
}
