package exact

import (
	"errors"
	"math"
	"testing"

	"github.com/otplay/otplay/compute"
)

type emdCase struct {
	Name       string
	N, M       int
	A, B       []float64
	CostMatrix []float64 `json:"cost_matrix"`
	Plan       []float64
	Cost       float64
	U, V       []float64
	Warning    string
	ResultCode int `json:"result_code"`
}

func loadEMDCases(t *testing.T) []emdCase {
	return loadCases[emdCase](t, "testdata/emd_weighted_ref.json")
}

// checkDuals asserts, in float64, dual feasibility u_i + v_j <= C_ij,
// complementary slackness (equality where P_ij > 0), strong duality
// <a, u> + <b, v> = cost and the centring <a, u> = <b, v>.
func checkDuals(t *testing.T, name string, r *EMDResult, a, b, cost []float64, n, m int) {
	t.Helper()
	scale := 0.0
	for _, c := range cost {
		scale = max(scale, math.Abs(c))
	}
	tol := 1e-12 * max(scale, 1)
	for i := range n {
		for j := range m {
			if s := r.U[i] + r.V[j] - cost[i*m+j]; s > tol {
				t.Fatalf("%s: u[%d] + v[%d] exceeds C by %g", name, i, j, s)
			}
		}
	}
	for _, f := range r.Flows {
		if s := math.Abs(r.U[f.I] + r.V[f.J] - cost[f.I*m+f.J]); s > tol {
			t.Fatalf("%s: flow (%d, %d) has reduced cost %g, want 0", name, f.I, f.J, s)
		}
	}
	au, bv := 0.0, 0.0
	for i := range n {
		au += a[i] * r.U[i]
	}
	for j := range m {
		bv += b[j] * r.V[j]
	}
	if math.Abs(au+bv-r.Cost) > 1e-12*max(math.Abs(r.Cost), 1) {
		t.Errorf("%s: <a,u> + <b,v> = %.15g, cost %.15g", name, au+bv, r.Cost)
	}
	if math.Abs(au-bv) > 1e-12*max(math.Abs(r.Cost), 1) {
		t.Errorf("%s: centring: <a,u> = %.15g, <b,v> = %.15g", name, au, bv)
	}
}

// TestEMDAgainstPOT compares EMD with POT 0.8.2's ot.emd(..., log=True)
// on weighted problems (testdata/make_emd_ref.py): the cost to 1e-12
// relative, the plan entry by entry where the optimum is unique (random
// costs), the duals' feasibility and slackness, and the cap's warning.
func TestEMDAgainstPOT(t *testing.T) {
	for _, c := range loadEMDCases(t) {
		set := Settings{MaxIter: 10_000_000}
		if c.Warning != "" {
			set.MaxIter = 20
		}
		r, err := EMD(c.A, c.B, c.CostMatrix, c.N, c.M, set)
		if err != nil {
			t.Fatalf("%s: %v", c.Name, err)
		}
		t.Logf("%s: cost %.15g (POT %.15g), %d pivots, %d flows, status %v", c.Name, r.Cost, c.Cost, r.Iterations, len(r.Flows), r.Status)
		if c.Warning != "" {
			if r.Status != MaxIterReached || r.Warning != c.Warning {
				t.Errorf("%s: status %v, warning %q; POT warns %q", c.Name, r.Status, r.Warning, c.Warning)
			}
			continue
		}
		if r.Status != Optimal || r.Warning != "" {
			t.Fatalf("%s: status %v %q", c.Name, r.Status, r.Warning)
		}
		if math.Abs(r.Cost-c.Cost) > 1e-12*math.Abs(c.Cost) {
			t.Errorf("%s: cost %.17g, POT %.17g", c.Name, r.Cost, c.Cost)
		}
		if len(r.Flows) > c.N+c.M-1 {
			t.Errorf("%s: %d flows > n + m - 1", c.Name, len(r.Flows))
		}
		if r.MarginalError > 1e-14 {
			t.Errorf("%s: marginal error %g", c.Name, r.MarginalError)
		}
		if c.Name != "integer ties" {
			p := r.Dense(c.N, c.M)
			for k := range p {
				if math.Abs(p[k]-c.Plan[k]) > 1e-14 {
					t.Fatalf("%s: plan[%d, %d] = %.17g, POT %.17g", c.Name, k/c.M, k%c.M, p[k], c.Plan[k])
				}
			}
			// With a unique optimum and non-degenerate duals POT's centred
			// potentials are the same numbers.
			if c.Name != "zero weights" {
				for i := range c.U {
					if math.Abs(r.U[i]-c.U[i]) > 1e-10 {
						t.Errorf("%s: u[%d] = %.15g, POT %.15g", c.Name, i, r.U[i], c.U[i])
						break
					}
				}
			}
		}
		checkDuals(t, c.Name, r, c.A, c.B, c.CostMatrix, c.N, c.M)
	}
}

