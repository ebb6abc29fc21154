package webgpu

import (
	"cmp"
	"fmt"
	"math"

	"github.com/otplay/otplay/compute"
	"github.com/otplay/otplay/gpu"
	"github.com/otplay/otplay/shaders"
)

// Defaults of the mid-dimension kernels (pairs_mid.wgsl, shaders.SoftMinMid
// and shaders.SoftMeanMid): the largest dimension that takes them instead
// of softmin_hd2.wgsl / softmean_hd2.wgsl, and their launch shapes.
const (
	midSoftMinDefaultMax  = 16
	midSoftMeanDefaultMax = 16
	midSoftMinWG          = 128
	midSoftMeanWG         = 64
)

// midShape is the launch shape of the mid-dimension kernels, from the
// environment (midShapeFromEnv):
//
//	OTPLAY_SOFTMIN_MID_MAX   largest d of the mid soft-min (0: never; default 16)
//	OTPLAY_SOFTMEAN_MID_MAX  largest d of the mid soft-mean (0: never; default 16)
//	OTPLAY_MID_R, OTPLAY_MID_MEAN_R    rows per invocation (default midRowsPerInvocation)
//	OTPLAY_MID_WG, OTPLAY_MID_MEAN_WG  workgroup size (default 128 and 64)
type midShape struct {
	softMinMax, softMeanMax int
	r, meanR, wg, meanWG    int
}

func midShapeFromEnv() midShape {
	return midShape{
		softMinMax:  minDimFromEnv("OTPLAY_SOFTMIN_MID_MAX", midSoftMinDefaultMax),
		softMeanMax: minDimFromEnv("OTPLAY_SOFTMEAN_MID_MAX", midSoftMeanDefaultMax),
		r:           intFromEnv("OTPLAY_MID_R", 16),
		meanR:       intFromEnv("OTPLAY_MID_MEAN_R", 16),
		wg:          intFromEnv("OTPLAY_MID_WG", 256),
		meanWG:      intFromEnv("OTPLAY_MID_MEAN_WG", 256),
	}
}

// midRowsPerInvocation is the default rows per invocation of the mid kernels: each
// staged column serves R rows, so R amortises its NC vec4 loads and the
// loop's own instructions, while R (d + dv + 2) registers hold the rows.
func midRowsPerInvocation(d, dv int) int {
	switch {
	case d+dv <= 16:
		return 4
	default:
		return 2
	}
}

// useMid says whether a squared-Euclidean SoftMin (dv = 0) or SoftMean at
// point dimension d runs pairs_mid.wgsl.
func (b *Backend) useMid(d, dv int) bool {
	if b.NoUnroll || d < shaders.MidMinDim || d > shaders.MidMaxDim || dv > shaders.MidMaxValues {
		return false
	}
	if dv == 0 {
		return d <= b.mid.softMinMax
	}
	return d <= b.mid.softMeanMax
}

// midTile is the tile length of pairs_mid.wgsl: at most max columns, and
// no more than WebGPU's guaranteed 16 KiB of workgroup memory holds.
func midTile(d, dv, max int) int {
	return min(max, workgroupFloats/(4*shaders.MidColumnVec4s(d, dv)))
}

