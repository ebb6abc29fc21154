package conformance

import (
	"errors"
	"fmt"
	"math"

	"github.com/otplay/otplay/compute"
)

// softMeanYCases are the (n, m, d) of SoftMeanY's checks: d = 1 and 3
// (softmean_small.wgsl on the GPU), 2 (pairs_mid.wgsl with Y staged as the
// values), 4, 8 and 16 (pairs_mid.wgsl's values read from Y, its range's
// ends and middle), 17 and 64 (softmean_hd*.wgsl, SoftMean of V = Y then
// a scaling Map); n != m, sizes either side of a 64-wide workgroup, one
// column (m = 1), and a long odd column range (m = 4097) over few rows,
// which the GPU splits across workgroups (the partials carry the scale)
// into ranges that end on a column the two-column sweep takes alone: at
// d = 1, 2, 3, 8 and 16, so that every kernel's partials are checked
// (the Quick suite's even entries split d = 1, 2, 3 and 8).
var softMeanYCases = []struct{ n, m, d int }{
	{63, 4097, 1}, {63, 130, 1}, {65, 4097, 2}, {4097, 63, 2}, {1, 4097, 3},
	{65, 130, 4}, {63, 4097, 8}, {9, 1, 4}, {130, 65, 16}, {31, 4097, 16},
	{64, 63, 17}, {65, 130, 64}, {5, 1, 2},
}

// softMeanYScales are the value scales c of SoftMeanY's checks: the exact
// denoiser's 1/alpha (alpha = 0.3), 1, 0 and a negative scale.
var softMeanYScales = []float64{1 / 0.3, 1, 0, -1.5}

// softMeanYChecks runs Backend.SoftMeanY (the soft-mean of V = c Y that
// the exact denoiser calls) against c times the direct float64 soft-mean
// of V = Y, and against the same backend's SoftMean given the values
// c Y as an array of their own (the generic form): the error is the
// larger of the one to the reference and half the one to the generic
// form (each within the SoftMean tolerance of the reference), in units of
// max |c Y| (of 1 at c = 0, where every mean must be 0).
func softMeanYChecks(b compute.Backend, opts Options) []check {
	var out []check
	for ci, sc := range softMeanYCases {
		if opts.Quick && ci%2 == 1 {
			continue
		}
		pair := lazyPair(sc.n, sc.m, sc.d, uint64(9100+31*sc.d+sc.m), false)
		eps := 0.05 * float64(sc.d) / 2 * 4
		for _, c := range softMeanYScales {
			out = append(out, check{Result{Op: "softmeany", Case: fmt.Sprintf("n=%d m=%d d=%d eps=%g c=%.4g", sc.n, sc.m, sc.d, eps, c)}, func(r *Result) {
				p := pair()
				want := p.refSoftMean(eps)
				for i := range want {
					want[i] *= c
				}
				got, generic, err := runSoftMeanY(b, p, eps, c)
				r.Err = err
				if err == nil {
					unit := math.Abs(c) * maxAbs(p.y)
					if unit == 0 {
						unit = 1
					}
					r.MaxErr = max(maxErr(got, want), maxErr(got, generic)/2) / unit
					r.Tol = min(2e-3, 1e-4+1e-7*p.maxC/eps)
				}
			}})
		}
	}
	// A scale that is not finite is refused (ErrBadArgument).
	for _, c := range []float64{math.NaN(), math.Inf(1)} {
		out = append(out, check{Result{Op: "errors", Case: fmt.Sprintf("softmeany c=%v", c)}, func(r *Result) {
			in, err := upload(b, []float64{0, 1, 2, 3}, make([]float64, 4))
			if err != nil {
				r.Err = err
				return
			}
			defer freeAll(b, in)
			if err := b.SoftMeanY(in[1], compute.Pairs{X: in[0], Y: in[0], N: 2, M: 2, D: 2, Eps: 1}, c); !errors.Is(err, compute.ErrBadArgument) {
				r.Err = fmt.Errorf("SoftMeanY with c = %v returned %v, want ErrBadArgument", c, err)
			}
		}})
	}
	return out
}

// runSoftMeanY returns SoftMeanY(p, c) and SoftMean with the values c Y
// uploaded as an array apart from Y.
func runSoftMeanY(b compute.Backend, p pairData, eps, c float64) (got, generic []float64, err error) {
	v := make([]float64, len(p.y))
	for i, y := range p.y {
		v[i] = c * y
	}
	in, err := upload(b, p.x, p.y, p.logw, p.g, v)
	if err != nil {
		return nil, nil, err
	}
	defer freeAll(b, in)
	dst, err := b.Alloc(p.n * p.d)
	if err != nil {
		return nil, nil, err
	}
	defer b.Free(dst)
	pairs := compute.Pairs{X: in[0], Y: in[1], N: p.n, M: p.m, D: p.d, LogW: in[2], G: in[3], Eps: eps}
	if err := b.SoftMeanY(dst, pairs, c); err != nil {
		return nil, nil, err
	}
	got = make([]float64, p.n*p.d)
	if err := b.Read(got, dst); err != nil {
		return nil, nil, err
	}
	if err := b.SoftMean(dst, pairs, in[4], p.d); err != nil {
		return nil, nil, err
	}
	generic = make([]float64, p.n*p.d)
	return got, generic, b.Read(generic, dst)
}
