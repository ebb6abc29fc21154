package kernel

import (
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/otplay/otplay/compute"
	"github.com/otplay/otplay/solvers/data"
)

func relErr(got, want float64) float64 { return math.Abs(got-want) / math.Abs(want) }

// denseSinkhorn is an independent float64 reference: log-domain Sinkhorn on
// the explicit n x m cost matrix, iterated until the marginal error is
// below 1e-13. It returns the cost <P, C>, the objective <a,f> + <b,g>
// and f.
func denseSinkhorn(x, y []float64, a, b []float64, d int, eps float64) (cost, obj float64, f []float64) {
	n, m := len(a), len(b)
	C := make([]float64, n*m)
	for i := 0; i < n; i++ {
		for j := 0; j < m; j++ {
			var c float64
			for k := 0; k < d; k++ {
				t := x[i*d+k] - y[j*d+k]
				c += t * t
			}
			C[i*m+j] = c
		}
	}
	lse := func(v []float64) float64 {
		mx := math.Inf(-1)
		for _, t := range v {
			mx = math.Max(mx, t)
		}
		if math.IsInf(mx, -1) {
			return mx
		}
		var s float64
		for _, t := range v {
			s += math.Exp(t - mx)
		}
		return mx + math.Log(s)
	}
	f, g := make([]float64, n), make([]float64, m)
	row, col := make([]float64, m), make([]float64, n)
	for it := 0; it < 100000; it++ {
		for i := 0; i < n; i++ {
			for j := 0; j < m; j++ {
				row[j] = math.Log(b[j]) + (g[j]-C[i*m+j])/eps
			}
			f[i] = -eps * lse(row)
		}
		var errSum float64
		for j := 0; j < m; j++ {
			for i := 0; i < n; i++ {
				col[i] = math.Log(a[i]) + (f[i]-C[i*m+j])/eps
			}
			gj := -eps * lse(col)
			errSum += b[j] * math.Abs(math.Exp((g[j]-gj)/eps)-1)
			g[j] = gj
		}
		if errSum < 1e-13 && it > 2 {
			break
		}
	}
	for i := 0; i < n; i++ {
		for j := 0; j < m; j++ {
			if a[i] == 0 || b[j] == 0 {
				continue
			}
			p := a[i] * b[j] * math.Exp((f[i]+g[j]-C[i*m+j])/eps)
			cost += p * C[i*m+j]
		}
	}
	for i := range a {
		if a[i] > 0 {
			obj += a[i] * f[i]
		}
	}
	for j := range b {
		if b[j] > 0 {
			obj += b[j] * g[j]
		}
	}
	return cost, obj, f
}

