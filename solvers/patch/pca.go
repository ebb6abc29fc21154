package patch

import (
	"fmt"
	"sort"

	"gonum.org/v1/gonum/mat"

	"github.com/otplay/otplay/compute"
)

// projection maps D-dimensional patches to their coordinates on the dp
// leading principal components of a reference set: z = (x - mean) E.
// Squared distances between projected patches are the squared distances
// of the patches' parts in the principal subspace, so the cost |z - z'|^2
// drops only the trailing variance (Result.Levels[].Explained reports the
// fraction kept).
type projection struct {
	mean  compute.Array // D
	basis compute.Array // D x dp, columns the components
	d, dp int
}

// newProjection computes the PCA of the rows of x (n x D) and y (m x D)
// pooled: the mean and the covariance C = Xc^T Xc / (n + m) on the
// Backend (MatMul), its leading eigenvectors on the host
// (principalComponents). It returns the projection and the
// fraction of the total variance its dp components keep.
func newProjection(a *arena, x compute.Array, n int, y compute.Array, m int, d, dp int) (*projection, float64, error) {
	b := a.b
	ones := make([]float64, max(n, m))
	for i := range ones {
		ones[i] = 1
	}
	on, om := a.upload(ones[:n]), a.upload(ones[:m])
	sx, sy := a.alloc(d), a.alloc(d)
	if a.err != nil {
		return nil, 0, a.err
	}
	a.do(b.MatMul(sx, on, x, 1, n, d, false, false))
	a.do(b.MatMul(sy, om, y, 1, m, d, false, false))
	hx, hy := a.read(sx), a.read(sy)
	if a.err != nil {
		return nil, 0, a.err
	}
	mean := make([]float64, d)
	for k := range mean {
		mean[k] = (hx[k] + hy[k]) / float64(n+m)
	}
	p := &projection{mean: a.upload(mean), d: d, dp: dp}
	xc, yc := a.alloc(n*d), a.alloc(m*d)
	cx, cy := a.alloc(d*d), a.alloc(d*d)
	if a.err != nil {
		return nil, 0, a.err
	}
	a.do(b.Map(xc, compute.MapArgs{Op: compute.OpAxpby, X: x, Y: p.mean, YMod: d, A: 1, B: -1}))
	a.do(b.Map(yc, compute.MapArgs{Op: compute.OpAxpby, X: y, Y: p.mean, YMod: d, A: 1, B: -1}))
	a.do(b.MatMul(cx, xc, xc, d, n, d, true, false))
	a.do(b.MatMul(cy, yc, yc, d, m, d, true, false))
	vx, vy := a.read(cx), a.read(cy)
	if a.err != nil {
		return nil, 0, a.err
	}
	cov := mat.NewSymDense(d, nil)
	for i := 0; i < d; i++ {
		for j := i; j < d; j++ {
			cov.SetSym(i, j, (vx[i*d+j]+vy[i*d+j])/float64(n+m))
		}
	}
	basis, explained, err := principalComponents(cov, dp)
	if err != nil {
		return nil, 0, err
	}
	p.basis = a.upload(basis)
	return p, explained, a.err
}

// apply returns the projected rows of x (n x D) as an n x dp array.
func (p *projection) apply(a *arena, x compute.Array, n int) compute.Array {
	xc, z := a.alloc(n*p.d), a.alloc(n*p.dp)
	if a.err != nil {
		return nil
	}
	a.do(a.b.Map(xc, compute.MapArgs{Op: compute.OpAxpby, X: x, Y: p.mean, YMod: p.d, A: 1, B: -1}))
	a.do(a.b.MatMul(z, xc, p.basis, n, p.d, p.dp, false, false))
	return z
}

// principalComponents returns the dp leading eigenvectors of the
// symmetric positive semi-definite cov (as the columns of a D x dp
// row-major matrix) and the fraction of the trace their eigenvalues hold.
// For dp >= D/4 it uses gonum's full symmetric eigensolver; below, the
// randomized subspace iteration of Halko, Martinsson and Tropp (2011,
// "Finding structure with randomness", Algorithms 4.4 and 5.3) with
// dp + 10 columns and 4 power iterations, which costs O(D^2 dp) instead
// of O(D^3) (768-value patches: ~50 ms instead of seconds).
func principalComponents(cov *mat.SymDense, dp int) ([]float64, float64, error) {
	d := cov.SymmetricDim()
	var trace float64
	for i := 0; i < d; i++ {
		trace += cov.At(i, i)
	}
	basis := make([]float64, d*dp)
	var vals []float64
	var vecs mat.Dense
	if l := dp + 10; 4*dp < d && l < d {
		y := mat.NewDense(d, l, nil)
		for i := 0; i < d; i++ {
			for j := 0; j < l; j++ {
				y.Set(i, j, compute.NormalAt(0x9ca, uint64(i*l+j)))
			}
		}
		var q mat.Dense
		for it := 0; it < 5; it++ {
			var qr mat.QR
			qr.Factorize(y)
			qr.QTo(&q)
			qs := q.Slice(0, d, 0, l)
			if it == 4 {
				q.CloneFrom(qs)
				break
			}
			y.Mul(cov, qs)
		}
		var cq, small mat.Dense
		cq.Mul(cov, &q)
		small.Mul(q.T(), &cq)
		sym := mat.NewSymDense(l, nil)
		for i := 0; i < l; i++ {
			for j := i; j < l; j++ {
				sym.SetSym(i, j, (small.At(i, j)+small.At(j, i))/2)
			}
		}
		var eig mat.EigenSym
		if !eig.Factorize(sym, true) {
			return nil, 0, fmt.Errorf("patch: PCA eigen-decomposition of the %d x %d projected covariance failed", l, l)
		}
		vals = eig.Values(nil)
		var v mat.Dense
		eig.VectorsTo(&v)
		vecs.Mul(&q, &v)
	} else {
		var eig mat.EigenSym
		if !eig.Factorize(cov, true) {
			return nil, 0, fmt.Errorf("patch: PCA eigen-decomposition of the %d x %d patch covariance failed", d, d)
		}
		vals = eig.Values(nil)
		eig.VectorsTo(&vecs)
	}
	order := make([]int, len(vals))
	for i := range order {
		order[i] = i
	}
	sort.Slice(order, func(i, j int) bool { return vals[order[i]] > vals[order[j]] })
	var kept float64
	for r := 0; r < dp; r++ {
		k := order[r]
		kept += max(vals[k], 0)
		for i := 0; i < d; i++ {
			basis[i*dp+r] = vecs.At(i, k)
		}
	}
	explained := 1.0
	if trace > 0 {
		explained = min(kept/trace, 1)
	}
	return basis, explained, nil
}
