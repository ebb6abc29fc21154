package webgpu

import (
	"fmt"
	"math"
	"os"
	"strconv"

	"github.com/otplay/otplay/compute"
	"github.com/otplay/otplay/gpu"
	"github.com/otplay/otplay/shaders"
)

// hdDefaultMinDim is the smallest dimension that takes the tiled
// matrix-product soft-min (softmin_hd2.wgsl, else softmin_hd.wgsl) by
// default where pairs_mid.wgsl does not (it takes d = 4 to 16 unless
// turned off; see mid.go). Measured on an H100 (bench/gpu/hd_sweep.sh, 2026-12-06, N =
// 1e4 / 3e4 / 1e5, ms): softmin_hd2.wgsl against the per-pair kernel
// 0.108 / 0.616 / 5.97 against 0.099 / 0.705 / 7.65 at d = 4, 0.180 /
// 0.840 / 8.05 against 0.224 / 1.46 / 15.1 at d = 8; at d = 3 the
// per-pair softmin_small.wgsl wins (0.077 / 0.494 / 5.39 against 0.109 /
// 0.615 / 5.95).
const hdDefaultMinDim = 4

// Tiled soft-min shape: 16 x 16 invocations each owning hdRB x hdRB
// (row, column) pairs, coordinates staged hdKC at a time; hdRB = 8 with
// hdKC = 16 fills WebGPU's guaranteed 16 KiB of workgroup memory.
// The 8 x 8 block beat the 4 x 4 one at every d measured on the H100
// (0.885 against 1.15 ms at d = 64, N = 1e4; 6.79 against 10.2 ms at 3e4).
const (
	hdRB = 8
	hdKC = 16
)

// minDimFromEnv reads a tiled kernel's smallest dimension from the
// environment variable name (OTPLAY_SOFTMIN_HD_MIN, OTPLAY_SOFTMEAN_HD_MIN),
// 0 turning the kernel off (for side-by-side benchmarks); def when unset
// or invalid.
func minDimFromEnv(name string, def int) int {
	v, err := strconv.Atoi(os.Getenv(name))
	if err != nil || v < 0 {
		return def
	}
	return v
}

// useHD says whether SoftMin at dimension d runs softmin_hd.wgsl.
func (b *Backend) useHD(d int) bool {
	return b.HDMinDim > 0 && d >= b.HDMinDim
}

// softMinHD runs softmin_hd_bias.wgsl (the column term, once per call) and
// softmin_hd.wgsl, then softmin_combine.wgsl when the column range is
// split across workgroups.
func (b *Backend) softMinHD(dst compute.Array, p compute.Pairs) error {
	b.hd.shared = 0
	if b.hd.shape.shapeFor(p.D, false).Kernel == 2 {
		if ok, err := b.softMinHD2(dst, p); ok {
			return err
		}
	}
	rb := hdRB
	if b.HDRB > 0 {
		rb = b.HDRB
	}
	bm := 16 * rb
	key := fmt.Sprintf("softmin_hd:D=%d:RB=%d:KC=%d", p.D, rb, hdKC)
	k, err := b.kernelFunc(key, 4, func() (string, error) { return shaders.SoftMinHD(p.D, rb, hdKC) })
	if err != nil {
		return err
	}
	rowBlocks := (p.N + bm - 1) / bm
	nsplit, jchunk := b.hdSplit(rowBlocks, p.M, bm, 4)
	bias, err := b.hdColumnBias(p)
	if err != nil {
		return err
	}
	c := math.Log2E / p.Eps
	out := b.arr(dst).buf
	if nsplit > 1 {
		if out, err = b.scratchOf(2 * p.N * nsplit); err != nil {
			return err
		}
	}
	gx, gy := b.dev.Grid(rowBlocks)
	params := []uint32{uint32(p.N), uint32(p.M), uint32(jchunk), uint32(nsplit),
		f32(2 * c), f32(c), f32(-p.Eps * math.Ln2), gx}
	if err := b.dev.Dispatch(k, []*gpu.Buffer{out, b.bufOf(p.X), b.bufOf(p.Y), bias}, params, gx, gy, uint32(nsplit)); err != nil {
		return wrap(err)
	}
	if nsplit == 1 {
		return nil
	}
	return b.combineSoftMin(dst, out, p, nsplit)
}

