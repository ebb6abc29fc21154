package sliced

import (
	"encoding/json"
	"errors"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/otplay/otplay/compute"
	"github.com/otplay/otplay/solvers/data"
)

func close(a, b, tol float64) bool {
	return math.Abs(a-b) <= tol*math.Max(1, math.Max(math.Abs(a), math.Abs(b)))
}

func npy(t testing.TB, name string) ([]float64, []int) {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	v, shape, err := data.ReadNPY(f)
	if err != nil {
		t.Fatal(err)
	}
	return v, shape
}

func measure(t testing.TB, name string) Measure {
	v, shape := npy(t, name)
	return Measure{Points: v, N: shape[0], D: shape[1]}
}

type potCase struct {
	SW           float64   `json:"sw"`
	PerDirection []float64 `json:"per_direction"`
}

type potRef struct {
	Eq, Neq, Weighted potCase
	MaxLowerBound     float64 `json:"max_lower_bound"`
	OneD              struct {
		U, V, A, B []float64
		W2Sq       float64 `json:"w2sq"`
		EMD2       float64 `json:"emd2"`
	} `json:"oned"`
}

func loadRef(t testing.TB) potRef {
	b, err := os.ReadFile("testdata/ref.json")
	if err != nil {
		t.Fatal(err)
	}
	var r potRef
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatal(err)
	}
	return r
}

// bruteW2Sq solves tiny 1-D OT with uniform weights n == m by trying
// every permutation (the assignment problem is the OT problem here).
func bruteW2Sq(u, v []float64) float64 {
	n := len(u)
	perm := make([]int, n)
	for i := range perm {
		perm[i] = i
	}
	best := math.Inf(1)
	var rec func(k int)
	rec = func(k int) {
		if k == n {
			var s float64
			for i, j := range perm {
				s += (u[i] - v[j]) * (u[i] - v[j])
			}
			best = math.Min(best, s/float64(n))
			return
		}
		for i := k; i < n; i++ {
			perm[k], perm[i] = perm[i], perm[k]
			rec(k + 1)
			perm[k], perm[i] = perm[i], perm[k]
		}
	}
	rec(0)
	return best
}

func TestTransport1DAgainstBruteForceAndPOT(t *testing.T) {
	u := []float64{0.3, -1.2, 2.5, 0.0, 0.9, -0.4, 1.7}
	v := []float64{1.1, 0.2, -2.0, 3.3, 0.5, -0.7, 0.05}
	od, err := Transport1D(u, nil, v, nil)
	if err != nil {
		t.Fatal(err)
	}
	if want := bruteW2Sq(u, v); !close(od.W2Sq, want, 1e-14) {
		t.Errorf("Transport1D W2^2 = %.17g, brute force over 7! permutations %.17g", od.W2Sq, want)
	}
	// The plan is a coupling: marginals 1/7 each, cost equal to W2Sq.
	ma, mb := make([]float64, 7), make([]float64, 7)
	var cost float64
	for _, m := range od.Plan {
		ma[m.I] += m.Mass
		mb[m.J] += m.Mass
		cost += m.Mass * (u[m.I] - v[m.J]) * (u[m.I] - v[m.J])
	}
	for i := range ma {
		if !close(ma[i], 1.0/7, 1e-15) || !close(mb[i], 1.0/7, 1e-15) {
			t.Fatalf("plan marginals %v %v, want 1/7", ma, mb)
		}
	}
	if !close(cost, od.W2Sq, 1e-14) {
		t.Errorf("plan cost %g != W2Sq %g", cost, od.W2Sq)
	}

	// Weighted, unequal sizes: POT's wasserstein_1d and emd2 (ref.json).
	ref := loadRef(t).OneD
	od, err = Transport1D(ref.U, ref.A, ref.V, ref.B)
	if err != nil {
		t.Fatal(err)
	}
	if !close(od.W2Sq, ref.W2Sq, 1e-13) || !close(od.W2Sq, ref.EMD2, 1e-13) {
		t.Errorf("weighted Transport1D = %.15g, POT wasserstein_1d %.15g, emd2 %.15g", od.W2Sq, ref.W2Sq, ref.EMD2)
	}
	if len(od.Plan) > len(ref.U)+len(ref.V)-1 {
		t.Errorf("plan has %d entries, more than n + m - 1 = %d", len(od.Plan), len(ref.U)+len(ref.V)-1)
	}
	// Uniform integer merge equals the float merge.
	uu, vv := slices.Clone(u[:5]), slices.Clone(v)
	slices.Sort(uu)
	slices.Sort(vv)
	odw, _ := Transport1D(uu, nil, vv, nil)
	if got := w2SortedUniform(uu, vv); !close(got, odw.W2Sq, 1e-14) {
		t.Errorf("w2SortedUniform(5 vs 7) = %.17g, Transport1D %.17g", got, odw.W2Sq)
	}
}

