package kernel

import (
	"fmt"
	"math"
	"time"

	"github.com/otplay/otplay/compute"
)

// GridProblem is balanced entropic OT between two histograms on the same
// regular H x W grid, cost |p - q|^2 between pixel positions.
type GridProblem struct {
	// A and B are the histograms, H x W row-major, nonnegative; each is
	// normalised to mass 1.
	A, B []float64
	H, W int
	// Spacing is the pixel pitch: pixel (i, j) sits at (i Spacing,
	// j Spacing). Default 1/max(H, W) (the grid spans the unit square).
	Spacing float64
	Eps     float64
}

// rowSeparation is S in the per-row log-sum-exp trick of gridConv: rows
// are placed S apart on a line, so the soft-min over one row ignores the
// others (exp(-S^2) = 0). S^2 = 1e15 keeps the own-row terms exact and
// every cross-row cost finite in float32 for grids up to 10^4 rows.
const rowSeparation = 3.1622776601683795e7

// trickDim is the dimension of the trick's points: the line coordinate
// padded with zeros to 5 dimensions. The trick needs the own-row cost to
// be exactly 0, which a direct difference gives; a backend may instead
// expand |x|^2 + |y|^2 - 2 x.y for small D (compute/webgpu does for
// D <= 4), whose rounding (~1e-7 |x|^2, here up to 1e11) would swamp it.
const trickDim = 5

// gridFloor is added before each log in gridConv: 1e-300 on float64
// backends, 1e-30 on float32 ones (above the float32 subnormals). It
// floors the Gaussian kernel at exp(-690) or exp(-69) relative to the
// largest term of a row: exact while extent^2 / eps stays below ~690
// (float64) or ~60 (float32), where extent is the grid's diameter.
func gridFloor(be compute.Backend) float64 {
	if be.Info().Precision == "float64" {
		return 1e-300
	}
	return 1e-30
}

// gridConv computes, for log-weights h on the H x W grid,
//
//	dst_p = log sum_q exp(h_q) Kh[i(p), i(q)] Kw[j(p), j(q)]
//
// the log-domain separable convolution of Solomon et al. 2015
// ("Convolutional Wasserstein Distances", SIGGRAPH, Algorithm 1, with the
// kernel applied in the log domain). Along rows: the per-row log-sum-exp
// s_i of h by one SoftMin over the rows laid S apart on a line (exact,
// log-domain), then dst = s_i + log((exp(h - s_i) Kw) + floor) by MatMul;
// along columns the same with the per-column log-sum-exp and Kh on the
// left. No exponential can overflow (every shifted exponent is <= 0).
type gridConv struct {
	be             compute.Backend
	h, w           int
	rowX, rowY     compute.Array // H and H*W coordinates i*S, row(q)*S
	colX, colY     compute.Array // W and H*W coordinates j*S, col(q)*S
	shiftH, shiftW compute.Array
	e, r           compute.Array // H*W workspaces
	floor          float64
}

func newGridConv(be compute.Backend, as *arrays, h, w int) (*gridConv, error) {
	const td = trickDim
	rx, ry := make([]float64, h*td), make([]float64, h*w*td)
	cx, cy := make([]float64, w*td), make([]float64, h*w*td)
	for i := 0; i < h; i++ {
		rx[i*td] = float64(i) * rowSeparation
		for j := 0; j < w; j++ {
			ry[(i*w+j)*td] = float64(i) * rowSeparation
			cy[(i*w+j)*td] = float64(j) * rowSeparation
		}
	}
	for j := 0; j < w; j++ {
		cx[j*td] = float64(j) * rowSeparation
	}
	c := &gridConv{be: be, h: h, w: w, floor: gridFloor(be)}
	c.rowX, _ = as.upload(rx)
	c.rowY, _ = as.upload(ry)
	c.colX, _ = as.upload(cx)
	c.colY, _ = as.upload(cy)
	c.shiftH, _ = as.alloc(h)
	c.shiftW, _ = as.alloc(w)
	c.e, _ = as.alloc(h * w)
	var err error
	c.r, err = as.alloc(h * w)
	return c, err
}