// hdSplit splits the m columns of a tiled kernel with rowBlocks
// workgroups of 256 invocations over the grid's z dimension: a quarter of
// TargetGroups (tuned for 64- to 128-wide groups) fills the device as
// well, keeping at least minTiles tiles of tile columns a split. It
// returns the number of splits and the columns of each (a multiple of
// tile).
func (b *Backend) hdSplit(rowBlocks, m, tile, minTiles int) (nsplit, jchunk int) {
	nsplit = 1
	if rowBlocks < b.TargetGroups/4 {
		nsplit = max(1, min((b.TargetGroups/4+rowBlocks-1)/rowBlocks, m/(minTiles*tile)))
	}
	jchunk = (m + nsplit - 1) / nsplit
	jchunk = (jchunk + tile - 1) / tile * tile
	return (m + jchunk - 1) / jchunk, jchunk
}

// hdColumnBias runs softmin_hd_bias.wgsl into hdBias's buffer: the column
// term H of softmin_hd.wgsl and softmean_hd.wgsl.
func (b *Backend) hdColumnBias(p compute.Pairs) (*gpu.Buffer, error) {
	bias, err := b.hdBias(p.M)
	if err != nil {
		return nil, err
	}
	return bias, b.hdBiasInto(bias, p, p.M)
}

// hdBiasInto runs softmin_hd_bias.wgsl into h: the column term of p for
// j < p.M and -3e38 for the padding columns p.M <= j < mpad.
func (b *Backend) hdBiasInto(h *gpu.Buffer, p compute.Pairs, mpad int) error {
	bk, err := b.kernel("softmin_hd_bias", 5, nil)
	if err != nil {
		return err
	}
	bp := []uint32{uint32(p.M), uint32(p.D), 0, uint32(mpad), f32(math.Log2E), f32(math.Log2E / p.Eps), boolWord(p.LogW != nil), boolWord(p.G != nil)}
	return b.elementwise(bk, []*gpu.Buffer{h, b.bufOf(p.Y), b.bufOf(p.LogW), b.bufOf(p.G), b.bufOf(p.Y)}, bp, 2, mpad)
}

// hdBias returns a persistent buffer of at least m words for the column
// term H of softmin_hd.wgsl (separate from scratch, which may hold the
// per-split partials in the same batch).
func (b *Backend) hdBias(m int) (*gpu.Buffer, error) {
	if b.bias != nil && b.bias.Words() >= m {
		return b.bias, nil
	}
	if b.bias != nil {
		b.dev.Release(b.bias)
		b.bias = nil
	}
	buf, err := b.dev.NewBuffer(max(m, 1024))
	if err != nil {
		return nil, wrap(err)
	}
	b.bias = buf
	return buf, nil
}

// hdState is the shape of the vec4-tiled kernels (softmin_hd2.wgsl,
// softmean_hd2.wgsl) and their per-call buffers; hdStateFromEnv gives the
// defaults.
type hdState struct {
	// shape as set by SetHDShape or the environment (zero fields: the
	// default for the call's d, see shapeFor).
	shape HDShape
	// xt, yt: the centred chunk-transposed copies (softmin_hd_prep.wgsl);
	// h: the padded column term, q: the row term (softmin_hd_bias.wgsl).
	xt, yt, h, q *gpu.Buffer
	// sharedCap > 0 lowers the device's workgroup memory as hdFits reads
	// it (tests: the fallbacks of devices with less); shared is the
	// workgroup memory of the last softmin_hd2.wgsl or softmean_hd2.wgsl
	// call, 0 where the last call fell back to softmin_hd.wgsl or
	// softmean_hd.wgsl.
	sharedCap, shared uint32
}

