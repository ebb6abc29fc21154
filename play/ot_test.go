package play

import (
	"context"
	"encoding/json"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/otplay/otplay/compute"
	"github.com/otplay/otplay/compute/webgpu/gputest"
	"github.com/otplay/otplay/figure"
	"github.com/otplay/otplay/solvers/ot"
)

// typed decodes a query of schema s into a page's typed state.
func typed[S any](t *testing.T, s Schema, parse func(State) (S, error), query string) S {
	t.Helper()
	st, err := s.DecodeQuery(query)
	if err != nil {
		t.Fatal(err)
	}
	v, err := parse(st)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// otOf parses an /ot query into the typed state.
func otOf(t *testing.T, query string) OT { t.Helper(); return typed(t, OTSchema, ParseOT, query) }

// startOT starts the run of o on b (no progress wanted).
func startOT(t *testing.T, o OT, b compute.Backend) *otRun {
	t.Helper()
	r, err := o.Start(context.Background(), b, func(Progress) {})
	if err != nil {
		t.Fatal(err)
	}
	return r.(*otRun)
}

func TestOTSettings(t *testing.T) {
	if s := otOf(t, "eps=0.2&method=unbalanced&tau=3").Settings(); s.Eps != 0.2 || s.TauA != 3 || s.TauB != 3 || s.Mass != 0 || s.CheckEvery != 1 {
		t.Errorf("unbalanced settings %+v", s)
	}
	if s := otOf(t, "method=partial&mass=0.3").Settings(); s.Mass != 0.3 || s.TauA != 0 {
		t.Errorf("partial settings %+v", s)
	}
	if s := otOf(t, "").Settings(); s.Eps != 0.05 || s.Mass != 0 || s.TauA != 0 {
		t.Errorf("default settings %+v", s)
	}
}

// The typed state encodes back to the query it came from, and a value the
// schema refuses is an error naming it.
func TestOTStateRoundTrip(t *testing.T) {
	q := "eps=0.005&k=1&method=partial&n=300&seed=7&steps=10&tier=rff&x=moons"
	st, err := otOf(t, q).State()
	if err != nil || st.Encode() != q {
		t.Errorf("State() = %q, %v; want %q", st.Encode(), err, q)
	}
	o := otOf(t, "")
	o.Eps = -1
	if _, err := o.State(); err == nil || !strings.Contains(err.Error(), "eps") {
		t.Errorf("State() of eps = -1: %v", err)
	}
	o = otOf(t, "")
	o.Clouds[0] = &Cloud{Points: []float64{1, 2, 3}, N: 2}
	if _, err := o.Problem(); err == nil {
		t.Errorf("a cloud of 2 points with 3 numbers was accepted")
	}
}

func TestOTProblem(t *testing.T) {
	o := otOf(t, "x=moons&y=moons&n=30&m=20&seed=5")
	p, err := o.Problem()
	if err != nil {
		t.Fatal(err)
	}
	if p.N != 30 || p.M != 20 || p.D != 2 || len(p.X) != 60 || len(p.Y) != 40 {
		t.Fatalf("problem sizes %d %d %d", p.N, p.M, p.D)
	}
	// The same set with seed and seed+1: different points.
	if p.X[0] == p.Y[0] {
		t.Error("x and y drew the same stream")
	}
	q, _ := o.Problem()
	if q.X[17] != p.X[17] {
		t.Error("not deterministic")
	}
}

func TestPlanLines(t *testing.T) {
	p := ot.Problem{X: []float64{0, 0, 1, 1}, Y: []float64{5, 5, 6, 6, 7, 7}, N: 2, M: 3, D: 2}
	idx := []int{2, 0, 1, -1}
	val := []float64{0.4, 0.1, 0.2, 0}
	segs, alpha := planLines(p, idx, val, 2)
	want := []float64{0, 0, 7, 7, 0, 0, 5, 5, 1, 1, 6, 6}
	if len(segs) != len(want) || len(alpha) != 3 {
		t.Fatalf("segs %v alpha %v", segs, alpha)
	}
	for i := range want {
		if segs[i] != want[i] {
			t.Fatalf("segs %v, want %v", segs, want)
		}
	}
	if alpha[0] != 1 || alpha[1] != 0.25 || alpha[2] != 0.5 {
		t.Errorf("alpha %v, want [1 0.25 0.5]", alpha)
	}
	if s, a := planLines(p, idx, []float64{0, 0, 0, 0}, 2); s != nil || a != nil {
		t.Error("an empty plan drew lines")
	}
}

// The page's run, stepped on the CPU, reaches the solution of ot.Sinkhorn.
func TestOTRunCPU(t *testing.T) {
	o := otOf(t, "x=gaussian&y=circles&n=40&m=30&eps=0.1&seed=2&k=3&backend=cpu")
	r := startOT(t, o, compute.NewCPU(1))
	defer r.Close()
	ctx := context.Background()
	f, err := r.Step(ctx, 0, false)
	if err != nil || f.Iteration != 0 || len(f.Residuals) != 0 {
		t.Fatalf("frame 0: %+v, %v", f, err)
	}
	if n := len(f.Plan.Lines[0].Segs) / 4; n != 40*3 {
		t.Errorf("%d plan lines, want n*k = 120", n)
	}
	if f.Heat.Heatmaps == nil || f.PotF.Heatmaps == nil || f.PotG.Heatmaps == nil {
		t.Errorf("frame 0 lacks a heatmap")
	}
	f, _ = r.Step(ctx, 1, false)
	if f.Iteration != 1 || len(f.Residuals) != 1 || len(f.Chart.Curves[0].XY) != 2 {
		t.Errorf("frame 1: iteration %d, %d residuals, chart %v", f.Iteration, len(f.Residuals), f.Chart.Curves[0].XY)
	}
	for err == nil && !f.Finished() {
		f, err = r.Step(ctx, 10, true)
	}
	prob, _ := o.Problem()
	want, err2 := ot.Sinkhorn(compute.NewCPU(1), prob, o.Settings())
	if err2 != nil {
		t.Fatal(err2)
	}
	// Stepping by 10 checks every iteration too (CheckEvery = 1), so it
	// may pass convergence by up to 9 iterations: compare to 1e-5.
	if err != nil || !f.Converged || math.Abs(f.Cost-want.Cost) > 1e-5*want.Cost || math.Abs(f.Objective-want.Objective) > 1e-5*math.Abs(want.Objective) {
		t.Errorf("converged frame: err %v converged %v cost %.9g (want %.9g) objective %.9g (want %.9g) at %d iterations (native %d)",
			err, f.Converged, f.Cost, want.Cost, f.Objective, want.Objective, f.Iteration, want.Iterations)
	}
	if !strings.HasPrefix(f.Convergence(), f.Status) || f.Status == "" {
		t.Errorf("converged frame says %q (status %q)", f.Convergence(), f.Status)
	}
}

// A Runner plays the /ot model to convergence on the CPU: the model
// follows the contract the views rely on.
func TestOTRunnerPlays(t *testing.T) {
	o := otOf(t, "n=30&m=30&eps=0.3&steps=5&backend=cpu")
	done := make(chan Update[OTFrame], 100)
	r := &Runner[OTFrame]{
		Open:          func() (compute.Backend, error) { return compute.NewCPU(1), nil },
		StepsPerFrame: o.Steps,
		Show: func(u Update[OTFrame]) {
			if u.Err != nil || (u.HasFrame && u.Frame.Finished() && !u.Playing) {
				done <- u
			}
		},
	}
	defer r.Close()
	r.Reset(o.Start)
	for r.Busy() || !r.State().HasFrame {
		if r.State().Err != nil {
			t.Fatal(r.State().Err)
		}
		time.Sleep(time.Millisecond)
	}
	r.Play()
	select {
	case u := <-done:
		if u.Err != nil || !u.Frame.Converged || u.Frame.Iteration%5 != 0 {
			t.Errorf("last update: err %v, converged %v at %d iterations (want a multiple of 5)", u.Err, u.Frame.Converged, u.Frame.Iteration)
		}
	case <-time.After(60 * time.Second):
		t.Fatal("Play did not converge in 60 s")
	}
}

// Partial with a mass above min(|a|, |b|) = 1 cannot be asked through the
// schema (mass <= 1), but the typed state can hold it and the solver's
// error reaches the caller.
func TestOTRunBadSettings(t *testing.T) {
	o := otOf(t, "n=5&m=5&method=partial&backend=cpu")
	o.Mass = 2
	if _, err := o.Start(context.Background(), compute.NewCPU(1), func(Progress) {}); err == nil || !strings.Contains(err.Error(), "Mass = 2") {
		t.Errorf("Start error %v, want the solver's Mass error", err)
	}
}

// The run on the native GPU backend (lavapipe) matches the CPU one within
// float32 tolerance, iteration for iteration.
func TestOTRunGPUAgreement(t *testing.T) {
	gpu := gputest.Backend(t)
	o := otOf(t, "x=8gaussians&y=moons&n=100&m=90&eps=0.05&seed=1&k=2&method=unbalanced&tau=0.5")
	for _, k := range []int{1, 20} {
		var cost, merr [2]float64
		for i, b := range []compute.Backend{compute.NewCPU(0), gpu} {
			r := startOT(t, o, b)
			f, err := r.Step(context.Background(), k, false)
			r.Close()
			if err != nil {
				t.Fatalf("%s: %v", b.Info().Name, err)
			}
			cost[i], merr[i] = f.Cost, f.MarginalError
		}
		t.Logf("%d iterations: cost CPU %.9g GPU %.9g; marginal deviation CPU %.6g GPU %.6g", k, cost[0], cost[1], merr[0], merr[1])
		if math.Abs(cost[1]-cost[0]) > 1e-4*cost[0] || math.Abs(merr[1]-merr[0]) > 1e-3*math.Max(merr[0], 1e-3) {
			t.Errorf("%d iterations: GPU cost %.9g vs CPU %.9g, marginal %.6g vs %.6g", k, cost[1], cost[0], merr[1], merr[0])
		}
	}
}

// With Y a small translate of X and a small eps the sorted heatmap
// carries its mass on the diagonal; more points than cells are binned.
func TestPlanHeatmap(t *testing.T) {
	prob, _ := otOf(t, "x=gaussian&n=40&m=40&eps=0.001").Problem()
	prob.Y = make([]float64, len(prob.X))
	for i := range prob.X {
		prob.Y[i] = prob.X[i] + 0.01
	}
	res, err := ot.Sinkhorn(compute.NewCPU(0), prob, ot.Settings{Eps: 0.001})
	if err != nil {
		t.Fatal(err)
	}
	fig, err := otPlanHeatmap(prob, res)
	if err != nil {
		t.Fatal(err)
	}
	hm := fig.Heatmaps[0]
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
	if hm.Rows != 40 || hm.Cols != 40 || near < 36 {
		t.Errorf("%d x %d heatmap; only %d of 40 sorted rows peak within 2 cells of the diagonal", hm.Rows, hm.Cols, near)
	}
	o := otOf(t, "n=400&m=300&eps=0.5")
	prob, _ = o.Problem()
	if res, err = ot.Sinkhorn(compute.NewCPU(0), prob, o.Settings()); err != nil {
		t.Fatal(err)
	}
	if fig, err = otPlanHeatmap(prob, res); err != nil || fig.Heatmaps[0].Rows != OTHeatmapCells || fig.Heatmaps[0].Cols != OTHeatmapCells {
		t.Errorf("binned heatmap %d x %d (%v), want %d per side", fig.Heatmaps[0].Rows, fig.Heatmaps[0].Cols, err, OTHeatmapCells)
	}
}

// The potential heatmaps hold ot.Result.PotentialsAt at the grid points
// (rows flipped: row 0 at the top).
func TestPotentialFigures(t *testing.T) {
	o := otOf(t, "n=30&m=20&eps=0.1")
	prob, _ := o.Problem()
	b := compute.NewCPU(0)
	res, err := ot.Sinkhorn(b, prob, o.Settings())
	if err != nil {
		t.Fatal(err)
	}
	window := OTPlanFigure(prob, nil, nil)
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

// The potential heatmaps on the GPU backend (float32) agree with the CPU
// backend's to 1e-4 of their range (the potentials are O(1) here).
func TestPotentialFiguresGPU(t *testing.T) {
	gpu := gputest.Backend(t)
	o := otOf(t, "n=50&m=40&eps=0.1")
	prob, _ := o.Problem()
	res, err := ot.Sinkhorn(compute.NewCPU(0), prob, o.Settings())
	if err != nil {
		t.Fatal(err)
	}
	window := OTPlanFigure(prob, nil, nil)
	fc, gc, err := otPotentialFigures(compute.NewCPU(0), prob, res, window)
	if err != nil {
		t.Fatal(err)
	}
	fg, gg, err := otPotentialFigures(gpu, prob, res, window)
	if err != nil {
		t.Fatal(err)
	}
	for k, pair := range [][2]figure.Figure{{fc, fg}, {gc, gg}} {
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

// Hover lists a point's largest partners with their shares of its row.
func TestOTHover(t *testing.T) {
	o := otOf(t, "n=25&m=20&eps=0.05&backend=cpu")
	r := startOT(t, o, compute.NewCPU(0))
	defer r.Close()
	f, err := r.Step(context.Background(), 1000, false)
	if err != nil {
		t.Fatal(err)
	}
	info, err := f.Hover("x", 3)
	if err != nil {
		t.Fatal(err)
	}
	row, _ := f.Result.PlanRow(3)
	sum, best := 0.0, 0
	for j, v := range row {
		sum += v
		if v > row[best] {
			best = j
		}
	}
	if math.Abs(info.Mass-sum) > 1e-15 || math.Abs(sum-1.0/25) > 1e-6 || len(info.Top) == 0 || info.Top[0] != best ||
		math.Abs(info.Share[0]-row[best]/sum) > 1e-12 || len(info.Lines.Segs) == 0 {
		t.Errorf("hover info of x_3: %+v (row sum %g, best y_%d)", info, sum, best)
	}
	if _, err := f.Hover("y", 20); err == nil {
		t.Errorf("hover of y_20 of 20 gave no error")
	}
}

// method=divergence: at convergence the page's S equals ot.Divergence
// (Feydy et al. 2019, eq. (4)) of the same problem; S >= 0.
func TestOTDivergenceMethod(t *testing.T) {
	o := otOf(t, "x=gaussian&y=moons&n=30&m=25&eps=0.1&method=divergence&backend=cpu")
	var phases []Progress
	run, err := o.Start(context.Background(), compute.NewCPU(0), func(p Progress) { phases = append(phases, p) })
	if err != nil {
		t.Fatal(err)
	}
	defer run.Close()
	if last := phases[len(phases)-1]; last.Done != 2 || last.Total != 2 {
		t.Errorf("progress %+v, want the self terms done 2 of 2 last", phases)
	}
	f, err := run.Step(context.Background(), 1000, false)
	if err != nil || !f.Converged {
		t.Fatalf("frame: error %v, converged %v", err, f.Converged)
	}
	prob, _ := o.Problem()
	want, _, err := ot.Divergence(compute.NewCPU(0), prob, o.Settings())
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("S = %.9g (native %.9g), OT(a,b) = %.6g, OT(a,a) = %.6g, OT(b,b) = %.6g", f.Divergence, want, f.Objective, f.SelfX, f.SelfY)
	if math.Abs(f.Divergence-want) > 1e-5*math.Abs(want) || !(f.Divergence > 0) {
		t.Errorf("divergence %.9g, ot.Divergence %.9g", f.Divergence, want)
	}
}

// A cancelled context stops the setup.
func TestOTStartCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	o := otOf(t, "n=30&m=25&method=divergence&backend=cpu")
	if _, err := o.Start(ctx, compute.NewCPU(0), func(Progress) {}); err == nil {
		t.Errorf("a cancelled Start succeeded")
	}
}

// tier=full solves the same balanced problem as the stepped solver (costs
// agree to the 1e-6 marginal tolerance); tier=rff reports its rank and
// kernel error; a tier with method=partial is refused with the reason.
func TestOTTier(t *testing.T) {
	cpu := compute.NewCPU(0)
	r := startOT(t, otOf(t, "x=gaussian&y=moons&n=40&m=30&eps=0.5&tier=full&backend=cpu"), cpu)
	defer r.Close()
	f, err := r.Step(context.Background(), 1000, false)
	if err != nil || f.Tier == nil || f.Tier.Error != "" || !f.Tier.Converged || f.Tier.Tier != "full" {
		t.Fatalf("tier full: frame error %v, tier %+v", err, f.Tier)
	}
	if math.Abs(f.Tier.Cost-f.Cost) > 1e-5*f.Cost {
		t.Errorf("tier full cost %.9g, stepped %.9g", f.Tier.Cost, f.Cost)
	}
	r2 := startOT(t, otOf(t, "x=gaussian&y=moons&n=40&m=30&eps=0.5&tier=rff&backend=cpu"), cpu)
	defer r2.Close()
	f, _ = r2.Step(context.Background(), 0, false)
	if f.Tier == nil || f.Tier.Error != "" || f.Tier.Rank == 0 || !(f.Tier.ErrorEstimate > 0) || !(f.Tier.Cost > 0) {
		t.Errorf("tier rff: %+v", f.Tier)
	}
	r3 := startOT(t, otOf(t, "n=10&m=10&method=partial&tier=full&backend=cpu"), cpu)
	defer r3.Close()
	if f, _ := r3.Step(context.Background(), 0, false); f.Tier == nil || !strings.Contains(f.Tier.Error, "balanced OT only") {
		t.Errorf("tier with partial: %+v", f.Tier)
	}
	if none := startOT(t, otOf(t, ""), cpu); none.tier != nil {
		t.Error("tier=none solved anyway")
	} else {
		none.Close()
	}
}

// The export holds the dense plan of a small problem, equal to
// PlanDense, and the top entries of a large one.
func TestOTExport(t *testing.T) {
	cpu := compute.NewCPU(0)
	r := startOT(t, otOf(t, "n=30&m=20&eps=0.1&backend=cpu"), cpu)
	defer r.Close()
	if _, err := (OTFrame{}).Export(""); err == nil {
		t.Errorf("export of an empty frame gave no error")
	}
	f, _ := r.Step(context.Background(), 5, false)
	e, err := f.Export("n=30&m=20&eps=0.1&backend=cpu")
	if err != nil {
		t.Fatal(err)
	}
	dense, _ := f.Result.PlanDense(cpu)
	if e.Plan.Format != "dense" || len(e.Plan.P) != 600 || e.Iteration != 5 || len(e.X) != 30 || len(e.F) != 30 {
		t.Fatalf("export: format %s, %d entries, iteration %d", e.Plan.Format, len(e.Plan.P), e.Iteration)
	}
	for k, v := range e.Plan.P {
		if math.Abs(v-dense[e.Plan.I[k]*20+e.Plan.J[k]]) > 1e-12*dense[e.Plan.I[k]*20+e.Plan.J[k]] {
			t.Fatalf("plan entry %d = %g, PlanDense %g", k, v, dense[e.Plan.I[k]*20+e.Plan.J[k]])
		}
	}
	big := startOT(t, otOf(t, "n=250&m=200&eps=0.1&backend=cpu"), cpu)
	defer big.Close()
	f, _ = big.Step(context.Background(), 1, false)
	if e, err := f.Export(""); err != nil || e.Plan.Format != "topk" || e.Plan.K != OTExportTopK || len(e.Plan.P) != 250*OTExportTopK {
		t.Errorf("large export: %v, format %s, k %d, %d entries", err, e.Plan.Format, e.Plan.K, len(e.Plan.P))
	}
}

func TestFiniteOrNil(t *testing.T) {
	got := finiteOrNil([]float64{1, math.Inf(-1), math.NaN(), -2})
	b, err := json.Marshal(got)
	if err != nil || string(b) != "[1,null,null,-2]" {
		t.Errorf("finiteOrNil: %s, %v", b, err)
	}
}

// The /ot page says whether the run converged from the solver's state,
// with the reason, and never prints a placeholder.
func TestOTConvergenceText(t *testing.T) {
	for _, c := range []struct {
		f    OTFrame
		want string
	}{
		{OTFrame{}, "not yet: no iteration"},
		{OTFrame{Iteration: 3, Residuals: []float64{0.5, 0.2, 0.1}}, "not yet: residual 0.1"},
		{OTFrame{Iteration: 40, Converged: true, Residuals: []float64{5e-7}}, "yes: the residual 5e-07 is below"},
		{OTFrame{Iteration: 1000, Residuals: []float64{3e-4}}, "no: stopped at the 1000-iteration cap"},
		// The solver's own sentence wins once the run has stopped; while
		// it runs, "not yet".
		{OTFrame{Iteration: 1000, Status: "not converged: residual 2e-6 above tol; use --backend cpu", Residuals: []float64{2e-6}}, "not converged: residual 2e-6 above tol"},
		{OTFrame{Iteration: 40, Converged: true, Status: "converged: float64 marginal error 9e-07", Residuals: []float64{5e-7}}, "converged: float64 marginal error"},
		{OTFrame{Iteration: 5, Status: "not converged: raise MaxIter", Residuals: []float64{0.2}}, "not yet: residual 0.2"},
	} {
		got := c.f.Convergence()
		if !strings.Contains(got, c.want) || strings.Contains(got, "NaN") {
			t.Errorf("Convergence(iteration %d) = %q, want %q", c.f.Iteration, got, c.want)
		}
	}
}