// apply writes the convolution of lw by Kw (along each row, W x W) and Kh
// (along each column, H x H) into dst (H*W); dst may alias nothing else.
func (c *gridConv) apply(dst, lw, kw, kh compute.Array) error {
	be, h, w := c.be, c.h, c.w
	// shiftH_i = -LSE_j lw_ij (SoftMin with eps = 1 returns -LSE).
	if err := be.SoftMin(c.shiftH, compute.Pairs{X: c.rowX, Y: c.rowY, N: h, M: h * w, D: trickDim, LogW: lw, Eps: 1}); err != nil {
		return err
	}
	if err := be.Map(c.e, compute.MapArgs{Op: compute.OpExp, X: lw, Y: c.shiftH, YDiv: w, A: 1, B: 1}); err != nil {
		return err
	}
	if err := be.MatMul(c.r, c.e, kw, h, w, w, false, false); err != nil {
		return err
	}
	if err := be.Map(c.r, compute.MapArgs{Op: compute.OpLog, X: c.r, A: 1, C: c.floor}); err != nil {
		return err
	}
	if err := be.Map(c.r, compute.MapArgs{Op: compute.OpAxpby, X: c.r, Y: c.shiftH, YDiv: w, A: 1, B: -1}); err != nil {
		return err
	}
	// Columns: shiftW_j = -LSE_i r_ij, then Kh on the left.
	if err := be.SoftMin(c.shiftW, compute.Pairs{X: c.colX, Y: c.colY, N: w, M: h * w, D: trickDim, LogW: c.r, Eps: 1}); err != nil {
		return err
	}
	if err := be.Map(c.e, compute.MapArgs{Op: compute.OpExp, X: c.r, Y: c.shiftW, YMod: w, A: 1, B: 1}); err != nil {
		return err
	}
	if err := be.MatMul(c.r, kh, c.e, h, h, w, false, false); err != nil {
		return err
	}
	if err := be.Map(dst, compute.MapArgs{Op: compute.OpLog, X: c.r, A: 1, C: c.floor}); err != nil {
		return err
	}
	return be.Map(dst, compute.MapArgs{Op: compute.OpAxpby, X: dst, Y: c.shiftW, YMod: w, A: 1, B: -1})
}

// gaussMatrix returns K[a][b] = exp(-(a-b)^2 h^2 / eps), times (a-b)^2 h^2
// when weighted (the cost-weighted kernel of the cost computation).
func gaussMatrix(n int, h, eps float64, weighted bool) []float64 {
	k := make([]float64, n*n)
	for a := 0; a < n; a++ {
		for b := 0; b < n; b++ {
			c := float64((a-b)*(a-b)) * h * h
			k[a*n+b] = math.Exp(-c / eps)
			if weighted {
				k[a*n+b] *= c
			}
		}
	}
	return k
}

// MaxGridSide bounds H and W (the H x H and W x W kernels are dense).
const MaxGridSide = 8192

