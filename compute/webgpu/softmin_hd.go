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
// matrix-product soft-min (softmin_hd.wgsl) by default. Measured on an
// H100 (bench/gpu/run.sh, 2026-12-06, N = 1e4 / 3e4): with the 8 x 8
// block the tiled kernel took 0.60x / 0.53x the per-pair kernel's time at
// d = 32, 0.59x / 0.53x at d = 64 and 0.57x / 0.53x at d = 192, but 1.27x /
// 1.26x at d = 8; at d = 16 see README (Speed).
const hdDefaultMinDim = 16

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
	if b.hd.minKernel == 2 {
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
	return b.combineSoftMin(dst, out, p.N, nsplit, p.Eps)
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
// softmean_hd2.wgsl) and their per-call buffers. The zero value is not
// meant for use: hdStateFromEnv gives the defaults.
type hdState struct {
	// minKernel and meanKernel pick the soft-min's and the soft-mean's
	// tiled kernel: 1 for softmin_hd.wgsl / softmean_hd.wgsl, 2 for
	// softmin_hd2.wgsl / softmean_hd2.wgsl (OTPLAY_SOFTMIN_HD_KERNEL,
	// OTPLAY_SOFTMEAN_HD_KERNEL).
	minKernel, meanKernel int
	// rm x rn pairs per invocation of softmin_hd2.wgsl (4 or 8 each;
	// OTPLAY_HD_RM, OTPLAY_HD_RN), kc coordinates a staged chunk (4..32;
	// OTPLAY_HD_KC), pf the register prefetch of the next chunk
	// (OTPLAY_HD_PF=1).
	rm, rn, kc int
	pf         bool
	// groups is the number of workgroups the column split aims for
	// (OTPLAY_HD_GROUPS; 0: TargetGroups/4).
	groups int
	// xt, yt: the centred chunk-transposed copies (softmin_hd_prep.wgsl);
	// h: the padded column term, q: the row term (softmin_hd_bias.wgsl).
	xt, yt, h, q *gpu.Buffer
}

// Defaults of hdState (see README, Speed, for the H100 comparison).
const (
	hdDefaultKernel     = 2
	hdDefaultMeanKernel = 2
	hdDefaultRM         = 8
	hdDefaultRN         = 8
	hdDefaultKC         = 16
)

func envInt(name string, def int, ok func(int) bool) int {
	v, err := strconv.Atoi(os.Getenv(name))
	if err != nil || !ok(v) {
		return def
	}
	return v
}

func hdStateFromEnv() hdState {
	oneOrTwo := func(v int) bool { return v == 1 || v == 2 }
	block := func(v int) bool { return v == 4 || v == 8 }
	return hdState{
		minKernel:  envInt("OTPLAY_SOFTMIN_HD_KERNEL", hdDefaultKernel, oneOrTwo),
		meanKernel: envInt("OTPLAY_SOFTMEAN_HD_KERNEL", hdDefaultMeanKernel, oneOrTwo),
		rm:         envInt("OTPLAY_HD_RM", hdDefaultRM, block),
		rn:         envInt("OTPLAY_HD_RN", hdDefaultRN, block),
		kc:         envInt("OTPLAY_HD_KC", hdDefaultKC, func(v int) bool { return v >= 4 && v <= 32 && v%4 == 0 }),
		pf:         os.Getenv("OTPLAY_HD_PF") == "1",
		groups:     envInt("OTPLAY_HD_GROUPS", 0, func(v int) bool { return v > 0 }),
	}
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
	words := uint64(max(s.rowBlocks*s.bm, s.colBlocks*s.bn) * s.dp)
	return uint32(s.shared) <= l.MaxWorkgroupStorageSize && words*4 <= l.MaxStorageBufferBindingSize
}

func (b *Backend) hdPlan(p compute.Pairs, bm, bn, minTiles int) hdShape {
	s := hdShape{bm: bm, bn: bn}
	s.kc, s.dp = shaders.HDChunk(p.D, b.hd.kc)
	s.rowBlocks = (p.N + bm - 1) / bm
	s.colBlocks = (p.M + bn - 1) / bn
	target := b.hd.groups
	if target == 0 {
		target = b.TargetGroups / 4
	}
	s.nsplit = 1
	if s.rowBlocks < target {
		s.nsplit = max(1, min((target+s.rowBlocks-1)/s.rowBlocks, p.M/(minTiles*bn)))
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
	rm, rn := b.hd.rm, b.hd.rn
	s := b.hdPlan(p, 16*rm, 16*rn, 2)
	xv, yv := s.kc*rm*4, s.kc*rn*4
	s.shared = 16 * max(xv+yv, rm*128)
	if !b.hdFits(s) {
		return false, nil
	}
	key := fmt.Sprintf("softmin_hd2:D=%d:RM=%d:RN=%d:KC=%d:PF=%v", p.D, rm, rn, s.kc, b.hd.pf)
	k, err := b.kernelFunc(key, 5, func() (string, error) { return shaders.SoftMinHD2(p.D, rm, rn, s.kc, b.hd.pf) })
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
		f32(2 * c), f32(-p.Eps * math.Ln2), gx, 0}
	if err := b.dev.Dispatch(k, []*gpu.Buffer{out, b.hd.xt, b.hd.yt, b.hd.h, b.hd.q}, params, gx, gy, uint32(s.nsplit)); err != nil {
		return true, wrap(err)
	}
	if s.nsplit == 1 {
		return true, nil
	}
	return true, b.combineSoftMin(dst, out, p.N, s.nsplit, p.Eps)
}

// HDShape is the shape of the vec4-tiled high-dimensional kernels, for
// tests and tuning (the environment variables of hdStateFromEnv set the
// same): Kernel and MeanKernel pick softmin_hd.wgsl / softmean_hd.wgsl (1)
// or softmin_hd2.wgsl / softmean_hd2.wgsl (2); RM x RN pairs per
// invocation (4 or 8 each), KC coordinates a staged chunk (a multiple of 4
// in [4, 32]; the soft-mean uses at most 16), Prefetch the register
// prefetch of the next chunk.
type HDShape struct {
	Kernel, MeanKernel, RM, RN, KC int
	Prefetch                       bool
}

// HDShape returns the current shape.
func (b *Backend) HDShape() HDShape {
	return HDShape{b.hd.minKernel, b.hd.meanKernel, b.hd.rm, b.hd.rn, b.hd.kc, b.hd.pf}
}

// SetHDShape sets the shape; it panics on a value outside the ranges of
// HDShape.
func (b *Backend) SetHDShape(s HDShape) {
	block := func(v int) bool { return v == 4 || v == 8 }
	if s.Kernel < 1 || s.Kernel > 2 || s.MeanKernel < 1 || s.MeanKernel > 2 || !block(s.RM) || !block(s.RN) || s.KC < 4 || s.KC > 32 || s.KC%4 != 0 {
		panic(fmt.Sprintf("webgpu: SetHDShape: shape %+v out of range", s))
	}
	b.hd.minKernel, b.hd.meanKernel, b.hd.rm, b.hd.rn, b.hd.kc, b.hd.pf = s.Kernel, s.MeanKernel, s.RM, s.RN, s.KC, s.Prefetch
}
