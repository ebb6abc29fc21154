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
// and shaders.SoftMeanMid), all from two H100 calls of bench/gpu/mid.sh
// (2026-12-06, N = 1e5, ms; bench/gpu/results/mid-h100-call{1,2}.jsonl):
//
//   - the range: they take every d from 4 to 16 (their limit), faster
//     than softmin_hd2.wgsl / softmean_hd2.wgsl at each d measured; in the
//     second call (defaults, or the best shape measured where noted)
//     against hd2, soft-min / soft-mean: d = 4 3.67 / 6.73 against 5.87 /
//     15.6; d = 6 5.20 (unfactored, R = 4) / 10.2 against 7.83 / 35.1;
//     d = 8 5.83 / 11.5 against 7.81 / 35.6; d = 12 8.90 (unfactored,
//     R = 4) / 20.5 against 10.2 / 42.3; d = 16 10.0 / 25.6 against 12.2 /
//     39.0.
//   - FirstMax 32: the first maxima over 32 columns, not the whole first
//     tile (d = 8: 6.71 against 7.24 ms; 0.115 against 0.162 at 1e4).
//   - the workgroups: 128 for the soft-min (64: 8.12 against 7.12 ms,
//     call 1), 64 for the soft-mean; the soft-min's column split aims at
//     SoftMinTargetGroups as softmin_small.wgsl does (2048 groups: 6.96
//     against 6.71 ms).
//   - rows and the factored form: see midRows and midFactor.
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
//   - Factor: 1 off, 2 on, the factored form (shaders.MidOptions.Factor;
//     default midFactor); OTPLAY_MID_FACTOR=0 or 1
//     (OTPLAY_MID_UNFACTORED=1 is 0).
//   - WG, MeanWG: workgroup size (default 128 and 64); OTPLAY_MID_WG,
//     OTPLAY_MID_MEAN_WG.
//   - FirstMax: the columns whose maxima start the Lazy form
//     (shaders.MidOptions; default 32, a tile length or more: the whole
//     first tile); OTPLAY_MID_FIRST.
type MidShape struct {
	SoftMinMax, SoftMeanMax int
	R, MeanR, WG, MeanWG    int
	FirstMax                int
	Factor                  int
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
		Factor:      midFactorFromEnv(),
	}
}

func midFactorFromEnv() int {
	switch {
	case os.Getenv("OTPLAY_MID_UNFACTORED") == "1" || os.Getenv("OTPLAY_MID_FACTOR") == "0":
		return 1
	case os.Getenv("OTPLAY_MID_FACTOR") == "1":
		return 2
	}
	return 0
}

// MidShape returns the shape as set (zero fields: the defaults).
func (b *Backend) MidShape() MidShape { return b.mid }

// SetMidShape sets the shape; it panics on a field outside the ranges of
// MidShape.
func (b *Backend) SetMidShape(s MidShape) {
	if s.R < 0 || s.R > 16 || s.MeanR < 0 || s.MeanR > 16 || s.WG < 0 || s.WG > 256 || s.MeanWG < 0 || s.MeanWG > 256 || s.FirstMax < 0 || s.Factor < 0 || s.Factor > 2 {
		panic(fmt.Sprintf("webgpu: MidShape out of range: %+v", s))
	}
	b.mid = s
}

// midRows is the default rows per invocation of the mid kernels: each
// staged column serves R rows, so R amortises its NC vec4 loads and the
// loop's own instructions, while R (d + dv + 2) registers hold the rows.
// Measured on the H100 at N = 1e5 (factored, ms): the soft-min R = 8
// against 4 at d = 4, 8, 16: 3.67 / 5.83 / 10.0 against 3.94 / 6.71 /
// 10.8 (2 was slower still in call 1: 8.14 at d = 8); the soft-mean
// R = 8 against 4: 11.5 against 14.1 ms at d = 8, but 7.42 against 6.92
// at d = 4 and 38.8 against 25.6 at d = 16 (34 registers a row), so 8
// only where d + dv is 14 to 16 (measured at d = dv = 8 only).
func midRows(d, dv int) int {
	if dv == 0 || dv+d >= 14 && dv+d <= 16 {
		return 8
	}
	return 4
}

// midFactor says whether the factored form (shaders.MidOptions.Factor)
// is the default: always for the soft-min, where with R = 8 it was the
// fastest shape measured at d = 4, 8 and 16 (with R = 4, factored against
// unfactored: 3.94 / 5.80 / 6.71 / 10.2 / 10.8 ms against 4.12 / 5.20 /
// 6.51 / 8.90 / 11.5 at d = 4 / 6 / 8 / 12 / 16; R = 8 unfactored was not
// measured with the 32-column first maxima); for the soft-mean from
// d = 7 (R = 4: 14.1 / 20.5 / 25.6 against 14.8 / 20.5 / 26.3 at d = 8,
// 12, 16, but 6.92 / 11.9 against 6.73 / 10.2 at d = 4 and 6).
func midFactor(d, dv int, s MidShape) bool {
	switch s.Factor {
	case 1:
		return false
	case 2:
		return true
	}
	return dv == 0 || d >= 7
}

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
// no more than WebGPU's guaranteed 16 KiB of workgroup memory holds
// beside the factored form's two flags (one vec4 set aside).
func midTile(d, dv, max int, factor bool) int {
	return min(max, (workgroupFloats/4-1)/shaders.MidColumnVec4s(d, dv, factor))
}