// HDShape is the shape of the high-dimensional kernels, for tests and
// tuning; a zero field means the default for the call's dimension.
//
//   - Kernel and MeanKernel pick softmin_hd.wgsl / softmean_hd.wgsl (1)
//     or softmin_hd2.wgsl / softmean_hd2.wgsl (2, the default);
//     OTPLAY_SOFTMIN_HD_KERNEL, OTPLAY_SOFTMEAN_HD_KERNEL.
//   - RM x RN pairs per invocation of softmin_hd2.wgsl, 4, 8 or 16 each
//     with RM x RN <= 128 (default 16 x 8 for 48 <= d < 96, else 8 x 8;
//     see hdUnrollD); OTPLAY_HD_RM, _RN.
//   - KC coordinates a staged chunk, a multiple of 4 in [4, 32] (default
//     16, and hd16x8KC for the unrolled 16 x 8 soft-min block where it
//     fits; the soft-mean takes at most 16); OTPLAY_HD_KC.
//   - Prefetch: 1 off, 2 on, the register prefetch of the next chunk
//     (default: on for the soft-mean, off for the soft-min); 3 (the
//     soft-min only; the soft-mean takes it as 2): prefetched into a
//     second staging buffer, one barrier a chunk (slower on the H100 at
//     every d measured); OTPLAY_HD_PF=0, 1 or 2.
//   - Groups: the workgroups the column split aims for (default
//     TargetGroups); OTPLAY_HD_GROUPS.
//   - Unroll: 1 off, 2 on, each chunk's k steps (and the soft-mean's
//     P.V steps) written out in the generated WGSL instead of a loop
//     (default on from d = 16); OTPLAY_HD_UNROLL=0 or 1.
//   - MeanRM: the rows an invocation of softmean_hd2.wgsl, 4 or 8 (a
//     128-row block, its P tile in two halves; 4 where dv < 5; default 8
//     from d = 16 with dv <= softMeanHD8MaxDV, else 4); OTPLAY_HD_MEAN_RM.
//   - MinTiles: the fewest tiles a column split holds (default 2 for the
//     soft-min, softMeanHD2MinTiles for the soft-mean); OTPLAY_HD_MIN_TILES.
//   - Poly: k > 0 sends the soft-min's tile exps of every k-th row of an
//     invocation to the FMA units (exp2_fma, shaders.SoftMinHD2's
//     polyEvery; default 0, off); OTPLAY_HD_POLY.
//   - MeanCombine: the merge of softmean_hd2.wgsl's column splits, 1
//     softmean_cost_combine.wgsl (one invocation a row) or 2
//     softmean_combine_wide.wgsl (one a row and 4 value columns, the
//     default; see softMeanHD2MinTiles for the figures);
//     OTPLAY_HD_MEAN_COMBINE=1 or 2.
//
// Measured on an H100 (bench/gpu/hd_sweep.sh, README Speed).
type HDShape struct {
	Kernel, MeanKernel, RM, RN, KC, Prefetch, Groups, Unroll, MeanRM int
	MinTiles, Poly, MeanCombine                                      int
}

// The defaults from hdUnrollD (H100, bench/gpu/hd_sweep.sh sections
// v14min and v14mean, 2026-12-06 08:22 UTC, one device call, N = 1e4 / 3e4,
// ms): the soft-min's k steps unrolled, 8 x 8 without prefetch, except a
// 16 x 8 block for hd16x8D <= d < hd16x8MaxD:
//
//	d = 16:  8 x 8 unrolled 0.177 / 1.05 against the former default 0.236 / 1.21
//	d = 32:  0.284 / 1.93 against 0.289 / 2.02 (16 x 8 unrolled 0.282 / 1.94)
//	d = 64:  16 x 8 unrolled 0.462 / 3.35, 8 x 8 unrolled 0.500 / 3.49, former 0.501 / 3.65
//	d = 128: 8 x 8 unrolled 0.829 / 6.36 against 8 x 4 prefetched 0.872 / 6.61 (16 x 8 0.841 / 6.62)
//	d = 192: 1.16 / 9.18 against 1.22 / 9.67 (16 x 8 1.22 / 9.57)
//
// The double buffering (Prefetch 3) was slower at every d (0.617 / 4.42
// at d = 64), 8 x 16 and the blocks not unrolled too. The soft-mean's
// unrolled cost and P.V steps: 1.33 / 9.16 against 1.34 / 9.77 at d = 64,
// 3.18 / 25.7 against 3.41 / 27.6 at d = 192, the same at d = 16, 32.
// Below hdUnrollD the former defaults stay (not measured unrolled).
//
// The unrolled 16 x 8 block stages hd16x8KC = 32 coordinates a chunk
// (48 KiB of workgroup memory: two barrier pairs a tile at d = 64 instead
// of four) where the device offers 48 KiB (the H100 through wgpu-native:
// 49152 B; lavapipe's 32 KiB keep 16) and 32-coordinate chunks pad d no
// further than 16-coordinate ones (d = 57 to 64 of the 16 x 8 range).
// H100, bench/gpu/hd2_call.sh, 2026-12-06 09:09 UTC, one device call,
// d = 64, ms at N = 1e4 / 3e4 / (medians of 10, --batch 20): 0.459 /
// 3.20 against 0.466 / 3.34 and 0.476 / 3.36 for KC = 16 run before and
// after it (53.7% of the FMA peak at 3e4 against 51.5%).
const (
	hdUnrollD  = 16
	hd16x8D    = 48
	hd16x8MaxD = 96
	hd16x8KC   = 32
)

