package ui

import (
	"math"
	"strings"
	"testing"

	"github.com/maxence-charriere/go-app/v10/pkg/app"
	"github.com/otplay/otplay/compute"
	"github.com/otplay/otplay/compute/webgpu/gputest"
	"github.com/otplay/otplay/solvers/ot"
)

func TestOTSettings(t *testing.T) {
	st, _ := OTSchema.DecodeQuery("eps=0.2&method=unbalanced&tau=3")
	if s := OTSettings(st); s.Eps != 0.2 || s.TauA != 3 || s.TauB != 3 || s.Mass != 0 || s.CheckEvery != 1 {
		t.Errorf("unbalanced settings %+v", s)
	}
	st, _ = OTSchema.DecodeQuery("method=partial&mass=0.3")
	if s := OTSettings(st); s.Mass != 0.3 || s.TauA != 0 {
		t.Errorf("partial settings %+v", s)
	}
	if s := OTSettings(OTSchema.Defaults()); s.Eps != 0.05 || s.Mass != 0 || s.TauA != 0 {
		t.Errorf("default settings %+v", s)
	}
}

func TestOTProblem(t *testing.T) {
	st, _ := OTSchema.DecodeQuery("x=moons&y=moons&n=30&m=20&seed=5")
	p, err := OTProblem(st)
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
	q, _ := OTProblem(st)
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
	st, _ := OTSchema.DecodeQuery("x=gaussian&y=circles&n=40&m=30&eps=0.1&seed=2&k=3&backend=cpu")
	r := newOTRun(st)
	defer r.close()
	if r.err != nil {
		t.Fatal(r.err)
	}
	f := r.advance(0)
	if f.Error != "" || f.Iteration != 0 || len(f.Residuals) != 0 || f.Backend.Kind != KindCPU {
		t.Fatalf("frame 0: %+v", f)
	}
	if n := len(f.plan.Lines[0].Segs) / 4; n != 40*3 {
		t.Errorf("%d plan lines, want n*k = 120", n)
	}
	f = r.advance(1)
	if f.Iteration != 1 || len(f.Residuals) != 1 || len(f.chart.Curves[0].XY) != 2 {
		t.Errorf("frame 1: iteration %d, %d residuals, chart %v", f.Iteration, len(f.Residuals), f.chart.Curves[0].XY)
	}
	for f.Error == "" && !f.Converged && f.Iteration < 1000 {
		f = r.advance(10)
	}
	prob, _ := OTProblem(st)
	want, err := ot.Sinkhorn(compute.NewCPU(1), prob, OTSettings(st))
	if err != nil {
		t.Fatal(err)
	}
	// Stepping by 10 checks every iteration too (CheckEvery = 1), so it
	// may pass convergence by up to 9 iterations: compare to 1e-5.
	if f.Error != "" || !f.Converged || math.Abs(f.Cost-want.Cost) > 1e-5*want.Cost || math.Abs(f.Objective-want.Objective) > 1e-5*math.Abs(want.Objective) {
		t.Errorf("converged frame: err %q converged %v cost %.9g (want %.9g) objective %.9g (want %.9g) at %d iterations (native %d)",
			f.Error, f.Converged, f.Cost, want.Cost, f.Objective, want.Objective, f.Iteration, want.Iterations)
	}
	r.close()
	if f := r.advance(1); !strings.Contains(f.Error, "reset") {
		t.Errorf("advance after close: %q", f.Error)
	}
}

// The run on the native GPU backend matches the CPU one within float32
// tolerance, iteration for iteration.
func TestOTRunGPUAgreement(t *testing.T) {
	gpu := gputest.Backend(t)
	st, _ := OTSchema.DecodeQuery("x=8gaussians&y=moons&n=100&m=90&eps=0.05&seed=1&k=2&method=unbalanced&tau=0.5")
	prob, _ := OTProblem(st)
	for _, k := range []int{1, 20} {
		var cost, merr [2]float64
		for i, b := range []compute.Backend{compute.NewCPU(0), gpu} {
			r := &otRun{st: st, status: BackendStatus{Backend: b, Kind: b.Info().Name}, prob: prob}
			var err error
			if r.sv, err = ot.NewSolver(b, prob, OTSettings(st)); err != nil {
				t.Fatal(err)
			}
			f := r.advance(k)
			r.close()
			if f.Error != "" {
				t.Fatalf("%s: %s", b.Info().Name, f.Error)
			}
			cost[i], merr[i] = f.Cost, f.MarginalError
		}
		t.Logf("%d iterations: cost CPU %.9g GPU %.9g; marginal deviation CPU %.6g GPU %.6g", k, cost[0], cost[1], merr[0], merr[1])
		if math.Abs(cost[1]-cost[0]) > 1e-4*cost[0] || math.Abs(merr[1]-merr[0]) > 1e-3*math.Max(merr[0], 1e-3) {
			t.Errorf("%d iterations: GPU cost %.9g vs CPU %.9g, marginal %.6g vs %.6g", k, cost[1], cost[0], merr[1], merr[0])
		}
	}
}

func TestOTPageRender(t *testing.T) {
	html := app.HTMLString(&OTPage{})
	for _, want := range []string{`id="ot-stats"`, `data-status="opening"`, `id="step"`, `id="play"`, `id="pause"`, `id="reset"`, `id="ot-plan"`, `id="ot-chart"`, `id="in-method"`} {
		if !strings.Contains(html, want) {
			t.Errorf("initial /ot lacks %q", want)
		}
	}
	st, _ := OTSchema.DecodeQuery("n=10&m=10&backend=cpu")
	r := newOTRun(st)
	defer r.close()
	f := r.advance(3)
	page := &OTPage{state: st, run: r, frame: &f}
	html = app.HTMLString(page)
	for _, want := range []string{`data-status="ready"`, `data-iteration="3"`, "balanced, eps = 0.05", "transport cost &lt;P, C&gt;", "last frame: "} {
		if !strings.Contains(html, want) {
			t.Errorf("/ot after 3 steps lacks %q:\n%s", want, html)
		}
	}
	if strings.Count(html, "disabled") != 1 { // only Pause, while not playing
		t.Errorf("want only Pause disabled:\n%s", html)
	}
}
