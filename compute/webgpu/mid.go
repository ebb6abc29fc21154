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
// and shaders.SoftMeanMid), from four H100 calls of bench/gpu/mid.sh
// (2026-12-06, N = 1e5, ms; bench/gpu/results/mid-h100-call{1,2,3,4}.jsonl):
//
//   - the range: they take every d from 4 to 16 (their limit), and the
//     d = 3 soft-min and d = 2 soft-mean (midSoftMinDefaultMin,
//     midSmallMeanDim). Against
//     the unrolled softmin_hd2.wgsl / softmean_hd2.wgsl in call 3,
//     soft-min / soft-mean: d = 12 7.93 / 17.1 against 10.2 / 42.7; d = 16
//     9.97 / 19.6 against 10.5 / 34.6 (at 1e4 d = 16 the soft-min is a tie,
//     0.162 against 0.150; 0.118 against 0.141 at d = 12). The second call
//     (the first round) had hd2 slower at d = 4, 6 and 8 too (5.87, 7.83,
//     7.81 against 3.67, 5.20, 5.83 for the soft-min).
//   - FirstMax 32: the first maxima over 32 columns, not the whole first
//     tile (d = 8: 6.71 against 7.24 ms; 0.115 against 0.162 at 1e4).
//   - the workgroups: 128 for the soft-min (64: 8.12 against 7.12 ms,
//     call 1; 256 in call 4: 3.62 / 6.40 / 10.5 against 3.63 / 5.76 /
//     10.0 at d = 4, 8, 16), 64 for the soft-mean (128 and 256: see
//     midRows); the soft-min's column split aims at SoftMinTargetGroups
//     as softmin_small.wgsl does (2048 groups: 6.96 against 6.71 ms).
//   - rows, the factored form, the soft-mean of V = Y and the columns a
//     sweep iteration: see midRows, midFactor, midValuesY and midUnroll
//     (the last from bench/gpu/margin.sh's two calls, which also moved the
//     d = 2 soft-mean here: see the package doc).
const (
	// midSoftMinDefaultMin is the smallest d whose soft-min runs
	// pairs_mid.wgsl: d = 3 since the margin2 call (2.97-3.05 against
	// softmin_small.wgsl's 3.36-3.38 ms at 1e5, 0.047-0.048 against
	// 0.069-0.073 at 1e4); d = 2 stays on softmin_small.wgsl, faster at
	// 1e4 (0.043-0.044 against 0.046-0.048) though not at 1e5 (2.91-2.93
	// against 2.83-2.90; bench/gpu/results/margin2-h100.jsonl, the package
	// doc).
	midSoftMinDefaultMin  = 3
	midSoftMinDefaultMax  = 16
	midSoftMeanDefaultMax = 16
	midSoftMinWG          = 128
	midSoftMeanWG         = 64
	midFirstMax           = 32
	// midSmallMeanDim is the d below shaders.MidMinDim whose soft-mean
	// (of at most 4 values) runs pairs_mid.wgsl by default; the others
	// below MidMinDim run softmean_small.wgsl (see MidShape.MeanMin).
	midSmallMeanDim = 2
	// midSmallMeanWG is the workgroup of the mid soft-mean below
	// MidMinDim, as softmean_small.wgsl's.
	midSmallMeanWG = 128
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
//   - ValuesY: 1 off, 2 on, the soft-mean of V = Y (the same array, dv =
//     d) from the staged coordinates (shaders.MidOptions.ValuesAreY;
//     default midValuesY); OTPLAY_MID_VALUES_Y=0 or 1.
//   - MeanMin: the smallest d whose soft-mean runs pairs_mid.wgsl (default:
//     d = 2 and from shaders.MidMinDim; see useMid); below
//     shaders.MidMinDim only with at most 4 values (softmean_small.wgsl's
//     range, which it then replaces), in
//     the factored form with the values staged and packed (the soft-mean
//     of V = Y from the coordinates would cost a pair 2d + 3 operations
//     against 2d + 2), WG 128 and the column split aimed at
//     SoftMeanTargetGroups, as softmean_small.wgsl's; OTPLAY_SOFTMEAN_MID_MIN.
//   - Pack: 1 off, 2 on, shaders.MidOptions.Pack (default: on below
//     shaders.MidMinDim); OTPLAY_MID_PACK=0 or 1.
//   - Unroll: columns a sweep iteration, shaders.MidOptions.Unroll (1..8;
//     default midUnroll); OTPLAY_MID_UNROLL.
//   - SoftMinMin: the smallest d whose soft-min runs pairs_mid.wgsl
//     (default midSoftMinDefaultMin; below it softmin_small.wgsl), the
//     d = 2, 3 soft-min factored with F_j beside 2y'_j (one vec4 a column
//     in the fast sweep: d + 2 operations a pair against
//     softmin_small.wgsl's d + 3); OTPLAY_SOFTMIN_MID_MIN.
type MidShape struct {
	SoftMinMin              int
	SoftMinMax, SoftMeanMax int
	R, MeanR, WG, MeanWG    int
	FirstMax                int
	Factor                  int
	ValuesY                 int
	MeanMin                 int
	Pack, Unroll            int
}

func midShapeFromEnv() MidShape {
	never := func(v int) int {
		if v == 0 {
			return -1
		}
		return v
	}
	return MidShape{
		SoftMinMin:  intFromEnv("OTPLAY_SOFTMIN_MID_MIN", shaders.MidMaxDim),
		SoftMinMax:  never(minDimFromEnv("OTPLAY_SOFTMIN_MID_MAX", midSoftMinDefaultMax)),
		SoftMeanMax: never(minDimFromEnv("OTPLAY_SOFTMEAN_MID_MAX", midSoftMeanDefaultMax)),
		R:           intFromEnv("OTPLAY_MID_R", 16),
		MeanR:       intFromEnv("OTPLAY_MID_MEAN_R", 16),
		WG:          intFromEnv("OTPLAY_MID_WG", 256),
		MeanWG:      intFromEnv("OTPLAY_MID_MEAN_WG", 256),
		FirstMax:    intFromEnv("OTPLAY_MID_FIRST", 1<<20),
		Factor:      midFactorFromEnv(),
		ValuesY:     offOn("OTPLAY_MID_VALUES_Y"),
		MeanMin:     intFromEnv("OTPLAY_SOFTMEAN_MID_MIN", shaders.MidMaxDim),
		Pack:        offOn("OTPLAY_MID_PACK"),
		Unroll:      intFromEnv("OTPLAY_MID_UNROLL", 8),
	}
}

// offOn maps the variable name's "0" to 1 (off) and "1" to 2 (on), and
// anything else to 0 (the default).
func offOn(name string) int {
	return map[string]int{"0": 1, "1": 2}[os.Getenv(name)]
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
	if s.SoftMinMin < 0 || s.SoftMinMin > shaders.MidMaxDim || s.R < 0 || s.R > 16 || s.MeanR < 0 || s.MeanR > 16 || s.WG < 0 || s.WG > 256 || s.MeanWG < 0 || s.MeanWG > 256 || s.FirstMax < 0 ||
		s.Factor < 0 || s.Factor > 2 || s.ValuesY < 0 || s.ValuesY > 2 || s.MeanMin < 0 || s.MeanMin > shaders.MidMaxDim ||
		s.Pack < 0 || s.Pack > 2 || s.Unroll < 0 || s.Unroll > 8 {
		panic(fmt.Sprintf("webgpu: MidShape out of range: %+v", s))
	}
	b.mid = s
}

// midRows is the default rows per invocation of the mid kernels: each
// staged column serves R rows, so R amortises its NC vec4 loads and the
// loop's own instructions, while R (d + dv + 2) registers hold the rows.
// valuesY is the soft-mean of V = Y from the staged coordinates
// (midValuesY). Measured on the H100 at N = 1e5 (ms; calls 3 and 4 are
// bench/gpu/results/mid-h100-call{3,4}.jsonl, calls 1 and 2 the first
// round's):
//
//   - the soft-min, factored, R = 8 against 4 and 16 (call 3): d = 4
//     3.65 against 3.87 / 3.89; d = 6 4.95 against 5.78 / 5.01; d = 8
//     5.84 against 6.67 / 6.25; d = 12 7.93 against 8.39 (12: 12.9);
//     d = 16 9.97 against 10.7 (12: 11.3).
//   - the soft-mean of V = Y (call 4, 64 invocations; R = 4 / 6 / 8 with
//     128 invocations in brackets): d = 6 7.90 / 9.60 (8.15 / 9.63 /
//     8.54); d = 8 10.0 / 10.7 (10.3 / 10.9 / 10.0); d = 12 17.1 / 13.5
//     (16.5 / 13.7 / 13.5); d = 16 19.9 / 18.6 (20.3 / 19.2 / -); d = 4
//     R = 4 6.02 against 7.35 with 8 (call 3). So four rows up to d = 8,
//     six from d = 12 (d = 9 to 11 unmeasured: six from 10).
//   - the soft-mean with staged values (calls 1, 2): R = 8 against 4 11.5
//     against 14.1 ms at d = dv = 8, but 7.42 against 6.92 at d = 4 and
//     38.8 against 25.6 at d = 16 (34 registers a row), so 8 only where
//     d + dv is 14 to 16 (measured at d = dv = 8 only).
func midRows(d, dv int, valuesY bool) int {
	switch {
	case dv == 0:
		return 8
	case valuesY && d >= 10:
		return 6
	case !valuesY && dv+d >= 14 && dv+d <= 16:
		return 8
	}
	return 4
}

// midFactor says whether the factored form (shaders.MidOptions.Factor)
// is the default: always for the soft-min, where with R = 8 it was the
// fastest shape measured at every d (call 3, unfactored: 4.09 / 5.37 /
// 6.71 / 8.65 / 10.3 against 3.65 / 4.95 / 5.84 / 7.93 / 9.97 ms at d =
// 4 / 6 / 8 / 12 / 16); for the soft-mean of V = Y from d = 6 (call 3,
// R = 4: 7.97 against 9.06 at d = 6, but 6.49 against 6.03 at d = 4), with
// staged values from d = 7 (R = 4: 14.1 / 20.5 / 25.6 against 14.8 /
// 20.5 / 26.3 at d = 8, 12, 16, but 6.92 / 11.9 against 6.73 / 10.2 at
// d = 4 and 6; call 2).
func midFactor(d, dv int, valuesY bool, s MidShape) bool {
	switch s.Factor {
	case 1:
		return false
	case 2:
		return true
	}
	return dv == 0 || d >= 7 || valuesY && d >= 6 || d < shaders.MidMinDim
}

// midValuesY says whether the soft-mean of values v (dv of them) runs
// with shaders.MidOptions.ValuesAreY: only where v is p.Y's own array
// and dv = d, and then by default (call 3, ms at d = 4 / 6 / 8 / 12 /
// 16, default shapes: 6.06 / 9.07 / 10.7 / 17.1 / 19.6 against 6.68 /
// 10.2 / 11.4 / 20.3 / 25.4 with the values staged; at d = 8 with four
// rows 10.0 against 14.0), except from d = 10 (six rows, midRows) below
// N = midValuesYMinRows rows: at d = 16 and N = 1e4 it took 0.713 ms
// against 0.450 with the values staged (bench/gpu/results/
// softmeany-h100.jsonl; at 1e5 19.4 against 25.9). Backend.SoftMeanY
// takes the same choice (the exact denoiser's values Y / alpha, the
// entropic maps' Y), staging Y as the values where it is off. Below
// d = 4 (the d = 2 soft-mean) the values are staged unless ValuesY is 2.
// ValuesY 1 or 2 forces it off or on.
func midValuesY(p compute.Pairs, v compute.Array, dv int, s MidShape) bool {
	if dv != p.D || v == nil || v != p.Y {
		return false
	}
	switch {
	case s.ValuesY != 0:
		return s.ValuesY == 2
	case p.D < shaders.MidMinDim:
		return false
	}
	return p.D < 10 || p.N >= midValuesYMinRows
}

// midValuesYMinRows is the fewest rows for which the soft-mean of V = Y
// reads its values from Y from d = 10 (midValuesY). At d = 16 it was
// slower at 1e4 (0.713 against 0.450 ms) and faster at 1e5 (19.4 against
// 25.9): 7.1e-12 s a pair at 1e4, 2.4e-12 at 3e4 (2.17 ms,
// bench/gpu/results/all-2026-12-06.jsonl) and 1.9e-12 at 1e5, so its loss
// is a small-N one, while the staged form's 2.6e-12 s a pair at 1e5 bounds
// it at 3e4 from below (at least 2.3 ms); hence 3e4 (the staged form at
// 3e4 itself was not measured).
const midValuesYMinRows = 30000

// useMid says whether a squared-Euclidean SoftMin (dv = 0) or SoftMean at
// point dimension d runs pairs_mid.wgsl.
func (b *Backend) useMid(d, dv int) bool {
	if b.NoUnroll || d > shaders.MidMaxDim || dv > shaders.MidMaxValues {
		return false
	}
	if dv == 0 {
		return d >= cmp.Or(b.mid.SoftMinMin, midSoftMinDefaultMin) && d <= cmp.Or(b.mid.SoftMinMax, midSoftMinDefaultMax)
	}
	if d < shaders.MidMinDim && (dv > 4 || b.mid.MeanMin == 0 && d != midSmallMeanDim) {
		return false
	}
	return d >= cmp.Or(b.mid.MeanMin, midSmallMeanDim) && d <= cmp.Or(b.mid.SoftMeanMax, midSoftMeanDefaultMax)
}

// midPack is shaders.MidOptions.Pack at point dimension d in the shape s.
func midPack(d int, s MidShape) bool { return s.Pack == 2 || s.Pack == 0 && d < shaders.MidMinDim }

// midUnroll is shaders.MidOptions.Unroll for the soft-min (dv = 0) or
// soft-mean at point dimension d in the shape s: two columns a sweep
// iteration for the soft-min and for the soft-mean up to d = 8, one above.
// Measured on the H100 at N = 1e5 (bench/gpu/results/margin-h100-call2.jsonl,
// ms, two columns against one, default shapes otherwise): the soft-min at
// d = 4 / 6 / 8 / 12 / 16 3.52 / 4.78 / 5.26 / 7.02 / 8.72 against 3.68 /
// 5.03 / 5.78 / 8.00 / 10.0 (d = 8: five rounds each, 5.24-5.29 against
// 5.77-5.80 with --batch 10, 5.43-5.53 against 5.95-6.02 with --batch 2);
// the soft-mean of V = Y at d = 4 / 8 / 16 5.75 / 9.36 / 21.0 against
// 6.12 / 10.1 / 18.7 (d = 5 to 7 and 9 to 15 unmeasured); the d = 2
// soft-mean (staged, factored; call 1) 3.52 against 4.34. Four columns
// at d = 8 (one run): the soft-min 5.09 / 5.40 ms (--batch 10 / 2), the
// d = 2 soft-mean 3.48, within 3% of two.
func midUnroll(d, dv int, s MidShape) int {
	if s.Unroll > 0 {
		return s.Unroll
	}
	if dv == 0 || d <= 8 {
		return 2
	}
	return 1
}

// midTile is the tile length of pairs_mid.wgsl: at most max columns, and
// no more than WebGPU's guaranteed 16 KiB of workgroup memory holds
// beside the factored form's two flags (one vec4 set aside).
func midTile(d, dv, max int, factor, pack bool) int {
	return min(max, (workgroupFloats/4-1)/shaders.MidColumnVec4s(d, dv, factor, pack))
}

// softMinMid runs pairs_mid.wgsl as the soft-min (shaders.SoftMinMid), then
// softmin_combine.wgsl when the column range is split across workgroups
// (aiming at SoftMinTargetGroups as softmin_small.wgsl does).
func (b *Backend) softMinMid(dst compute.Array, p compute.Pairs) error {
	o := shaders.MidOptions{R: cmp.Or(b.mid.R, midRows(p.D, 0, false)), WG: cmp.Or(b.mid.WG, midSoftMinWG),
		FirstMax: cmp.Or(b.mid.FirstMax, midFirstMax), Factor: midFactor(p.D, 0, false, b.mid), Unroll: midUnroll(p.D, 0, b.mid)}
	o.Tile = midTile(p.D, 0, 256, o.Factor, false)
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
	if err := b.dev.Dispatch(k, bufs, midParams(p, jchunk, nsplit, gx, 1), gx, gy, uint32(nsplit)); err != nil {
		return wrap(err)
	}
	if nsplit == 1 {
		return nil
	}
	return b.combineSoftMin(dst, out, p, nsplit)
}

// softMeanMid runs pairs_mid.wgsl as the soft-mean (shaders.SoftMeanMid),
// then softmean_combine.wgsl when the column range is split. The kernel
// writes the means times vscale (SoftMeanY's c; 1 for SoftMean), and the
// partials too, which the combine merges linearly.
func (b *Backend) softMeanMid(dst compute.Array, p compute.Pairs, v compute.Array, dv int, vscale float64) error {
	vy := midValuesY(p, v, dv, b.mid)
	wg, target := midSoftMeanWG, b.TargetGroups
	if p.D < shaders.MidMinDim {
		wg, target = midSmallMeanWG, cmp.Or(b.SoftMeanTargetGroups, b.TargetGroups)
	}
	o := shaders.MidOptions{R: cmp.Or(b.mid.MeanR, midRows(p.D, dv, vy)), WG: cmp.Or(b.mid.MeanWG, wg),
		FirstMax: cmp.Or(b.mid.FirstMax, midFirstMax), Factor: midFactor(p.D, dv, vy, b.mid), ValuesAreY: vy,
		Pack: midPack(p.D, b.mid), Unroll: midUnroll(p.D, dv, b.mid)}
	staged := dv
	if o.ValuesAreY {
		staged = 0
	}
	o.Tile = midTile(p.D, staged, 128, o.Factor, o.Pack)
	rowBlocks := (p.N + o.WG*o.R - 1) / (o.WG * o.R)
	nsplit, jchunk, err := b.midSplit(rowBlocks, p.M, o, target)
	if err != nil {
		return err
	}
	key := fmt.Sprintf("softmean_mid:D=%d:DV=%d:%+v", p.D, dv, o)
	bufs := []*gpu.Buffer{nil, b.bufOf(p.X), b.bufOf(p.Y), b.bufOf(p.LogW), b.bufOf(p.G)}
	if !o.ValuesAreY {
		bufs = append(bufs, b.bufOf(v))
	}
	k, err := b.kernelFunc(key, len(bufs), func() (string, error) { return shaders.SoftMeanMid(p.D, dv, o) })
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
	bufs[0] = out
	if err := b.dev.Dispatch(k, bufs, midParams(p, jchunk, nsplit, gx, vscale), gx, gy, uint32(nsplit)); err != nil {
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
	if err := b.combineFits(nsplit); err != nil {
		return 0, 0, err
	}
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
// lavapipe at d = 2, 3 and 8 (TestLongColumnRange); the generic ones
// (softmin.wgsl, softmean.wgsl) genericLoopsPerColumn
// (TestLongColumnRange). The softmin_hd*.wgsl and softmean_hd*.wgsl
// kernels need no cut: their loops run over 64-column tiles and
// coordinate chunks (one split of 140,000 columns passed on lavapipe at
// d = 64 and 192).
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
// sqrt(log2(e)/eps), g by log2(e)/eps, log-weights by log2(e), the
// soft-min's output by -eps ln 2, and the soft-mean's values Y by vscale.
func midParams(p compute.Pairs, jchunk, nsplit int, gx uint32, vscale float64) []uint32 {
	return []uint32{uint32(p.N), uint32(p.M), uint32(jchunk), uint32(nsplit),
		f32(math.Sqrt(math.Log2E / p.Eps)), f32(math.Log2E / p.Eps), f32(math.Log2E), f32(-p.Eps * math.Ln2),
		boolWord(p.LogW != nil), boolWord(p.G != nil), gx, f32(vscale)}
}