func cloud(t testing.TB, spec string) data.Set {
	t.Helper()
	s, err := data.Parse(spec)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestFullAgainstDenseReference(t *testing.T) {
	be := compute.NewCPU(0)
	x, y := cloud(t, "moons:40:seed=1"), cloud(t, "8gaussians:30:seed=2")
	a := make([]float64, 40)
	for i := range a {
		a[i] = 1 + float64(i%3)
	}
	a[5] = 0 // a zero weight must be handled
	an := normalised(a, 40)
	bn := normalised(nil, 30)
	for _, eps := range []float64{0.05, 0.5} {
		wantCost, wantObj, _ := denseSinkhorn(x.Points, y.Points, an, bn, 2, eps)
		r, err := Solve(be, Problem{X: x.Points, Y: y.Points, N: 40, M: 30, D: 2, A: a, Eps: eps}, Settings{Tier: Full, Tol: 1e-12, MaxIter: 20000})
		if err != nil {
			t.Fatal(err)
		}
		if !r.Converged || r.MarginalError > 1e-11 {
			t.Errorf("full eps=%g: converged %v, marginal error %g", eps, r.Converged, r.MarginalError)
		}
		if relErr(r.Cost, wantCost) > 1e-9 || relErr(r.Objective, wantObj) > 1e-9 {
			t.Errorf("full eps=%g: cost %.12g objective %.12g, dense reference %.12g %.12g", eps, r.Cost, r.Objective, wantCost, wantObj)
		}
		if r.Tier != Full || r.Reason != "forced by Settings.Tier" {
			t.Errorf("tier %v reason %q", r.Tier, r.Reason)
		}
	}
}

// TestLowRankTiersApproachFull: with more features or landmarks the cost
// and objective of rff and nystrom approach the full solution, and the
// kernel error estimate falls.
func TestLowRankTiersApproachFull(t *testing.T) {
	be := compute.NewCPU(0)
	const n, m = 150, 130
	x, y := cloud(t, "moons:150:seed=3"), cloud(t, "circles:130:seed=4")
	p := Problem{X: x.Points, Y: y.Points, N: n, M: m, D: 2, Eps: 1}
	full, err := Solve(be, p, Settings{Tier: Full, Tol: 1e-10})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		tier  Tier
		ranks []int
		final float64 // bound on the relative cost error at the largest rank
	}{
		{RFF, []int{100, 1000, 10000}, 0.01}, // kernel error ~ 1/sqrt(r)
		{Nystrom, []int{5, 15, 280}, 1e-6},   // 280 = n + m: every point is a landmark, exact
	} {
		prevErr, prevEst := math.Inf(1), math.Inf(1)
		for _, r := range c.ranks {
			res, err := Solve(be, p, Settings{Tier: c.tier, Features: r, Landmarks: r, Tol: 1e-10, Seed: 7})
			if err != nil {
				t.Fatalf("%v rank %d: %v", c.tier, r, err)
			}
			ce, oe := relErr(res.Cost, full.Cost), relErr(res.Objective, full.Objective)
			t.Logf("%v rank %4d (kept %d): cost %.6f (full %.6f, rel err %.2g), objective rel err %.2g, kernel error estimate %.2g, %d iterations",
				c.tier, r, res.Rank, res.Cost, full.Cost, ce, oe, res.ErrorEstimate, res.Iterations)
			if !res.Converged || res.MarginalError > 1e-8 {
				t.Errorf("%v rank %d: converged %v marginal error %g", c.tier, r, res.Converged, res.MarginalError)
			}
			if res.ErrorEstimate >= prevEst {
				t.Errorf("%v rank %d: kernel error estimate %g did not fall (previous %g)", c.tier, r, res.ErrorEstimate, prevEst)
			}
			prevEst = res.ErrorEstimate
			if r == c.ranks[len(c.ranks)-1] {
				if ce > c.final || oe > c.final {
					t.Errorf("%v rank %d: cost rel err %g, objective rel err %g, want <= %g", c.tier, r, ce, oe, c.final)
				}
				if c.tier == Nystrom && ce >= prevErr {
					t.Errorf("%v: cost error %g at rank %d not below %g at the smaller rank", c.tier, ce, r, prevErr)
				}
			}
			prevErr = ce
		}
	}
}

func TestGridAgainstDenseFull(t *testing.T) {
	be := compute.NewCPU(0)
	const h, w = 12, 10
	a, b := make([]float64, h*w), make([]float64, h*w)
	pts := make([]float64, 0, 2*h*w)
	sp := 1.0 / float64(max(h, w))
	for i := 0; i < h; i++ {
		for j := 0; j < w; j++ {
			// Two blobs, with empty cells (zero mass) in a.
			di, dj := float64(i)-3, float64(j)-3
			a[i*w+j] = math.Exp(-(di*di + dj*dj) / 4)
			if a[i*w+j] < 0.05 {
				a[i*w+j] = 0
			}
			di, dj = float64(i)-8, float64(j)-6
			b[i*w+j] = math.Exp(-(di*di+dj*dj)/6) + 0.01
			pts = append(pts, float64(i)*sp, float64(j)*sp)
		}
	}
	for _, eps := range []float64{0.003, 0.05} {
		r, err := SolveGrid(be, GridProblem{A: a, B: b, H: h, W: w, Eps: eps}, Settings{Tol: 1e-11, MaxIter: 50000})
		if err != nil {
			t.Fatal(err)
		}
		wantCost, wantObj, _ := denseSinkhorn(pts, pts, normalised(a, h*w), normalised(b, h*w), 2, eps)
		t.Logf("grid eps=%g: cost %.10g (dense %.10g), objective %.10g (dense %.10g), %d iterations, marginal error %.2g",
			eps, r.Cost, wantCost, r.Objective, wantObj, r.Iterations, r.MarginalError)
		if !r.Converged || r.MarginalError > 1e-9 {
			t.Errorf("grid eps=%g: converged %v, marginal error %g", eps, r.Converged, r.MarginalError)
		}
		if relErr(r.Cost, wantCost) > 1e-8 || relErr(r.Objective, wantObj) > 1e-8 {
			t.Errorf("grid eps=%g: cost %.12g objective %.12g, dense %.12g %.12g", eps, r.Cost, r.Objective, wantCost, wantObj)
		}
		// The same problem through the full tier on pixel positions.
		full, err := Solve(be, Problem{X: pts, Y: pts, N: h * w, M: h * w, D: 2, A: a, B: b, Eps: eps}, Settings{Tier: Full, Tol: 1e-11, MaxIter: 50000})
		if err != nil {
			t.Fatal(err)
		}
		if relErr(r.Cost, full.Cost) > 1e-8 {
			t.Errorf("grid eps=%g: cost %.12g, full tier %.12g", eps, r.Cost, full.Cost)
		}
	}
}

