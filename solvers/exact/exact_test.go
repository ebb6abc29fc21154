package exact

import (
	"encoding/json"
	"errors"
	"math"
	"os"
	"strings"
	"testing"

	"github.com/otplay/otplay/compute"
)

func normals(n int, seed uint64) []float64 {
	v := make([]float64, n)
	for i := range v {
		v[i] = compute.NormalAt(seed, uint64(i))
	}
	return v
}

func closeRel(got, want, rel float64) bool {
	return math.Abs(got-want) <= rel*math.Abs(want)
}

// pointCase is one cloud pair of testdata/emd_ref.json with POT's ot.emd2.
type pointCase struct {
	N, M, D    int
	Weighted   bool
	X, Y, A, B []float64
	Cost       float64
}

func loadPointCases(t *testing.T) []pointCase {
	return loadCases[pointCase](t, "testdata/emd_ref.json")
}

// loadCases reads the "cases" of a reference file made by testdata/*.py.
func loadCases[C any](t *testing.T, path string) []C {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var ref struct{ Cases []C }
	if err := json.Unmarshal(raw, &ref); err != nil {
		t.Fatal(err)
	}
	return ref.Cases
}

// TestAgainstPOT compares costs with POT 0.8.2's ot.emd2 (network simplex),
// numbers made by testdata/make_ref.py.
func TestAgainstPOT(t *testing.T) {
	for _, c := range loadPointCases(t) {
		var r *Result
		var err error
		if c.D == 1 {
			r, err = Solve1D(c.X, c.A, c.Y, c.B)
		} else {
			r, err = Solve(c.X, c.Y, c.N, c.M, c.D)
		}
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("n=%d m=%d d=%d: cost %.12g, POT emd2 %.12g", c.N, c.M, c.D, r.Cost, c.Cost)
		if !closeRel(r.Cost, c.Cost, 1e-10) {
			t.Errorf("n=%d m=%d d=%d: cost %.12g, want %.12g", c.N, c.M, c.D, r.Cost, c.Cost)
		}
		checkMarginals(t, r, c.A, c.B)
	}
}

func checkMarginals(t *testing.T, r *Result, a, b []float64) {
	t.Helper()
	ra, rb := make([]float64, len(a)), make([]float64, len(b))
	for _, f := range r.Flows {
		ra[f.I] += f.Mass
		rb[f.J] += f.Mass
	}
	for i := range a {
		if math.Abs(ra[i]-a[i]) > 1e-12 {
			t.Fatalf("row %d carries %g, want %g", i, ra[i], a[i])
		}
	}
	for j := range b {
		if math.Abs(rb[j]-b[j]) > 1e-12 {
			t.Fatalf("column %d carries %g, want %g", j, rb[j], b[j])
		}
	}
}

// TestAssignmentBruteForce checks optimality against all permutations.
func TestAssignmentBruteForce(t *testing.T) {
	for n := 1; n <= 7; n++ {
		cost := normals(n*n, uint64(100+n))
		_, got, err := Assignment(cost, n)
		if err != nil {
			t.Fatal(err)
		}
		best := math.Inf(1)
		perm := make([]int, n)
		for i := range perm {
			perm[i] = i
		}
		var rec func(k int)
		rec = func(k int) {
			if k == n {
				s := 0.0
				for i, j := range perm {
					s += cost[i*n+j]
				}
				best = min(best, s)
				return
			}
			for i := k; i < n; i++ {
				perm[k], perm[i] = perm[i], perm[k]
				rec(k + 1)
				perm[k], perm[i] = perm[i], perm[k]
			}
		}
		rec(0)
		if math.Abs(got-best) > 1e-12 {
			t.Errorf("n=%d: assignment %g, brute force %g", n, got, best)
		}
	}
}

// TestGaussianLinearMap: Y = A X + c with A symmetric positive definite is
// the optimal (Brenier) map, so the identity pairing is optimal and
// W2^2 = mean |x_i - y_i|^2 exactly (cyclical monotonicity of the gradient
// of a convex function; Brenier 1991). The points are shuffled on the Y
// side so the solver has to find the pairing.
func TestGaussianLinearMap(t *testing.T) {
	n, d := 300, 2
	x := normals(n*d, 31)
	A := [2][2]float64{{1.5, 0.4}, {0.4, 0.7}} // eigenvalues > 0
	c := [2]float64{0.3, -1}
	y := make([]float64, n*d)
	want := 0.0
	for i := range n {
		pi := (i*37 + 11) % n // a permutation (gcd(37, 300) = 1)
		for k := range d {
			y[pi*d+k] = A[k][0]*x[i*d] + A[k][1]*x[i*d+1] + c[k]
			e := x[i*d+k] - y[pi*d+k]
			want += e * e / float64(n)
		}
	}
	r, err := Solve(x, y, n, n, d)
	if err != nil {
		t.Fatal(err)
	}
	if !closeRel(r.Cost, want, 1e-12) {
		t.Errorf("cost %.15g, want %.15g", r.Cost, want)
	}
	for _, f := range r.Flows {
		if f.J != (f.I*37+11)%n {
			t.Fatalf("x_%d sent to y_%d, want y_%d", f.I, f.J, (f.I*37+11)%n)
		}
	}
}

