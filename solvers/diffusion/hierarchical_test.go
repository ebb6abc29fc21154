package diffusion

import (
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/otplay/otplay/compute"
	"github.com/otplay/otplay/compute/webgpu/gputest"
)

// bruteHierarchical is an independent float64 re-implementation of one
// step of the seed's SchroedingerBridgeSolver.solve_once after the
// predictor (schrodinger_bridge.py: sinkhorn_iterative and
// _construct_transport_map), written with the dense kernel matrix in the
// linear domain as the seed does: K_ij = mean_k exp(-s_k^2 |x_i - x_j|^2 /
// (2 sigma^2)), f = 1/clamp(K g), g = 1/clamp(K f) from f = g = 1, and the
// row-normalised map with weights clamp(f_j g_j) (or g_j). It returns the
// smoothed points, the iterations run and the final marginal error.
//
// averaged runs u = f = g, u <- sqrt(u / clamp(K u)) instead.
func bruteHierarchical(x, y []float64, n, d int, sigma float64, scales []float64, iters int, tol float64, barycentric, averaged bool) ([]float64, int, float64) {
	K := make([]float64, n*n)
	for i := 0; i < n; i++ {
		for j := 0; j < n; j++ {
			r2 := 0.0
			for k := 0; k < d; k++ {
				diff := x[i*d+k] - x[j*d+k]
				r2 += diff * diff
			}
			for _, s := range scales {
				K[i*n+j] += math.Exp(-s*s*r2/(2*sigma*sigma)) / float64(len(scales))
			}
		}
	}
	apply := func(v []float64) []float64 {
		out := make([]float64, n)
		for i := range out {
			for j, vj := range v {
				out[i] += K[i*n+j] * vj
			}
		}
		return out
	}
	clampInv := func(v []float64) []float64 {
		out := make([]float64, n)
		for i, vi := range v {
			out[i] = 1 / math.Min(math.Max(vi, 1e-8), 1e8)
		}
		return out
	}
	f, g := make([]float64, n), make([]float64, n)
	for i := range f {
		f[i], g[i] = 1, 1
	}
	it := 0
	for it < iters {
		it++
		prev := append([]float64(nil), f...)
		if averaged {
			inv := clampInv(apply(f))
			for i := range f {
				f[i] = math.Sqrt(f[i] * inv[i])
			}
			copy(g, f)
		} else {
			f = clampInv(apply(g))
			g = clampInv(apply(f))
		}
		change := 0.0
		for i := range f {
			change = math.Max(change, math.Abs(f[i]-prev[i]))
		}
		if change < tol {
			break
		}
	}
	kg := apply(g)
	marg := 0.0
	for i := range kg {
		marg = math.Max(marg, math.Abs(f[i]*kg[i]-1))
	}
	out := make([]float64, n*d)
	for i := 0; i < n; i++ {
		den := 0.0
		for j := 0; j < n; j++ {
			w := g[j]
			if !barycentric {
				w *= f[j]
			}
			w = math.Min(math.Max(w, 1e-10), 1e6)
			p := K[i*n+j] * w
			den += p
			for k := 0; k < d; k++ {
				out[i*d+k] += p * y[j*d+k]
			}
		}
		for k := 0; k < d; k++ {
			out[i*d+k] /= den
		}
	}
	return out, it, marg
}

// hierCloud returns n points in d dims uniform in [-1, 1] and their
// predicted next state y = 0.9 x + 0.1 z (Philox streams).
func hierCloud(n, d int, seed uint64) (x, y []float64) {
	x, y = make([]float64, n*d), make([]float64, n*d)
	for i := range x {
		x[i] = 2*compute.UniformAt(seed, uint64(i)) - 1
		y[i] = 0.9*x[i] + 0.1*compute.NormalAt(seed+1, uint64(i))
	}
	return x, y
}

