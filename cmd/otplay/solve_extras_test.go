package main

import (
	"math"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/otplay/otplay/compute"
	"github.com/otplay/otplay/solvers/data"
	"github.com/otplay/otplay/solvers/imageio"
	"github.com/otplay/otplay/solvers/kernel"
	"github.com/otplay/otplay/solvers/ot"
)

// TestSolveWarm: a solve stopped early at tol 1e-4 and resumed with
// --warm from its --potentials (.npz, and F,G files) reaches tol 1e-9 in
// fewer iterations than a cold solve, and lands on the cold solve's cost;
// a warm start from the converged potentials stops at the first check.
func TestSolveWarm(t *testing.T) {
	dir := t.TempDir()
	npz := filepath.Join(dir, "p.npz")
	base := []string{"--x", "moons:200:seed=1", "--y", "8gaussians:200:seed=2", "--eps", "0.05"}
	cold := solveJSON(t, append(base, "--tol", "1e-9")...)
	rough := solveJSON(t, append(base, "--tol", "1e-4", "--potentials", npz)...)
	warm := solveJSON(t, append(base, "--tol", "1e-9", "--warm", npz)...)
	ci, ri, wi := cold["iterations"].(float64), rough["iterations"].(float64), warm["iterations"].(float64)
	t.Logf("cold %v iterations; rough (tol 1e-4) %v, then warm %v", ci, ri, wi)
	if warm["warm"] != true || cold["warm"] != nil {
		t.Errorf("JSON warm: cold %v, warm %v; want absent and true", cold["warm"], warm["warm"])
	}
	if !(wi < ci) {
		t.Errorf("warm-started solve took %v iterations, cold %v: no saving", wi, ci)
	}
	if c, w := cold["cost"].(float64), warm["cost"].(float64); math.Abs(c-w) > 1e-8*c {
		t.Errorf("warm cost %.12g, cold %.12g", w, c)
	}
	// Converged potentials as two .npy files: the first check (10
	// iterations) already meets the tolerance.
	f, g := filepath.Join(dir, "f.npy"), filepath.Join(dir, "g.npy")
	solveJSON(t, append(base, "--tol", "1e-9", "--potentials", f+","+g)...)
	again := solveJSON(t, append(base, "--tol", "1e-9", "--warm", f+","+g)...)
	if it := again["iterations"].(float64); it > 10 {
		t.Errorf("warm start from converged potentials took %v iterations, want <= 10", it)
	}
}

// TestSolveApply: --apply at the source points themselves gives the
// barycentric projection of the plan, sum_j P_ij y_j / sum_j P_ij, computed
// here from the dense --plan; at new points it matches the estimator
// evaluated by brute force from the written potential g.
func TestSolveApply(t *testing.T) {
	dir := t.TempDir()
	xs, err := data.Parse("moons:60:seed=4")
	if err != nil {
		t.Fatal(err)
	}
	ys, _ := data.Parse("8gaussians:50:seed=5")
	zs, _ := data.Parse("gaussian:7:seed=6")
	xf, zf := filepath.Join(dir, "x.npy"), filepath.Join(dir, "z.npy")
	if err := data.Save(xf, xs.Points, xs.N, xs.D); err != nil {
		t.Fatal(err)
	}
	if err := data.Save(zf, zs.Points, zs.N, zs.D); err != nil {
		t.Fatal(err)
	}
	const eps = 0.1
	plan, pots, tx, tz := filepath.Join(dir, "P.npy"), filepath.Join(dir, "p.npz"), filepath.Join(dir, "tx.npy"), filepath.Join(dir, "tz.csv")
	common := []string{"--y", "8gaussians:50:seed=5", "--eps", "0.1", "--tol", "1e-11"}
	solveJSON(t, append(common, "--x", xf, "--apply", xf, "--mapped", tx, "--plan", plan, "--potentials", pots)...)
	r := solveJSON(t, append(common, "--x", xf, "--apply", zf, "--mapped", tz)...)
	if r["mapped"].(float64) != 7 {
		t.Errorf("JSON mapped = %v, want 7", r["mapped"])
	}
	P, err := data.Load(plan)
	if err != nil {
		t.Fatal(err)
	}
	T, err := data.Load(tx)
	if err != nil {
		t.Fatal(err)
	}
	worst := 0.0
	for i := range xs.N {
		m0, m1 := weightedMean2(P.Points[i*ys.N:(i+1)*ys.N], ys.Points)
		worst = max(worst, math.Abs(T.Points[2*i]-m0), math.Abs(T.Points[2*i+1]-m1))
	}
	if worst > 1e-9 {
		t.Errorf("--apply at X differs from the plan's barycentric projection by %.3g", worst)
	}
	_, g, err := loadPotentials(pots)
	if err != nil {
		t.Fatal(err)
	}
	TZ, err := data.Load(tz)
	if err != nil {
		t.Fatal(err)
	}
	worst = 0
	for k := range zs.N {
		z0, z1 := zs.Points[2*k], zs.Points[2*k+1]
		lw := make([]float64, ys.N)
		top := math.Inf(-1)
		for j := range ys.N {
			d0, d1 := z0-ys.Points[2*j], z1-ys.Points[2*j+1]
			lw[j] = (g[j] - d0*d0 - d1*d1) / eps // uniform b_j cancels
			top = max(top, lw[j])
		}
		for j := range lw {
			lw[j] = math.Exp(lw[j] - top)
		}
		m0, m1 := weightedMean2(lw, ys.Points)
		worst = max(worst, math.Abs(TZ.Points[2*k]-m0), math.Abs(TZ.Points[2*k+1]-m1))
	}
	if worst > 1e-9 {
		t.Errorf("--apply at new points differs from the brute-force estimator by %.3g", worst)
	}
}

