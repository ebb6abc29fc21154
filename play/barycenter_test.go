package play

import (
	"context"
	"math"
	"strings"
	"testing"

	"github.com/otplay/otplay/compute"
	"github.com/otplay/otplay/compute/webgpu/gputest"
	"github.com/otplay/otplay/solvers/barycenter"
)

func barycenterOf(t *testing.T, query string) Barycenter {
	t.Helper()
	return typed(t, BarycenterSchema, ParseBarycenter, query)
}

// centroid is the centre of mass (row, column) of an s x s image.
func centroid(img []float64, s int) (float64, float64) {
	var r, c, m float64
	for i := 0; i < s; i++ {
		for j := 0; j < s; j++ {
			v := img[i*s+j]
			r, c, m = r+v*float64(i), c+v*float64(j), m+v
		}
	}
	return r / m, c / m
}

// runAll steps a run one cell at a time to the end, checking that each
// step adds one cell and that the view stays valid.
func runAll(t *testing.T, b Barycenter, be compute.Backend) BarycenterFrame {
	t.Helper()
	run, err := b.Start(context.Background(), be, func(Progress) {})
	if err != nil {
		t.Fatal(err)
	}
	defer run.Close()
	var f BarycenterFrame
	for step := 0; ; step++ {
		if f, err = run.Step(context.Background(), 1, true); err != nil {
			t.Fatal(err)
		}
		if f.Done != min(step+1, f.Total) {
			t.Fatalf("step %d: %d cells done", step, f.Done)
		}
		if err := f.View.Validate(); err != nil {
			t.Fatal(err)
		}
		if f.Finished() {
			return f
		}
	}
}

// TestBarycenterPageSquare: a 3 x 3 square of four 12 x 12 shapes on the
// float64 CPU. Every cell converges; each cell's centre of mass is the
// weighted mean of the corners' (W2 barycenters preserve the mean:
// exactly for the optimal barycenter, within a few hundredths of a pixel
// for the entropic one on a bounded grid); the centre cell is the
// barycenter with weights (1/4, 1/4, 1/4, 1/4).
func TestBarycenterPageSquare(t *testing.T) {
	b := barycenterOf(t, "a=disc&b=triangle&c=cross&d=heart&n=3&size=12&eps=0.01&backend=cpu")
	f := runAll(t, b, compute.NewCPU(1))
	if f.Total != 9 || f.Rows != 3 || f.Cols != 3 || !f.Converged {
		t.Fatalf("frame: %d cells in %d x %d, converged %v (%s)", f.Total, f.Rows, f.Cols, f.Converged, f.LastStatus)
	}
	var cr, cc [4]float64
	for k, name := range b.Shapes() {
		img, _ := barycenter.Shape(name, 12)
		cr[k], cc[k] = centroid(img, 12)
	}
	worst := 0.0
	for i, w := range f.Weights {
		r, c := centroid(f.Barycenters[i], 12)
		var wr, wc float64
		for k := range w {
			wr, wc = wr+w[k]*cr[k], wc+w[k]*cc[k]
		}
		worst = math.Max(worst, math.Max(math.Abs(r-wr), math.Abs(c-wc)))
	}
	t.Logf("%d iterations in all; worst centre-of-mass error %.3g pixel; worst err %.3g, marginal %.3g", f.Iterations, worst, f.WorstErr, f.WorstMarginal)
	if worst > 0.1 {
		t.Errorf("centre of mass off the weighted mean by %.3g pixel", worst)
	}
	if f.Weights[4][0] != 0.25 || f.LastCell != 8 {
		t.Errorf("centre weights %v, last cell %d", f.Weights[4], f.LastCell)
	}
}