// shapeFor fills the zero fields of the shape for a call at dimension d.
func (s HDShape) shapeFor(d int, mean bool) HDShape {
	def := func(v *int, x int) {
		if *v == 0 {
			*v = x
		}
	}
	def(&s.Kernel, 2)
	def(&s.MeanKernel, 2)
	def(&s.MeanCombine, 2)
	def(&s.KC, 16)
	if d >= hdUnrollD {
		def(&s.Unroll, 2)
	}
	if d >= hd16x8D && d < hd16x8MaxD && s.RN != 16 {
		def(&s.RM, 16)
	}
	def(&s.RM, 8)
	def(&s.RN, 8)
	if mean {
		def(&s.Prefetch, 2)
	}
	def(&s.Prefetch, 1)
	def(&s.Unroll, 1)
	return s
}

func envInt(name string, ok func(int) bool) int {
	v, err := strconv.Atoi(os.Getenv(name))
	if err != nil || !ok(v) {
		return 0
	}
	return v
}

func hdStateFromEnv() hdState {
	oneOrTwo := func(v int) bool { return v == 1 || v == 2 }
	block := func(v int) bool { return v == 4 || v == 8 || v == 16 }
	s := HDShape{
		Kernel:      envInt("OTPLAY_SOFTMIN_HD_KERNEL", oneOrTwo),
		MeanKernel:  envInt("OTPLAY_SOFTMEAN_HD_KERNEL", oneOrTwo),
		RM:          envInt("OTPLAY_HD_RM", block),
		RN:          envInt("OTPLAY_HD_RN", block),
		KC:          envInt("OTPLAY_HD_KC", func(v int) bool { return v >= 4 && v <= 32 && v%4 == 0 }),
		Groups:      envInt("OTPLAY_HD_GROUPS", func(v int) bool { return v > 0 }),
		MeanRM:      envInt("OTPLAY_HD_MEAN_RM", func(v int) bool { return v == 4 || v == 8 }),
		MinTiles:    envInt("OTPLAY_HD_MIN_TILES", func(v int) bool { return v > 0 }),
		Poly:        envInt("OTPLAY_HD_POLY", func(v int) bool { return v > 0 }),
		MeanCombine: envInt("OTPLAY_HD_MEAN_COMBINE", oneOrTwo),
	}
	switch os.Getenv("OTPLAY_HD_PF") {
	case "0":
		s.Prefetch = 1
	case "1":
		s.Prefetch = 2
	case "2":
		s.Prefetch = 3
	}
	switch os.Getenv("OTPLAY_HD_UNROLL") {
	case "0":
		s.Unroll = 1
	case "1":
		s.Unroll = 2
	}
	return hdState{shape: s}
}

// HDShape returns the shape as set (zero fields: per-d defaults).
func (b *Backend) HDShape() HDShape { return b.hd.shape }

// SetHDShape sets the shape; it panics on a field outside the ranges of
// HDShape.
func (b *Backend) SetHDShape(s HDShape) {
	in := func(v int, ok ...int) bool {
		for _, o := range append(ok, 0) {
			if v == o {
				return true
			}
		}
		return false
	}
	if !in(s.Kernel, 1, 2) || !in(s.MeanKernel, 1, 2) || !in(s.RM, 4, 8, 16) || !in(s.RN, 4, 8, 16) || s.RM*s.RN > 128 ||
		s.KC < 0 || s.KC > 32 || s.KC%4 != 0 || !in(s.Prefetch, 1, 2, 3) || !in(s.Unroll, 1, 2) || !in(s.MeanRM, 4, 8) || s.Groups < 0 ||
		s.MinTiles < 0 || s.Poly < 0 || !in(s.MeanCombine, 1, 2) {
		panic(fmt.Sprintf("webgpu: SetHDShape: shape %+v out of range", s))
	}
	b.hd.shape = s
}