// softMinMid runs pairs_mid.wgsl as the soft-min (shaders.SoftMinMid), then
// softmin_combine.wgsl when the column range is split across workgroups
// (aiming at SoftMinTargetGroups as softmin_small.wgsl does).
func (b *Backend) softMinMid(dst compute.Array, p compute.Pairs) error {
	r, wg := cmp.Or(b.mid.r, midRowsPerInvocation(p.D, 0)), cmp.Or(b.mid.wg, midSoftMinWG)
	tile := midTile(p.D, 0, 256)
	rowBlocks := (p.N + wg*r - 1) / (wg * r)
	target := b.TargetGroups
	if b.SoftMinTargetGroups > 0 {
		target = b.SoftMinTargetGroups
	}
	nsplit, jchunk := b.splitColumns(rowBlocks, p.M, tile, target)
	key := fmt.Sprintf("softmin_mid:D=%d:R=%d:WG=%d:TILE=%d", p.D, r, wg, tile)
	k, err := b.kernelFunc(key, 5, func() (string, error) { return shaders.SoftMinMid(p.D, r, wg, tile) })
	if err != nil {
		return err
	}
	out := b.arr(dst).buf
	if nsplit > 1 {
		if out, err = b.scratchOf(2 * p.N * nsplit); err != nil {
			return err
		}
	}
	gx, gy := b.dev.Grid(rowBlocks)
	bufs := []*gpu.Buffer{out, b.bufOf(p.X), b.bufOf(p.Y), b.bufOf(p.LogW), b.bufOf(p.G)}
	if err := b.dev.Dispatch(k, bufs, midParams(p, jchunk, nsplit, gx), gx, gy, uint32(nsplit)); err != nil {
		return wrap(err)
	}
	if nsplit == 1 {
		return nil
	}
	return b.combineSoftMin(dst, out, p.N, nsplit, p.Eps)
}

// softMeanMid runs pairs_mid.wgsl as the soft-mean (shaders.SoftMeanMid),
// then softmean_combine.wgsl when the column range is split.
func (b *Backend) softMeanMid(dst compute.Array, p compute.Pairs, v compute.Array, dv int) error {
	r, wg := cmp.Or(b.mid.meanR, midRowsPerInvocation(p.D, dv)), cmp.Or(b.mid.meanWG, midSoftMeanWG)
	tile := midTile(p.D, dv, 128)
	rowBlocks := (p.N + wg*r - 1) / (wg * r)
	nsplit, jchunk := b.splitColumns(rowBlocks, p.M, tile, b.TargetGroups)
	key := fmt.Sprintf("softmean_mid:D=%d:DV=%d:R=%d:WG=%d:TILE=%d", p.D, dv, r, wg, tile)
	k, err := b.kernelFunc(key, 6, func() (string, error) { return shaders.SoftMeanMid(p.D, dv, r, wg, tile) })
	if err != nil {
		return err
	}
	out := b.arr(dst).buf
	if nsplit > 1 {
		if out, err = b.scratchOf(nsplit * p.N * (dv + 2)); err != nil {
			return err
		}
	}
	gx, gy := b.dev.Grid(rowBlocks)
	bufs := []*gpu.Buffer{out, b.bufOf(p.X), b.bufOf(p.Y), b.bufOf(p.LogW), b.bufOf(p.G), b.bufOf(v)}
	if err := b.dev.Dispatch(k, bufs, midParams(p, jchunk, nsplit, gx), gx, gy, uint32(nsplit)); err != nil {
		return wrap(err)
	}
	if nsplit == 1 {
		return nil
	}
	return b.combineSoftMean(dst, out, p.N, nsplit, dv)
}

// midParams is pairs_mid.wgsl's Params: the coordinates scaled by
// sqrt(log2(e)/eps), g by log2(e)/eps, log-weights by log2(e), and the
// soft-min's output by -eps ln 2.
func midParams(p compute.Pairs, jchunk, nsplit int, gx uint32) []uint32 {
	return []uint32{uint32(p.N), uint32(p.M), uint32(jchunk), uint32(nsplit),
		f32(math.Sqrt(math.Log2E / p.Eps)), f32(math.Log2E / p.Eps), f32(math.Log2E), f32(-p.Eps * math.Ln2),
		boolWord(p.LogW != nil), boolWord(p.G != nil), gx, 0}
}

// MidMax returns the largest dimensions whose squared-Euclidean SoftMin and
// SoftMean run pairs_mid.wgsl (0: never).
func (b *Backend) MidMax() (softMin, softMean int) { return b.mid.softMinMax, b.mid.softMeanMax }

// SetMidMax sets what MidMax returns (for tests and tuning; 0 turns the
// mid kernels off, so that softmin_hd2.wgsl and softmean_hd2.wgsl or the
// per-pair kernels take those dimensions).
func (b *Backend) SetMidMax(softMin, softMean int) {
	b.mid.softMinMax, b.mid.softMeanMax = softMin, softMean
}
