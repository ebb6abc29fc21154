package kernel

import (
	"fmt"
	"math"
	"time"

	"gonum.org/v1/gonum/mat"

	"github.com/otplay/otplay/compute"
)

// factors are the two feature matrices of a factored kernel
// K~ = Phi_x Phi_y^T, resident on the backend (n x r and m x r), with a
// host twin of the feature map for the error estimate.
type factors struct {
	px, py compute.Array
	r      int
	// feature returns the r features of a point on the host (float64).
	feature func(pt []float64) []float64
}

// rffFeatures builds the positive random features of Scetbon and Cuturi
// 2020 ("Linear Time Sinkhorn Divergences using Positive Features",
// NeurIPS, Lemma 1) for the Gaussian kernel k(x, y) = exp(-|x - y|^2/eps).
// From |x - u|^2 + |y - u|^2 = 2 |u - (x + y)/2|^2 + |x - y|^2 / 2,
//
//	k(x, y) = (4 / (pi eps))^(d/2) int exp(-2|x-u|^2/eps) exp(-2|y-u|^2/eps) du,
//
// and importance sampling u ~ rho = N(0, q^2 I) gives the positive features
//
//	phi(x, u_k) = sqrt((4 / (pi eps))^(d/2) / (r rho(u_k))) exp(-2 |x - u_k|^2 / eps)
//
// with k(x, y) = E[sum_k phi(x, u_k) phi(y, u_k)]. The sampling scale is
// our choice (the paper leaves it to a bound on the data radius): q^2 =
// (E|x|^2 + E|y|^2) / (4 d) + eps / 8, the spread of the pair midpoints
// (x + y)/2 about the pooled mean plus the width of the integrand; the
// data are centred first. The u_k are Philox normals (compute.NormalAt)
// of the seed. On the backend: L = (4/eps) X U^T (MatMul), minus
// (2/eps)|x|^2 per row and plus a per-column constant (Map with
// broadcast), then Phi = exp(L) (Map); all positive, so Sinkhorn cannot
// divide by zero unless exp underflows (eps too small: ErrUnstable).
func rffFeatures(be compute.Backend, as *arrays, cx, cy []float64, n, m, d, r int, eps float64, seed uint64) (factors, error) {
	var mx, my float64
	for _, v := range cx {
		mx += v * v
	}
	for _, v := range cy {
		my += v * v
	}
	q2 := (mx/float64(n)+my/float64(m))/(4*float64(d)) + eps/8
	q := math.Sqrt(q2)
	u := make([]float64, r*d)
	colTerm := make([]float64, r)
	fd := float64(d)
	base := 0.5 * (fd/2*math.Log(4/(math.Pi*eps)) + fd/2*math.Log(2*math.Pi*q2) - math.Log(float64(r)))
	for k := 0; k < r; k++ {
		var uu float64
		for t := 0; t < d; t++ {
			v := q * compute.NormalAt(seed, uint64(k*d+t))
			u[k*d+t] = v
			uu += v * v
		}
		// 1/2 log(1/rho(u)) contributes |u|^2/(4 q^2); -2|u|^2/eps from
		// the expansion of -2|x - u|^2/eps.
		colTerm[k] = base + uu/(4*q2) - 2*uu/eps
	}
	U, _ := as.upload(u)
	C, err := as.upload(colTerm)
	if err != nil {
		return factors{}, err
	}
	build := func(pts []float64, cnt int) (compute.Array, error) {
		P, _ := as.upload(pts)
		sq, _ := as.upload(rowSq(pts, d))
		L, err := as.alloc(cnt * r)
		if err != nil {
			return nil, err
		}
		if err := be.MatMul(L, P, U, cnt, d, r, false, true); err != nil {
			return nil, err
		}
		if err := be.Map(L, compute.MapArgs{Op: compute.OpAxpby, X: L, Y: sq, YDiv: r, A: 4 / eps, B: -2 / eps}); err != nil {
			return nil, err
		}
		if err := be.Map(L, compute.MapArgs{Op: compute.OpExp, X: L, Y: C, YMod: r, A: 1, B: 1}); err != nil {
			return nil, err
		}
		return L, nil
	}
	px, err := build(cx, n)
	if err != nil {
		return factors{}, err
	}
	py, err := build(cy, m)
	if err != nil {
		return factors{}, err
	}
	feature := func(pt []float64) []float64 {
		out := make([]float64, r)
		var xx float64
		for _, v := range pt {
			xx += v * v
		}
		for k := range out {
			var xu float64
			for t, v := range pt {
				xu += v * u[k*d+t]
			}
			out[k] = math.Exp(4/eps*xu - 2/eps*xx + colTerm[k])
		}
		return out
	}
	return factors{px: px, py: py, r: r, feature: feature}, nil
}