func TestChoose(t *testing.T) {
	cases := []struct {
		n, m, d int
		eps     float64
		mem     int64
		want    Tier
		reason  string
	}{
		{1000, 1000, 2, 0.01, 0, Full, "exact log-domain solver is fast enough"},
		{8192, 8192, 64, 1, 0, Full, "fast enough"},
		{100000, 100000, 2, 1, 0, Nystrom, "Nystrom landmarks"},
		{100000, 100000, 2, 0.25, 0, RFF, "positive random features"},
		{100000, 100000, 2, 0.01, 0, Full, "too small for a low-rank kernel"},
		{100000, 100000, 16, 1, 0, Full, "too small"},
		{100000, 100000, 16, 8, 0, Nystrom, "Nystrom"},
		{100000, 100000, 8, 1.2, 0, Full, "too small"},
		{1000000, 1000000, 2, 1, 1 << 20, Full, "memory"},
	}
	for _, c := range cases {
		got, why := Choose(c.n, c.m, c.d, c.eps, c.mem)
		if got != c.want || !strings.Contains(why, c.reason) {
			t.Errorf("Choose(%d, %d, %d, %g, %d) = %v (%q), want %v (%q)", c.n, c.m, c.d, c.eps, c.mem, got, why, c.want, c.reason)
		}
	}
	if tier, _ := ChooseGrid(64, 64, 0.01, 0); tier != Full {
		t.Errorf("ChooseGrid(64x64) = %v, want full", tier)
	}
	if tier, _ := ChooseGrid(256, 256, 0.01, 0); tier != Grid {
		t.Errorf("ChooseGrid(256x256) = %v, want grid", tier)
	}
	for _, name := range []string{"auto", "full", "rff", "nystrom", "grid"} {
		tr, err := ParseTier(name)
		if err != nil || tr.String() != name {
			t.Errorf("ParseTier(%q) = %v, %v", name, tr, err)
		}
	}
	if _, err := ParseTier("dense"); err == nil {
		t.Error("ParseTier(dense) succeeded")
	}
	// Solve with Auto records the policy's choice.
	x := cloud(t, "moons:50")
	r, err := Solve(compute.NewCPU(0), Problem{X: x.Points, Y: x.Points, N: 50, M: 50, D: 2, Eps: 0.1}, Settings{})
	if err != nil || r.Tier != Full || !strings.Contains(r.Reason, "fast enough") {
		t.Errorf("Solve(Auto) tier %v reason %q err %v", r.Tier, r.Reason, err)
	}
}