// hdGrow returns *slot if it holds at least n words, else a new buffer
// of n words (a multiple of 4, at least 1024) in its place.
func (b *Backend) hdGrow(slot **gpu.Buffer, n int) (*gpu.Buffer, error) {
	if *slot != nil && (*slot).Words() >= n {
		return *slot, nil
	}
	if *slot != nil {
		b.dev.Release(*slot)
		*slot = nil
	}
	buf, err := b.dev.NewBuffer(max((n+3)&^3, 1024))
	if err != nil {
		return nil, wrap(err)
	}
	*slot = buf
	return buf, nil
}

// hdShape is one call's launch shape for softmin_hd2.wgsl or
// softmean_hd2.wgsl.
type hdShape struct {
	kc, dp, bm, bn         int
	rowBlocks, colBlocks   int
	nsplit, jchunk, shared int // shared: workgroup memory in bytes
}

// hdFits says whether the shape runs on this device: its workgroup memory
// and the padded copies within the device's limits (else the caller keeps
// the 16 KiB kernels).
func (b *Backend) hdFits(s hdShape) bool {
	l := b.dev.Info().Limits
	shared := l.MaxWorkgroupStorageSize
	if b.hd.sharedCap > 0 {
		shared = min(shared, b.hd.sharedCap)
	}
	words := uint64(max(s.rowBlocks*s.bm, s.colBlocks*s.bn) * s.dp)
	return uint32(s.shared) <= shared && words*4 <= l.MaxStorageBufferBindingSize
}

// hdPlan is the launch shape of a tiled call: bm-row blocks against
// bn-column tiles, chunks of at most sh.KC coordinates, and the column
// range split into whole tiles so that about sh.Groups (default
// TargetGroups) workgroups run, with at least minTiles (sh.MinTiles where
// set) tiles a split.
// Each split stores partWords words of partials
// (softmin_combine.wgsl's or softmean_cost_combine.wgsl's input), and the
// split count stays where they fit one storage binding.
func (b *Backend) hdPlan(p compute.Pairs, sh HDShape, bm, bn, minTiles, partWords int) hdShape {
	s := hdShape{bm: bm, bn: bn}
	s.kc, s.dp = shaders.HDChunk(p.D, sh.KC)
	s.rowBlocks = (p.N + bm - 1) / bm
	s.colBlocks = (p.M + bn - 1) / bn
	target := sh.Groups
	if target == 0 {
		target = b.TargetGroups
	}
	if sh.MinTiles > 0 {
		minTiles = sh.MinTiles
	}
	s.nsplit = 1
	if s.rowBlocks < target {
		s.nsplit = max(1, min((target+s.rowBlocks-1)/s.rowBlocks, p.M/(minTiles*bn)))
	}
	if lim := b.dev.Info().Limits.MaxStorageBufferBindingSize; lim > 0 {
		s.nsplit = max(1, min(s.nsplit, int(lim/uint64(4*max(partWords, 1)))))
	}
	s.jchunk = (p.M + s.nsplit - 1) / s.nsplit
	s.jchunk = (s.jchunk + bn - 1) / bn * bn
	s.nsplit = (p.M + s.jchunk - 1) / s.jchunk
	return s
}

// hdPrep runs softmin_hd_prep.wgsl for X (blocks of s.bm rows) and Y
// (blocks of s.bn columns), both centred on y_0, and softmin_hd_bias.wgsl
// for the padded column term H and, when rowTerm, the row term
// Q = log2(e)/eps |x - y_0|^2.
func (b *Backend) hdPrep(p compute.Pairs, s hdShape, rowTerm bool) error {
	npad, mpad := s.rowBlocks*s.bm, s.colBlocks*s.bn
	xt, err := b.hdGrow(&b.hd.xt, npad*s.dp)
	if err != nil {
		return err
	}
	yt, err := b.hdGrow(&b.hd.yt, mpad*s.dp)
	if err != nil {
		return err
	}
	h, err := b.hdGrow(&b.hd.h, mpad)
	if err != nil {
		return err
	}
	pk, err := b.kernel("softmin_hd_prep", 3, nil)
	if err != nil {
		return err
	}
	for _, c := range []struct {
		dst      *gpu.Buffer
		src      compute.Array
		n, blk   int
		paddedTo int
	}{{xt, p.X, p.N, s.bm, npad}, {yt, p.Y, p.M, s.bn, mpad}} {
		total := c.paddedTo * s.dp
		params := []uint32{uint32(c.n), uint32(p.D), uint32(s.dp), uint32(c.blk), uint32(s.kc), uint32(total), 0, 0}
		if err := b.elementwise(pk, []*gpu.Buffer{c.dst, b.bufOf(c.src), b.bufOf(p.Y)}, params, 6, total); err != nil {
			return err
		}
	}
	if err := b.hdBiasInto(h, p, mpad); err != nil {
		return err
	}
	if !rowTerm {
		return nil
	}
	q, err := b.hdGrow(&b.hd.q, npad)
	if err != nil {
		return err
	}
	bk, err := b.kernel("softmin_hd_bias", 5, nil)
	if err != nil {
		return err
	}
	bp := []uint32{uint32(p.N), uint32(p.D), 0, uint32(p.N), 0, f32(-math.Log2E / p.Eps), 0, 0}
	return b.elementwise(bk, []*gpu.Buffer{q, b.bufOf(p.X), b.dummy, b.dummy, b.bufOf(p.Y)}, bp, 2, p.N)
}