// softMinMid runs pairs_mid.wgsl as the soft-min (shaders.SoftMinMid), then
// softmin_combine.wgsl when the column range is split across workgroups
// (aiming at SoftMinTargetGroups as softmin_small.wgsl does).
func (b *Backend) softMinMid(dst compute.Array, p compute.Pairs) error {
	o := shaders.MidOptions{R: cmp.Or(b.mid.R, midRows(p.D, 0)), WG: cmp.Or(b.mid.WG, midSoftMinWG),
		FirstMax: cmp.Or(b.mid.FirstMax, midFirstMax), Factor: midFactor(p.D, 0, b.mid)}
	o.Tile = midTile(p.D, 0, 256, o.Factor)
	rowBlocks := (p.N + o.WG*o.R - 1) / (o.WG * o.R)
	target := b.TargetGroups
	if b.SoftMinTargetGroups > 0 {
		target = b.SoftMinTargetGroups
	}
	nsplit, jchunk, err := b.midSplit(rowBlocks, p.M, o, target)
	if err != nil {
		return err
	}
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
	o := shaders.MidOptions{R: cmp.Or(b.mid.MeanR, midRows(p.D, dv)), WG: cmp.Or(b.mid.MeanWG, midSoftMeanWG),
		FirstMax: cmp.Or(b.mid.FirstMax, midFirstMax), Factor: midFactor(p.D, dv, b.mid)}
	o.Tile = midTile(p.D, dv, 128, o.Factor)
	rowBlocks := (p.N + o.WG*o.R - 1) / (o.WG * o.R)
	nsplit, jchunk, err := b.midSplit(rowBlocks, p.M, o, b.TargetGroups)
	if err != nil {
		return err
	}
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

// midSplit is splitColumns for pairs_mid.wgsl, under the software
// adapter's loop limit (underLoopLimit; a column costs an invocation at
// most 2R + 2 loop iterations: the sweep, the staging and first-maxima
// loops, and the two loops of a tile summed again, once for each of its R
// rows). It fails past the 65,535 workgroups of grid z.
func (b *Backend) midSplit(rowBlocks, m int, o shaders.MidOptions, target int) (nsplit, jchunk int, err error) {
	nsplit, jchunk = b.splitColumns(rowBlocks, m, o.Tile, target)
	nsplit, jchunk = b.underLoopLimit(m, nsplit, jchunk, 2*o.R+2)
	if nsplit > 65535 {
		return 0, 0, fmt.Errorf("%w: %d columns need %d splits, over the 65,535 workgroups of one grid dimension", compute.ErrTooLarge, m, nsplit)
	}
	return nsplit, jchunk, nil
}

// underLoopLimit cuts a column range of jchunk columns (nsplit splits of
// m) on a software adapter so that an invocation runs at most loopBudget
// loop iterations (cost.go: llvmpipe silently ends a shader's loops after
// 65,535, nested loops counted together), perColumn a column at most; on
// other adapters it returns its arguments. The Lazy kernels
// (softmin_small.wgsl, softmean_small.wgsl, pairs_mid.wgsl) take 2R + 2:
// without the cut one range of 140,000 columns lost its last columns on
// lavapipe at d = 2, 3 and 8 (TestLongColumnRange).
func (b *Backend) underLoopLimit(m, nsplit, jchunk, perColumn int) (int, int) {
	if !b.dev.Info().Fallback {
		return nsplit, jchunk
	}
	if most := max(1, loopBudget/perColumn); jchunk > most {
		jchunk = most
		nsplit = (m + jchunk - 1) / jchunk
	}
	return nsplit, jchunk
}

// midParams is pairs_mid.wgsl's Params: the coordinates scaled by
// sqrt(log2(e)/eps), g by log2(e)/eps, log-weights by log2(e), and the
// soft-min's output by -eps ln 2.
func midParams(p compute.Pairs, jchunk, nsplit int, gx uint32) []uint32 {
	return []uint32{uint32(p.N), uint32(p.M), uint32(jchunk), uint32(nsplit),
		f32(math.Sqrt(math.Log2E / p.Eps)), f32(math.Log2E / p.Eps), f32(math.Log2E), f32(-p.Eps * math.Ln2),
		boolWord(p.LogW != nil), boolWord(p.G != nil), gx, 0}
}
