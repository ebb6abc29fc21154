package kernel

import (
	"fmt"
	"math"
	"time"

	"github.com/otplay/otplay/compute"
)

// centred returns copies of x and y minus their pooled mean (the cost
// |x - y|^2 does not change; float32 expansions |x|^2 + |y|^2 - 2 x.y lose
// less to cancellation near the origin).
func centred(x, y []float64, d int) ([]float64, []float64) {
	mean := make([]float64, d)
	for i, v := range x {
		mean[i%d] += v
	}
	for i, v := range y {
		mean[i%d] += v
	}
	cnt := float64((len(x) + len(y)) / d)
	for k := range mean {
		mean[k] /= cnt
	}
	cx, cy := make([]float64, len(x)), make([]float64, len(y))
	for i, v := range x {
		cx[i] = v - mean[i%d]
	}
	for i, v := range y {
		cy[i] = v - mean[i%d]
	}
	return cx, cy
}

// arrays frees every Array it allocated.
// The first failure is kept in err (and returned by every later call), so
// a run of allocations can be checked once.
type arrays struct {
	be   compute.Backend
	list []compute.Array
	err  error
}

func (as *arrays) upload(v []float64) (compute.Array, error) {
	if as.err != nil {
		return nil, as.err
	}
	a, err := as.be.Upload(v)
	if err != nil {
		as.err = fmt.Errorf("kernel: upload of %d values: %w", len(v), err)
		return nil, as.err
	}
	as.list = append(as.list, a)
	return a, nil
}

func (as *arrays) alloc(n int) (compute.Array, error) {
	if as.err != nil {
		return nil, as.err
	}
	a, err := as.be.Alloc(n)
	if err != nil {
		as.err = fmt.Errorf("kernel: allocation of %d values: %w", n, err)
		return nil, as.err
	}
	as.list = append(as.list, a)
	return a, nil
}

// release frees a early and forgets it.
func (as *arrays) release(a compute.Array) {
	for i, b := range as.list {
		if b == a {
			as.list = append(as.list[:i], as.list[i+1:]...)
			as.be.Free(a)
			return
		}
	}
}

func (as *arrays) free() {
	for _, a := range as.list {
		as.be.Free(a)
	}
}

// expDiffError returns sum_i w_i |exp((old_i - new_i)/eps) - 1|: the L1
// marginal error of the plan built from the old potential when the
// matching update gives new (for scalings pass eps = 1 and logs). tmp has
// the length of old.
func expDiffError(be compute.Backend, tmp, old, cur, w compute.Array, eps float64) (float64, error) {
	if err := be.Map(tmp, compute.MapArgs{Op: compute.OpExp, X: old, Y: cur, A: 1 / eps, B: -1 / eps}); err != nil {
		return 0, err
	}
	if err := be.Map(tmp, compute.MapArgs{Op: compute.OpAbs, X: tmp, A: 1, C: -1}); err != nil {
		return 0, err
	}
	if err := be.Map(tmp, compute.MapArgs{Op: compute.OpMul, X: tmp, Y: w, A: 1}); err != nil {
		return 0, err
	}
	return be.Sum(tmp)
}