func TestTransport1DErrors(t *testing.T) {
	cases := []struct {
		u, a, v, b []float64
		want       string
	}{
		{nil, nil, []float64{1}, nil, "u is empty"},
		{[]float64{1, math.NaN()}, nil, []float64{1}, nil, "u[1] = NaN"},
		{[]float64{1}, []float64{1, 2}, []float64{1}, nil, "a has 2 entries, want 1"},
		{[]float64{1, 2}, []float64{1, -1}, []float64{1}, nil, "a[1] = -1 is negative"},
		{[]float64{1}, nil, []float64{1}, []float64{0}, "b sums to 0"},
	}
	for _, c := range cases {
		_, err := Transport1D(c.u, c.a, c.v, c.b)
		if err == nil || !strings.Contains(err.Error(), c.want) || !errors.Is(err, ErrBadArgument) {
			t.Errorf("Transport1D(%v, %v, %v, %v) error = %v, want %q", c.u, c.a, c.v, c.b, err, c.want)
		}
	}
}

func TestDistanceAgainstPOT(t *testing.T) {
	be := compute.NewCPU(0)
	ref := loadRef(t)
	dirs, _ := npy(t, "dirs3.npy")
	xe, ye := measure(t, "x_eq.npy"), measure(t, "y_eq.npy")
	xn, yn := measure(t, "x_neq.npy"), measure(t, "y_neq.npy")
	a, _ := npy(t, "a_w.npy")
	b, _ := npy(t, "b_w.npy")
	xw, yw := xn, yn
	xw.Weights, yw.Weights = a, b
	cases := []struct {
		name string
		x, y Measure
		ref  potCase
		path Path
	}{
		{"equal sizes", xe, ye, ref.Eq, PathDevice},
		{"30 vs 45", xn, yn, ref.Neq, PathDeviceSortHostMerge},
		{"weighted", xw, yw, ref.Weighted, PathHostArgsort},
	}
	for _, c := range cases {
		r, err := Distance(be, c.x, c.y, Settings{Directions: dirs})
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if r.Path != c.path {
			t.Errorf("%s: path %q, want %q", c.name, r.Path, c.path)
		}
		if !close(r.SW, c.ref.SW, 1e-12) {
			t.Errorf("%s: SW = %.15g, POT %.15g", c.name, r.SW, c.ref.SW)
		}
		for l, w := range c.ref.PerDirection {
			if !close(r.PerDirection[l], w, 1e-12) {
				t.Errorf("%s: direction %d W2^2 = %.15g, POT %.15g", c.name, l, r.PerDirection[l], w)
			}
		}
		if last := r.Running[len(r.Running)-1]; last != r.SW {
			t.Errorf("%s: last running estimate %g != SW %g", c.name, last, r.SW)
		}
	}
	// Slices gives the same per-direction values on the host.
	sl, err := Slices(xw, yw, dirs)
	if err != nil {
		t.Fatal(err)
	}
	for l, s := range sl {
		if !close(s.W2Sq, ref.Weighted.PerDirection[l], 1e-12) {
			t.Errorf("Slices direction %d W2^2 = %g, POT %g", l, s.W2Sq, ref.Weighted.PerDirection[l])
		}
	}
}