// weightedMean2 returns sum_j w_j y_j / sum_j w_j for 2-D points y.
func weightedMean2(w, y []float64) (m0, m1 float64) {
	s := 0.0
	for j, wj := range w {
		s += wj
		m0 += wj * y[2*j]
		m1 += wj * y[2*j+1]
	}
	return m0 / s, m1 / s
}

// TestSolveRichardson: --richardson reports cost = 2 C(eps/2) - C(eps)
// with both costs equal to plain solves at eps and eps/2.
func TestSolveRichardson(t *testing.T) {
	base := []string{"--x", "moons:120:seed=1", "--y", "8gaussians:120:seed=2", "--tol", "1e-10"}
	r := solveJSON(t, append(base, "--eps", "0.2", "--richardson")...)
	rich := r["richardson"].(map[string]any)
	ce, ch := rich["cost_eps"].(float64), rich["cost_half_eps"].(float64)
	if got, want := r["cost"].(float64), 2*ch-ce; math.Abs(got-want) > 1e-12 {
		t.Errorf("cost %.12g, want 2 * %.12g - %.12g", got, ch, ce)
	}
	plain := solveJSON(t, append(base, "--eps", "0.2")...)["cost"].(float64)
	half := solveJSON(t, append(base, "--eps", "0.1")...)["cost"].(float64)
	if math.Abs(ce-plain) > 1e-8 || math.Abs(ch-half) > 1e-8 {
		t.Errorf("cost_eps %.10g (plain %.10g), cost_half_eps %.10g (plain at eps/2 %.10g)", ce, plain, ch, half)
	}
}

// TestSolveMaxSliced: in 2-D the max-sliced distance is the largest 1-D
// W_2 over angles; a brute-force scan of 3600 angles (sorting, equal
// sizes) bounds it from below within the grid's resolution, and it is at
// least the sliced average.
func TestSolveMaxSliced(t *testing.T) {
	xs, _ := data.Parse("moons:150:seed=1")
	ys, _ := data.Parse("8gaussians:150:seed=2")
	r := solveJSON(t, "--x", "moons:150:seed=1", "--y", "8gaussians:150:seed=2", "--method", "max-sliced", "--projections", "50")
	sw := solveJSON(t, "--x", "moons:150:seed=1", "--y", "8gaussians:150:seed=2", "--method", "sliced")["value"].(float64)
	got := r["value"].(float64)
	best := 0.0
	px, py := make([]float64, xs.N), make([]float64, ys.N)
	for k := range 3600 {
		th := math.Pi * float64(k) / 3600
		c, s := math.Cos(th), math.Sin(th)
		for i := range xs.N {
			px[i] = c*xs.Points[2*i] + s*xs.Points[2*i+1]
			py[i] = c*ys.Points[2*i] + s*ys.Points[2*i+1]
		}
		slices.Sort(px)
		slices.Sort(py)
		w := 0.0
		for i := range px {
			w += (px[i] - py[i]) * (px[i] - py[i])
		}
		best = max(best, math.Sqrt(w/float64(xs.N)))
	}
	t.Logf("max-sliced %.6f, brute force over 3600 angles %.6f, sliced %.6f", got, best, sw)
	if math.Abs(got-best) > 1e-4*best {
		t.Errorf("max-sliced = %.8f, brute-force maximum %.8f", got, best)
	}
	if !(got > sw) {
		t.Errorf("max-sliced %.6f not above sliced %.6f", got, sw)
	}
	if d := r["direction"].([]any); len(d) != 2 {
		t.Errorf("direction %v, want 2 values", d)
	}
}