// hierCases are the settings the brute-force comparisons run: the seed's
// adaptive bandwidth at three times, constant bandwidths on one and three
// scales, and the barycentric variant.
var hierCases = []struct {
	name string
	at   Time
	set  HierarchicalSettings
}{
	{"seed default, t = 0.5", At(Linear(1000), 0.5), HierarchicalSettings{On: true}},
	{"adaptive eps 0.5, t = 0.9", At(Linear(1000), 0.9), HierarchicalSettings{On: true, Bandwidth: 0.5}},
	{"adaptive eps 0.5, t = 0.01 (abar > 0.99)", At(Linear(1000), 0.01), HierarchicalSettings{On: true, Bandwidth: 0.5}},
	{"constant 0.15", At(Linear(1000), 0.5), HierarchicalSettings{On: true, Bandwidth: 0.15, ConstantBandwidth: true}},
	{"constant 0.15, scales 0.5 1 2", At(Linear(1000), 0.5), HierarchicalSettings{On: true, Bandwidth: 0.15, ConstantBandwidth: true, Scales: []float64{0.5, 1, 2}}},
	{"constant 0.15, barycentric", At(Linear(1000), 0.5), HierarchicalSettings{On: true, Bandwidth: 0.15, ConstantBandwidth: true, Barycentric: true}},
	{"constant 0.1, 50 iterations, tol 1e-9", At(Linear(1000), 0.5), HierarchicalSettings{On: true, Bandwidth: 0.1, ConstantBandwidth: true, Iterations: 50, Tol: 1e-9}},
	{"constant 0.15, averaged", At(Linear(1000), 0.5), HierarchicalSettings{On: true, Bandwidth: 0.15, ConstantBandwidth: true, Averaged: true}},
	{"adaptive 0.3, scales 0.5 1 2, averaged, barycentric", At(Linear(1000), 0.7), HierarchicalSettings{On: true, Bandwidth: 0.3, Scales: []float64{0.5, 1, 2}, Averaged: true, Barycentric: true}},
}

// hierReference fills the defaults of set and runs bruteHierarchical with
// them: the smoothed points, the bandwidth, the iterations and the
// marginal error.
func hierReference(t *testing.T, set HierarchicalSettings, at Time, x0, y0 []float64, n, d int) ([]float64, float64, int, float64) {
	t.Helper()
	if err := validateHierarchical(&set); err != nil {
		t.Fatal(err)
	}
	sigma := HierarchicalBandwidth(set, at)
	want, it, marg := bruteHierarchical(x0, y0, n, d, sigma, hierScales(set, n, d), set.Iterations, set.Tol, set.Barycentric, set.Averaged)
	return want, sigma, it, marg
}

// TestHierarchicalSmoothBruteForce compares HierarchicalSmooth on the CPU
// backend with the dense float64 re-implementation, to 1e-10.
func TestHierarchicalSmoothBruteForce(t *testing.T) {
	b := compute.NewCPU(0)
	const n, d = 60, 2
	x0, y0 := hierCloud(n, d, 7)
	for _, tc := range hierCases {
		want, sigma, it, marg := hierReference(t, tc.set, tc.at, x0, y0, n, d)
		x, y, dst := upload(t, b, x0), upload(t, b, y0), upload(t, b, make([]float64, n*d))
		st, err := HierarchicalSmooth(b, dst, x, y, n, d, tc.at, tc.set)
		if marg > HierarchicalMarginalLimit {
			if err == nil || !strings.Contains(err.Error(), "marginal") {
				t.Errorf("%s: brute-force marginal error %.3g > limit, library err = %v", tc.name, marg, err)
			}
			continue
		}
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		got := read(t, b, dst)
		e := 0.0
		moved := 0.0
		for i := range got {
			e = math.Max(e, math.Abs(got[i]-want[i]))
			moved = math.Max(moved, math.Abs(want[i]-y0[i]))
		}
		if e > 1e-10 {
			t.Errorf("%s: max |library - brute force| = %.3g, want <= 1e-10", tc.name, e)
		}
		if st.Iterations != it || math.Abs(st.Marginal-marg) > 1e-10 || st.Sigma != sigma {
			t.Errorf("%s: stats %+v, brute force iterations %d, marginal %.3g, sigma %g", tc.name, st, it, marg, sigma)
		}
		t.Logf("%s: sigma %.4g, %d iterations, marginal %.2g, max move %.3g, error %.2g", tc.name, sigma, it, marg, moved, e)
	}
}

