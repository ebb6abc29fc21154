package bridge

import (
	"errors"
	"math"
	"testing"

	"github.com/otplay/otplay/compute"
	"github.com/otplay/otplay/solvers/data"
	"github.com/otplay/otplay/solvers/ot"
	"github.com/otplay/otplay/solvers/sliced"
)

func cpu() compute.Backend { return compute.NewCPU(0) }

func toy(t testing.TB, name string, n int, seed uint64) []float64 {
	t.Helper()
	s, err := data.Generate(name, n, data.Options{Seed: seed})
	if err != nil {
		t.Fatal(err)
	}
	return s.Points
}

// tiny is a small weighted problem whose dense plan the tests can afford.
func tiny() ot.Problem {
	return ot.Problem{
		X: []float64{0, 0, 1, 0, 0.5, 1, -0.3, 0.4, 0.9, -0.8},
		Y: []float64{0.2, 0.1, 1.4, 0.6, -0.5, 1.2, 0.7, -0.4, 1.1, 1.1, -1, -0.2, 0.3, 0.9},
		N: 5, M: 7, D: 2,
		A: []float64{0.1, 0.3, 0.2, 0.25, 0.15},
		B: []float64{0.2, 0.1, 0.1, 0.15, 0.15, 0.2, 0.1},
	}
}

