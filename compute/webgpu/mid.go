package webgpu

import (
	"cmp"
	"fmt"
	"math"
	"os"

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
	midFirstMax           = 32
)

// MidShape is the range and launch shape of the mid-dimension kernels
// (pairs_mid.wgsl), for tests and tuning; a zero field means the default.
//
//   - SoftMinMax, SoftMeanMax: the largest d that takes them (default 16);
//     -1 never (softmin_hd2.wgsl / softmean_hd2.wgsl or the per-pair
//     kernels take those d); OTPLAY_SOFTMIN_MID_MAX, OTPLAY_SOFTMEAN_MID_MAX
//     (0 there means never).
//   - R, MeanR: rows per invocation (default midRows);
//     OTPLAY_MID_R, OTPLAY_MID_MEAN_R.
//   - WG, MeanWG: workgroup size (default 128 and 64); OTPLAY_MID_WG,
//     OTPLAY_MID_MEAN_WG.
//   - FirstMax: the columns whose maxima start the Lazy form
//     (shaders.MidOptions; default 32, a tile length or more: the whole
//     first tile); OTPLAY_MID_FIRST.
//   - Unfactored: the column constant stays in the exponent
//     (shaders.MidOptions.Factor off); OTPLAY_MID_UNFACTORED=1.
type MidShape struct {
	SoftMinMax, SoftMeanMax int
	R, MeanR, WG, MeanWG    int
	FirstMax                int
	Unfactored              bool
}

func midShapeFromEnv() MidShape {
	never := func(v int) int {
		if v == 0 {
			return -1
		}
		return v
	}
	return MidShape{
		SoftMinMax:  never(minDimFromEnv("OTPLAY_SOFTMIN_MID_MAX", midSoftMinDefaultMax)),
		SoftMeanMax: never(minDimFromEnv("OTPLAY_SOFTMEAN_MID_MAX", midSoftMeanDefaultMax)),
		R:           intFromEnv("OTPLAY_MID_R", 16),
		MeanR:       intFromEnv("OTPLAY_MID_MEAN_R", 16),
		WG:          intFromEnv("OTPLAY_MID_WG", 256),
		MeanWG:      intFromEnv("OTPLAY_MID_MEAN_WG", 256),
		FirstMax:    intFromEnv("OTPLAY_MID_FIRST", 1<<20),
		Unfactored:  os.Getenv("OTPLAY_MID_UNFACTORED") == "1",
	}
}

// MidShape returns the shape as set (zero fields: the defaults).
func (b *Backend) MidShape() MidShape { return b.mid }

// SetMidShape sets the shape; it panics on a field outside the ranges of
// MidShape.
func (b *Backend) SetMidShape(s MidShape) {
	if s.R < 0 || s.R > 16 || s.MeanR < 0 || s.MeanR > 16 || s.WG < 0 || s.WG > 256 || s.MeanWG < 0 || s.MeanWG > 256 || s.FirstMax < 0 {
		panic(fmt.Sprintf("webgpu: MidShape out of range: %+v", s))
	}
	b.mid = s
}

// midRows is the default rows per invocation of the mid kernels: each
// staged column serves R rows, so R amortises its NC vec4 loads and the
// loop's own instructions, while R (d + dv + 2) registers hold the rows.
// On an H100 at N = 1e5 (bench/gpu/results/mid-h100-call1.jsonl) R = 4
// beat 2 and 8 for the soft-min at d = 4 and 8 (7.12 ms against 8.14 and
// 7.60 at d = 8), and for the soft-mean 4 beat 2 at d = 8 and 16 (14.8
// against 18.8 ms; 26.3 against 36.7).
const midRows = 4

// useMid says whether a squared-Euclidean SoftMin (dv = 0) or SoftMean at
// point dimension d runs pairs_mid.wgsl.
func (b *Backend) useMid(d, dv int) bool {
	if b.NoUnroll || d < shaders.MidMinDim || d > shaders.MidMaxDim || dv > shaders.MidMaxValues {
		return false
	}
	if dv == 0 {
		return d <= cmp.Or(b.mid.SoftMinMax, midSoftMinDefaultMax)
	}
	return d <= cmp.Or(b.mid.SoftMeanMax, midSoftMeanDefaultMax)
}

// midTile is the tile length of pairs_mid.wgsl: at most max columns, and
// no more than WebGPU's guaranteed 16 KiB of workgroup memory holds.
func midTile(d, dv, max int, factor bool) int {
	return min(max, workgroupFloats/(4*shaders.MidColumnVec4s(d, dv, factor)))
}

// softMinMid runs pairs_mid.wgsl as the soft-min (shaders.SoftMinMid), then
// softmin_combine.wgsl when the column range is split across workgroups
// (aiming at SoftMinTargetGroups as softmin_small.wgsl does).
func (b *Backend) softMinMid(dst compute.Array, p compute.Pairs) error {
	o := shaders.MidOptions{R: cmp.Or(b.mid.R, midRows), WG: cmp.Or(b.mid.WG, midSoftMinWG),
		FirstMax: cmp.Or(b.mid.FirstMax, midFirstMax), Factor: !b.mid.Unfactored}
	o.Tile = midTile(p.D, 0, 256, o.Factor)
	rowBlocks := (p.N + o.WG*o.R - 1) / (o.WG * o.R)
	target := b.TargetGroups
	if b.SoftMinTargetGroups > 0 {
		target = b.SoftMinTargetGroups
	}
	nsplit, jchunk := b.splitColumns(rowBlocks, p.M, o.Tile, target)
	key := fmt.Sprintf("softmin_mid:D=%d:%+v", p.D, o)
	k, err := b.kernelFunc(key, 5, func() (string, error) { return shaders.SoftMinMid(p.D, o) })
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
	o := shaders.MidOptions{R: cmp.Or(b.mid.MeanR, midRows), WG: cmp.Or(b.mid.MeanWG, midSoftMeanWG),
		FirstMax: cmp.Or(b.mid.FirstMax, midFirstMax), Factor: !b.mid.Unfactored}
	o.Tile = midTile(p.D, dv, 128, o.Factor)
	rowBlocks := (p.N + o.WG*o.R - 1) / (o.WG * o.R)
	nsplit, jchunk := b.splitColumns(rowBlocks, p.M, o.Tile, b.TargetGroups)
	key := fmt.Sprintf("softmean_mid:D=%d:DV=%d:%+v", p.D, dv, o)
	k, err := b.kernelFunc(key, 6, func() (string, error) { return shaders.SoftMeanMid(p.D, dv, o) })
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
