package kernel

import (
	"fmt"
	"math"
	"strings"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/otplay/otplay/solvers/data"
)

// TestLeverageScoresExact: when the pilot set is every point (4 s >= n)
// the estimate is the exact ridge leverage score (K (K + lambda I)^-1)_ii,
// computed here densely with gonum.
func TestLeverageScoresExact(t *testing.T) {
	set, err := data.Parse("moons:40:seed=3")
	if err != nil {
		t.Fatal(err)
	}
	n, d, eps := set.N, set.D, 0.2
	got, lambda, err := LeverageScores(set.Points, n, d, 10, eps, 1)
	if err != nil {
		t.Fatal(err)
	}
	K := mat.NewSymDense(n, nil)
	for i := range n {
		for j := i; j < n; j++ {
			K.SetSym(i, j, gauss(set.Points, d, i, j, eps))
		}
	}
	reg := mat.NewDense(n, n, nil)
	reg.Copy(K)
	for i := range n {
		reg.Set(i, i, reg.At(i, i)+lambda)
	}
	var inv, prod mat.Dense
	if err := inv.Inverse(reg); err != nil {
		t.Fatal(err)
	}
	prod.Mul(K, &inv)
	sum := 0.0
	for i := range n {
		if want := prod.At(i, i); math.Abs(got[i]-want) > 1e-8*max(1, want) {
			t.Errorf("score %d = %.10g, exact %.10g (lambda %g)", i, got[i], want, lambda)
		}
		sum += got[i]
	}
	t.Logf("lambda %.4g, effective dimension sum l_i = %.2f (rank 10)", lambda, sum)
}

// imbalanced returns 1000 points: 950 in a unit blob at the origin and 50
// in five tight clusters of 10 far from it, the case where uniform
// landmarks miss small clusters.
func imbalanced() ([]float64, int) {
	g, _ := data.Generate("gaussian", 950, data.Options{Seed: 7})
	pts := append([]float64(nil), g.Points...)
	c, _ := data.Generate("gaussian", 50, data.Options{Seed: 8})
	for k := range 50 {
		th := 2 * math.Pi * float64(k/10) / 5
		pts = append(pts, 4*math.Cos(th)+0.05*c.Points[2*k], 4*math.Sin(th)+0.05*c.Points[2*k+1])
	}
	return pts, 1000
}

// landmarkComparison is the Nystrom kernel error |K - K~|_F/|K|_F at
// equal rank, uniform against leverage landmarks, mean over seeds.
func landmarkComparison(t testing.TB, pts []float64, n, d, s int, eps float64, seeds int) (uni, lev, uniSpec, levSpec float64) {
	for seed := range uint64(seeds) {
		for _, rule := range []string{UniformLandmarks, LeverageLandmarks} {
			idx, err := SelectLandmarks(rule, pts, n, d, s, eps, seed+1)
			if err != nil {
				t.Fatal(err)
			}
			e, sp := NystromError(pts, n, d, idx, eps)
			if rule == UniformLandmarks {
				uni += e / float64(seeds)
				uniSpec += sp / float64(seeds)
			} else {
				lev += e / float64(seeds)
				levSpec += sp / float64(seeds)
			}
		}
	}
	return uni, lev, uniSpec, levSpec
}

// TestLeverageLandmarksImbalanced: on imbalanced clusters at rank 40
// leverage landmarks lower the spectral error that Musco and Musco bound
// (measured 0.147 -> 0.127, 3 seeds) and pick landmarks in the small
// clusters. (At rank 20 they do not: see RESULTS.md.)
func TestLeverageLandmarksImbalanced(t *testing.T) {
	pts, n := imbalanced()
	uni, lev, uniSpec, levSpec := landmarkComparison(t, pts, n, 2, 40, 0.5, 3)
	t.Logf("imbalanced, s = 40, eps = 0.5: Frobenius error uniform %.4f, leverage %.4f; spectral %.4f, %.4f", uni, lev, uniSpec, levSpec)
	if !(levSpec < 0.95*uniSpec) {
		t.Errorf("leverage landmarks spectral error %.4f not below uniform %.4f", levSpec, uniSpec)
	}
	idx, _ := SelectLandmarks(LeverageLandmarks, pts, n, 2, 40, 0.5, 1)
	far := 0
	for _, i := range idx {
		if i >= 950 {
			far++
		}
	}
	if far < 2 {
		t.Errorf("leverage picked %d of 40 landmarks in the 5 small clusters, want >= 2 (uniform expects 2)", far)
	}
	if _, err := SelectLandmarks("pivoted", pts, n, 2, 40, 0.5, 1); err == nil {
		t.Error("unknown rule: no error")
	}
}

// TestLandmarkTable prints the RESULTS.md table (uniform against leverage
// landmarks at equal rank, mean of 3 seeds) and checks only that every
// error is a number in [0, 1]: leverage is worse than uniform in several
// rows, which the table reports. Regenerate: go test ./solvers/kernel
// -run TestLandmarkTable -v.
func TestLandmarkTable(t *testing.T) {
	if testing.Short() {
		t.Skip("the table takes minutes on the 2-core VM; -short skips it")
	}
	type row struct {
		name string
		pts  []float64
		n, d int
	}
	var rows []row
	for _, spec := range []string{"moons:600:seed=1", "8gaussians:600:seed=1", "gaussian:600:d=5:seed=1"} {
		s, err := data.Parse(spec)
		if err != nil {
			t.Fatal(err)
		}
		rows = append(rows, row{spec, s.Points, s.N, s.D})
	}
	pts, n := imbalanced()
	rows = append(rows, row{"imbalanced (950 + 5 x 10)", pts, n, 2})
	var b strings.Builder
	b.WriteString("| data | eps | rank s | Frobenius uniform | Frobenius leverage | spectral uniform | spectral leverage |\n|---|---|---|---|---|---|---|\n")
	for _, r := range rows {
		for _, eps := range []float64{0.1, 0.5} {
			e := eps * float64(r.d) / 2
			for _, s := range []int{20, 40, 100} {
				uni, lev, us, ls := landmarkComparison(t, r.pts, r.n, r.d, s, e, 3)
				fmt.Fprintf(&b, "| %s | %g | %d | %.4f | %.4f | %.4f | %.4f |\n", r.name, e, s, uni, lev, us, ls)
				for _, v := range []float64{uni, lev, us, ls} {
					if !(v >= 0 && v <= 1) {
						t.Errorf("%s eps %g s %d: error %v outside [0, 1]", r.name, e, s, v)
					}
				}
			}
		}
	}
	t.Log("\n" + b.String())
}
