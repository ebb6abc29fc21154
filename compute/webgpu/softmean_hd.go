package webgpu

import (
	"fmt"
	"math"

	"github.com/otplay/otplay/compute"
	"github.com/otplay/otplay/gpu"
	"github.com/otplay/otplay/shaders"
)

// softMeanHDDefaultMinDim is the smallest point dimension whose
// squared-Euclidean SoftMean takes the tiled kernel (softmean_hd2.wgsl,
// else softmean_hd.wgsl) by default where pairs_mid.wgsl does not (d = 4
// to 16 and dv <= 16 unless turned off; see mid.go). Measured on an H100
// (bench/gpu/hd_sweep.sh, 2026-12-06, N = 1e4 / 3e4 / 1e5, ms, dv = d):
// softmean_hd2.wgsl against the per-pair softmean.wgsl 0.445 / 3.26 /
// 35.6 against 1.81 / 5.38 / 41.0 at d = 8, but 0.337 / 2.27 / 26.2
// against 1.25 / 3.64 / 15.8 at d = 4, where the per-pair kernel wins
// at large N (the tiled kernel's 16 pairs an invocation per tile leave
// its barriers and row-max exchange unamortised at small d).
const softMeanHDDefaultMinDim = 5

// useSoftMeanHD says whether SoftMean at point dimension d runs
// softmean_hd.wgsl.
func (b *Backend) useSoftMeanHD(d int) bool {
	return b.SoftMeanHDMinDim > 0 && d >= b.SoftMeanHDMinDim
}

// softMeanHDBlockRows and softMeanHDTileCols are softmean_hd.wgsl's BM and
// BN: a workgroup's rows, and the columns of one logit tile.
const (
	softMeanHDBlockRows = 64
	softMeanHDTileCols  = 32
)

// softMeanHD runs softmin_hd_bias.wgsl (the column term, once per call)
// and softmean_hd.wgsl, then softmean_cost_combine.wgsl when the column
// range is split across workgroups. The tiling is flash-attention's (Dao
// et al. 2022, Alg. 1) on the expanded squared-distance logits.
func (b *Backend) softMeanHD(dst compute.Array, p compute.Pairs, v compute.Array, dv int) error {
	b.hd.shared = 0
	if b.hd.shape.shapeFor(p.D, true).MeanKernel == 2 && dv <= 256 {
		if ok, err := b.softMeanHD2(dst, p, v, dv); ok {
			return err
		}
	}
	key := fmt.Sprintf("softmean_hd:D=%d:DV=%d", p.D, dv)
	k, err := b.kernelFunc(key, 5, func() (string, error) { return shaders.SoftMeanHD(p.D, dv) })
	if err != nil {
		return err
	}
	rowBlocks := (p.N + softMeanHDBlockRows - 1) / softMeanHDBlockRows
	nsplit, jchunk := b.hdSplit(rowBlocks, p.M, softMeanHDTileCols, 8)
	bias, err := b.hdColumnBias(p)
	if err != nil {
		return err
	}
	c := math.Log2E / p.Eps
	out := b.arr(dst).buf
	if nsplit > 1 {
		if out, err = b.scratchOf(nsplit * p.N * (dv + 2)); err != nil {
			return err
		}
	}
	gx, gy := b.dev.Grid(rowBlocks)
	params := []uint32{uint32(p.N), uint32(p.M), uint32(jchunk), uint32(nsplit), f32(2 * c), gx, 0, 0}
	if err := b.dev.Dispatch(k, []*gpu.Buffer{out, b.bufOf(p.X), b.bufOf(p.Y), bias, b.bufOf(v)}, params, gx, gy, uint32(nsplit)); err != nil {
		return wrap(err)
	}
	if nsplit == 1 {
		return nil
	}
	ck, err := b.kernel("softmean_cost_combine", 2, map[string]int{"DV": dv})
	if err != nil {
		return err
	}
	cx, cy := b.dev.Grid((p.N + 63) / 64)
	return wrap(b.dev.Dispatch(ck, []*gpu.Buffer{b.arr(dst).buf, out}, []uint32{uint32(p.N), uint32(nsplit), cx, 0}, cx, cy, 1))
}

// softMeanHD8MaxDV is the largest value dimension at which
// softmean_hd2.wgsl takes 8 rows an invocation by default (from d =
// hdUnrollD; 4 rows elsewhere). Measured on an H100 (bench/gpu/hd_sweep.sh
// v14mean2, 2026-12-06 08:41 UTC, one device call, dv = d, both unrolled,
// N = 1e4 / 3e4, ms), 8 rows against 4: d = 16 0.566 / 3.39 against
// 0.560 / 3.60; d = 32 0.668 / 4.93 against 0.782 / 5.60; d = 64 1.29 /
// 8.24 against 1.31 / 9.21; d = 128 2.02 / 15.3 against 2.20 / 17.1; but
// d = 192 4.49 / 35.4 against 3.19 / 25.6 (8 rows x 3 value chunks are 96
// accumulators an invocation; with loops 3.16 / 26.0).
const softMeanHD8MaxDV = 128

