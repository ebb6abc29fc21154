package conformance

import (
	"fmt"
	"time"

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
func highDimChecks(b compute.Backend, opts Options) []Result {
	var out []Result
	ds := []int{16, 64, 128, 192}
	eps := []float64{1e-2, 1, 1e3}
	if opts.Quick {
		ds, eps = []int{16, 192}, []float64{1}
	}
	for _, d := range ds {
		for _, sz := range highDimSizes {
			for _, shift := range []float64{0, 20} {
				p := newPairData(sz.n, sz.m, d, uint64(500*d+sz.m))
				if shift != 0 {
					for i := range p.x {
						p.x[i] += shift
					}
					for i := range p.y {
						p.y[i] += shift
					}
				}
				for _, e := range eps {
					start := time.Now()
					r := Result{Op: "softmin", Case: fmt.Sprintf("n=%d m=%d d=%d shift=%g eps=%g", sz.n, sz.m, d, shift, e)}
					want := p.refSoftMin(e)
					got, err := runSoftMin(b, p, e)
					r.Err = err
					if err == nil {
						r.MaxErr = maxErr(got, want) / (maxAbs(want) + p.maxC + e)
						r.Tol = 3e-6
					}
					out = append(out, finish(r, start))
				}
			}
		}
	}
	return out
}