func newTiny(t *testing.T, sigma float64) *Bridge {
	t.Helper()
	br, err := New(cpu(), tiny(), Settings{Sigma: sigma, Sinkhorn: ot.Settings{Tol: 1e-12, MaxIter: 5000, CheckEvery: 1}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(br.Free)
	if !br.Static.Converged {
		t.Fatalf("Sinkhorn did not converge: marginal error %g", br.Static.MarginalError)
	}
	return br
}

// TestSamplePairsFollowPlan draws 40000 pairs and compares their
// frequencies with the dense plan (float64): every cell within 5 binomial
// standard deviations, and the chi-square statistic below its 0.999
// quantile (df = 34: 65.2).
func TestSamplePairsFollowPlan(t *testing.T) {
	br := newTiny(t, 0.5)
	P, err := br.Static.PlanDense(br.be)
	if err != nil {
		t.Fatal(err)
	}
	const n = 40000
	is, js, err := br.SamplePairs(n, 7)
	if err != nil {
		t.Fatal(err)
	}
	count := make([]float64, br.N*br.M)
	for k := range is {
		count[is[k]*br.M+js[k]]++
	}
	chi2 := 0.0
	for c, p := range P {
		f := count[c] / n
		sd := math.Sqrt(p * (1 - p) / n)
		if math.Abs(f-p) > 5*sd+1e-12 {
			t.Errorf("pair (%d, %d): frequency %.5f, plan %.5f (sd %.5f)", c/br.M, c%br.M, f, p, sd)
		}
		if p > 0 {
			chi2 += (count[c] - n*p) * (count[c] - n*p) / (n * p)
		}
	}
	t.Logf("chi-square over %d cells: %.1f", len(P), chi2)
	if chi2 > 65.2 {
		t.Errorf("chi-square %.1f above the 0.999 quantile 65.2 of df 34", chi2)
	}
}

// TestMarginalsAtEnds: at t = 0 every sample is a source point and their
// frequencies follow a; at t = 1 every sample is a target point following
// b (the plan's column marginal, converged to 1e-12).
func TestMarginalsAtEnds(t *testing.T) {
	br := newTiny(t, 0.4)
	const n = 20000
	for _, tc := range []struct {
		t   float64
		pts []float64
		w   []float64
	}{{0, br.X, br.A}, {1, br.Y, br.B}} {
		x, err := br.SampleAt(tc.t, n, 3)
		if err != nil {
			t.Fatal(err)
		}
		count := make([]float64, len(tc.w))
		for k := 0; k < n; k++ {
			p := x[k*2 : k*2+2]
			found := -1
			for j := range tc.w {
				if p[0] == tc.pts[2*j] && p[1] == tc.pts[2*j+1] {
					found = j
				}
			}
			if found < 0 {
				t.Fatalf("t = %g: sample %d = %v is not an end point", tc.t, k, p)
			}
			count[found]++
		}
		for j, w := range tc.w {
			f := count[j] / n
			if sd := math.Sqrt(w * (1 - w) / n); math.Abs(f-w) > 5*sd {
				t.Errorf("t = %g: point %d frequency %.4f, weight %.4f (sd %.4f)", tc.t, j, f, w, sd)
			}
		}
	}
}

// bruteMean is E[Y | X_t = x] under the mixture of Brownian bridges over
// the dense plan, summed over all (i, j) in float64: the definition, not
// the factorised formula Drift uses.
func bruteMean(br *Bridge, P []float64, x []float64, t float64) []float64 {
	d := br.D
	num := make([]float64, d)
	den := 0.0
	v := br.Sigma * br.Sigma * t * (1 - t)
	logs := make([]float64, 0, br.N*br.M)
	mx := math.Inf(-1)
	for i := 0; i < br.N; i++ {
		for j := 0; j < br.M; j++ {
			q := 0.0
			for c := 0; c < d; c++ {
				m := (1-t)*br.X[i*d+c] + t*br.Y[j*d+c]
				q += (x[c] - m) * (x[c] - m)
			}
			l := math.Log(P[i*br.M+j]) - q/(2*v)
			logs = append(logs, l)
			mx = math.Max(mx, l)
		}
	}
	for c := range logs {
		w := math.Exp(logs[c] - mx)
		j := c % br.M
		den += w
		for k := 0; k < d; k++ {
			num[k] += w * br.Y[j*d+k]
		}
	}
	for k := range num {
		num[k] /= den
	}
	return num
}

// TestDriftMatchesBridgeMixture checks the factorisation of Drift's
// derivation: the drift from the potentials equals (E[Y|x] - x)/(1 - t)
// with E[Y|x] summed over the whole bridge mixture, at points on and off
// the data, for several t (float64: agreement to 1e-9).
func TestDriftMatchesBridgeMixture(t *testing.T) {
	br := newTiny(t, 0.6)
	P, err := br.Static.PlanDense(br.be)
	if err != nil {
		t.Fatal(err)
	}
	xs := []float64{0, 0, 0.3, 0.7, -1.2, 2.5, 1, 1, 3, -2}
	worst := 0.0
	for _, tt := range []float64{0.05, 0.3, 0.5, 0.8, 0.97} {
		v, err := br.DriftHost(xs, tt)
		if err != nil {
			t.Fatal(err)
		}
		for k := 0; k < len(xs)/2; k++ {
			m := bruteMean(br, P, xs[2*k:2*k+2], tt)
			for c := 0; c < 2; c++ {
				want := (m[c] - xs[2*k+c]) / (1 - tt)
				worst = math.Max(worst, math.Abs(v[2*k+c]-want))
				if math.Abs(v[2*k+c]-want) > 1e-9*(1+math.Abs(want)) {
					t.Errorf("t = %g, x = %v: drift[%d] = %.12g, mixture gives %.12g", tt, xs[2*k:2*k+2], c, v[2*k+c], want)
				}
			}
		}
	}
	t.Logf("max |drift - mixture drift| = %.2g", worst)
}

// TestDriftAtZeroIsEntropicMap: at t = 0, E[Y | X_0 = x] is the entropic
// map of package ot (Pooladian and Niles-Weed 2021).
func TestDriftAtZeroIsEntropicMap(t *testing.T) {
	br := newTiny(t, 0.3)
	xs := []float64{0.1, 0.2, -0.7, 1.5, 2, 0}
	tx, err := br.Static.Transport(br.be, xs)
	if err != nil {
		t.Fatal(err)
	}
	v, err := br.DriftHost(xs, 0)
	if err != nil {
		t.Fatal(err)
	}
	for k := range xs {
		if want := tx[k] - xs[k]; math.Abs(v[k]-want) > 1e-12 {
			t.Errorf("drift[%d] at t = 0 = %.15g, T(x) - x = %.15g", k, v[k], want)
		}
	}
}

// TestPathsEndsAndMoments: paths start at x_i and end at y_j exactly; at
// t = 1/2 the sample mean of X_t - ((x_i + y_j)/2) is 0 and its variance
// sigma^2/4 per coordinate (Brownian bridge), within 5 standard errors.
func TestPathsEndsAndMoments(t *testing.T) {
	br := newTiny(t, 0.5)
	const n = 20000
	times := []float64{1, 0, 0.5}
	paths, err := br.Paths(times, n, 11)
	if err != nil {
		t.Fatal(err)
	}
	is, js, err := br.SamplePairs(n, 11)
	if err != nil {
		t.Fatal(err)
	}
	var sum, sum2 float64
	for k := 0; k < n; k++ {
		for c := 0; c < 2; c++ {
			if paths[1][2*k+c] != br.X[2*is[k]+c] || paths[0][2*k+c] != br.Y[2*js[k]+c] {
				t.Fatalf("path %d does not start at x_%d and end at y_%d", k, is[k], js[k])
			}
			r := paths[2][2*k+c] - (br.X[2*is[k]+c]+br.Y[2*js[k]+c])/2
			sum += r
			sum2 += r * r
		}
	}
	m := sum / (2 * n)
	v := sum2/(2*n) - m*m
	want := br.Sigma * br.Sigma / 4
	if se := math.Sqrt(want / (2 * n)); math.Abs(m) > 5*se {
		t.Errorf("mean residual at t = 1/2: %g (se %g)", m, se)
	}
	if se := want * math.Sqrt(2.0/(2*n)); math.Abs(v-want) > 5*se {
		t.Errorf("variance at t = 1/2: %g, want sigma^2/4 = %g (se %g)", v, want, se)
	}
}

func sw(t testing.TB, x, y []float64) float64 {
	t.Helper()
	r, err := sliced.Distance(cpu(), sliced.Measure{Points: x, N: len(x) / 2, D: 2},
		sliced.Measure{Points: y, N: len(y) / 2, D: 2}, sliced.Settings{Projections: 200, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	return r.SW
}

// nearestAtom is the mean distance of the points x to their nearest point
// of y (2-D).
func nearestAtom(x, y []float64) float64 {
	total := 0.0
	for k := 0; k < len(x)/2; k++ {
		best := math.Inf(1)
		for j := 0; j < len(y)/2; j++ {
			dx, dy := x[2*k]-y[2*j], x[2*k+1]-y[2*j+1]
			best = math.Min(best, dx*dx+dy*dy)
		}
		total += math.Sqrt(best)
	}
	return total / float64(len(x)/2)
}

// TestSimulateMatchesStaticBridge simulates the bridge SDE from the source
// points themselves (each repeated 5 times) and compares with the static
// bridge: at t = 1/2 and t = 1 the simulated law is within twice the
// Monte-Carlo floor (SW_2 of two static samples with different seeds) of
// the static marginal, and the mean distance of the end points to the
// nearest target atom (the bridge at t = 1 sits on the atoms; Euler's
// last step lands on a posterior mean) shrinks as the steps grow.
func TestSimulateMatchesStaticBridge(t *testing.T) {
	const n, rep = 200, 5
	src := toy(t, "gaussian", n, 1)
	tgt := toy(t, "moons", n, 2)
	br, err := New(cpu(), ot.Problem{X: src, Y: tgt, N: n, M: n, D: 2}, Settings{Sigma: 0.2})
	if err != nil {
		t.Fatal(err)
	}
	defer br.Free()
	x0 := make([]float64, 0, rep*2*n)
	for r := 0; r < rep; r++ {
		x0 = append(x0, src...)
	}
	static := func(tt float64, seed uint64) []float64 {
		x, err := br.SampleAt(tt, rep*n, seed)
		if err != nil {
			t.Fatal(err)
		}
		return x
	}
	floorMid := sw(t, static(0.5, 1), static(0.5, 2))
	floorEnd := sw(t, static(1, 1), static(1, 2))
	prevAtom := math.Inf(1)
	var first float64
	for _, steps := range []int{4, 16, 64} {
		var mid []float64
		r, err := br.Simulate(x0, SimSettings{Steps: steps, Seed: 5, Callback: func(k int, tt float64, x []float64) error {
			if math.Abs(tt-0.5) < 1e-12 {
				mid = x
			}
			return nil
		}})
		if err != nil {
			t.Fatal(err)
		}
		dMid := sw(t, mid, static(0.5, 3))
		dEnd := sw(t, r.X, static(1, 3))
		atom := nearestAtom(r.X, tgt)
		t.Logf("steps %2d: SW2 to the static bridge at t=1/2 %.4f (floor %.4f), at t=1 %.4f (floor %.4f); mean distance to the nearest target atom %.4f",
			steps, dMid, floorMid, dEnd, floorEnd, atom)
		if dMid > 2*floorMid || dEnd > 2*floorEnd {
			t.Errorf("steps %d: simulated marginals off the static bridge (%.4f, %.4f; floors %.4f, %.4f)", steps, dMid, dEnd, floorMid, floorEnd)
		}
		if atom >= prevAtom {
			t.Errorf("steps %d: distance to the atoms %.4f did not shrink from %.4f", steps, atom, prevAtom)
		}
		if steps == 4 {
			first = atom
		}
		prevAtom = atom
	}
	if prevAtom > first/2 {
		t.Errorf("64 steps: distance to the atoms %.4f, not below half of 4 steps' %.4f", prevAtom, first)
	}
}

// TestSimulateOutOfSample moves fresh source points (another seed than the
// bridge's source cloud) along the drift: their end points are within
// twice the floor (SW_2 of two independent target samples) of a fresh
// target sample, starting from eight times that.
func TestSimulateOutOfSample(t *testing.T) {
	const n = 400
	br, err := New(cpu(), ot.Problem{X: toy(t, "gaussian", n, 1), Y: toy(t, "moons", n, 2), N: n, M: n, D: 2}, Settings{Sigma: 0.2})
	if err != nil {
		t.Fatal(err)
	}
	defer br.Free()
	fresh, freshTgt := toy(t, "gaussian", n, 3), toy(t, "moons", n, 4)
	floor := sw(t, br.Y, freshTgt)
	start := sw(t, fresh, freshTgt)
	r, err := br.Simulate(fresh, SimSettings{Steps: 50, Seed: 5})
	if err != nil {
		t.Fatal(err)
	}
	d := sw(t, r.X, freshTgt)
	t.Logf("SW2(end, fresh target) = %.4f (start %.4f, floor %.4f)", d, start, floor)
	if start < 8*floor || d > 2*floor {
		t.Errorf("out-of-sample end points: SW2 %.4f, floor %.4f, start %.4f", d, floor, start)
	}
}

func TestBadInput(t *testing.T) {
	b := cpu()
	p := tiny()
	cases := []struct {
		name string
		f    func() error
	}{
		{"negative sigma", func() error { _, err := New(b, p, Settings{Sigma: -1}); return err }},
		{"NaN sigma", func() error { _, err := New(b, p, Settings{Sigma: math.NaN()}); return err }},
		{"conflicting eps", func() error { _, err := New(b, p, Settings{Sigma: 1, Sinkhorn: ot.Settings{Eps: 0.5}}); return err }},
		{"unbalanced", func() error { _, err := New(b, p, Settings{Sinkhorn: ot.Settings{TauA: 1}}); return err }},
		{"zero weight", func() error {
			q := tiny()
			q.A = []float64{0, 1, 1, 1, 1}
			_, err := New(b, q, Settings{})
			return err
		}},
	}
	for _, c := range cases {
		if err := c.f(); !errors.Is(err, ErrBadInput) {
			t.Errorf("%s: err = %v, want ErrBadInput", c.name, err)
		}
	}
	q := tiny()
	q.X[3] = math.NaN()
	if _, err := New(b, q, Settings{}); !errors.Is(err, ot.ErrBadInput) {
		t.Errorf("NaN in X: err = %v, want ot.ErrBadInput", err)
	}
	br := newTiny(t, 0.5)
	for name, f := range map[string]func() error{
		"t > 1":        func() error { _, err := br.SampleAt(1.5, 10, 0); return err },
		"t NaN":        func() error { _, err := br.SampleAt(math.NaN(), 10, 0); return err },
		"n = 0":        func() error { _, _, err := br.SamplePairs(0, 0); return err },
		"drift at 1":   func() error { _, err := br.DriftHost([]float64{0, 0}, 1); return err },
		"ragged x":     func() error { _, err := br.DriftHost([]float64{0, 0, 1}, 0.5); return err },
		"steps < 0":    func() error { _, err := br.Simulate([]float64{0, 0}, SimSettings{Steps: -1}); return err },
		"NaN x0":       func() error { _, err := br.Simulate([]float64{0, math.NaN()}, SimSettings{}); return err },
		"empty times":  func() error { _, err := br.Paths(nil, 3, 0); return err },
		"time below 0": func() error { _, err := br.Paths([]float64{-0.1}, 3, 0); return err },
	} {
		if err := f(); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}