// rowSq returns |p_i|^2 for the rows of pts.
func rowSq(pts []float64, d int) []float64 {
	out := make([]float64, len(pts)/d)
	for i := range out {
		for k := 0; k < d; k++ {
			out[i] += pts[i*d+k] * pts[i*d+k]
		}
	}
	return out
}

// nystromFeatures builds the Nystrom factors of Altschuler, Bach, Rudi and
// Niles-Weed 2019 ("Massively scalable Sinkhorn distances via the Nystrom
// method", NeurIPS, eq. (3)): with landmarks l_1..l_s,
//
//	K ~ K_xl K_ll^+ K_ly = Phi_x Phi_y^T,  Phi_x = K_xl Q Lambda^(-1/2)
//
// where K_ll = Q Lambda Q^T (eigenvalues below 1e-10 lambda_max, 1e-6 on
// float32 backends, are dropped: the pseudo-inverse). The landmarks are a
// uniform random subset (seeded) of the pooled points, a simplification of
// the paper's adaptive (ridge-leverage) sampling. K_ll and its
// eigendecomposition are on the host (gonum, s x s); K_xl = exp(-|x -
// l|^2/eps) and the products are on the backend. The features may be
// negative: if some K~ v is not positive Sinkhorn stops with ErrUnstable.
func nystromFeatures(be compute.Backend, as *arrays, cx, cy []float64, n, m, d, s int, eps float64, seed uint64) (factors, error) {
	pool := n + m
	s = min(s, pool)
	// Partial Fisher-Yates on the pooled indices, Philox uniforms.
	idx := make([]int, pool)
	for i := range idx {
		idx[i] = i
	}
	for k := 0; k < s; k++ {
		j := k + int(compute.UniformAt(seed, uint64(k))*float64(pool-k))
		j = min(j, pool-1)
		idx[k], idx[j] = idx[j], idx[k]
	}
	lm := make([]float64, s*d)
	for k := 0; k < s; k++ {
		i := idx[k]
		if i < n {
			copy(lm[k*d:], cx[i*d:(i+1)*d])
		} else {
			copy(lm[k*d:], cy[(i-n)*d:(i-n+1)*d])
		}
	}
	kll := mat.NewSymDense(s, nil)
	for a := 0; a < s; a++ {
		for b := a; b < s; b++ {
			kll.SetSym(a, b, math.Exp(-sqDist(lm[a*d:(a+1)*d], lm[b*d:(b+1)*d])/eps))
		}
	}
	var eig mat.EigenSym
	if !eig.Factorize(kll, true) {
		return factors{}, fmt.Errorf("%w: nystrom: eigendecomposition of the %d x %d landmark kernel failed", ErrUnstable, s, s)
	}
	vals := eig.Values(nil)
	var vecs mat.Dense
	eig.VectorsTo(&vecs)
	lmax := vals[len(vals)-1]
	rel := 1e-10
	if be.Info().Precision != "float64" {
		rel = 1e-6
	}
	var keep []int
	for k, v := range vals {
		if v > rel*lmax {
			keep = append(keep, k)
		}
	}
	r := len(keep)
	if r == 0 {
		return factors{}, fmt.Errorf("%w: nystrom: landmark kernel is numerically zero", ErrUnstable)
	}
	// M = Q_keep Lambda_keep^(-1/2), s x r.
	M := make([]float64, s*r)
	for a := 0; a < s; a++ {
		for c, k := range keep {
			M[a*r+c] = vecs.At(a, k) / math.Sqrt(vals[k])
		}
	}
	L, _ := as.upload(lm)
	Lsq, _ := as.upload(rowSq(lm, d))
	Md, err := as.upload(M)
	if err != nil {
		return factors{}, err
	}
	build := func(pts []float64, cnt int) (compute.Array, error) {
		P, _ := as.upload(pts)
		sq, _ := as.upload(rowSq(pts, d))
		K, _ := as.alloc(cnt * s)
		Phi, err := as.alloc(cnt * r)
		if err != nil {
			return nil, err
		}
		if err := be.MatMul(K, P, L, cnt, d, s, false, true); err != nil {
			return nil, err
		}
		// K = exp((2 x.l - |x|^2 - |l|^2) / eps), clamped at 0 exponent
		// (rounding can make -|x - l|^2 slightly positive).
		if err := be.Map(K, compute.MapArgs{Op: compute.OpAxpby, X: K, Y: sq, YDiv: s, A: 2 / eps, B: -1 / eps}); err != nil {
			return nil, err
		}
		if err := be.Map(K, compute.MapArgs{Op: compute.OpAxpby, X: K, Y: Lsq, YMod: s, A: 1, B: -1 / eps}); err != nil {
			return nil, err
		}
		if err := be.Map(K, compute.MapArgs{Op: compute.OpMin, X: K, A: 1}); err != nil {
			return nil, err
		}
		if err := be.Map(K, compute.MapArgs{Op: compute.OpExp, X: K, A: 1}); err != nil {
			return nil, err
		}
		if err := be.MatMul(Phi, K, Md, cnt, s, r, false, false); err != nil {
			return nil, err
		}
		as.release(K)
		return Phi, nil
	}
	px, err := build(cx, n)
	if err != nil {
		return factors{}, err
	}
	py, err := build(cy, m)
	if err != nil {
		return factors{}, err
	}
	feature := func(pt []float64) []float64 {
		kl := make([]float64, s)
		for a := range kl {
			kl[a] = math.Exp(-sqDist(pt, lm[a*d:(a+1)*d]) / eps)
		}
		out := make([]float64, r)
		for c := range out {
			var v float64
			for a := range kl {
				v += kl[a] * M[a*r+c]
			}
			out[c] = v
		}
		return out
	}
	return factors{px: px, py: py, r: r, feature: feature}, nil
}