// TestEMDAgainstAssignment: with n = m and uniform weights the optimum is
// a permutation (Birkhoff); EMD's cost must equal the Hungarian method's.
func TestEMDAgainstAssignment(t *testing.T) {
	for _, n := range []int{1, 2, 17, 150} {
		cost := normals(n*n, uint64(n))
		for i := range cost {
			cost[i] = math.Abs(cost[i])
		}
		perm, total, err := Assignment(cost, n)
		if err != nil {
			t.Fatal(err)
		}
		r, err := EMD(nil, nil, cost, n, n, Settings{})
		if err != nil {
			t.Fatal(err)
		}
		if want := total / float64(n); math.Abs(r.Cost-want) > 1e-12*want {
			t.Errorf("n=%d: EMD cost %.15g, assignment %.15g", n, r.Cost, want)
		}
		for _, f := range r.Flows {
			if f.Mass > 1e-15 && perm[f.I] != f.J {
				t.Errorf("n=%d: flow (%d, %d) of %g off the assignment (row %d -> %d)", n, f.I, f.J, f.Mass, f.I, perm[f.I])
				break
			}
		}
		u := make([]float64, n)
		for i := range u {
			u[i] = 1 / float64(n)
		}
		checkDuals(t, "assignment", r, u, u, cost, n, n)
	}
}

// TestEMDDegenerate: all costs equal (every plan optimal), a column
// carrying all the mass, zero weights, a single point on each side, and
// negative costs; each checked by its closed form and by duality.
func TestEMDDegenerate(t *testing.T) {
	cases := []struct {
		name       string
		a, b, cost []float64
		n, m       int
		want       float64
	}{
		{"equal costs", []float64{0.2, 0.3, 0.5}, []float64{0.5, 0.5}, []float64{2, 2, 2, 2, 2, 2}, 3, 2, 2},
		{"one column", []float64{0.25, 0.75}, []float64{0, 1, 0}, []float64{1, 2, 3, 4, 5, 6}, 2, 3, 0.25*2 + 0.75*5},
		{"1 x 1", []float64{2}, []float64{2}, []float64{-3}, 1, 1, -6},
		{"negative", []float64{0.5, 0.5}, []float64{0.5, 0.5}, []float64{-1, -5, -5, -1}, 2, 2, -5},
		{"zero row", []float64{0, 1}, []float64{0.5, 0.5}, []float64{0, 0, 1, 3}, 2, 2, 2},
	}
	for _, c := range cases {
		r, err := EMD(c.a, c.b, c.cost, c.n, c.m, Settings{})
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if r.Status != Optimal || math.Abs(r.Cost-c.want) > 1e-14 || r.MarginalError > 1e-15 {
			t.Errorf("%s: cost %g (want %g), status %v, marginal error %g", c.name, r.Cost, c.want, r.Status, r.MarginalError)
		}
		checkDuals(t, c.name, r, c.a, c.b, c.cost, c.n, c.m)
	}
}

func TestEMDBadInput(t *testing.T) {
	cases := []struct {
		name       string
		a, b, cost []float64
		n, m       int
	}{
		{"shape", nil, nil, []float64{1, 2, 3}, 2, 2},
		{"NaN cost", nil, nil, []float64{1, math.NaN(), 3, 4}, 2, 2},
		{"Inf cost", nil, nil, []float64{1, math.Inf(1), 3, 4}, 2, 2},
		{"masses differ", []float64{1, 1}, []float64{0.5, 0.5}, []float64{1, 2, 3, 4}, 2, 2},
		{"negative weight", []float64{-1, 2}, nil, []float64{1, 2, 3, 4}, 2, 2},
		{"empty", nil, nil, nil, 0, 3},
	}
	for _, c := range cases {
		if _, err := EMD(c.a, c.b, c.cost, c.n, c.m, Settings{}); !errors.Is(err, ErrBadInput) {
			t.Errorf("%s: err = %v, want ErrBadInput", c.name, err)
		}
	}
}

