package ui

import (
	"math"
	"strings"
	"testing"

	"github.com/otplay/otplay/compute"
	"github.com/otplay/otplay/compute/webgpu/gputest"
	"github.com/otplay/otplay/solvers/ot"
)

// PlanRow and PlanColumn (host, from the potentials) equal the rows and
// columns of ot.Result.PlanDense (device) for every method.
func TestPlanRowColumnMatchDense(t *testing.T) {
	for _, q := range []string{"method=balanced", "method=unbalanced&tau=0.5", "method=partial&mass=0.4"} {
		st, _ := OTSchema.DecodeQuery("x=gaussian&y=moons&n=17&m=13&eps=0.2&" + q)
		prob, _ := OTProblem(st)
		sv, err := ot.NewSolver(compute.NewCPU(0), prob, OTSettings(st))
		if err != nil {
			t.Fatal(err)
		}
		if err := sv.Step(30); err != nil {
			t.Fatal(err)
		}
		res, err := sv.Result()
		if err != nil {
			t.Fatal(err)
		}
		dense, err := res.PlanDense(compute.NewCPU(0))
		sv.Close()
		if err != nil {
			t.Fatal(err)
		}
		worst := 0.0
		for i := 0; i < prob.N; i++ {
			for j, v := range PlanRow(prob, res, i) {
				worst = math.Max(worst, math.Abs(v-dense[i*prob.M+j])/dense[i*prob.M+j])
			}
		}
		for j := 0; j < prob.M; j++ {
			for i, v := range PlanColumn(prob, res, j) {
				worst = math.Max(worst, math.Abs(v-dense[i*prob.M+j])/dense[i*prob.M+j])
			}
		}
		if worst > 1e-9 {
			t.Errorf("%s: host plan entries differ from PlanDense by %.3g relative", q, worst)
		}
	}
}

// With Y a small translate of X and a small eps, the plan is close to the
// identity matching; sorted by principalOrder the heatmap carries its mass
// on the diagonal.
func TestPlanHeatmapSortedDiagonal(t *testing.T) {
	st, _ := OTSchema.DecodeQuery("x=gaussian&n=40&m=40&eps=0.001")
	prob, _ := OTProblem(st)
	prob.Y = make([]float64, len(prob.X))
	for i := range prob.X {
		prob.Y[i] = prob.X[i] + 0.01
	}
	res, err := ot.Sinkhorn(compute.NewCPU(0), prob, ot.Settings{Eps: 0.001})
	if err != nil {
		t.Fatal(err)
	}
	fig := otPlanHeatmap(prob, res)
	hm := fig.Heatmaps[0]
	if hm.Rows != 40 || hm.Cols != 40 {
		t.Fatalf("heatmap %d x %d", hm.Rows, hm.Cols)
	}
	near := 0
	for r := 0; r < 40; r++ {
		best := 0
		for c := range 40 {
			if hm.Values[r*40+c] > hm.Values[r*40+best] {
				best = c
			}
		}
		if d := best - r; d >= -2 && d <= 2 {
			near++
		}
	}
	if near < 36 {
		t.Errorf("only %d of 40 sorted rows peak within 2 cells of the diagonal", near)
	}
	// Binning: more points than cells.
	st, _ = OTSchema.DecodeQuery("n=400&m=300&eps=0.5")
	prob, _ = OTProblem(st)
	res, err = ot.Sinkhorn(compute.NewCPU(0), prob, OTSettings(st))
	if err != nil {
		t.Fatal(err)
	}
	if hm := otPlanHeatmap(prob, res).Heatmaps[0]; hm.Rows != OTHeatmapCells || hm.Cols != OTHeatmapCells {
		t.Errorf("binned heatmap %d x %d, want %d per side", hm.Rows, hm.Cols, OTHeatmapCells)
	}
}