func sqDist(a, b []float64) float64 {
	var s float64
	for k := range a {
		t := a[k] - b[k]
		s += t * t
	}
	return s
}

// solveFactored is Sinkhorn in scaling form (Cuturi 2013, "Sinkhorn
// Distances", Algorithm 1) with the factored kernel K~ = Phi_x Phi_y^T:
//
//	u = a / (Phi_x (Phi_y^T v)),  v = b / (Phi_y (Phi_x^T u))
//
// each product two MatMuls through the r x 1 middle, O((n + m) r). The
// scaling form is not log-domain: it is safe while the features do not
// underflow and u, v stay in range, roughly eps >= MinLowRankEps for data
// at unit scale; outside, the first check reports ErrUnstable rather than
// NaN. The state ends with a u-update (row marginals exact).
func solveFactored(be compute.Backend, p Problem, s Settings, tier Tier) (Result, error) {
	start := time.Now()
	n, m, d := p.N, p.M, p.D
	a, b := normalised(p.A, n), normalised(p.B, m)
	cx, cy := centred(p.X, p.Y, d)
	as := &arrays{be: be}
	defer as.free()
	var (
		fs  factors
		err error
	)
	// Each tier stores its two factors; cap the rank to the memory budget.
	capRank := max(1, maxRank(n, m, s.MemBytes))
	if tier == RFF {
		fs, err = rffFeatures(be, as, cx, cy, n, m, d, min(s.Features, capRank), p.Eps, s.Seed)
	} else {
		fs, err = nystromFeatures(be, as, cx, cy, n, m, d, min(s.Landmarks, capRank), p.Eps, s.Seed)
	}
	if err != nil {
		return Result{}, fmt.Errorf("kernel: %v: %w", tier, err)
	}
	r := fs.r
	A, _ := as.upload(a)
	B, _ := as.upload(b)
	u, _ := as.upload(ones(n))
	v, _ := as.upload(ones(m))
	uOld, _ := as.alloc(n)
	tmpN, _ := as.alloc(n)
	tmpM, _ := as.alloc(m)
	mid, err := as.alloc(r)
	if err != nil {
		return Result{}, err
	}
	// kv: dst (n) = Phi_x (Phi_y^T w) for w of length m; ktu the transpose.
	kv := func(dst, w compute.Array) error {
		if err := be.MatMul(mid, fs.py, w, r, m, 1, true, false); err != nil {
			return err
		}
		return be.MatMul(dst, fs.px, mid, n, r, 1, false, false)
	}
	ktu := func(dst, w compute.Array) error {
		if err := be.MatMul(mid, fs.px, w, r, n, 1, true, false); err != nil {
			return err
		}
		return be.MatMul(dst, fs.py, mid, m, r, 1, false, false)
	}
	// Before iterating: every row and column of K~ must have a positive sum.
	// The message says where exp(-C/eps) underflows on this backend.
	prec := compute.PrecisionOf(be.Info())
	under := fmt.Sprintf("exp(-C/eps) underflows in %s beyond C = %.3g, and the data's squared diameter is %.3g", prec.Name, prec.UnderflowCost(p.Eps), compute.SquaredDiameter(cx, cy, d))
	if err := checkPositive(be, kv, tmpN, v, "row"); err != nil {
		return Result{}, fmt.Errorf("kernel: %v at eps = %g (%s): %w", tier, p.Eps, under, err)
	}
	if err := checkPositive(be, ktu, tmpM, u, "column"); err != nil {
		return Result{}, fmt.Errorf("kernel: %v at eps = %g (%s): %w", tier, p.Eps, under, err)
	}
	var res Result
	for it := 1; it <= s.MaxIter; it++ {
		res.Iterations = it
		check := it%s.CheckEvery == 0 || it == s.MaxIter
		if check {
			if err := be.Copy(uOld, u); err != nil {
				return Result{}, err
			}
		}
		if err := kv(tmpN, v); err != nil {
			return Result{}, err
		}
		if err := be.Map(u, compute.MapArgs{Op: compute.OpDiv, X: A, Y: tmpN, A: 1}); err != nil {
			return Result{}, err
		}
		if check && it > 1 {
			// Row error of the previous plan: a_i |uOld_i / u_i - 1|.
			if err := be.Map(tmpN, compute.MapArgs{Op: compute.OpDiv, X: uOld, Y: u, A: 1}); err != nil {
				return Result{}, err
			}
			e, err := weightedAbsDev(be, tmpN, A)
			if err != nil {
				return Result{}, err
			}
			if math.IsNaN(e) || math.IsInf(e, 0) {
				return Result{}, fmt.Errorf("%w: %v: marginal error %v at iteration %d (eps = %g is too small for the scaling form; use the full tier)", ErrUnstable, tier, e, it, p.Eps)
			}
			if e <= s.Tol {
				res.Converged = true
				break
			}
		}
		if it < s.MaxIter {
			if err := ktu(tmpM, u); err != nil {
				return Result{}, err
			}
			if err := be.Map(v, compute.MapArgs{Op: compute.OpDiv, X: B, Y: tmpM, A: 1}); err != nil {
				return Result{}, err
			}
		}
	}
	// Column error of the final plan: b_j |v_j (K~^T u)_j / b_j - 1|.
	if err := ktu(tmpM, u); err != nil {
		return Result{}, err
	}
	if err := be.Map(tmpM, compute.MapArgs{Op: compute.OpMul, X: tmpM, Y: v, A: 1}); err != nil {
		return Result{}, err
	}
	if err := be.Map(tmpM, compute.MapArgs{Op: compute.OpDiv, X: tmpM, Y: B, A: 1}); err != nil {
		return Result{}, err
	}
	if res.MarginalError, err = weightedAbsDev(be, tmpM, B); err != nil {
		return Result{}, err
	}
	if math.IsNaN(res.MarginalError) {
		return Result{}, fmt.Errorf("%w: %v: final marginal error is NaN", ErrUnstable, tier)
	}
	if res.Cost, err = factoredCost(be, as, fs, u, v, cx, cy, n, m, d); err != nil {
		return Result{}, err
	}
	res.U, res.V = make([]float64, n), make([]float64, m)
	if err := be.Read(res.U, u); err != nil {
		return Result{}, err
	}
	if err := be.Read(res.V, v); err != nil {
		return Result{}, err
	}
	// F = eps log(u / a), G = eps log(v / b) (P = diag(u) K~ diag(v)
	// = a_i b_j exp((F_i + G_j)/eps) K~_ij).
	// Where a weight is 0 its scaling is 0; F_i = -eps log (K~ v)_i there
	// (the value the u-update implies; 0 if that sum is not positive).
	res.F, res.G = make([]float64, n), make([]float64, m)
	kvh, ktuh := make([]float64, n), make([]float64, m)
	if err := kv(tmpN, v); err != nil {
		return Result{}, err
	}
	if err := ktu(tmpM, u); err != nil {
		return Result{}, err
	}
	if err := be.Read(kvh, tmpN); err != nil {
		return Result{}, err
	}
	if err := be.Read(ktuh, tmpM); err != nil {
		return Result{}, err
	}
	potential := func(scale, w, prod float64) float64 {
		switch {
		case w > 0 && scale > 0:
			return p.Eps * math.Log(scale/w)
		case prod > 0:
			return -p.Eps * math.Log(prod)
		}
		return 0
	}
	for i := range res.F {
		res.F[i] = potential(res.U[i], a[i], kvh[i])
	}
	for j := range res.G {
		res.G[j] = potential(res.V[j], b[j], ktuh[j])
	}
	res.Objective = dual(a, res.F, b, res.G)
	res.Rank = r
	res.Tier = tier
	check := fmt.Sprintf("marginal error measured on the backend (%s); its factors (%d x %d floats) exceed the host check's %d", prec.Name, n+m, r, HostFactorFloats)
	var phiX, phiY []float64
	if (n+m)*r <= HostFactorFloats {
		// The plan the backend's own factors define, in float64.
		phiX, phiY = make([]float64, n*r), make([]float64, m*r)
		if err := be.Read(phiX, fs.px); err != nil {
			return Result{}, err
		}
		if err := be.Read(phiY, fs.py); err != nil {
			return Result{}, err
		}
		res.MarginalError, res.PrecisionFloor = factoredCheck(phiX, phiY, res.U, res.V, a, b, n, m, r, prec)
		check = fmt.Sprintf("float64 on the host from the backend's %v factors (%d x %d)", tier, n+m, r)
	}
	res.ErrorEstimate = kernelError(fs, cx, cy, n, m, d, p.Eps, s.Seed, phiX, phiY)
	describe(&res, s.Tol, prec, check)
	res.Time = time.Since(start)
	return res, nil
}