// TestEMDPointsAgainstPOT runs the clouds of testdata/emd_ref.json (POT's
// ot.emd2 on uniform and weighted clouds) through EMD with ot.dist's
// matrix.
func TestEMDPointsAgainstPOT(t *testing.T) {
	for _, c := range loadPointCases(t) {
		cost := SquaredEuclidean(c.X, c.Y, c.N, c.M, c.D)
		r, err := EMD(c.A, c.B, cost, c.N, c.M, Settings{})
		if err != nil {
			t.Fatal(err)
		}
		if math.Abs(r.Cost-c.Cost) > 1e-12*c.Cost {
			t.Errorf("n=%d m=%d d=%d: cost %.15g, POT %.15g", c.N, c.M, c.D, r.Cost, c.Cost)
		}
		checkDuals(t, "clouds", r, c.A, c.B, cost, c.N, c.M)
	}
}

// TestPairCostsEuclidean: a cost function over points builds POT's
// ot.dist(x, y, 'euclidean') matrix, and EMD solves it (W_1: on the line
// the cost of moving every point by 1 is 1).
func TestPairCostsEuclidean(t *testing.T) {
	x := []float64{0, 0, 1, 0, 2, 0}
	y := []float64{0, 1, 1, 1, 2, 1}
	c := PairCosts(x, y, 3, 3, 2, func(xi, yj []float64) float64 {
		return math.Hypot(xi[0]-yj[0], xi[1]-yj[1])
	})
	if c[1] != math.Sqrt2 || c[4] != 1 {
		t.Fatalf("PairCosts = %v", c)
	}
	r, err := EMD(nil, nil, c, 3, 3, Settings{})
	if err != nil || math.Abs(r.Cost-1) > 1e-15 {
		t.Errorf("W_1 = %v (%v), want 1", r.Cost, err)
	}
}

func benchmarkEMD(b *testing.B, n int) {
	x, y := normals(2*n, 1), normals(2*n, 2)
	cost := SquaredEuclidean(x, y, n, n, 2)
	w := make([]float64, n)
	for i := range w {
		w[i] = 0.5 + 0.5*math.Abs(compute.NormalAt(3, uint64(i)))
	}
	for b.Loop() {
		if _, err := EMD(w, w, cost, n, n, Settings{MaxIter: 1 << 30}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkEMD500(b *testing.B)  { benchmarkEMD(b, 500) }
func BenchmarkEMD2000(b *testing.B) { benchmarkEMD(b, 2000) }

// TestEMDGradientFiniteDifferences: with a unique optimum (random clouds)
// the exact cost is differentiable and SquaredEuclideanGradient matches
// central differences of EMD's cost in x, y and along a - e_0 + e_i.
func TestEMDGradientFiniteDifferences(t *testing.T) {
	n, m, d := 8, 6, 2
	x, y := normals(n*d, 31), normals(m*d, 32)
	a, b := make([]float64, n), make([]float64, m)
	for i := range a {
		a[i] = (2 + float64(i%3)) / 23 // 2,3,4,2,3,4,2,3 sums to 23
	}
	for j := range b {
		b[j] = 1 / float64(m)
	}
	cost := func() float64 {
		r, err := EMD(a, b, SquaredEuclidean(x, y, n, m, d), n, m, Settings{})
		if err != nil {
			t.Fatal(err)
		}
		return r.Cost
	}
	r, err := EMD(a, b, SquaredEuclidean(x, y, n, m, d), n, m, Settings{})
	if err != nil {
		t.Fatal(err)
	}
	gx, gy, ga, _ := r.SquaredEuclideanGradient(x, y, n, m, d)
	const h = 1e-6
	// central moves v[i] by +-h (and v[j] by -+h when j >= 0, keeping
	// the mass) and differentiates the cost.
	central := func(v []float64, i, j int) float64 {
		at := func(s float64) float64 {
			vi := v[i]
			v[i] += s
			var vj float64
			if j >= 0 {
				vj = v[j]
				v[j] -= s
			}
			c := cost()
			v[i] = vi
			if j >= 0 {
				v[j] = vj
			}
			return c
		}
		return (at(h) - at(-h)) / (2 * h)
	}
	for i := range gx {
		if fd := central(x, i, -1); math.Abs(fd-gx[i]) > 1e-6 {
			t.Errorf("d cost/d x[%d] = %.9g, finite difference %.9g", i, gx[i], fd)
		}
	}
	for j := range gy {
		if fd := central(y, j, -1); math.Abs(fd-gy[j]) > 1e-6 {
			t.Errorf("d cost/d y[%d] = %.9g, finite difference %.9g", j, gy[j], fd)
		}
	}
	for i := 1; i < n; i++ {
		if fd := central(a, i, 0); math.Abs(fd-(ga[i]-ga[0])) > 1e-6 {
			t.Errorf("d cost/d a along e_%d - e_0 = %.9g, finite difference %.9g", i, ga[i]-ga[0], fd)
		}
	}
}