// TestBarycenterPageLayouts: two shapes give one row of n cells, three a
// triangle of n(n+1)/2; d without c is refused; the URL round-trips.
func TestBarycenterPageLayouts(t *testing.T) {
	b := barycenterOf(t, "a=digit3&b=digit8&c=none&d=none&n=4&size=8&eps=0.02&backend=cpu")
	f := runAll(t, b, compute.NewCPU(1))
	if f.Rows != 1 || f.Cols != 4 || f.Total != 4 {
		t.Errorf("two shapes: %d x %d, %d cells", f.Rows, f.Cols, f.Total)
	}
	tri := barycenterOf(t, "c=ring&d=none&n=4")
	w, rows, cols := tri.Cells()
	got := 0
	for _, c := range w {
		if c != nil {
			got++
			if math.Abs(c[0]+c[1]+c[2]-1) > 1e-15 || c[0] < 0 {
				t.Errorf("triangle weights %v", c)
			}
		}
	}
	if rows != 4 || cols != 4 || got != 10 {
		t.Errorf("triangle: %d x %d with %d cells, want 10", rows, cols, got)
	}
	st, err := BarycenterSchema.Decode(map[string][]string{"c": {"none"}, "d": {"ring"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ParseBarycenter(st); err == nil {
		t.Error("c = none with d = ring accepted")
	}
	s, err := b.State()
	if err != nil {
		t.Fatal(err)
	}
	if back := barycenterOf(t, s.Encode()); back != b {
		t.Errorf("round trip: %+v, want %+v", back, b)
	}
}

// TestBarycenterPageGPU: the default page's first cell (the top-left
// corner, weights (1, 0, 0, 0)) on the GPU agrees with the float64 CPU
// within 1e-4 of the largest pixel (measured 1e-6 on lavapipe).
func TestBarycenterPageGPU(t *testing.T) {
	gpu := gputest.Backend(t)
	b := barycenterOf(t, "size=16&n=2&backend=gpu")
	var cells [2][]float64
	for i, be := range []compute.Backend{gpu, compute.NewCPU(1)} {
		run, err := b.Start(context.Background(), be, func(Progress) {})
		if err != nil {
			t.Fatal(err)
		}
		f, err := run.Step(context.Background(), 1, false)
		if err != nil {
			t.Fatal(err)
		}
		cells[i] = f.Barycenters[0]
	}
	top, d := 0.0, 0.0
	for i := range cells[1] {
		top = math.Max(top, cells[1][i])
		d = math.Max(d, math.Abs(cells[0][i]-cells[1][i]))
	}
	t.Logf("GPU vs CPU: %.2e of the largest pixel", d/top)
	if d/top > 1e-4 {
		t.Errorf("GPU cell differs from the CPU by %.3g of its maximum", d/top)
	}
}

// size=0 takes the preset's resolution on the page's backend: balanced's
// 32 pixels and draft's 16 on the CPU (the quality's level: no binding
// limit), ultra's 64 on a GPU (lavapipe's 128 MiB binding holds
// 5 x 64^2 values); an explicit size wins; sizes 1 to 7 are refused.
func TestBarycenterPresetResolution(t *testing.T) {
	cpu := compute.NewCPU(0)
	for _, c := range []struct {
		query string
		want  int
	}{{"n=2&iters=2", 32}, {"n=2&iters=2&preset=draft", 16}, {"n=2&iters=2&size=12&preset=ultra", 12}} {
		run, err := barycenterOf(t, c.query).Start(context.Background(), cpu, func(Progress) {})
		if err != nil {
			t.Fatal(err)
		}
		f, err := run.Step(context.Background(), 0, false)
		run.Close()
		if err != nil || f.Size != c.want || f.Side != c.want || len(f.Barycenters[0]) != c.want*c.want {
			t.Errorf("%s: size %d (%v), want %d", c.query, f.Size, err, c.want)
		}
		if explicit := c.want == 12; explicit != (f.Preset == nil) {
			t.Errorf("%s: read-out %+v", c.query, f.Preset)
		}
	}
	st, _ := BarycenterSchema.DecodeQuery("size=4")
	if _, err := ParseBarycenter(st); err == nil {
		t.Errorf("size 4 accepted")
	}
	gpu := gputest.Backend(t)
	side, r, err := barycenterOf(t, "preset=ultra").resolve(gpu)
	if err != nil || side != 64 || !strings.Contains(r.Text(), "ultra (FastSB-OT) set size = 64 px; why: GPU") {
		t.Errorf("ultra on %s: side %d, %v, %+v", gpu.Info().Device, side, err, r)
	}
}