// TestGaussianShift: for x ~ N(m1, s^2 I) and y = x + (m2 - m1) (the same
// sample shifted), the projections on theta differ by the constant
// theta . delta, so W_2^2(theta) = (theta . delta)^2 exactly, and its mean
// over the sphere is |delta|^2 / d.
func TestGaussianShift(t *testing.T) {
	be := compute.NewCPU(0)
	const n, d = 300, 4
	x, err := data.Generate("gaussian", n, data.Options{D: d, Seed: 5, Scale: 0.7})
	if err != nil {
		t.Fatal(err)
	}
	delta := []float64{1, -2, 0.5, 0}
	y := slices.Clone(x.Points)
	for i := range y {
		y[i] += delta[i%d]
	}
	X := Measure{Points: x.Points, N: n, D: d}
	Y := Measure{Points: y, N: n, D: d}
	want := (1 + 4 + 0.25) / d
	for _, smp := range []Sampling{Random, QMC} {
		r, err := Distance(be, X, Y, Settings{Projections: 4000, Sampling: smp, Seed: 3})
		if err != nil {
			t.Fatal(err)
		}
		for l := 0; l < 10; l++ {
			var p float64
			for k := 0; k < d; k++ {
				p += r.Directions[l*d+k] * delta[k]
			}
			if !close(r.PerDirection[l], p*p, 1e-12) {
				t.Fatalf("%v: direction %d W2^2 = %.15g, want (theta.delta)^2 = %.15g", smp, l, r.PerDirection[l], p*p)
			}
		}
		got := r.SW * r.SW
		// Random: E = |delta|^2/d with standard error r.StdErr; QMC: closer.
		if math.Abs(got-want) > 4*r.StdErr || (smp == QMC && math.Abs(got-want) > 0.01*want) {
			t.Errorf("%v: SW^2 = %.5f, want |delta|^2/d = %.5f (stderr %.5f)", smp, got, want, r.StdErr)
		}
		t.Logf("%v: SW^2 = %.5f, want %.5f, |err| %.2g, stderr %.2g", smp, got, want, math.Abs(got-want), r.StdErr)
	}
}

// TestQMCDirectionsAreUniform checks the second moment of each sampling:
// for theta uniform on S^{d-1}, E[theta theta^T] = I/d, so the empirical
// mean of theta_k^2 is 1/d and of theta_j theta_k (j != k) is 0; QMC must
// be much closer than the Monte-Carlo error.
func TestQMCDirectionsAreUniform(t *testing.T) {
	for _, d := range []int{2, 3, 5} {
		for _, smp := range []Sampling{Random, QMC} {
			const L = 1000
			th, err := Directions(smp, L, d, 11)
			if err != nil {
				t.Fatal(err)
			}
			var worst float64
			for j := 0; j < d; j++ {
				for k := 0; k <= j; k++ {
					var s float64
					for l := 0; l < L; l++ {
						s += th[l*d+j] * th[l*d+k]
					}
					s /= L
					want := 0.0
					if j == k {
						want = 1 / float64(d)
					}
					worst = math.Max(worst, math.Abs(s-want))
				}
			}
			for l := 0; l < L; l++ {
				var s float64
				for k := 0; k < d; k++ {
					s += th[l*d+k] * th[l*d+k]
				}
				if !close(s, 1, 1e-14) {
					t.Fatalf("%v d=%d: direction %d has norm^2 %g", smp, d, l, s)
				}
			}
			// MC error of a second moment ~ 0.5/sqrt(L) = 0.016.
			limit := 0.06
			if smp == QMC {
				limit = 0.01
			}
			if worst > limit {
				t.Errorf("%v d=%d: second moments off by %.4f (limit %g)", smp, d, worst, limit)
			}
			t.Logf("%v d=%d: worst second-moment error %.2g", smp, d, worst)
		}
	}
	a, _ := Directions(Random, 5, 3, 1)
	b, _ := Directions(Random, 5, 3, 1)
	c, _ := Directions(Random, 5, 3, 2)
	if !slices.Equal(a, b) || slices.Equal(a, c) {
		t.Error("Random directions are not a function of the seed")
	}
}