// TestAutoPolicyAndFallback lowers the full-tier threshold so that Solve's
// Auto path meets the low-rank tiers on a small problem.
func TestAutoPolicyAndFallback(t *testing.T) {
	defer func(v int) { fullPairs = v }(fullPairs)
	fullPairs = 100
	be := compute.NewCPU(0)
	x, y := cloud(t, "moons:200:seed=1"), cloud(t, "8gaussians:200:seed=2")
	p := Problem{X: x.Points, Y: y.Points, N: 200, M: 200, D: 2}
	for _, c := range []struct {
		eps  float64
		s    Settings
		want Tier
		why  string
	}{
		{1, Settings{}, Nystrom, "Nystrom landmarks"},
		{0.3, Settings{}, RFF, "positive random features"},
		{0.1, Settings{}, Full, "too small"},
	} {
		p.Eps = c.eps
		r, err := Solve(be, p, c.s)
		if err != nil {
			t.Fatalf("eps=%g: %v", c.eps, err)
		}
		if r.Tier != c.want || !strings.Contains(r.Reason, c.why) {
			t.Errorf("eps=%g: tier %v (%q), want %v (%q)", c.eps, r.Tier, r.Reason, c.want, c.why)
		}
	}
	// Fallback: at eps/d = 0.125 with 50 landmarks (seed 1) Nystrom's
	// kernel sums turn negative (found by search); with the Nystrom
	// threshold lowered, Auto must fall back to positive features.
	defer func(v float64) { nystromEpsPerDim = v }(nystromEpsPerDim)
	nystromEpsPerDim = 0.1
	g, _ := data.Generate("gaussian", 300, data.Options{Seed: 1, D: 2})
	u, _ := data.Generate("uniform", 300, data.Options{Seed: 2, D: 2, Scale: 1.5})
	q := Problem{X: g.Points, Y: u.Points, N: 300, M: 300, D: 2, Eps: 0.25}
	if _, err := Solve(be, q, Settings{Tier: Nystrom, Landmarks: 50, Seed: 1}); !errors.Is(err, ErrUnstable) {
		t.Fatalf("forced Nystrom: error %v, want ErrUnstable", err)
	}
	r, err := Solve(be, q, Settings{Landmarks: 50, Seed: 1})
	if err != nil || r.Tier != RFF || !strings.Contains(r.Reason, "nystrom was unstable") || !r.Converged {
		t.Errorf("Auto fallback: tier %v reason %q converged %v err %v; want rff after nystrom", r.Tier, r.Reason, r.Converged, err)
	}
}

func TestUnstableAndBadInput(t *testing.T) {
	be := compute.NewCPU(0)
	x, y := cloud(t, "moons:60:seed=1"), cloud(t, "8gaussians:60:seed=2")
	// eps far too small for the scaling form: ErrUnstable, not NaN.
	_, err := Solve(be, Problem{X: x.Points, Y: y.Points, N: 60, M: 60, D: 2, Eps: 1e-4}, Settings{Tier: RFF, Features: 50})
	if !errors.Is(err, ErrUnstable) || !strings.Contains(err.Error(), "underflows in float64 beyond C = 0.0708") {
		t.Errorf("rff at eps = 1e-4: error %v, want ErrUnstable naming the underflow scale -log(2^-1022) eps", err)
	}
	bad := []struct {
		p    Problem
		want string
	}{
		{Problem{X: x.Points, Y: y.Points, N: 60, M: 60, D: 2, Eps: 0}, "eps = 0 must be positive"},
		{Problem{X: x.Points, Y: y.Points, N: 60, M: 61, D: 2, Eps: 1}, "Y has 120 values, want M*D = 61*2"},
		{Problem{X: x.Points, Y: y.Points, N: 0, M: 60, D: 2, Eps: 1}, "both sets must be non-empty"},
		{Problem{X: x.Points, Y: y.Points, N: 60, M: 60, D: 2, Eps: 1, B: make([]float64, 60)}, "B sums to 0"},
		{Problem{X: append([]float64{math.NaN()}, x.Points[1:]...), Y: y.Points, N: 60, M: 60, D: 2, Eps: 1}, "X[0] = NaN"},
	}
	for _, c := range bad {
		_, err := Solve(be, c.p, Settings{})
		if err == nil || !strings.Contains(err.Error(), c.want) || !errors.Is(err, ErrBadArgument) {
			t.Errorf("Solve error = %v, want %q", err, c.want)
		}
	}
	if _, err := SolveGrid(be, GridProblem{A: []float64{1, 2}, B: []float64{1}, H: 1, W: 2, Eps: 1}, Settings{}); err == nil || !strings.Contains(err.Error(), "want H*W = 2") {
		t.Errorf("SolveGrid with a short histogram: %v", err)
	}
	if _, err := Solve(be, Problem{X: x.Points, Y: y.Points, N: 60, M: 60, D: 2, Eps: 1}, Settings{Tier: Grid}); err == nil {
		t.Error("Solve with Tier Grid succeeded; want a pointer to SolveGrid")
	}
}