// softMeanHD2MinTiles is the fewest 64-column tiles in one column split of
// softmean_hd2.wgsl (HDShape.MinTiles overrides it). Each split writes
// DV + 2 words of partials a row, which softmean_combine_wide.wgsl
// (HDShape.MeanCombine) reads back; at N = 1e4 the split aims for more
// workgroups than 4 tiles a split give, so this bound sets the split count
// there (N = 3e4 and up split less anyway). H100, bench/gpu/hd2_call.sh,
// 2026-12-06, ms at N = 1e4 / 3e4. First call (09:09 UTC, the per-row
// merge softmean_cost_combine.wgsl), d = 64: 8 tiles (18 splits) 1.184 /
// 8.22 against 4 tiles (32 splits) 1.217 / 8.23 and 1.213 / 8.22 run
// before and after it, 2 tiles 1.220 / 8.21, 1 tile 1.240 / 8.22, one
// split (no partials) 1.512 / 8.60. Second call (09:15 UTC), the merge
// by one invocation a row and 4 value columns against one a row, 8 tiles
// a split: d = 32 0.624 / 4.85 against 0.670 / 4.87, d = 64 1.032 / 8.12
// against 1.158 / 8.23 (and 1.171 / 8.21 after), d = 128 1.873 / 15.28
// against 1.981 / 15.39; with the wide merge at d = 64, 4 tiles a split
// 1.013 / 8.12 and 2 tiles 1.041 / 8.12 (within the spread, so 8 stay:
// fewer partials); the per-row merge with 4 tiles 0.671 / 1.216 / 1.982
// at 1e4 for d = 32 / 64 / 128.
const softMeanHD2MinTiles = 8

// softMeanHD2 runs softmean_hd2.wgsl after its prep (softmin_hd_prep.wgsl,
// softmin_hd_bias.wgsl), then softmean_cost_combine.wgsl when the column
// range is split across workgroups. It reports false, doing nothing,
// where the device's limits do not hold the shape (32 KiB of workgroup
// memory).
func (b *Backend) softMeanHD2(dst compute.Array, p compute.Pairs, v compute.Array, dv int) (bool, error) {
	sh := b.hd.shape.shapeFor(p.D, true)
	pf := sh.Prefetch >= 2
	rm := sh.MeanRM
	if rm == 0 {
		rm = 4
		if p.D >= hdUnrollD && dv <= softMeanHD8MaxDV {
			rm = 8
		}
	}
	if dv < 5 {
		rm = 4 // 8 rows need at least 2 value-column vec4s (shaders.SoftMeanHD2)
	}
	s := b.hdPlan(p, sh, 16*rm, 64, softMeanHD2MinTiles, p.N*(dv+2))
	s.kc, s.dp = shaders.HDChunk(p.D, min(sh.KC, 16))
	s.shared = 2048 * 16
	if !b.hdFits(s) {
		return false, nil
	}
	b.hd.shared = uint32(s.shared)
	unroll := sh.Unroll == 2
	key := fmt.Sprintf("softmean_hd2:D=%d:DV=%d:RM=%d:KC=%d:PF=%v:U=%v", p.D, dv, rm, s.kc, pf, unroll)
	k, err := b.kernelFunc(key, 5, func() (string, error) { return shaders.SoftMeanHD2(p.D, dv, rm, s.kc, pf, unroll) })
	if err != nil {
		return true, err
	}
	if err := b.hdPrep(p, s, false); err != nil {
		return true, err
	}
	out := b.arr(dst).buf
	if s.nsplit > 1 {
		if out, err = b.scratchOf(s.nsplit * p.N * (dv + 2)); err != nil {
			return true, err
		}
	}
	gx, gy := b.dev.Grid(s.rowBlocks)
	params := []uint32{uint32(p.N), uint32(p.M), uint32(s.jchunk), uint32(s.nsplit), f32(2 * math.Log2E / p.Eps), gx, 0, 0}
	if err := b.dev.Dispatch(k, []*gpu.Buffer{out, b.hd.xt, b.hd.yt, b.hd.h, b.bufOf(v)}, params, gx, gy, uint32(s.nsplit)); err != nil {
		return true, wrap(err)
	}
	if s.nsplit == 1 {
		return true, nil
	}
	name, rowsPer := "softmean_cost_combine", p.N
	if sh.MeanCombine == 2 {
		// One invocation a row and 4 value columns.
		name, rowsPer = "softmean_combine_wide", p.N*((dv+3)/4)
	}
	ck, err := b.kernel(name, 2, map[string]int{"DV": dv})
	if err != nil {
		return true, err
	}
	cx, cy := b.dev.Grid((rowsPer + 63) / 64)
	return true, wrap(b.dev.Dispatch(ck, []*gpu.Buffer{b.arr(dst).buf, out}, []uint32{uint32(p.N), uint32(s.nsplit), cx, 0}, cx, cy, 1))
}