// TestOneDClosedForm: W2^2 between 1-D Gaussians discretised at n
// quantiles tends to (m1-m2)^2 + (s1-s2)^2; with the same quantile levels
// on both sides the sorted pairing gives exactly
// (m1-m2)^2 + (s1-s2)^2 mean(z^2), z the standard quantiles.
func TestOneDClosedForm(t *testing.T) {
	n := 1000
	m1, s1, m2, s2 := 0.5, 2.0, -1.0, 0.5
	x, y := make([]float64, n), make([]float64, n)
	mz2 := 0.0
	for i := range n {
		z := math.Sqrt2 * math.Erfinv(2*(float64(i)+0.5)/float64(n)-1)
		x[(i*7)%n], y[(i*13)%n] = m1+s1*z, m2+s2*z
		mz2 += z * z / float64(n)
	}
	r, err := Solve1D(x, nil, y, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := (m1-m2)*(m1-m2) + (s1-s2)*(s1-s2)*mz2
	if !closeRel(r.Cost, want, 1e-12) {
		t.Errorf("cost %.15g, want %.15g", r.Cost, want)
	}
	if limit := (m1-m2)*(m1-m2) + (s1-s2)*(s1-s2); !closeRel(r.Cost, limit, 5e-3) {
		t.Errorf("cost %g far from the continuous W2^2 %g", r.Cost, limit)
	}
	// In 1-D the assignment solver agrees with sorting.
	ra, err := Solve(x[:200], y[:200], 200, 200, 1)
	if err != nil {
		t.Fatal(err)
	}
	rs, _ := Solve1D(x[:200], nil, y[:200], nil)
	if !closeRel(ra.Cost, rs.Cost, 1e-12) {
		t.Errorf("assignment %.15g, sorting %.15g", ra.Cost, rs.Cost)
	}
}

// TestUnequalSizes: n != m uniform problems agree with the weighted 1-D
// solver in 1-D, and marginals hold.
func TestUnequalSizes(t *testing.T) {
	x, y := normals(12, 41), normals(18, 42)
	r, err := Solve(x, y, 12, 18, 1)
	if err != nil {
		t.Fatal(err)
	}
	s, _ := Solve1D(x, nil, y, nil)
	if !closeRel(r.Cost, s.Cost, 1e-12) {
		t.Errorf("replicated assignment %.15g, sorting %.15g", r.Cost, s.Cost)
	}
	a, b := make([]float64, 12), make([]float64, 18)
	for i := range a {
		a[i] = 1.0 / 12
	}
	for j := range b {
		b[j] = 1.0 / 18
	}
	checkMarginals(t, r, a, b)
}

func TestBadInput(t *testing.T) {
	cases := []struct {
		name string
		err  error
		want string
	}{
		{"empty", func() error { _, err := Solve(nil, []float64{1}, 0, 1, 1); return err }(), "x is empty"},
		{"pairs", func() error { _, err := Solve(make([]float64, 5001), make([]float64, 5001), 5001, 5001, 1); return err }(), "pairs exceed"},
		{"nan", func() error { _, err := Solve1D([]float64{math.NaN()}, nil, []float64{1}, nil); return err }(), "x[0]"},
		{"mass", func() error { _, err := Solve1D([]float64{1, 2}, []float64{1, 1}, []float64{1}, nil); return err }(), "a sums to 2"},
		{"negative", func() error { _, err := Solve1D([]float64{1, 2}, []float64{1.5, -0.5}, []float64{1}, nil); return err }(), "a[1]"},
		{"dims", func() error { _, err := Solve(make([]float64, 5), make([]float64, 4), 2, 2, 2); return err }(), "x has 5 values"},
	}
	for _, c := range cases {
		if c.err == nil || !errors.Is(c.err, ErrBadInput) || !strings.Contains(c.err.Error(), c.want) {
			t.Errorf("%s: error %v, want one mentioning %q", c.name, c.err, c.want)
		}
	}
}

// BenchmarkAssignment times the Hungarian method (Assignment) on the
// squared distances of 2-D clouds.
func BenchmarkAssignment(b *testing.B) {
	for _, n := range []int{500, 2000} {
		cost := SquaredEuclidean(normals(2*n, 51), normals(2*n, 52), n, n, 2)
		b.Run(map[int]string{500: "n=500", 2000: "n=2000"}[n], func(b *testing.B) {
			for b.Loop() {
				if _, _, err := Assignment(cost, n); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
