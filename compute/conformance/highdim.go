package conformance

import (
	"fmt"

	"github.com/otplay/otplay/compute"
)

// highDimSizes are the soft-min sizes checked at d = 16 to 192: one either
// side of the 64-point blocks of the tiled GPU kernel (softmin_hd.wgsl), n
// != m, and 1030 columns, which the GPU splits across workgroups (the
// partial log-sum-exps merged by softmin_combine.wgsl).
var highDimSizes = []sizeCase{{1, 1}, {65, 63}, {63, 130}, {65, 1030}}

// highDimChecks runs SoftMin at d = 16, 64, 128 and 192, on the clouds of
// newPairData and on the same clouds shifted by 20 in every coordinate
// (|x|^2 about 400 d while the costs stay near 2 d): the expanded cost
// |x|^2 + |y|^2 - 2<x, y> of a fast kernel loses everything to float32
// cancellation there unless it centres the clouds. Tolerance as in
// softMinChecks: 3e-6 x (max|ref| + max C + eps).
func highDimChecks(b compute.Backend, opts Options) []check {
	var out []check
	ds := []int{5, 8, 16, 64, 128, 192}
	eps := []float64{1e-2, 1, 1e3}
	if opts.Quick {
		ds, eps = []int{16, 192}, []float64{1}
	}
	for _, d := range ds {
		for _, sz := range highDimSizes {
			for _, shift := range []float64{0, 20} {
				pair := lazyShiftedPair(sz.n, sz.m, d, uint64(500*d+sz.m), shift)
				for _, e := range eps {
					name := fmt.Sprintf("n=%d m=%d d=%d shift=%g eps=%g", sz.n, sz.m, d, shift, e)
					out = append(out, check{Result{Op: "softmin", Case: name}, func(r *Result) {
						p := pair()
						want := p.refSoftMin(e)
						got, err := runSoftMin(b, p, e)
						r.Err = err
						if err == nil {
							r.MaxErr = maxErr(got, want) / (maxAbs(want) + p.maxC + e)
							r.Tol = softMinTol(b)
						}
					}})
				}
			}
		}
	}
	return append(out, highDimSoftMeanChecks(b, opts)...)
}

// highDimSoftMeanChecks runs SoftMean (the exact denoiser's NFE) at d = 16
// to 192 on the same clouds, shifted and not, with V = y (dv = d) and, at
// d = 64, V = the first 5 or 40 coordinates of y (dv not a multiple of the
// tiled kernel's 32-column value chunks of softmean_hd.wgsl). Tolerance
// as in softMeanChecks: min(2e-3, 1e-4 + 1e-7 max C / eps) x max|V|.
func highDimSoftMeanChecks(b compute.Backend, opts Options) []check {
	var out []check
	ds := []int{5, 8, 16, 64, 128, 192}
	eps := []float64{1e-2, 1, 1e3}
	if opts.Quick {
		ds, eps = []int{16, 192}, []float64{1}
	}
	for _, d := range ds {
		dvs := []int{d}
		if d == 64 {
			dvs = append(dvs, 3, 5, 24, 40)
		}
		for _, sz := range highDimSizes {
			for _, shift := range []float64{0, 20} {
				pair := lazyShiftedPair(sz.n, sz.m, d, uint64(500*d+sz.m), shift)
				for _, dv := range dvs {
					for _, e := range eps {
						name := fmt.Sprintf("n=%d m=%d d=%d dv=%d shift=%g eps=%g", sz.n, sz.m, d, dv, shift, e)
						out = append(out, check{Result{Op: "softmean", Case: name}, func(r *Result) {
							p := pair()
							want := p.refSoftMeanCols(e, dv)
							got, err := runSoftMeanCols(b, p, e, dv)
							r.Err = err
							if err == nil {
								r.MaxErr = maxErr(got, want) / maxAbs(p.y)
								r.Tol = min(2e-3, 1e-4+1e-7*p.maxC/e)
							}
						}})
					}
				}
			}
		}
	}
	return out
}

// lazyShiftedPair is lazyPair with shift added to every coordinate of
// both clouds (the costs do not change).
func lazyShiftedPair(n, m, d int, seed uint64, shift float64) func() pairData {
	base := lazyPair(n, m, d, seed, false)
	var p *pairData
	return func() pairData {
		if p == nil {
			q := base()
			q.x = append([]float64(nil), q.x...)
			q.y = append([]float64(nil), q.y...)
			for i := range q.x {
				q.x[i] += shift
			}
			for i := range q.y {
				q.y[i] += shift
			}
			p = &q
		}
		return *p
	}
}