func ones(n int) []float64 {
	o := make([]float64, n)
	for i := range o {
		o[i] = 1
	}
	return o
}

// weightedAbsDev returns sum_i w_i |x_i - 1|, overwriting x.
func weightedAbsDev(be compute.Backend, x, w compute.Array) (float64, error) {
	if err := be.Map(x, compute.MapArgs{Op: compute.OpAbs, X: x, A: 1, C: -1}); err != nil {
		return 0, err
	}
	if err := be.Map(x, compute.MapArgs{Op: compute.OpMul, X: x, Y: w, A: 1}); err != nil {
		return 0, err
	}
	return be.Sum(x)
}

// checkPositive fails unless every entry of K~ 1 (rows) or K~^T 1
// (columns) is positive and finite: the condition for the first scaling
// update. one must hold ones.
func checkPositive(be compute.Backend, apply func(dst, w compute.Array) error, dst, one compute.Array, what string) error {
	if err := apply(dst, one); err != nil {
		return err
	}
	h := make([]float64, dst.Len())
	if err := be.Read(h, dst); err != nil {
		return err
	}
	bad, worst := 0, math.Inf(1)
	for _, x := range h {
		if !(x > 0) || math.IsInf(x, 0) {
			bad++
		}
		worst = math.Min(worst, x)
	}
	if bad > 0 {
		return fmt.Errorf("%w: %d %s sums of the approximate kernel are not positive (smallest %g): the kernel underflows or the approximation is too coarse; raise eps or the rank, or use the full tier", ErrUnstable, bad, what, worst)
	}
	return nil
}