// TestSolveExtrasRefused: the extras refuse methods and inputs they
// cannot honour, with exit 2 and the flag named.
func TestSolveExtrasRefused(t *testing.T) {
	dir := t.TempDir()
	pots := filepath.Join(dir, "p.npz")
	solveJSON(t, "--x", "moons:20", "--y", "moons:30", "--potentials", pots)
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--warm", pots, "--method", "sliced"}, "--warm: warm starts are for"},
		{[]string{"--warm", pots, "--scaling", "0.5"}, "--warm with --scaling"},
		{[]string{"--warm", pots, "--y", "moons:31"}, "g has 30 values, want m = 31"},
		{[]string{"--warm", filepath.Join(dir, "missing.npz")}, "--warm"},
		{[]string{"--warm", "a.npy"}, "want two files F,G"},
		{[]string{"--apply", "moons:5"}, "--apply needs --mapped"},
		{[]string{"--apply", "gaussian:5:d=3", "--mapped", filepath.Join(dir, "t.npy")}, "dimension 3"},
		{[]string{"--richardson", "--method", "unbalanced"}, "--richardson: Richardson extrapolation in eps is for --method sinkhorn"},
		{[]string{"--richardson", "--tier", "rff"}, "need the exact kernel"},
		{[]string{"--method", "max-sliced", "--plan", filepath.Join(dir, "P.npy")}, "max-sliced method has no plan"},
	} {
		args := append([]string{"--x", "moons:20", "--y", "moons:30", "--backend", "cpu"}, c.args...)
		code, _, errOut := solveRun(t, args...)
		if code == 0 || !strings.Contains(errOut, c.want) {
			t.Errorf("solve %v: exit %d, stderr %q; want failure naming %q", c.args, code, errOut, c.want)
		}
	}
}