// SolveGrid solves balanced entropic OT between two histograms on a grid by
// log-domain Sinkhorn whose soft-min is the separable convolution of
// gridConv (Solomon et al. 2015): f = -eps Conv(log b + g/eps), g = -eps
// Conv(log a + f/eps), O(H W (H + W)) per iteration. It gives the same
// plan as the full tier on the pixel positions up to the kernel floor (see
// gridFloor). The state ends with an f-update; MarginalError is that of
// the columns. Cost uses K o C = (Kh o Ch) x Kw + Kh x (Kw o Cw).
func SolveGrid(be compute.Backend, gp GridProblem, s Settings) (Result, error) {
	start := time.Now()
	if be == nil {
		return Result{}, fmt.Errorf("%w: nil backend", ErrBadArgument)
	}
	h, w := gp.H, gp.W
	switch {
	case h < 1 || w < 1 || h > MaxGridSide || w > MaxGridSide:
		return Result{}, fmt.Errorf("%w: grid %d x %d: sides must be in [1, %d]", ErrBadArgument, h, w, MaxGridSide)
	case len(gp.A) != h*w || len(gp.B) != h*w:
		return Result{}, fmt.Errorf("%w: histograms have %d and %d cells, want H*W = %d", ErrBadArgument, len(gp.A), len(gp.B), h*w)
	case !(gp.Eps > 0) || math.IsInf(gp.Eps, 0):
		return Result{}, fmt.Errorf("%w: eps = %g must be positive and finite", ErrBadArgument, gp.Eps)
	case gp.Spacing < 0 || math.IsNaN(gp.Spacing) || math.IsInf(gp.Spacing, 0):
		return Result{}, fmt.Errorf("%w: spacing = %g must be positive", ErrBadArgument, gp.Spacing)
	}
	if err := checkWeights("A", gp.A, h*w); err != nil {
		return Result{}, err
	}
	if err := checkWeights("B", gp.B, h*w); err != nil {
		return Result{}, err
	}
	s = s.withDefaults()
	if err := s.check(); err != nil {
		return Result{}, err
	}
	sp := gp.Spacing
	if sp == 0 {
		sp = 1 / float64(max(h, w))
	}
	eps := gp.Eps
	n := h * w
	a, b := normalised(gp.A, n), normalised(gp.B, n)
	as := &arrays{be: be}
	defer as.free()
	conv, _ := newGridConv(be, as, h, w)
	kw, _ := as.upload(gaussMatrix(w, sp, eps, false))
	kh, _ := as.upload(gaussMatrix(h, sp, eps, false))
	la, _ := as.upload(logs(a))
	lb, _ := as.upload(logs(b))
	A, _ := as.upload(a)
	B, _ := as.upload(b)
	f, _ := as.alloc(n)
	g, _ := as.alloc(n)
	fOld, _ := as.alloc(n)
	lw, _ := as.alloc(n)
	tmp, err := as.alloc(n)
	if err != nil {
		return Result{}, err
	}
	// update sets dst = -eps Conv(logw + pot/eps).
	update := func(dst, logw, pot compute.Array) error {
		if err := be.Map(lw, compute.MapArgs{Op: compute.OpAxpby, X: logw, Y: pot, A: 1, B: 1 / eps}); err != nil {
			return err
		}
		if err := conv.apply(dst, lw, kw, kh); err != nil {
			return err
		}
		return be.Map(dst, compute.MapArgs{Op: compute.OpAxpby, X: dst, A: -eps})
	}
	res := Result{Tier: Grid}
	for it := 1; it <= s.MaxIter; it++ {
		res.Iterations = it
		check := it%s.CheckEvery == 0 || it == s.MaxIter
		if check {
			if err := be.Copy(fOld, f); err != nil {
				return Result{}, err
			}
		}
		if err := update(f, lb, g); err != nil {
			return Result{}, fmt.Errorf("kernel: grid: %w", err)
		}
		if check && it > 1 {
			e, err := expDiffError(be, tmp, fOld, f, A, eps)
			if err != nil {
				return Result{}, err
			}
			if math.IsNaN(e) || math.IsInf(e, 0) {
				return Result{}, fmt.Errorf("%w: grid: marginal error %v at iteration %d", ErrUnstable, e, it)
			}
			if e <= s.Tol {
				res.Converged = true
				break
			}
		}
		if it < s.MaxIter {
			if err := update(g, la, f); err != nil {
				return Result{}, err
			}
		}
	}
	if err := update(tmp, la, f); err != nil {
		return Result{}, err
	}
	if res.MarginalError, err = expDiffError(be, tmp, g, tmp, B, eps); err != nil {
		return Result{}, err
	}
	// Cost: sum_p a_p exp(f_p/eps) [exp(c1_p) + exp(c2_p)] with c1, c2 the
	// convolutions of lb + g/eps by the cost-weighted kernels.
	kwc, _ := as.upload(gaussMatrix(w, sp, eps, true))
	khc, _ := as.upload(gaussMatrix(h, sp, eps, true))
	c1, _ := as.alloc(n)
	c2, err := as.alloc(n)
	if err != nil {
		return Result{}, err
	}
	if err := be.Map(lw, compute.MapArgs{Op: compute.OpAxpby, X: lb, Y: g, A: 1, B: 1 / eps}); err != nil {
		return Result{}, err
	}
	if err := conv.apply(c1, lw, kw, khc); err != nil {
		return Result{}, err
	}
	if err := conv.apply(c2, lw, kwc, kh); err != nil {
		return Result{}, err
	}
	for _, c := range []compute.Array{c1, c2} {
		if err := be.Map(c, compute.MapArgs{Op: compute.OpExp, X: c, Y: f, A: 1, B: 1 / eps}); err != nil {
			return Result{}, err
		}
	}
	if err := be.Map(c1, compute.MapArgs{Op: compute.OpAxpby, X: c1, Y: c2, A: 1, B: 1}); err != nil {
		return Result{}, err
	}
	if err := be.Map(c1, compute.MapArgs{Op: compute.OpMul, X: c1, Y: A, A: 1}); err != nil {
		return Result{}, err
	}
	if res.Cost, err = be.Sum(c1); err != nil {
		return Result{}, err
	}
	res.F, res.G = make([]float64, n), make([]float64, n)
	if err := be.Read(res.F, f); err != nil {
		return Result{}, err
	}
	if err := be.Read(res.G, g); err != nil {
		return Result{}, err
	}
	res.Objective = dual(a, res.F, b, res.G)
	res.Reason = "SolveGrid"
	prec := compute.PrecisionOf(be.Info())
	res.PrecisionFloor = prec.Floor(float64(w*w+h*h)*sp*sp, eps)
	describe(&res, s.Tol, prec, fmt.Sprintf("marginal error and cost measured on the backend (%s) by the separable convolutions", prec.Name))
	res.Time = time.Since(start)
	return res, nil
}
