package webgpu

import "github.com/otplay/otplay/gpu"

// PerPairRoute says whether a squared-Euclidean soft-min (dv = 0) or
// soft-mean (dv values) at dimension d runs the per-pair kernels
// (softmin.wgsl, softmean.wgsl).
func (b *Backend) PerPairRoute(d, dv int) bool {
	if d <= 3 && !b.NoUnroll || b.useMid(d, dv) {
		return false
	}
	if dv == 0 {
		return !b.useHD(d)
	}
	return !b.useSoftMeanHD(d)
}

// MidRoute says whether the call runs pairs_mid.wgsl (useMid).
func (b *Backend) MidRoute(d, dv int) bool { return b.useMid(d, dv) }

// QuickCompileDefault is quickCompileDefault for an adapter that is a
// fallback one or not.
func QuickCompileDefault(fallback bool) bool {
	return quickCompileDefault(gpu.Info{Fallback: fallback})
}
