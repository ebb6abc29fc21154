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
	bk, err := b.kernel("softmin_hd_bias", 4, nil)
	if err != nil {
		return nil, err
	}
	bias, err := b.hdBias(p.M)
	if err != nil {
		return nil, err
	}
	bp := []uint32{uint32(p.M), uint32(p.D), 0, 0, f32(math.Log2E), f32(math.Log2E / p.Eps), boolWord(p.LogW != nil), boolWord(p.G != nil)}
	return bias, b.elementwise(bk, []*gpu.Buffer{bias, b.bufOf(p.Y), b.bufOf(p.LogW), b.bufOf(p.G)}, bp, 2, p.M)
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