// solveFull is log-domain Sinkhorn (Peyre and Cuturi 2019, "Computational
// Optimal Transport", Remark 4.23 / eq. (4.43)) with each half-iteration
// one fused soft-min:
//
//	f_i = -eps log sum_j b_j exp((g_j - C_ij)/eps)
//	g_j = -eps log sum_i a_i exp((f_i - C_ij)/eps)
//
// The returned state ends with an f-update (row marginals exact); the
// marginal error is that of the columns, measured with one more soft-min.
func solveFull(be compute.Backend, p Problem, s Settings) (Result, error) {
	start := time.Now()
	n, m, d := p.N, p.M, p.D
	a, b := normalised(p.A, n), normalised(p.B, m)
	cx, cy := centred(p.X, p.Y, d)
	as := &arrays{be: be}
	defer as.free()
	X, _ := as.upload(cx)
	Y, _ := as.upload(cy)
	la, _ := as.upload(logs(a))
	lb, _ := as.upload(logs(b))
	A, _ := as.upload(a)
	B, _ := as.upload(b)
	f, _ := as.alloc(n)
	g, _ := as.alloc(m)
	fOld, _ := as.alloc(n)
	tmpN, _ := as.alloc(n)
	tmpM, err := as.alloc(m)
	if err != nil {
		return Result{}, err
	}
	px := compute.Pairs{X: X, Y: Y, N: n, M: m, D: d, LogW: lb, G: g, Eps: p.Eps}
	py := px.Swap(la, f)
	var r Result
	for it := 1; it <= s.MaxIter; it++ {
		r.Iterations = it
		check := it%s.CheckEvery == 0 || it == s.MaxIter
		if check {
			if err := be.Copy(fOld, f); err != nil {
				return Result{}, err
			}
		}
		if err := be.SoftMin(f, px); err != nil {
			return Result{}, fmt.Errorf("kernel: full: %w", err)
		}
		if check && it > 1 {
			e, err := expDiffError(be, tmpN, fOld, f, A, p.Eps)
			if err != nil {
				return Result{}, err
			}
			if math.IsNaN(e) || math.IsInf(e, 0) {
				return Result{}, fmt.Errorf("%w: full: marginal error %v at iteration %d", ErrUnstable, e, it)
			}
			if e <= s.Tol {
				r.Converged = true
				break
			}
		}
		if it < s.MaxIter {
			if err := be.SoftMin(g, py); err != nil {
				return Result{}, err
			}
		}
	}
	// Column error of the final (f, g): the g-update it would take.
	if err := be.SoftMin(tmpM, py); err != nil {
		return Result{}, err
	}
	if r.MarginalError, err = expDiffError(be, tmpM, g, tmpM, B, p.Eps); err != nil {
		return Result{}, err
	}
	// Cost: with exact rows, P_ij = a_i p(j|i) and
	// sum_j p(j|i) |x_i - y_j|^2 = |x_i|^2 - 2 x_i . E[y|i] + E[|y|^2 | i].
	if r.Cost, err = fullCost(be, as, px, cx, cy, a, d); err != nil {
		return Result{}, err
	}
	r.F, r.G = make([]float64, n), make([]float64, m)
	if err := be.Read(r.F, f); err != nil {
		return Result{}, err
	}
	if err := be.Read(r.G, g); err != nil {
		return Result{}, err
	}
	r.Objective = dual(a, r.F, b, r.G)
	prec := compute.PrecisionOf(be.Info())
	r.PrecisionFloor = prec.Floor(compute.SquaredDiameter(cx, cy, d), p.Eps)
	check := fmt.Sprintf("marginal error and cost measured on the backend (%s); %d x %d pairs exceed the host check's %d", prec.Name, n, m, HostCheckPairs)
	if float64(n)*float64(m) <= HostCheckPairs {
		// The plan of (F, G), pair by pair in float64.
		ps := compute.EvalPlan(cx, cy, n, m, d, a, b, r.F, r.G, p.Eps, nil, nil)
		r.MarginalError, r.Cost = 0, 0
		for i, v := range ps.RowSum {
			r.MarginalError += math.Abs(v - a[i])
			r.Cost += ps.RowCost[i]
		}
		for j, v := range ps.ColSum {
			r.MarginalError += math.Abs(v - b[j])
		}
		check = fmt.Sprintf("float64 on the host over all %d x %d pairs", n, m)
	}
	r.Tier = Full
	describe(&r, s.Tol, prec, check)
	r.Time = time.Since(start)
	return r, nil
}

// dual returns <a, f> + <b, g>, skipping zero weights.
func dual(a, f, b, g []float64) float64 {
	var s float64
	for i, w := range a {
		if w > 0 {
			s += w * f[i]
		}
	}
	for j, w := range b {
		if w > 0 {
			s += w * g[j]
		}
	}
	return s
}

// fullCost returns <P, C> for the row-exact plan of px by one SoftMean of
// [y, |y|^2] (two when d + 1 exceeds compute.MaxValueDim).
func fullCost(be compute.Backend, as *arrays, px compute.Pairs, cx, cy, a []float64, d int) (float64, error) {
	n, m := px.N, px.M
	sq := make([]float64, m)
	for j := range sq {
		for k := 0; k < d; k++ {
			sq[j] += cy[j*d+k] * cy[j*d+k]
		}
	}
	means := make([]float64, n*d)
	msq := make([]float64, n)
	if d+1 <= compute.MaxValueDim {
		v := make([]float64, m*(d+1))
		for j := 0; j < m; j++ {
			copy(v[j*(d+1):], cy[j*d:(j+1)*d])
			v[j*(d+1)+d] = sq[j]
		}
		V, err := as.upload(v)
		if err != nil {
			return 0, err
		}
		out, err := as.alloc(n * (d + 1))
		if err != nil {
			return 0, err
		}
		if err := be.SoftMean(out, px, V, d+1); err != nil {
			return 0, err
		}
		h := make([]float64, n*(d+1))
		if err := be.Read(h, out); err != nil {
			return 0, err
		}
		for i := 0; i < n; i++ {
			copy(means[i*d:(i+1)*d], h[i*(d+1):i*(d+1)+d])
			msq[i] = h[i*(d+1)+d]
		}
	} else {
		out, _ := as.alloc(n * d)
		out1, _ := as.alloc(n)
		V1, err := as.upload(sq)
		if err != nil {
			return 0, err
		}
		if err := be.SoftMeanY(out, px, 1); err != nil {
			return 0, err
		}
		if err := be.SoftMean(out1, px, V1, 1); err != nil {
			return 0, err
		}
		if err := be.Read(means, out); err != nil {
			return 0, err
		}
		if err := be.Read(msq, out1); err != nil {
			return 0, err
		}
	}
	var cost float64
	for i := 0; i < n; i++ {
		var xx, xm float64
		for k := 0; k < d; k++ {
			xx += cx[i*d+k] * cx[i*d+k]
			xm += cx[i*d+k] * means[i*d+k]
		}
		cost += a[i] * (xx - 2*xm + msq[i])
	}
	return cost, nil
}