// factoredCost returns <P, C> for P = diag(u) Phi_x Phi_y^T diag(v): with
// x~ = [x, |x|^2, 1] and y~ = [y, 1, |y|^2]-style sums,
//
//	<P, C> = sum_k Sx_k(|x|^2) Sy_k(1) + Sx_k(1) Sy_k(|y|^2) - 2 sum_l Sx_k(x_l) Sy_k(y_l)
//
// where Sx = (diag(u) Phi_x)^T [x, |x|^2, 1] (r x (d+2), a MatMul).
func factoredCost(be compute.Backend, as *arrays, fs factors, u, v compute.Array, cx, cy []float64, n, m, d int) (float64, error) {
	r := fs.r
	aug := func(pts []float64, cnt int) []float64 {
		out := make([]float64, cnt*(d+2))
		sq := rowSq(pts, d)
		for i := 0; i < cnt; i++ {
			copy(out[i*(d+2):], pts[i*d:(i+1)*d])
			out[i*(d+2)+d] = sq[i]
			out[i*(d+2)+d+1] = 1
		}
		return out
	}
	side := func(phi, w compute.Array, pts []float64, cnt int) ([]float64, error) {
		W, _ := as.alloc(cnt * r)
		P, _ := as.upload(aug(pts, cnt))
		S, err := as.alloc(r * (d + 2))
		if err != nil {
			return nil, err
		}
		if err := be.Map(W, compute.MapArgs{Op: compute.OpMul, X: phi, Y: w, YDiv: r, A: 1}); err != nil {
			return nil, err
		}
		if err := be.MatMul(S, W, P, r, cnt, d+2, true, false); err != nil {
			return nil, err
		}
		h := make([]float64, r*(d+2))
		if err := be.Read(h, S); err != nil {
			return nil, err
		}
		as.release(W)
		return h, nil
	}
	sx, err := side(fs.px, u, cx, n)
	if err != nil {
		return 0, err
	}
	sy, err := side(fs.py, v, cy, m)
	if err != nil {
		return 0, err
	}
	var c float64
	for k := 0; k < r; k++ {
		x, y := sx[k*(d+2):(k+1)*(d+2)], sy[k*(d+2):(k+1)*(d+2)]
		c += x[d]*y[d+1] + x[d+1]*y[d]
		for l := 0; l < d; l++ {
			c -= 2 * x[l] * y[l]
		}
	}
	return c, nil
}