// TestHierarchicalAveragedConverges: at a bandwidth of a tenth of the
// cloud's scale the seed's alternating iteration stops at its 20
// iterations with the marginals off by more than 1e-3, where the averaged
// symmetric one meets the tolerance in fewer kernel passes with an error
// ten times smaller.
func TestHierarchicalAveragedConverges(t *testing.T) {
	b := compute.NewCPU(0)
	const n, d = 200, 2
	x0, y0 := hierCloud(n, d, 5)
	at := At(Linear(1000), 0.5)
	var st [2]HierarchicalStats
	for k, avg := range []bool{false, true} {
		x, y, dst := upload(t, b, x0), upload(t, b, y0), upload(t, b, make([]float64, n*d))
		var err error
		st[k], err = HierarchicalSmooth(b, dst, x, y, n, d, at, HierarchicalSettings{On: true, Bandwidth: 0.08, ConstantBandwidth: true, Averaged: avg})
		if err != nil && !avg && !strings.Contains(err.Error(), "marginal") {
			t.Fatal(err)
		}
		if err != nil && avg {
			t.Fatalf("averaged: %v", err)
		}
	}
	t.Logf("alternating: %d iterations (2 passes each), marginal %.3g; averaged: %d iterations (1 pass each), marginal %.3g", st[0].Iterations, st[0].Marginal, st[1].Iterations, st[1].Marginal)
	if !(st[0].Marginal > 1e-3) || !(st[1].Marginal < st[0].Marginal/10) || !(st[1].Iterations < 2*st[0].Iterations) {
		t.Errorf("alternating %+v, averaged %+v: want the averaged iteration ten times closer in fewer passes", st[0], st[1])
	}
}

// TestHierarchicalSeedBandwidthRule checks HierarchicalBandwidth against
// the seed's solve_once formula written out for three alpha_bar values.
func TestHierarchicalSeedBandwidthRule(t *testing.T) {
	for _, c := range []struct{ abar, eps, want float64 }{
		{0.995, 0.01, 1e-4},                  // abar > 0.99: max(eps/100, 1e-6)
		{0.5, 0.01, 0.01 * math.Sqrt(0.5)},   // eps sqrt(1 - abar)
		{0.9999999, 1e-5, 1e-6},              // the 1e-6 floor
		{0.99, 0.2, 0.2 * math.Sqrt(0.01)},   // abar = 0.99 is not > 0.99
		{1e-9, 0.3, 0.3 * math.Sqrt(1-1e-9)}, // pure noise
		{0.9995, 2, 0.02},                    // eps/100
		{0.98, 1, math.Max(0.01, math.Sqrt(0.02))},
	} {
		at := Time{Alpha: math.Sqrt(c.abar), Sigma: math.Sqrt(1 - c.abar)}
		got := HierarchicalBandwidth(HierarchicalSettings{Bandwidth: c.eps}, at)
		if math.Abs(got-c.want) > 1e-12*c.want {
			t.Errorf("abar %g, eps %g: sigma = %g, want %g", c.abar, c.eps, got, c.want)
		}
		if got := HierarchicalBandwidth(HierarchicalSettings{Bandwidth: c.eps, ConstantBandwidth: true}, at); got != c.eps {
			t.Errorf("constant: sigma = %g, want %g", got, c.eps)
		}
	}
	if got := hierScales(HierarchicalSettings{}, 1000, 2); len(got) != 1 {
		t.Errorf("n = 1000: scales %v, want the direct operator's one scale", got)
	}
	if got := hierScales(HierarchicalSettings{}, 1001, 2); len(got) != 3 {
		t.Errorf("n = 1001: scales %v, want the multi-scale 0.5 1 2", got)
	}
	if got := hierScales(HierarchicalSettings{}, 20000, 2); len(got) != 1 {
		t.Errorf("n = 20000, d = 2: scales %v, want the Nystrom operator's one scale", got)
	}
}

