package play

import (
	"context"
	"math"
	"sort"
	"strings"
	"testing"

	"github.com/otplay/otplay/compute"
	"github.com/otplay/otplay/compute/webgpu/gputest"
	"github.com/otplay/otplay/figure"
	"github.com/otplay/otplay/solvers/sliced"
)

// independentSW is SW_2 for equal sizes written out: for each direction,
// sort both projections and average the squared differences (the
// monotone coupling of uniform measures with N == M).
func independentSW(x, y sliced.Measure, theta []float64) float64 {
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
		w := 0.0
		for i := range px {
			w += (px[i] - py[i]) * (px[i] - py[i])
		}
		total += w / float64(x.N)
	}
	return math.Sqrt(total / float64(L))
}

func slicedOf(t *testing.T, query string) Sliced {
	t.Helper()
	return typed(t, SlicedSchema, ParseSliced, query)
}

func TestSlicedRunCPU(t *testing.T) {
	s := slicedOf(t, "x=gaussian&y=moons&n=120&m=120&L=40&seed=3&backend=cpu")
	run, err := s.Start(context.Background(), compute.NewCPU(1), func(Progress) {})
	if err != nil {
		t.Fatal(err)
	}
	defer run.Close()
	f, err := run.Step(context.Background(), 0, false)
	if err != nil {
		t.Fatal(err)
	}
	x, y, _ := s.Measures()
	want := independentSW(x, y, f.Result.Directions)
	if math.Abs(f.SW-want) > 1e-12*want || len(f.Running) != 40 || f.Running[39] != f.SW {
		t.Errorf("SW %.15g, independent %.15g; running %d values ending %g", f.SW, want, len(f.Running), f.Running[len(f.Running)-1])
	}
	// Steps move the shown direction, modulo L; its W_2^2 is that entry
	// of PerDirection.
	shown := 0
	for _, k := range []int{7, -8, 2} {
		if f, err = run.Step(context.Background(), k, false); err != nil {
			t.Fatal(err)
		}
		shown = ((shown+k)%40 + 40) % 40
		if f.Shown != shown || math.Abs(f.ShownW2Sq-f.Result.PerDirection[shown]) > 1e-12 {
			t.Errorf("step %d: shown %d (want %d), W2^2 %g, want %g", k, f.Shown, shown, f.ShownW2Sq, f.Result.PerDirection[shown])
		}
	}
	// The view: both clouds, their projections, the plan (N == M,
	// uniform: N matches) and the direction.
	v := f.View
	if len(v.Points) != 4 || len(v.Points[2].XY) != 240 || len(v.Lines[0].Segs)/4 != 120 || len(v.Lines[1].Segs) != 4 {
		t.Errorf("view: %d point sets, %d projections, %d plan lines", len(v.Points), len(v.Points[2].XY)/2, len(v.Lines[0].Segs)/4)
	}
	var rec figure.Recorder
	if err := v.Draw(&rec); err != nil {
		t.Error(err)
	}
	e, err := f.Export("L=40")
	if err != nil || e.Shown.Index != shown || len(e.PerDirection) != 40 || len(e.Shown.Mass) != 120 || e.Query != "L=40" {
		t.Errorf("export: %v, shown %d, %d directions, %d plan entries", err, e.Shown.Index, len(e.PerDirection), len(e.Shown.Mass))
	}
}

// Too many directions for the page's budget: refused with the reason.
func TestSlicedTooMuchWork(t *testing.T) {
	st, _ := SlicedSchema.DecodeQuery("n=4096&m=4096&L=2000&backend=cpu")
	if _, err := ParseSliced(st); err == nil || !strings.Contains(err.Error(), "L*(n+m)") {
		t.Errorf("oversized: %v", err)
	}
	q := "L=7&n=50&sampling=qmc"
	if st, err := slicedOf(t, q).State(); err != nil || st.Encode() != q {
		t.Errorf("State() = %q, %v; want %q", st.Encode(), err, q)
	}
}

// The distance on lavapipe agrees with the CPU's to 1e-4.
func TestSlicedRunGPUAgreement(t *testing.T) {
	gpu := gputest.Backend(t)
	s := slicedOf(t, "x=8gaussians&y=circles&n=300&m=257&L=64&sampling=qmc&seed=1")
	var sw [2]float64
	for i, b := range []compute.Backend{compute.NewCPU(0), gpu} {
		run, err := s.Start(context.Background(), b, func(Progress) {})
		if err != nil {
			t.Fatal(err)
		}
		f, err := run.Step(context.Background(), 0, false)
		run.Close()
		if err != nil {
			t.Fatal(err)
		}
		sw[i] = f.SW
	}
	t.Logf("SW CPU %.9g GPU %.9g", sw[0], sw[1])
	if math.Abs(sw[1]-sw[0]) > 1e-4*sw[0] {
		t.Errorf("GPU SW %.9g vs CPU %.9g", sw[1], sw[0])
	}
}
