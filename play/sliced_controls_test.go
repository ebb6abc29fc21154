package play

import (
	"context"
	"math"
	"sort"
	"testing"

	"github.com/otplay/otplay/compute"
	"github.com/otplay/otplay/solvers/sliced"
)

// independentSWp is SW_p for equal sizes written out: per direction, sort
// both projections and average |difference|^p; then the mean's 1/p power.
func independentSWp(x, y sliced.Measure, theta []float64, p float64) float64 {
	d, L := x.D, len(theta)/x.D
	total := 0.0
	for l := 0; l < L; l++ {
		px, py := make([]float64, x.N), make([]float64, y.N)
		for i := range px {
			for k := 0; k < d; k++ {
				px[i] += x.Points[i*d+k] * theta[l*d+k]
				py[i] += y.Points[i*d+k] * theta[l*d+k]
			}
		}
		sort.Float64s(px)
		sort.Float64s(py)
		for i := range px {
			total += math.Pow(math.Abs(px[i]-py[i]), p) / float64(x.N)
		}
	}
	return math.Pow(total/float64(L), 1/p)
}

// p = 1 and 1.5 give SW_p of the same directions (written out
// independently); the state round-trips p and max.
func TestSlicedOrder(t *testing.T) {
	for _, p := range []string{"1", "1.5", "2"} {
		s := slicedOf(t, "x=gaussian&y=moons&n=90&m=90&L=30&seed=2&backend=cpu&max=yes&p="+p)
		if st, err := s.State(); err != nil || slicedOf(t, st.Encode()) != s {
			t.Fatalf("p=%s: state %v does not round-trip", p, err)
		}
		s.Max = false
		run, err := s.Start(context.Background(), compute.NewCPU(1), func(Progress) {})
		if err != nil {
			t.Fatal(err)
		}
		f, err := run.Step(context.Background(), 0, false)
		run.Close()
		if err != nil {
			t.Fatal(err)
		}
		x, y, _ := s.Measures()
		want := independentSWp(x, y, f.Result.Directions, s.P)
		t.Logf("p = %s: SW_p = %.12g (independent %.12g)", p, f.SW, want)
		if f.P != s.P || math.Abs(f.SW-want) > 1e-12*want || f.Curve.Curves[0].Label != "running SW_"+p {
			t.Errorf("p=%s: frame P %g SW %.15g, independent %.15g, curve %q", p, f.P, f.SW, want, f.Curve.Curves[0].Label)
		}
	}
}

// max=yes shows sliced.Max's max-SW_2 and draws its direction: the value
// equals sliced.Max's with the same settings, is at least every random
// direction's W_2 and SW_2, and the view's red line runs along it.
func TestSlicedMax(t *testing.T) {
	cpu := compute.NewCPU(1)
	s := slicedOf(t, "x=gaussian&y=moons&n=100&m=80&L=50&seed=1&max=yes&backend=cpu")
	run, err := s.Start(context.Background(), cpu, func(Progress) {})
	if err != nil {
		t.Fatal(err)
	}
	defer run.Close()
	f, err := run.Step(context.Background(), 0, false)
	if err != nil {
		t.Fatal(err)
	}
	x, y, _ := s.Measures()
	want, err := sliced.Max(cpu, x, y, s.MaxSettings())
	if err != nil {
		t.Fatal(err)
	}
	best := 0.0
	for _, w := range f.Result.PerDirection {
		best = math.Max(best, math.Sqrt(w))
	}
	t.Logf("max-SW_2 = %.9g along %.4g (sliced.Max %.9g); SW_2 = %.6g, best of %d random directions %.6g", f.MaxSW, f.MaxDirection, want.MaxSW, f.SW, f.L, best)
	if math.Abs(f.MaxSW-want.MaxSW) > 1e-12*want.MaxSW || f.MaxSW < best || f.MaxSW < f.SW {
		t.Errorf("max-SW_2 %.12g, sliced.Max %.12g, best random %.12g, SW_2 %.12g", f.MaxSW, want.MaxSW, best, f.SW)
	}
	red := f.View.Lines[len(f.View.Lines)-1]
	dx, dy := red.Segs[2]-red.Segs[0], red.Segs[3]-red.Segs[1]
	if red.Color != "#d62728" || math.Abs(dx*f.MaxDirection[1]-dy*f.MaxDirection[0]) > 1e-9*math.Hypot(dx, dy) {
		t.Errorf("red line %v is not along %v", red.Segs, f.MaxDirection)
	}
	if plain := slicedOf(t, "n=20&m=20&L=5&backend=cpu"); plain.Max {
		t.Error("max defaults to yes")
	}
}