func TestMaxSliced(t *testing.T) {
	be := compute.NewCPU(0)
	x, y := measure(t, "x_max.npy"), measure(t, "y_max.npy")
	lower := loadRef(t).MaxLowerBound
	r, err := Max(be, x, y, MaxSettings{Candidates: 16, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	for k := 1; k < len(r.History); k++ {
		if r.History[k] < r.History[k-1] {
			t.Fatalf("ascent decreased W2^2 at step %d: %v", k, r.History)
		}
	}
	if !r.Converged {
		t.Errorf("max-sliced did not converge in %d iterations", r.Iterations)
	}
	// POT's best of 20000 random directions in 2-D is within ~1e-7 of the
	// maximum; the ascent from 16 candidates must reach it.
	if r.MaxSW < lower-1e-6 {
		t.Errorf("max-SW = %.9f below POT's best of 20000 directions %.9f (best candidate %.6f)", r.MaxSW, lower, r.BestCandidate)
	}
	if r.MaxSW > lower+1e-4 {
		t.Errorf("max-SW = %.9f far above POT's estimate %.9f: check the objective", r.MaxSW, lower)
	}
	t.Logf("max-SW %.9f (POT %.9f), best candidate %.6f, %d iterations", r.MaxSW, lower, r.BestCandidate, r.Iterations)
	// The direction is along the long axis of x.
	if math.Abs(r.Direction[0]) < 0.99 {
		t.Errorf("max direction %v, want near (+-1, 0)", r.Direction)
	}
}

func TestDistanceErrors(t *testing.T) {
	be := compute.NewCPU(0)
	good := Measure{Points: []float64{0, 0, 1, 1}, N: 2, D: 2}
	cases := []struct {
		x, y Measure
		s    Settings
		want string
	}{
		{Measure{N: 0, D: 2}, good, Settings{}, "x: N = 0"},
		{good, Measure{Points: []float64{1, 2, 3}, N: 2, D: 2}, Settings{}, "y: 3 coordinates, want N*D = 2*2"},
		{good, Measure{Points: []float64{1, 2, 3}, N: 1, D: 3}, Settings{}, "x has dimension 2, y has 3"},
		{Measure{Points: []float64{0, math.Inf(1), 1, 1}, N: 2, D: 2}, good, Settings{}, "x.Points[1] = +Inf"},
		{good, Measure{Points: []float64{0, 0, 1, 1}, N: 2, D: 2, Weights: []float64{1, -1}}, Settings{}, "y.Weights[1] = -1 is negative"},
		{good, good, Settings{Projections: -1}, "projections = -1"},
		{good, good, Settings{Directions: []float64{1, 0, 0}}, "Directions has 3 values"},
	}
	for _, c := range cases {
		_, err := Distance(be, c.x, c.y, c.s)
		if err == nil || !strings.Contains(err.Error(), c.want) || !errors.Is(err, ErrBadArgument) {
			t.Errorf("Distance error = %v, want %q", err, c.want)
		}
	}
	if _, err := ParseSampling("sobol"); err == nil {
		t.Error("ParseSampling(sobol) succeeded")
	}
	if s, _ := ParseSampling("qmc"); s != QMC || s.String() != "qmc" {
		t.Error("ParseSampling(qmc) round trip failed")
	}
}

// TestChunking: a problem larger than one chunk of directions gives the
// same numbers as computing each direction alone.
func TestChunking(t *testing.T) {
	be := compute.NewCPU(0)
	const n = 1 << 16 // chunk = 2^22 / 2^16 = 64 directions
	x, _ := data.Generate("gaussian", n, data.Options{D: 2, Seed: 1})
	y, _ := data.Generate("uniform", n, data.Options{D: 2, Seed: 2})
	X, Y := Measure{Points: x.Points, N: n, D: 2}, Measure{Points: y.Points, N: n, D: 2}
	r, err := Distance(be, X, Y, Settings{Projections: 70, Seed: 4})
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range []int{0, 63, 64, 69} {
		one, err := Distance(be, X, Y, Settings{Directions: r.Directions[2*l : 2*l+2]})
		if err != nil {
			t.Fatal(err)
		}
		if !close(one.PerDirection[0], r.PerDirection[l], 1e-12) {
			t.Errorf("direction %d: %g in a chunk, %g alone", l, r.PerDirection[l], one.PerDirection[0])
		}
	}
}