// TestHierarchicalSample runs the probability-flow Euler sampler (the
// seed's predictor) with the smoothing over 4 steps and checks it against
// the same steps taken one at a time without it, each followed by the
// brute-force smoothing, to 1e-10.
func TestHierarchicalSample(t *testing.T) {
	b := compute.NewCPU(0)
	const n, d, steps = 50, 2, 4
	s := Linear(1000)
	model, err := NewGMM(b, []float64{1, 2}, []float64{-0.5, 0, 0.5, 0.2}, []float64{0.1, 0.1}, d)
	if err != nil {
		t.Fatal(err)
	}
	x0 := make([]float64, n*d)
	for i := range x0 {
		x0[i] = compute.NormalAt(11, uint64(i))
	}
	hs := HierarchicalSettings{On: true, Bandwidth: 0.3, Iterations: 100}
	set := Settings{Sampler: EulerMaruyama, Deterministic: true, Steps: steps, Hierarchical: hs}
	x := upload(t, b, x0)
	res, err := Sample(b, model, s, x, n, set)
	if err != nil {
		t.Fatal(err)
	}
	got := read(t, b, x)
	if res.NFE != steps || res.HierarchicalIterations < steps {
		t.Errorf("NFE %d (want %d), Sinkhorn iterations %d (want >= %d)", res.NFE, steps, res.HierarchicalIterations, steps)
	}
	grid, err := Grid(s, Settings{Sampler: EulerMaruyama, Steps: steps})
	if err != nil {
		t.Fatal(err)
	}
	want := append([]float64(nil), x0...)
	moved := 0.0
	for i := 0; i+1 < len(grid); i++ {
		xa := upload(t, b, want)
		if _, err := Sample(b, model, s, xa, n, Settings{Sampler: EulerMaruyama, Deterministic: true, Times: grid[i : i+2]}); err != nil {
			t.Fatal(err)
		}
		y := read(t, b, xa)
		b.Free(xa)
		sigma := HierarchicalBandwidth(hs, At(s, grid[i]))
		next, _, _ := bruteHierarchical(want, y, n, d, sigma, []float64{1}, hs.Iterations, DefaultHierarchicalTol, false, false)
		for k := range next {
			moved = math.Max(moved, math.Abs(next[k]-y[k]))
		}
		want = next
	}
	e := 0.0
	for i := range got {
		e = math.Max(e, math.Abs(got[i]-want[i]))
	}
	if e > 1e-10 {
		t.Errorf("sampler with smoothing vs step-by-step brute force: max error %.3g, want <= 1e-10", e)
	}
	if moved < 1e-3 {
		t.Errorf("the smoothing moved points by at most %.3g: the test does not exercise it", moved)
	}
}

