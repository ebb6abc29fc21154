package webgpu

import (
	"fmt"

	"github.com/otplay/otplay/compute"
	"github.com/otplay/otplay/gpu"
	"github.com/otplay/otplay/shaders"
)

// costMode is the MODE of softmin_cost.wgsl / softmean_cost.wgsl: 0 a
// power of the distance, 1 a row-major cost matrix, 2 a transposed one.
func costMode(c compute.Cost) int {
	switch {
	case c.Matrix == nil:
		return 0
	case c.Transposed:
		return 2
	}
	return 1
}

// costKernel compiles name (softmin_cost or softmean_cost) for p's cost.
func (b *Backend) costKernel(name string, storages int, p compute.Pairs, dv int) (*gpu.Kernel, error) {
	mode, d := costMode(p.Cost), max(p.D, 1)
	if mode != 0 {
		d = 1 // X and Y are not read
	}
	consts := map[string]int{"D": d, "MODE": mode}
	if dv > 0 {
		consts["DV"] = dv
	}
	key := fmt.Sprintf("%s:D=%d:DV=%d:MODE=%d", name, d, dv, mode)
	return b.kernelFunc(key, storages, func() (string, error) { return shaders.Source(name, consts) })
}

// costParams fills the Params of the cost kernels.
func costParams(p compute.Pairs, gx uint32) []uint32 {
	return []uint32{uint32(p.N), uint32(p.M), gx, boolWord(p.LogW != nil),
		boolWord(p.G != nil), 0, 0, 0,
		f32(1 / p.Eps), f32(p.Eps), f32(p.Cost.Exponent()), 0}
}

// softMinCost runs softmin_cost.wgsl: SoftMin for a cost other than
// |x - y|^2 (the caller has validated p and ruled out aliasing).
func (b *Backend) softMinCost(dst compute.Array, p compute.Pairs) error {
	k, err := b.costKernel("softmin_cost", 6, p, 0)
	if err != nil {
		return err
	}
	gx, gy := b.dev.Grid((p.N + 63) / 64)
	bufs := []*gpu.Buffer{b.arr(dst).buf, b.bufOf(p.X), b.bufOf(p.Y), b.bufOf(p.Cost.Matrix), b.bufOf(p.LogW), b.bufOf(p.G)}
	return wrap(b.dev.Dispatch(k, bufs, costParams(p, gx), gx, gy, 1))
}

// softMeanCost runs softmean_cost.wgsl (see softMinCost).
func (b *Backend) softMeanCost(dst compute.Array, p compute.Pairs, v compute.Array, dv int) error {
	k, err := b.costKernel("softmean_cost", 7, p, dv)
	if err != nil {
		return err
	}
	gx, gy := b.dev.Grid((p.N + 63) / 64)
	bufs := []*gpu.Buffer{b.arr(dst).buf, b.bufOf(p.X), b.bufOf(p.Y), b.bufOf(p.Cost.Matrix), b.bufOf(p.LogW), b.bufOf(p.G), b.bufOf(v)}
	return wrap(b.dev.Dispatch(k, bufs, costParams(p, gx), gx, gy, 1))
}