// softMinHD2 runs softmin_hd2.wgsl after its prep (softmin_hd_prep.wgsl,
// softmin_hd_bias.wgsl), then softmin_combine.wgsl when the column range
// is split across workgroups. It reports false, doing nothing, where the
// device's limits do not hold the shape.
func (b *Backend) softMinHD2(dst compute.Array, p compute.Pairs) (bool, error) {
	sh := b.hd.shape.shapeFor(p.D, false)
	rm, rn, pf := sh.RM, sh.RN, sh.Prefetch-1
	if b.hd.shape.KC == 0 && rm == 16 && rn == 8 && pf == 0 && sh.Unroll == 2 {
		// The unrolled 16 x 8 block's default chunk: hd16x8KC coordinates
		// where the device holds its staging and they add no padding.
		_, dp := shaders.HDChunk(p.D, sh.KC)
		if _, dpWide := shaders.HDChunk(p.D, hd16x8KC); dpWide == dp {
			wide := sh
			wide.KC = hd16x8KC
			s := b.hdPlan(p, wide, 16*rm, 16*rn, 2, 2*p.N)
			s.shared = shaders.SoftMinHD2Shared(p.D, rm, rn, s.kc, pf)
			if b.hdFits(s) {
				sh = wide
			}
		}
	}
	s := b.hdPlan(p, sh, 16*rm, 16*rn, 2, 2*p.N)
	s.shared = shaders.SoftMinHD2Shared(p.D, rm, rn, s.kc, pf)
	if !b.hdFits(s) && rm == 16 && b.hd.shape.RM == 0 {
		// The default 16 x 8 block needs 32 KiB; 8 x 8 needs 16.
		rm = 8
		s = b.hdPlan(p, sh, 16*rm, 16*rn, 2, 2*p.N)
		s.shared = shaders.SoftMinHD2Shared(p.D, rm, rn, s.kc, pf)
	}
	if !b.hdFits(s) {
		return false, nil
	}
	b.hd.shared = uint32(s.shared)
	unroll := sh.Unroll == 2
	key := fmt.Sprintf("softmin_hd2:D=%d:RM=%d:RN=%d:KC=%d:PF=%d:U=%v:P=%d", p.D, rm, rn, s.kc, pf, unroll, sh.Poly)
	k, err := b.kernelFunc(key, 5, func() (string, error) { return shaders.SoftMinHD2(p.D, rm, rn, s.kc, pf, unroll, sh.Poly) })
	if err != nil {
		return true, err
	}
	if err := b.hdPrep(p, s, true); err != nil {
		return true, err
	}
	out := b.arr(dst).buf
	if s.nsplit > 1 {
		if out, err = b.scratchOf(2 * p.N * s.nsplit); err != nil {
			return true, err
		}
	}
	gx, gy := b.dev.Grid(s.rowBlocks)
	c := math.Log2E / p.Eps
	params := []uint32{uint32(p.N), uint32(p.M), uint32(s.jchunk), uint32(s.nsplit),
		f32(2 * c), f32(-p.Eps * math.Ln2), gx, 0, roundMagic, roundMagic, 0, 0}
	if err := b.dev.Dispatch(k, []*gpu.Buffer{out, b.hd.xt, b.hd.yt, b.hd.h, b.hd.q}, params, gx, gy, uint32(s.nsplit)); err != nil {
		return true, wrap(err)
	}
	if s.nsplit == 1 {
		return true, nil
	}
	return true, b.combineSoftMin(dst, out, p, s.nsplit)
}