// TestSolveGrid: --grid between two grey PNGs (with empty pixels) equals
// the full tier on the positions of the non-empty pixels with their
// luminance as weights (the same problem: empty pixels carry no mass);
// an H x W .npy histogram gives the same answer as the image it encodes.
func TestSolveGrid(t *testing.T) {
	dir := t.TempDir()
	const h, w = 12, 10
	blob := func(ci, cj, r float64) []float64 {
		v := make([]float64, h*w)
		for i := range h {
			for j := range w {
				d := math.Hypot(float64(i)-ci, float64(j)-cj)
				if d < r {
					v[i*w+j] = math.Round(255*(1-d/r)) / 255
				}
			}
		}
		return v
	}
	a, b := blob(3, 3, 4), blob(8, 6, 3.5)
	writePNG := func(name string, v []float64) string {
		img, err := imageio.New(w, h)
		if err != nil {
			t.Fatal(err)
		}
		for p, x := range v {
			img.Pix[3*p], img.Pix[3*p+1], img.Pix[3*p+2] = x, x, x
		}
		path := filepath.Join(dir, name)
		if err := imageio.Save(path, img); err != nil {
			t.Fatal(err)
		}
		return path
	}
	pa, pb := writePNG("a.png", a), writePNG("b.png", b)
	const eps = "0.01"
	g := solveJSON(t, "--grid", "--x", pa, "--y", pb, "--eps", eps, "--tol", "1e-10", "--iters", "5000")
	if g["tier"] != "grid" || g["n"].(float64) != h*w {
		t.Fatalf("--grid JSON tier %v n %v", g["tier"], g["n"])
	}
	// The reference: the non-empty pixels as points (pitch 1/max(h, w)).
	cloud := func(v []float64, pts, wts string) (string, string) {
		var xy, m []float64
		for p, x := range v {
			if x > 0 {
				xy = append(xy, float64(p/w)/h, float64(p%w)/h)
				m = append(m, x)
			}
		}
		if err := data.Save(filepath.Join(dir, pts), xy, len(m), 2); err != nil {
			t.Fatal(err)
		}
		if err := data.SaveVector(filepath.Join(dir, wts), m); err != nil {
			t.Fatal(err)
		}
		return filepath.Join(dir, pts), filepath.Join(dir, wts)
	}
	xa, wa := cloud(a, "xa.npy", "wa.npy")
	xb, wb := cloud(b, "xb.npy", "wb.npy")
	full := solveJSON(t, "--x", xa, "--a", wa, "--y", xb, "--b", wb, "--tier", "full", "--eps", eps, "--tol", "1e-10", "--iters", "5000")
	t.Logf("grid: cost %.10g objective %.10g (%v iterations); full tier on the pixels: cost %.10g objective %.10g",
		g["cost"], g["objective"], g["iterations"], full["cost"], full["objective"])
	for _, k := range []string{"cost", "objective"} {
		if gv, fv := g[k].(float64), full[k].(float64); math.Abs(gv-fv) > 1e-7*math.Abs(fv) {
			t.Errorf("--grid %s = %.12g, full tier on the pixels %.12g", k, gv, fv)
		}
	}
	na := filepath.Join(dir, "a.npy")
	if err := data.Save(na, a, h, w); err != nil {
		t.Fatal(err)
	}
	g2 := solveJSON(t, "--grid", "--x", na, "--y", pb, "--eps", eps, "--tol", "1e-10", "--iters", "5000")
	if math.Abs(g2["cost"].(float64)-g["cost"].(float64)) > 1e-12 {
		t.Errorf("--grid from .npy cost %.12g, from .png %.12g", g2["cost"], g["cost"])
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--grid", "--x", pa, "--y", "moons:20"}, "not a data set spec"},
		{[]string{"--grid", "--x", pa, "--y", xa}, "must share one grid"},
		{[]string{"--grid", "--x", pa, "--y", pb, "--method", "unbalanced"}, "--grid: convolutional Sinkhorn"},
		{[]string{"--grid", "--x", pa, "--y", pb, "--plan", filepath.Join(dir, "P.npy")}, "write --potentials instead"},
	} {
		code, _, errOut := solveRun(t, append(c.args, "--backend", "cpu")...)
		if code == 0 || !strings.Contains(errOut, c.want) {
			t.Errorf("solve %v: exit %d, stderr %q; want failure naming %q", c.args, code, errOut, c.want)
		}
	}
}

// TestSolveHilbert: --method hilbert gives kernel.HilbertDivergence's
// value for the same features (seed) and bandwidth, and refuses
// --features outside [1, 256] and --features without it.
func TestSolveHilbert(t *testing.T) {
	r := solveJSON(t, "--x", "moons:40:seed=1", "--y", "8gaussians:30:seed=2", "--method", "hilbert", "--eps", "0.05", "--features", "32", "--bandwidth", "0.8", "--seed", "3", "--tol", "1e-9")
	xs, _ := data.Parse("moons:40:seed=1")
	ys, _ := data.Parse("8gaussians:30:seed=2")
	want, err := kernel.HilbertDivergence(compute.NewCPU(0), ot.Problem{X: xs.Points, Y: ys.Points, N: 40, M: 30, D: 2},
		kernel.HilbertSettings{Features: 32, Bandwidth: 0.8, Seed: 3, OT: ot.Settings{Eps: 0.05, Tol: 1e-9}})
	if err != nil {
		t.Fatal(err)
	}
	if got := r["value"].(float64); math.Abs(got-want.Value) > 1e-12 {
		t.Errorf("--method hilbert value %.12g, library %.12g", got, want.Value)
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--method", "hilbert", "--features", "300"}, "--features 300"},
		{[]string{"--features", "16"}, "are for --method hilbert"},
	} {
		code, _, errOut := solveRun(t, append([]string{"--x", "moons:20", "--y", "moons:30", "--backend", "cpu"}, c.args...)...)
		if code != 2 || !strings.Contains(errOut, c.want) {
			t.Errorf("solve %v: exit %d, stderr %q; want 2 and %q", c.args, code, errOut, c.want)
		}
	}
}