// TestHierarchicalBadInput checks that bad input gives a clear error.
func TestHierarchicalBadInput(t *testing.T) {
	b := compute.NewCPU(0)
	const n, d = 8, 2
	x0, y0 := hierCloud(n, d, 3)
	at := At(Linear(1000), 0.5)
	x, y, dst := upload(t, b, x0), upload(t, b, y0), upload(t, b, make([]float64, n*d))
	nan := append([]float64(nil), x0...)
	nan[3] = math.NaN()
	xnan := upload(t, b, nan)
	on := HierarchicalSettings{On: true}
	for _, c := range []struct {
		name, want string
		err        func() error
	}{
		{"NaN in x", "NaN", func() error { _, err := HierarchicalSmooth(b, dst, xnan, y, n, d, at, on); return err }},
		{"negative bandwidth", "bandwidth", func() error {
			_, err := HierarchicalSmooth(b, dst, x, y, n, d, at, HierarchicalSettings{On: true, Bandwidth: -1})
			return err
		}},
		{"NaN bandwidth", "bandwidth", func() error {
			_, err := HierarchicalSmooth(b, dst, x, y, n, d, at, HierarchicalSettings{On: true, Bandwidth: math.NaN()})
			return err
		}},
		{"empty batch", "n = 0", func() error { _, err := HierarchicalSmooth(b, dst, x, y, 0, d, at, on); return err }},
		{"wrong length", "elements", func() error { _, err := HierarchicalSmooth(b, dst, x, y, n+1, d, at, on); return err }},
		{"aliasing", "alias", func() error { _, err := HierarchicalSmooth(b, y, x, y, n, d, at, on); return err }},
		{"empty scales", "scales", func() error {
			_, err := HierarchicalSmooth(b, dst, x, y, n, d, at, HierarchicalSettings{On: true, Scales: []float64{}})
			return err
		}},
		{"negative scale", "scales[1]", func() error {
			_, err := HierarchicalSmooth(b, dst, x, y, n, d, at, HierarchicalSettings{On: true, Scales: []float64{1, -2}})
			return err
		}},
		{"iterations", "iterations", func() error {
			_, err := HierarchicalSmooth(b, dst, x, y, n, d, at, HierarchicalSettings{On: true, Iterations: -3})
			return err
		}},
		{"marginal not met", "marginal error", func() error {
			// One iteration at a bandwidth comparable to the cloud leaves
			// the marginals far off, as the seed's check would find.
			_, err := HierarchicalSmooth(b, dst, x, y, n, d, at, HierarchicalSettings{On: true, Bandwidth: 0.4, ConstantBandwidth: true, Iterations: 1})
			return err
		}},
		{"ode-adaptive", "ode-adaptive", func() error {
			m, _ := NewGMM(b, []float64{1}, []float64{0, 0}, []float64{0.1}, d)
			_, err := Sample(b, m, Linear(1000), upload(t, b, x0), n, Settings{Sampler: ODEAdaptive, Steps: 4, Hierarchical: on})
			return err
		}},
	} {
		err := c.err()
		if err == nil || !errors.Is(err, ErrBadInput) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: err = %v, want ErrBadInput mentioning %q", c.name, err, c.want)
		}
	}
	if got := read(t, b, x); !equalSlices(got, x0) {
		t.Error("a failed call changed x")
	}
}

