package kernel

import (
	"fmt"
	"math"
	"sort"

	"gonum.org/v1/gonum/mat"

	"github.com/otplay/otplay/compute"
)

// leverageOversampling is s / d_eff: the rank s over the effective
// dimension at which LeverageScores sets lambda.
const leverageOversampling = 4

// Landmark sampling rules for a Nystrom approximation of the Gaussian
// kernel k(x, y) = exp(-|x - y|^2/eps).
const (
	// UniformLandmarks draws s distinct points uniformly (what the
	// nystrom tier does today).
	UniformLandmarks = "uniform"
	// LeverageLandmarks draws s distinct points with probabilities
	// proportional to their approximate ridge leverage scores
	// (LeverageScores).
	LeverageLandmarks = "leverage"
)

// LeverageScores returns approximate lambda-ridge leverage scores of the
// n points pts (n x d, row-major) for the Gaussian kernel
// k(x, y) = exp(-|x - y|^2/eps),
//
//	l_i(lambda) = (K (K + lambda I)^-1)_ii,
//
// and the lambda used. The estimator is that of Musco and Musco 2017
// ("Recursive Sampling for the Nystrom Method", NeurIPS), eq. (4) with
// one level of their Algorithm 2: a uniform pilot set S of q = min(n, 4 s)
// points (seeded), reweighted by sqrt(n/q), gives
//
//	l~_i = (k(x_i, x_i) - K_iS (K_SS + (q/n) lambda I)^-1 K_Si) / lambda,
//
// exact when q = n (TestLeverageScoresExact). lambda is set so that the
// estimated effective dimension sum_i l~_i is s / leverageOversampling
// (4): their Theorem 3 samples O(d_eff log d_eff) points for a rank of
// d_eff. (Their lambda = (1/s) sum_{j > s} lambda_j(K), and d_eff = s,
// gave lambdas 10 to 100 times smaller here, scores that mark the
// periphery of the data rather than its uncovered mass, and landmarks
// worse than uniform; see RESULTS.md.) With K_SS = V diag(mu) V^T once, each lambda costs O(n q):
// l~_i = (1 - sum_k (v_k . K_Si)^2 / (mu_k + (q/n) lambda)) / lambda. The
// work is O(n q d + n q^2 + q^3) on the host (float64); it panics if the
// shapes do not match.
func LeverageScores(pts []float64, n, d, s int, eps float64, seed uint64) (scores []float64, lambda float64, err error) {
	if n < 1 || d < 1 || len(pts) != n*d {
		panic("kernel: LeverageScores: pts is not n x d")
	}
	if s < 1 || !(eps > 0) || math.IsInf(eps, 0) {
		return nil, 0, fmt.Errorf("%w: LeverageScores: rank s = %d must be >= 1 and eps = %g positive", ErrBadArgument, s, eps)
	}
	q := min(n, 4*s)
	pilot := uniformSubset(n, q, seed)
	kss := mat.NewSymDense(q, nil)
	for a := range q {
		for b := a; b < q; b++ {
			kss.SetSym(a, b, gauss(pts, d, pilot[a], pilot[b], eps))
		}
	}
	var eig mat.EigenSym
	if !eig.Factorize(kss, true) {
		return nil, 0, fmt.Errorf("%w: LeverageScores: eigendecomposition of the %d x %d pilot kernel failed", ErrUnstable, q, q)
	}
	mu := eig.Values(nil)
	var V mat.Dense
	eig.VectorsTo(&V)
	for k := range mu {
		mu[k] = max(mu[k], 0)
	}
	// proj[i*q+k] = (v_k . K_Si)^2.
	proj := make([]float64, n*q)
	col := make([]float64, q)
	for i := range n {
		for a := range q {
			col[a] = gauss(pts, d, i, pilot[a], eps)
		}
		for k := range q {
			v := 0.0
			for a := range q {
				v += V.At(a, k) * col[a]
			}
			proj[i*q+k] = v * v
		}
	}
	w := float64(q) / float64(n)
	est := func(lam float64, dst []float64) float64 {
		sum := 0.0
		for i := range n {
			r := 1.0
			for k := range q {
				r -= proj[i*q+k] / (mu[k] + w*lam)
			}
			l := max(r, 0) / lam
			if dst != nil {
				dst[i] = l
			}
			sum += l
		}
		return sum
	}
	// sum l~ decreases in lambda from about min(n, rank) to 0: bisect
	// log lambda for sum = s (s >= n: any small lambda).
	lo, hi := 1e-12, float64(n)
	target := float64(min(s, n)) / leverageOversampling
	if est(lo, nil) <= target {
		hi = lo
	}
	for range 100 {
		if hi/lo < 1+1e-6 {
			break
		}
		mid := math.Sqrt(lo * hi)
		if est(mid, nil) > target {
			lo = mid
		} else {
			hi = mid
		}
	}
	lambda = hi
	scores = make([]float64, n)
	est(lambda, scores)
	return scores, lambda, nil
}