// kernelError estimates the relative RMS error of the factored kernel on
// errorPairs random pairs (Philox stream of seed+1) against exp(-C/eps)
// in float64 on the host. With the backend's factors (phiX, phiY, read
// back) it measures the kernel the solve used, rounding included; without
// them, the host's float64 twin of the feature map (which misses the
// backend's rounding: on float32 backends Nystrom's cancelling features
// make that the larger error).
func kernelError(fs factors, cx, cy []float64, n, m, d int, eps float64, seed uint64, phiX, phiY []float64) float64 {
	var num, den float64
	for t := 0; t < errorPairs; t++ {
		i := min(int(compute.UniformAt(seed+1, uint64(2*t))*float64(n)), n-1)
		j := min(int(compute.UniformAt(seed+1, uint64(2*t+1))*float64(m)), m-1)
		x, y := cx[i*d:(i+1)*d], cy[j*d:(j+1)*d]
		exact := math.Exp(-sqDist(x, y) / eps)
		var fx, fy []float64
		if phiX != nil {
			fx, fy = phiX[i*fs.r:(i+1)*fs.r], phiY[j*fs.r:(j+1)*fs.r]
		} else {
			fx, fy = fs.feature(x), fs.feature(y)
		}
		var approx float64
		for k := range fx {
			approx += fx[k] * fy[k]
		}
		num += (approx - exact) * (approx - exact)
		den += exact * exact
	}
	if den == 0 {
		return math.Inf(1)
	}
	return math.Sqrt(num / den)
}