func equalSlices(a, b []float64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestGPUHierarchicalSmooth runs the brute-force cases on the GPU backend
// (lavapipe here): float32 soft-min passes against the float64 dense
// reference. The error bound is the float32 floor of the soft-mean's
// weights, exp(-|x - x'|^2/(2 sigma^2)) with |x - x'|^2/(2 sigma^2) up to
// ~400 at sigma = 0.1 in [-1, 1]^2: about 1e-7 x 400 relative, on values
// of order 1; 1e-4 leaves a margin of ~2.
func TestGPUHierarchicalSmooth(t *testing.T) {
	g := gputest.Backend(t)
	const n, d = 60, 2
	x0, y0 := hierCloud(n, d, 7)
	for _, tc := range hierCases {
		want, _, it, marg := hierReference(t, tc.set, tc.at, x0, y0, n, d)
		if marg > HierarchicalMarginalLimit {
			continue
		}
		x, y, dst := upload(t, g, x0), upload(t, g, y0), upload(t, g, make([]float64, n*d))
		st, err := HierarchicalSmooth(g, dst, x, y, n, d, tc.at, tc.set)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		e := relClose(read(t, g, dst), want)
		if e > 1e-4 {
			t.Errorf("%s on %s: max error %.3g against float64, want <= 1e-4", tc.name, g.Info().Device, e)
		}
		t.Logf("%s: %d iterations (float64: %d), error %.2g", tc.name, st.Iterations, it, e)
		g.Free(x)
		g.Free(y)
		g.Free(dst)
	}
}

// TestGPUHierarchicalTinyBandwidth: the seed's smallest bandwidth, sigma =
// 1e-4 (eps = 2e-8; the last steps of `otplay sample --data 8gaussians
// --steps 50 --hierarchical`), on 200 points around the 8 centres at
// radius 2, in pairs 1e-4 apart so the kernel mixes each pair. The fused
// float32 soft-min rounds the exponents by ~Floor = 150 nats there and
// the marginal check failed at ~1e11; kernelCost picks the
// coordinate-difference cost on the GPU (and the fused one on the float64
// CPU), and the GPU result then matches the float64 dense reference to
// 1e-5 (6.3e-7 on lavapipe; the points, ~2, are stored in float32 to
// ~1.2e-7). The smoothing moves points by up to ~1.8e-3 (asked: >= 1e-4),
// so the match is not the identity's.
func TestGPUHierarchicalTinyBandwidth(t *testing.T) {
	g := gputest.Backend(t)
	const n, d = 200, 2
	x0, y0 := make([]float64, n*d), make([]float64, n*d)
	for i := 0; i < n; i += 2 {
		a := float64(i/2%8) * math.Pi / 4
		x0[2*i] = 2*math.Cos(a) + 0.02*compute.NormalAt(81, uint64(2*i))
		x0[2*i+1] = 2*math.Sin(a) + 0.02*compute.NormalAt(81, uint64(2*i+1))
		x0[2*i+2] = x0[2*i] + 1e-4*compute.NormalAt(82, uint64(i))
		x0[2*i+3] = x0[2*i+1] + 1e-4*compute.NormalAt(83, uint64(i))
	}
	for i := range y0 {
		y0[i] = x0[i] + 1e-3*compute.NormalAt(84, uint64(i))
	}
	set := HierarchicalSettings{On: true, Bandwidth: 1e-4, ConstantBandwidth: true}
	at := Time{Alpha: 1}
	want, _, it, marg := hierReference(t, set, at, x0, y0, n, d)
	if marg > HierarchicalMarginalLimit {
		t.Fatalf("float64 reference: marginal error %.3g over the limit", marg)
	}
	eps := []float64{2e-8}
	if c := kernelCost(g, x0, d, eps); !c.Differences {
		t.Errorf("kernelCost on %s = %+v, want the coordinate differences", g.Info().Device, c)
	}
	if c := kernelCost(compute.NewCPU(0), x0, d, eps); c != (compute.Cost{}) {
		t.Errorf("kernelCost on the float64 CPU = %+v, want the fused cost", c)
	}
	x, y, dst := upload(t, g, x0), upload(t, g, y0), upload(t, g, make([]float64, n*d))
	defer func() { g.Free(x); g.Free(y); g.Free(dst) }()
	st, err := HierarchicalSmooth(g, dst, x, y, n, d, at, set)
	if err != nil {
		t.Fatal(err)
	}
	got := read(t, g, dst)
	e, moved := 0.0, 0.0
	for i := range got {
		e = max(e, math.Abs(got[i]-want[i]))
		moved = max(moved, math.Abs(want[i]-y0[i]))
	}
	if !(e <= 1e-5) || !(moved >= 1e-4) {
		t.Errorf("on %s: max error %.3g against float64 (want <= 1e-5), max move %.3g (want >= 1e-4)", g.Info().Device, e, moved)
	}
	t.Logf("%s: %d iterations (float64: %d), marginal %.2g, max move %.3g, error %.2g", g.Info().Device, st.Iterations, it, st.Marginal, moved, e)
}