// The potential heatmaps hold ot.Result.PotentialsAt at the grid points
// (rows flipped: row 0 at the top).
func TestPotentialFigures(t *testing.T) {
	st, _ := OTSchema.DecodeQuery("n=30&m=20&eps=0.1")
	prob, _ := OTProblem(st)
	b := compute.NewCPU(0)
	res, err := ot.Sinkhorn(b, prob, OTSettings(st))
	if err != nil {
		t.Fatal(err)
	}
	window := otPlanFigure(prob, nil, nil)
	ff, gf, err := otPotentialFigures(b, prob, res, window)
	if err != nil {
		t.Fatal(err)
	}
	xmin, xmax, ymin, ymax := window.Window()
	n := OTPotentialGrid
	for _, c := range [][2]int{{0, 0}, {n - 1, 0}, {7, n - 1}, {n / 2, n / 3}} {
		col, row := c[0], c[1] // grid row: y upwards
		z := []float64{xmin + float64(col)*(xmax-xmin)/float64(n-1), ymin + float64(row)*(ymax-ymin)/float64(n-1)}
		f, g, err := res.PotentialsAt(b, z)
		if err != nil {
			t.Fatal(err)
		}
		k := (n-1-row)*n + col
		if got := ff.Heatmaps[0].Values[k]; math.Abs(got-f[0]) > 1e-12*(1+math.Abs(f[0])) {
			t.Errorf("f at grid (%d, %d): %g, PotentialsAt %g", col, row, got, f[0])
		}
		if got := gf.Heatmaps[0].Values[k]; math.Abs(got-g[0]) > 1e-12*(1+math.Abs(g[0])) {
			t.Errorf("g at grid (%d, %d): %g, PotentialsAt %g", col, row, got, g[0])
		}
	}
}

// Hovering: the pick finds the point drawn under the mouse, and the info
// lists its largest partners with their shares of its row.
func TestHoverPickAndInfo(t *testing.T) {
	st, _ := OTSchema.DecodeQuery("n=25&m=20&eps=0.05")
	prob, _ := OTProblem(st)
	res, err := ot.Sinkhorn(compute.NewCPU(0), prob, OTSettings(st))
	if err != nil {
		t.Fatal(err)
	}
	fig := otPlanFigure(prob, nil, nil)
	tr := fig.Transform()
	px, py := tr.Apply(prob.Y[7*2], prob.Y[7*2+1])
	if h, ok := hoverPick(fig, prob, px+1, py-1); !ok || h != (otHover{"y", 7}) {
		t.Errorf("pick at y_7: %+v %v", h, ok)
	}
	if _, ok := hoverPick(fig, prob, -100, -100); ok {
		t.Error("picked a point far outside the canvas")
	}
	info := otHoverInfo(prob, res, otHover{"x", 3})
	row := PlanRow(prob, res, 3)
	sum, best := 0.0, 0
	for j, v := range row {
		sum += v
		if v > row[best] {
			best = j
		}
	}
	if math.Abs(info.Mass-sum) > 1e-15 || math.Abs(sum-1.0/25) > 1e-6 || len(info.Top) == 0 || info.Top[0] != best ||
		math.Abs(info.Share[0]-row[best]/sum) > 1e-12 || len(info.lines.Segs) == 0 {
		t.Errorf("hover info of x_3: %+v (row sum %g, best y_%d)", info, sum, best)
	}
}

// method=divergence: at convergence the page's S equals ot.Divergence
// (Feydy et al. 2019, eq. (4)) of the same problem; S >= 0.
func TestOTDivergenceMethod(t *testing.T) {
	st, _ := OTSchema.DecodeQuery("x=gaussian&y=moons&n=30&m=25&eps=0.1&method=divergence&backend=cpu")
	r := newOTRun(st)
	defer r.close()
	f := r.advance(1000)
	if f.Error != "" || !f.Converged {
		t.Fatalf("frame: error %q, converged %v", f.Error, f.Converged)
	}
	prob, _ := OTProblem(st)
	want, _, err := ot.Divergence(compute.NewCPU(0), prob, OTSettings(st))
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("S = %.9g (native %.9g), OT(a,b) = %.6g, OT(a,a) = %.6g, OT(b,b) = %.6g", f.Divergence, want, f.Objective, f.SelfX, f.SelfY)
	if math.Abs(f.Divergence-want) > 1e-5*math.Abs(want) || !(f.Divergence > 0) {
		t.Errorf("divergence %.9g, ot.Divergence %.9g", f.Divergence, want)
	}
}

func TestTransformInverse(t *testing.T) {
	st, _ := OTSchema.DecodeQuery("n=25&m=20")
	prob, _ := OTProblem(st)
	tr := otPlanFigure(prob, nil, nil).Transform()
	for _, z := range [][2]float64{{0, 0}, {1.5, -2}, {-3, 0.25}} {
		px, py := tr.Apply(z[0], z[1])
		x, y := tr.Inverse(px, py)
		if math.Abs(x-z[0]) > 1e-12 || math.Abs(y-z[1]) > 1e-12 {
			t.Errorf("Inverse(Apply(%v)) = (%g, %g)", z, x, y)
		}
	}
}

