package kernel

import (
	"errors"
	"math"
	"testing"

	"github.com/otplay/otplay/compute"
)

// TestGridConvolverBruteForce: Apply on a 5 x 7 grid with different
// spacings per axis equals the direct log-sum-exp over all pixel pairs,
// log sum_q exp(l_q - |p - q|^2 / eps), to 1e-12 on the float64 CPU, with
// dst aliasing the input.
func TestGridConvolverBruteForce(t *testing.T) {
	be := compute.NewCPU(1)
	h, w, sh, sw, eps := 5, 7, 0.25, 1.0/6, 0.05
	l := make([]float64, h*w)
	for i := range l {
		l[i] = math.Sin(float64(3*i)) * 4
	}
	want := make([]float64, h*w)
	for p := range want {
		pi, pj := p/w, p%w
		m, s := math.Inf(-1), 0.0
		terms := make([]float64, h*w)
		for q := range terms {
			di, dj := float64(pi-q/w)*sh, float64(pj-q%w)*sw
			terms[q] = l[q] - (di*di+dj*dj)/eps
			m = math.Max(m, terms[q])
		}
		for _, v := range terms {
			s += math.Exp(v - m)
		}
		want[p] = m + math.Log(s)
	}
	c, err := NewGridConvolver(be, h, w, sh, sw, eps)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Free()
	a, _ := be.Upload(l)
	defer be.Free(a)
	if err := c.Apply(a, a); err != nil {
		t.Fatal(err)
	}
	got := make([]float64, h*w)
	if err := be.Read(got, a); err != nil {
		t.Fatal(err)
	}
	for i := range got {
		if math.Abs(got[i]-want[i]) > 1e-12 {
			t.Fatalf("pixel %d: %.15g, want %.15g", i, got[i], want[i])
		}
	}
	if _, err := NewGridConvolver(be, 4, 4, 0, 0.1, 0.1); !errors.Is(err, ErrBadArgument) {
		t.Errorf("zero spacing: %v", err)
	}
}