// SelectLandmarks returns s distinct indices of the n points pts (n x d)
// for a Nystrom approximation at eps, by rule (UniformLandmarks or
// LeverageLandmarks). Leverage sampling draws without replacement with
// probabilities proportional to min(1, l~_i) (Musco and Musco 2017,
// Algorithm 2's final step; sampling by weighted random keys u^(1/w),
// Efraimidis and Spirakis 2006), seeded by Philox counters.
func SelectLandmarks(rule string, pts []float64, n, d, s int, eps float64, seed uint64) ([]int, error) {
	if s < 1 {
		return nil, fmt.Errorf("%w: SelectLandmarks: s = %d must be >= 1", ErrBadArgument, s)
	}
	s = min(s, n)
	switch rule {
	case UniformLandmarks:
		return uniformSubset(n, s, seed), nil
	case LeverageLandmarks:
		scores, _, err := LeverageScores(pts, n, d, s, eps, seed)
		if err != nil {
			return nil, err
		}
		type keyed struct {
			i   int
			key float64
		}
		ks := make([]keyed, n)
		for i, l := range scores {
			w := max(min(l, 1), 1e-300)
			u := max(compute.UniformAt(seed^0x9e3779b97f4a7c15, uint64(i)), 1e-300)
			ks[i] = keyed{i, math.Log(u) / w} // log of u^(1/w): larger is kept
		}
		sort.Slice(ks, func(a, b int) bool { return ks[a].key > ks[b].key })
		out := make([]int, s)
		for k := range out {
			out[k] = ks[k].i
		}
		sort.Ints(out)
		return out, nil
	}
	return nil, fmt.Errorf("%w: landmark rule %q: want %s or %s", ErrBadArgument, rule, UniformLandmarks, LeverageLandmarks)
}

// NystromError returns the relative errors of the Nystrom approximation
// K~ = K_nL K_LL^+ K_Ln of the n x n Gaussian kernel of pts at eps with
// the landmarks idx (Williams and Seeger 2001): in the Frobenius norm,
// |K - K~|_F / |K|_F, and in the spectral norm, |K - K~|_2 / |K|_2, the
// quantity Musco and Musco 2017 bound by lambda (Thm. 3) for ridge
// leverage landmarks. K - K~ is positive semidefinite, so its norm is its
// largest eigenvalue, found by 100 power iterations. Exact otherwise,
// O(n^2 (r + 100)) on the host: for measurements up to a few thousand
// points. The pseudo-inverse drops eigenvalues of K_LL below 1e-10 of the
// largest, as the nystrom tier does in float64.
func NystromError(pts []float64, n, d int, idx []int, eps float64) (frobenius, spectral float64) {
	s := len(idx)
	kll := mat.NewSymDense(s, nil)
	for a := range s {
		for b := a; b < s; b++ {
			kll.SetSym(a, b, gauss(pts, d, idx[a], idx[b], eps))
		}
	}
	var eig mat.EigenSym
	if !eig.Factorize(kll, true) {
		return math.NaN(), math.NaN()
	}
	vals := eig.Values(nil)
	var vecs mat.Dense
	eig.VectorsTo(&vecs)
	var keep []int
	for k, v := range vals {
		if v > 1e-10*vals[s-1] {
			keep = append(keep, k)
		}
	}
	r := len(keep)
	// Phi = K_nL Q Lambda^-1/2 (n x r); K~ = Phi Phi^T.
	phi := make([]float64, n*r)
	kl := make([]float64, s)
	for i := range n {
		for a := range s {
			kl[a] = gauss(pts, d, i, idx[a], eps)
		}
		for c, k := range keep {
			v := 0.0
			for a := range s {
				v += kl[a] * vecs.At(a, k)
			}
			phi[i*r+c] = v / math.Sqrt(vals[k])
		}
	}
	K := mat.NewSymDense(n, nil)
	R := mat.NewSymDense(n, nil)
	var num, den float64
	for i := range n {
		for j := i; j < n; j++ {
			kt := 0.0
			for c := range r {
				kt += phi[i*r+c] * phi[j*r+c]
			}
			k := gauss(pts, d, i, j, eps)
			K.SetSym(i, j, k)
			R.SetSym(i, j, k-kt)
			w := 2.0
			if i == j {
				w = 1
			}
			num += w * (k - kt) * (k - kt)
			den += w * k * k
		}
	}
	return math.Sqrt(num / den), topEigenvalue(R) / topEigenvalue(K)
}

// topEigenvalue is the largest eigenvalue of a positive semidefinite
// matrix by 100 power iterations from a fixed start.
func topEigenvalue(a *mat.SymDense) float64 {
	n, _ := a.Dims()
	v := mat.NewVecDense(n, nil)
	for i := range n {
		v.SetVec(i, 1+0.1*math.Sin(float64(i)))
	}
	w := mat.NewVecDense(n, nil)
	lam := 0.0
	for range 100 {
		w.MulVec(a, v)
		lam = mat.Norm(w, 2) / mat.Norm(v, 2)
		if lam == 0 {
			return 0
		}
		v.ScaleVec(1/mat.Norm(w, 2), w)
	}
	return lam
}

func gauss(pts []float64, d, i, j int, eps float64) float64 {
	return math.Exp(-sqDist(pts[i*d:(i+1)*d], pts[j*d:(j+1)*d]) / eps)
}

// uniformSubset draws k distinct indices of [0, n) by a partial
// Fisher-Yates shuffle with Philox uniforms (the nystrom tier's draw),
// sorted.
func uniformSubset(n, k int, seed uint64) []int {
	idx := make([]int, n)
	for i := range idx {
		idx[i] = i
	}
	for t := range k {
		j := min(t+int(compute.UniformAt(seed, uint64(t))*float64(n-t)), n-1)
		idx[t], idx[j] = idx[j], idx[t]
	}
	out := append([]int(nil), idx[:k]...)
	sort.Ints(out)
	return out
}