// tier=full solves the same balanced problem as the stepped solver (costs
// agree to the 1e-6 marginal tolerance); tier=rff reports its rank and
// kernel error; a tier with method=partial is refused with the reason.
func TestOTTier(t *testing.T) {
	st, _ := OTSchema.DecodeQuery("x=gaussian&y=moons&n=40&m=30&eps=0.5&tier=full&backend=cpu")
	r := newOTRun(st)
	defer r.close()
	f := r.advance(1000)
	if f.Error != "" || f.Tier == nil || f.Tier.Error != "" || !f.Tier.Converged || f.Tier.Tier != "full" {
		t.Fatalf("tier full: frame error %q, tier %+v", f.Error, f.Tier)
	}
	if math.Abs(f.Tier.Cost-f.Cost) > 1e-5*f.Cost {
		t.Errorf("tier full cost %.9g, stepped %.9g", f.Tier.Cost, f.Cost)
	}
	st, _ = OTSchema.DecodeQuery("x=gaussian&y=moons&n=40&m=30&eps=0.5&tier=rff&backend=cpu")
	r2 := newOTRun(st)
	defer r2.close()
	f = r2.advance(0)
	t.Logf("rff: %+v", *f.Tier)
	if f.Tier == nil || f.Tier.Error != "" || f.Tier.Rank == 0 || !(f.Tier.ErrorEstimate > 0) || !(f.Tier.Cost > 0) {
		t.Errorf("tier rff: %+v", f.Tier)
	}
	st, _ = OTSchema.DecodeQuery("n=10&m=10&method=partial&tier=full&backend=cpu")
	r3 := newOTRun(st)
	defer r3.close()
	if f := r3.advance(0); f.Tier == nil || !strings.Contains(f.Tier.Error, "balanced OT only") {
		t.Errorf("tier with partial: %+v", f.Tier)
	}
	if none := newOTRun(OTSchema.Defaults()); none.tier != nil {
		t.Error("tier=none solved anyway")
	} else {
		none.close()
	}
}

// The potential heatmaps on the GPU backend (float32) agree with the CPU
// backend's to 1e-4 of their range (the potentials are O(1) here).
func TestPotentialFiguresGPU(t *testing.T) {
	gpu := gputest.Backend(t)
	st, _ := OTSchema.DecodeQuery("n=50&m=40&eps=0.1")
	prob, _ := OTProblem(st)
	res, err := ot.Sinkhorn(compute.NewCPU(0), prob, OTSettings(st))
	if err != nil {
		t.Fatal(err)
	}
	window := otPlanFigure(prob, nil, nil)
	fc, gc, err := otPotentialFigures(compute.NewCPU(0), prob, res, window)
	if err != nil {
		t.Fatal(err)
	}
	fg, gg, err := otPotentialFigures(gpu, prob, res, window)
	if err != nil {
		t.Fatal(err)
	}
	for k, pair := range [][2]Figure{{fc, fg}, {gc, gg}} {
		c, g := pair[0].Heatmaps[0].Values, pair[1].Heatmaps[0].Values
		lo, hi, worst := math.Inf(1), math.Inf(-1), 0.0
		for i := range c {
			lo, hi = math.Min(lo, c[i]), math.Max(hi, c[i])
			worst = math.Max(worst, math.Abs(c[i]-g[i]))
		}
		t.Logf("%s: range %.4g, max |GPU - CPU| %.3g", []string{"f", "g"}[k], hi-lo, worst)
		if worst > 1e-4*(hi-lo) {
			t.Errorf("%s: GPU differs from CPU by %.3g (range %.4g)", []string{"f", "g"}[k], worst, hi-lo)
		}
	}
}

// planTopKHost finds the same entries as ot.Result.PlanTopK.
func TestPlanTopKHost(t *testing.T) {
	st, _ := OTSchema.DecodeQuery("n=60&m=45&eps=0.05&method=unbalanced&tau=2")
	prob, _ := OTProblem(st)
	b := compute.NewCPU(0)
	res, err := ot.Unbalanced(b, prob, OTSettings(st))
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []int{1, 3, 10} {
		wi, wv, err := res.PlanTopK(b, k)
		if err != nil {
			t.Fatal(err)
		}
		gi, gv := planTopKHost(prob, res, k)
		for e := range wi {
			if gi[e] != wi[e] || math.Abs(gv[e]-wv[e]) > 1e-9*wv[e] {
				t.Fatalf("k=%d entry %d: host (%d, %g), PlanTopK (%d, %g)", k, e, gi[e], gv[e], wi[e], wv[e])
			}
		}
	}
	if gi, _ := planTopKHost(prob, res, 100); len(gi) != prob.N*prob.M {
		t.Errorf("k > m: %d entries, want capped at m", len(gi))
	}
}
