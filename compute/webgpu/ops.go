package webgpu

import (
	"fmt"
	"math"
	"math/bits"

	"github.com/otplay/otplay/compute"
	"github.com/otplay/otplay/gpu"
	"github.com/otplay/otplay/shaders"
)

// workgroupFloats is the workgroup-memory budget of the tiled kernels in
// floats: 16 KiB, WebGPU's guaranteed maxComputeWorkgroupStorageSize.
const workgroupFloats = 4096

// rowsPerInvocation picks R for the pair kernels: several rows per
// invocation reuse each tile entry R times and give R independent exp
// chains, but cost R*D registers.
func rowsPerInvocation(d int) int {
	switch {
	case d <= 4:
		return 4
	case d <= 16:
		return 2
	}
	return 1
}

// expand says whether the pair kernels use the centred expansion of the
// squared distance (see softmin.wgsl): for D <= 4, where it halves the
// arithmetic per pair.
func expand(d int) int {
	if d <= 4 {
		return 1
	}
	return 0
}

// roundMagic is 1.5 * 2^23 as float32 bits: adding it rounds a float32
// below 2^22 in magnitude to an integer (exp2_fma in inc_exp2.wgsl, which
// takes it from the uniforms twice so that no compiler folds it away).
var roundMagic = f32(1.5 * (1 << 23))

// softminPlan is the launch shape of one SoftMin.
type softminPlan struct {
	r, wg, tile       int
	rowBlocks, nsplit int
	jchunk            int
}

func (b *Backend) planSoftMin(n, m, d int) softminPlan {
	// WG 128 with R 4 was the best compromise across n = 1e4 and 1e5 in the
	// H100 sweep of 2026-11-22, and again with the Lazy form on 2026-12-06
	// (WG 64 and 256, R 8 and tiles of 128 all within 3% at 1e5; see the
	// package doc and README).
	p := softminPlan{r: rowsPerInvocation(d), wg: 128}
	small := d <= 3 && !b.NoUnroll
	if b.SoftMinWG > 0 {
		p.wg = b.SoftMinWG
	}
	if b.SoftMinR > 0 {
		p.r = b.SoftMinR
	}
	p.tile = min(256, workgroupFloats/(d+1))
	if small && b.SmallTile > 0 {
		p.tile = min(b.SmallTile, workgroupFloats/4)
	}
	p.rowBlocks = (n + p.wg*p.r - 1) / (p.wg * p.r)
	target := b.TargetGroups
	if small && b.SoftMinTargetGroups > 0 {
		target = b.SoftMinTargetGroups
	}
	p.nsplit, p.jchunk = b.splitColumns(p.rowBlocks, m, p.tile, target)
	perColumn := 2*p.r + 2 // the Lazy form (underLoopLimit)
	if !small {
		perColumn = genericLoopsPerColumn(p.r, d, 0)
	}
	p.nsplit, p.jchunk = b.underLoopLimit(m, p.nsplit, p.jchunk, perColumn)
	return p
}

// genericLoopsPerColumn bounds the loop iterations a column of its range
// costs an invocation of softmin.wgsl (dv = 0) or softmean.wgsl, whose
// inner loops over D and DV llvmpipe may leave rolled: the tile sweep's R
// rows of D + DV + 1 iterations each, plus the column's staging (D + DV)
// and the sweep's own iteration. It is underLoopLimit's perColumn for the
// generic kernels (without the cut softmean.wgsl, which had no column
// split, lost the columns past llvmpipe's limit: d = 2 and 4 with 140,000
// columns, d = 64 with 1,030; TestLongColumnRange, TestHighDim/gpu-per-pair).
func genericLoopsPerColumn(r, d, dv int) int {
	return r*(d+dv+1) + d + dv + 2
}

// splitColumns splits the m columns across workgroups (grid z) when
// rowBlocks workgroups of rows alone cannot reach target, keeping at
// least SplitMinCols (default one tile) columns per split; it returns the
// number of splits and the columns per split.
func (b *Backend) splitColumns(rowBlocks, m, tile, target int) (nsplit, jchunk int) {
	minCols := tile
	if b.SplitMinCols > 0 {
		minCols = b.SplitMinCols
	}
	nsplit = 1
	if rowBlocks < target {
		nsplit = max(1, min((target+rowBlocks-1)/rowBlocks, m/minCols))
	}
	jchunk = (m + nsplit - 1) / nsplit
	return (m + jchunk - 1) / jchunk, jchunk
}

// scratch returns a persistent scratch array of at least n elements.
func (b *Backend) scratchOf(n int) (*gpu.Buffer, error) {
	if b.scratch != nil && b.scratch.Words() >= n {
		return b.scratch, nil
	}
	if b.scratch != nil {
		b.dev.Release(b.scratch)
		b.scratch = nil
	}
	s, err := b.dev.NewBuffer(max(n, 1024))
	if err != nil {
		return nil, wrap(err)
	}
	b.scratch = s
	return s, nil
}

// SoftMin runs softmin.wgsl (and softmin_combine.wgsl when the column
// range is split). See compute.Backend.SoftMin.
func (b *Backend) SoftMin(dst compute.Array, p compute.Pairs) (err error) {
	if err := compute.ValidateSoftMin(dst, p); err != nil {
		return err
	}
	if aliased(dst, p.X, p.Y, p.LogW, p.G, p.Cost.Matrix) {
		return b.viaTemp(dst, func(tmp compute.Array) error { return b.SoftMin(tmp, p) })
	}
	if !p.Cost.IsSquaredEuclidean() {
		return b.softMinCost(dst, p)
	}
	// Every route below ends with exact_rows.wgsl, or a merge of split
	// columns that did its work (combineSoftMin): the rows a special value
	// left NaN or infinite, computed again as the CPU does (exact.go).
	b.combinedExact = false
	defer func() {
		if err == nil && !b.combinedExact {
			err = b.exactRows(dst, p, nil, 0)
		}
	}()
	if b.useMid(p.D, 0) {
		return b.softMinMid(dst, p)
	}
	if b.useHD(p.D) {
		return b.softMinHD(dst, p)
	}
	pl := b.planSoftMin(p.N, p.M, p.D)
	var k *gpu.Kernel
	if p.D <= 3 && !b.NoUnroll {
		key := fmt.Sprintf("softmin_small:D=%d:R=%d:WG=%d:TILE=%d:%v", p.D, pl.r, pl.wg, pl.tile, b.Small)
		k, err = b.kernelFunc(key, 5, func() (string, error) { return shaders.SoftMinSmall(p.D, pl.r, pl.wg, pl.tile, b.Small) })
	} else {
		k, err = b.kernel("softmin", 5, map[string]int{"D": p.D, "R": pl.r, "WG": pl.wg, "TILE": pl.tile, "TILEF": pl.tile * (p.D + 1), "EXPAND": expand(p.D)})
	}
	if err != nil {
		return err
	}
	gx, gy := b.dev.Grid(pl.rowBlocks)
	if err := b.combineFits(pl.nsplit); err != nil {
		return err
	}
	out := b.arr(dst).buf
	if pl.nsplit > 1 {
		if out, err = b.scratchOf(2 * p.N * pl.nsplit); err != nil {
			return err
		}
	}
	params := []uint32{uint32(p.N), uint32(p.M), uint32(pl.jchunk), uint32(pl.nsplit),
		f32(math.Sqrt(math.Log2E / p.Eps)), f32(math.Log2E / p.Eps), f32(math.Log2E), f32(-p.Eps * math.Ln2),
		boolWord(p.LogW != nil), boolWord(p.G != nil), gx, 0, roundMagic, roundMagic, 0, 0}
	bufs := []*gpu.Buffer{out, b.bufOf(p.X), b.bufOf(p.Y), b.bufOf(p.LogW), b.bufOf(p.G)}
	if err := b.dev.Dispatch(k, bufs, params, gx, gy, uint32(pl.nsplit)); err != nil {
		return wrap(err)
	}
	if pl.nsplit == 1 {
		return nil
	}
	return b.combineSoftMin(dst, out, p, pl.nsplit)
}

// combineSoftMin runs softmin_combine.wgsl: dst (p.N) from the nsplit
// partial (max, sum) pairs of part.
// With CombineLanes > 1 it runs softmin_combine_wide.wgsl instead, that
// many invocations a row (rounded down to a power of two, at most 64).
// For the squared-Euclidean cost on hardware, where a row's full loop is
// short (M (d + 1) <= exactInlineLoops, e.g. M = 1e4 at d = 2; any M with
// OTPLAY_EXACT_COLUMNS=0), the merge also computes again, with the
// reference's loops, the rows that come out NaN or infinite
// (inc_exact.wgsl; the special values of exact.go), and records that in
// combinedExact so that SoftMin dispatches no exact_rows.wgsl after it
// (one dispatch fewer on the normal path); else (and on a software
// adapter, after special_scan.wgsl) exact_rows.wgsl does it, whose column
// pass decides most such rows without a loop over every column a row.
func (b *Backend) combineSoftMin(dst compute.Array, part *gpu.Buffer, p compute.Pairs, nsplit int) error {
	name, lanes := "softmin_combine", 1
	var consts map[string]int
	if b.CombineLanes > 1 {
		// The workgroup's 64 invocations hold 64 / LANES whole rows: a power
		// of two, at most 64 (any other CombineLanes rounds down to one).
		lanes = 1 << (bits.Len(uint(min(b.CombineLanes, 64))) - 1)
		name, consts = "softmin_combine_wide", map[string]int{"LANES": lanes}
	}
	ck, err := b.kernelFunc(fmt.Sprintf("%s:%d", name, lanes), 6, func() (string, error) { return shaders.Source(name, consts) })
	if err != nil {
		return err
	}
	// Inline on hardware; a software adapter scans the inputs first
	// (exact.go, specialScan) and so takes exact_rows.wgsl after SoftMin
	// (the merge inline there only in tests, where its loop over every
	// column fits the loop budget).
	fits := !b.dev.Info().Fallback && !exactScanOn || b.exactInline && p.M*exactLoopsPerColumn(p.D, 0)+2*nsplit+64 <= loopBudget
	exact := p.Cost.IsSquaredEuclidean() && !exactRowsOff && fits && b.exactChunkCap == 0 && exactChunkEnv == 0 &&
		(exactColumnsOff || p.M*exactLoopsPerColumn(p.D, 0) <= exactInlineLoops)
	rows := 64 / lanes
	cx, cy := b.dev.Grid((p.N + rows - 1) / rows)
	cparams := []uint32{uint32(p.N), uint32(nsplit), cx, boolWord(exact), f32(-p.Eps * math.Ln2), 0, 0, 0,
		uint32(p.M), uint32(p.D), boolWord(p.LogW != nil), boolWord(p.G != nil), f32(1 / p.Eps), f32(p.Eps), 0, 0}
	bufs := []*gpu.Buffer{b.arr(dst).buf, part, b.bufOf(p.X), b.bufOf(p.Y), b.bufOf(p.LogW), b.bufOf(p.G)}
	if err := b.dev.Dispatch(ck, bufs, cparams, cx, cy, 1); err != nil {
		return wrap(err)
	}
	b.combinedExact = exact
	return nil
}

// SoftMean runs softmean.wgsl. See compute.Backend.SoftMean.
func (b *Backend) SoftMean(dst compute.Array, p compute.Pairs, v compute.Array, dv int) (err error) {
	if err := compute.ValidateSoftMean(dst, p, v, dv); err != nil {
		return err
	}
	if aliased(dst, p.X, p.Y, p.LogW, p.G, v, p.Cost.Matrix) {
		return b.viaTemp(dst, func(tmp compute.Array) error { return b.SoftMean(tmp, p, v, dv) })
	}
	if !p.Cost.IsSquaredEuclidean() {
		return b.softMeanCost(dst, p, v, dv)
	}
	// The rows left NaN or infinite, again as the CPU does (see SoftMin).
	defer func() {
		if err == nil {
			err = b.exactRows(dst, p, v, dv)
		}
	}()
	if b.useMid(p.D, dv) {
		return b.softMeanMid(dst, p, v, dv, 1)
	}
	if b.useSoftMeanHD(p.D) {
		return b.softMeanHD(dst, p, v, dv)
	}
	return b.softMeanPlain(dst, p, v, dv, 1)
}

// SoftMeanY runs the soft-mean of the values c Y (see
// compute.Backend.SoftMeanY): pairs_mid.wgsl where SoftMean takes it
// (useMid: D = 2 and 4 to 16), reading Y once for the cost and the values
// (MidOptions.ValuesAreY) where midValuesY takes that form, else with Y
// bound as the staged values, and softmean_small.wgsl with Y bound as the
// values for the other D <= 3, each writing
// the means times c (Params.vscale); elsewhere (the generic and
// softmean_hd*.wgsl kernels, costs other than |x - y|^2)
// SoftMean(dst, p, p.Y, p.D) and a Map scaling dst by c.
func (b *Backend) SoftMeanY(dst compute.Array, p compute.Pairs, c float64) error {
	if err := compute.ValidateSoftMeanY(dst, p, c); err != nil {
		return err
	}
	if aliased(dst, p.X, p.Y, p.LogW, p.G, p.Cost.Matrix) {
		return b.viaTemp(dst, func(tmp compute.Array) error { return b.SoftMeanY(tmp, p, c) })
	}
	if p.Cost.IsSquaredEuclidean() {
		// Both end with exact_rows.wgsl, as SoftMean does (exact.go).
		switch {
		case b.useMid(p.D, p.D):
			return b.exactRowsAfter(b.softMeanMid(dst, p, p.Y, p.D, c), dst, p, c)
		case b.smallSoftMean(p.D, p.D) && !b.useMid(p.D, p.D) && !b.useSoftMeanHD(p.D):
			return b.exactRowsAfter(b.softMeanPlain(dst, p, p.Y, p.D, c), dst, p, c)
		}
	}
	if err := b.SoftMean(dst, p, p.Y, p.D); err != nil || c == 1 {
		return err
	}
	return b.Map(dst, compute.MapArgs{Op: compute.OpAxpby, X: dst, A: c})
}

// smallSoftMean says whether softMeanPlain runs softmean_small.wgsl.
func (b *Backend) smallSoftMean(d, dv int) bool { return d <= 3 && dv <= 4 && !b.NoUnroll }

// softMeanPlain runs softmean_small.wgsl (d <= 3, dv <= 4: smallSoftMean)
// or the generic softmean.wgsl; softmean_small.wgsl writes its means
// times vscale (SoftMeanY's c), softmean.wgsl takes vscale = 1 only.
func (b *Backend) softMeanPlain(dst compute.Array, p compute.Pairs, v compute.Array, dv int, vscale float64) error {
	var (
		k           *gpu.Kernel
		err         error
		r, wg, tile int
		nsplit      = 1
		small       = b.smallSoftMean(p.D, dv)
	)
	if !small && vscale != 1 {
		return fmt.Errorf("webgpu: softmean.wgsl takes no value scale (vscale %g)", vscale)
	}
	if small {
		// WG 128 and a column split aimed at 4 x TargetGroups (8192 on an
		// H100) took 3.96 ms at N = 1e5 against 4.20 with WG 64 and 2048
		// (Backend.SoftMeanTargetGroups; bench/gpu/results/small-h100-call3.jsonl).
		r, wg, tile = 4, 128, 128
		if b.SoftMeanR > 0 {
			r = b.SoftMeanR
		}
		if b.SoftMeanWG > 0 {
			wg = b.SoftMeanWG
		}
		if b.SmallTile > 0 {
			tile = min(b.SmallTile, workgroupFloats/8)
		}
		o := b.Small
		if b.SoftMeanUnroll > 0 {
			o.Unroll = b.SoftMeanUnroll
		}
		key := fmt.Sprintf("softmean_small:D=%d:DV=%d:R=%d:WG=%d:TILE=%d:%v", p.D, dv, r, wg, tile, o)
		k, err = b.kernelFunc(key, 6, func() (string, error) { return shaders.SoftMeanSmall(p.D, dv, r, wg, tile, o) })
	} else {
		r, wg = 1, 64
		if p.D+dv <= 16 {
			r = 2
		}
		tile = max(1, min(128, workgroupFloats/(p.D+1+dv)))
		k, err = b.kernel("softmean", 6, map[string]int{"D": p.D, "DV": dv, "R": r, "WG": wg, "TILE": tile,
			"TILEF": tile * (p.D + 1 + dv), "EXPAND": expand(p.D)})
	}
	if err != nil {
		return err
	}
	rowBlocks := (p.N + wg*r - 1) / (wg * r)
	jchunk := p.M
	if small {
		target := b.TargetGroups
		if b.SoftMeanTargetGroups > 0 {
			target = b.SoftMeanTargetGroups
		}
		nsplit, jchunk = b.splitColumns(rowBlocks, p.M, tile, target)
		nsplit, jchunk = b.underLoopLimit(p.M, nsplit, jchunk, 2*r+2)
	} else {
		// One range on hardware; split on a software adapter only.
		nsplit, jchunk = b.underLoopLimit(p.M, nsplit, jchunk, genericLoopsPerColumn(r, p.D, dv))
	}
	if err := b.combineFits(nsplit); err != nil {
		return err
	}
	out := b.arr(dst).buf
	if nsplit > 1 {
		if out, err = b.scratchOf(nsplit * p.N * (dv + 2)); err != nil {
			return err
		}
	}
	gx, gy := b.dev.Grid(rowBlocks)
	params := []uint32{uint32(p.N), uint32(p.M), gx, uint32(nsplit),
		f32(math.Sqrt(math.Log2E / p.Eps)), f32(math.Log2E / p.Eps), f32(math.Log2E), f32(vscale),
		boolWord(p.LogW != nil), boolWord(p.G != nil), uint32(jchunk), 0, roundMagic, roundMagic, 0, 0}
	bufs := []*gpu.Buffer{out, b.bufOf(p.X), b.bufOf(p.Y), b.bufOf(p.LogW), b.bufOf(p.G), b.bufOf(v)}
	if err := b.dev.Dispatch(k, bufs, params, gx, gy, uint32(nsplit)); err != nil {
		return wrap(err)
	}
	if nsplit == 1 {
		return nil
	}
	return b.combineSoftMean(dst, out, p.N, nsplit, dv)
}

// combineSoftMean runs softmean_combine.wgsl: dst (n*dv) from the nsplit
// partials (m, s, acc[dv]) of part. Where its (dv + 2) nsplit + dv loop
// iterations a row would pass a software adapter's loop budget it runs
// softmean_combine_wide.wgsl instead, one invocation a row and 4 value
// columns, 2 nsplit iterations each (TestCombineLoopLimit; the callers
// checked combineFits before allocating the partials).
func (b *Backend) combineSoftMean(dst compute.Array, part *gpu.Buffer, n, nsplit, dv int) error {
	if b.dev.Info().Fallback && (dv+2)*nsplit+dv > loopBudget {
		ck, err := b.kernel("softmean_combine_wide", 2, map[string]int{"DV": dv})
		if err != nil {
			return err
		}
		cx, cy := b.dev.Grid((n*((dv+3)/4) + 63) / 64)
		return wrap(b.dev.Dispatch(ck, []*gpu.Buffer{b.arr(dst).buf, part}, []uint32{uint32(n), uint32(nsplit), cx, 0}, cx, cy, 1))
	}
	ck, err := b.kernel("softmean_combine", 2, nil)
	if err != nil {
		return err
	}
	cx, cy := b.dev.Grid((n + 63) / 64)
	return wrap(b.dev.Dispatch(ck, []*gpu.Buffer{b.arr(dst).buf, part}, []uint32{uint32(n), uint32(nsplit), cx, uint32(dv)}, cx, cy, 1))
}

// combineFits fails with compute.ErrTooLarge, before any partials are
// allocated, where the merge of nsplit column splits would pass a
// software adapter's loop budget (llvmpipe's limiter, loopBudget): the
// merges run at most 2 nsplit + 64 loop iterations an invocation
// (softmin_combine.wgsl 2 nsplit, softmin_combine_wide.wgsl nsplit /
// lanes + lanes, softmean_combine_wide.wgsl 2 nsplit, where
// combineSoftMean takes it). Reached only past 30,000 splits, which the
// storage-binding limits rule out in practice; on hardware it never fails.
func (b *Backend) combineFits(nsplit int) error {
	if b.dev.Info().Fallback && 2*nsplit+64 > loopBudget {
		return fmt.Errorf("%w: %d column splits to merge pass the software adapter's loop limit (use fewer columns)", compute.ErrTooLarge, nsplit)
	}
	return nil
}

// Map runs map.wgsl. See compute.Backend.Map.
func (b *Backend) Map(dst compute.Array, a compute.MapArgs) error {
	if err := compute.ValidateMap(dst, a); err != nil {
		return err
	}
	div := max(a.YDiv, 1)
	broadcast := div > 1 || (a.YMod > 0 && a.YMod < dst.Len())
	if a.Y != nil && a.Y == dst && broadcast {
		// Another invocation would read Y after this one overwrote it.
		return b.viaTemp(dst, func(tmp compute.Array) error { return b.Map(tmp, a) })
	}
	if dst.Len() == 0 {
		return nil
	}
	k, err := b.kernel("map", 3, nil)
	if err != nil {
		return err
	}
	// An input that is dst itself is read from binding 0 (map.wgsl).
	xDst, yDst := a.X == dst, a.Y != nil && a.Y == dst
	xb, yb := b.bufOf(a.X), b.bufOf(a.Y)
	if xDst {
		xb = b.dummy
	}
	if yDst {
		yb = b.dummy
	}
	params := []uint32{uint32(dst.Len()), uint32(a.Op), uint32(div), uint32(a.YMod),
		f32(a.A), f32(a.B), f32(a.C), boolWord(a.Y != nil), 0, boolWord(xDst), boolWord(yDst), 0}
	return b.elementwise(k, []*gpu.Buffer{b.arr(dst).buf, xb, yb}, params, 8, dst.Len())
}

// Sum runs sum.wgsl and adds its partial sums in float64.
func (b *Backend) Sum(x compute.Array) (float64, error) {
	if x == nil {
		return 0, fmt.Errorf("%w: sum: nil array", compute.ErrBadArgument)
	}
	n := x.Len()
	if n == 0 {
		return 0, nil
	}
	k, err := b.kernel("sum", 2, nil)
	if err != nil {
		return 0, err
	}
	groups := (n + 4095) / 4096
	// A persistent buffer: a fresh one per call cost a buffer, a uniform
	// buffer and a bind group each time (a solver's residual check calls
	// Sum every CheckEvery iterations).
	if b.sumPart == nil || b.sumPart.Words() < groups {
		if b.sumPart != nil {
			b.dev.Release(b.sumPart)
			b.sumPart = nil
		}
		part, err := b.dev.NewBuffer(max(groups, 64))
		if err != nil {
			return 0, wrap(err)
		}
		b.sumPart = part
	}
	part := b.sumPart
	gx, gy := b.dev.Grid(groups)
	if err := b.dev.Dispatch(k, []*gpu.Buffer{part, b.arr(x).buf}, []uint32{uint32(n), gx, 0, 0}, gx, gy, 1); err != nil {
		return 0, wrap(err)
	}
	words, err := b.dev.Read(part, 0, groups)
	if err != nil {
		return 0, wrap(err)
	}
	var s float64
	for _, w := range words {
		s += float64(math.Float32frombits(w))
	}
	return s, nil
}

// MatMul runs matmul.wgsl. See compute.Backend.MatMul.
func (b *Backend) MatMul(dst, a, bb compute.Array, n, k, m int, transA, transB bool) error {
	if err := compute.ValidateMatMul(dst, a, bb, n, k, m); err != nil {
		return err
	}
	if aliased(dst, a, bb) {
		return b.viaTemp(dst, func(tmp compute.Array) error { return b.MatMul(tmp, a, bb, n, k, m, transA, transB) })
	}
	kern, err := b.kernel("matmul", 3, nil)
	if err != nil {
		return err
	}
	gx, gy := (m+15)/16, (n+15)/16
	lim := int(b.dev.Info().Limits.MaxComputeWorkgroupsPerDim)
	if lim > 0 && (gx > lim || gy > lim) {
		return fmt.Errorf("%w: matmul of %d x %d needs %d x %d workgroups, over the device's maxComputeWorkgroupsPerDimension %d",
			compute.ErrTooLarge, n, m, gx, gy, lim)
	}
	// One dispatch over all of k on hardware; on a software adapter chunks
	// of k whose 16-wide tiles (17 loop iterations each, should the inner
	// loop stay rolled) keep an invocation under loopBudget, each adding to
	// dst (TestLongInnerLoops: k = 1.1e6 lost its last 52,000 terms).
	chunk := max(k, 1)
	if b.dev.Info().Fallback {
		chunk = min(chunk, loopBudget/17*16)
	}
	for k0 := 0; k0 < max(k, 1); k0 += chunk {
		params := []uint32{uint32(n), uint32(k), uint32(m), boolWord(transA), boolWord(transB), uint32(k0), uint32(min(k0+chunk, k)), boolWord(k0 > 0)}
		if err := b.dev.Dispatch(kern, []*gpu.Buffer{b.arr(dst).buf, b.arr(a).buf, b.arr(bb).buf}, params, uint32(gx), uint32(gy), 1); err != nil {
			return wrap(err)
		}
	}
	return nil
}

// GatherSum runs gather.wgsl. See compute.Backend.GatherSum. Indices at or
// past len(src) read 0 on the GPU (the CPU backend reports them).
func (b *Backend) GatherSum(dst, src, idx compute.Array, k int) error {
	if err := compute.ValidateGatherSum(dst, src, idx, k); err != nil {
		return err
	}
	if aliased(dst, src, idx) {
		return b.viaTemp(dst, func(tmp compute.Array) error { return b.GatherSum(tmp, src, idx, k) })
	}
	kern, err := b.kernel("gather", 3, nil)
	if err != nil {
		return err
	}
	// One dispatch over all k indices on hardware; on a software adapter
	// chunks of loopBudget, each adding to dst (TestLongInnerLoops: k =
	// 70,000 summed only the first 65,535).
	chunk := max(k, 1)
	if b.dev.Info().Fallback {
		chunk = min(chunk, loopBudget)
	}
	for t0 := 0; t0 < max(k, 1); t0 += chunk {
		params := []uint32{uint32(dst.Len()), uint32(k), uint32(src.Len()), 0, uint32(t0), uint32(min(t0+chunk, k)), boolWord(t0 > 0), 0}
		if err := b.elementwise(kern, []*gpu.Buffer{b.arr(dst).buf, b.arr(src).buf, b.arr(idx).buf}, params, 3, dst.Len()); err != nil {
			return err
		}
	}
	return nil
}

// SortRows runs the stages of bitonic.wgsl: log2(P)(log2(P)+1)/2
// dispatches for rows padded to P = the next power of two, all recorded in
// one batch.
func (b *Backend) SortRows(x compute.Array, rows, cols int) error {
	if x == nil || rows < 1 || cols < 1 || x.Len() != rows*cols {
		return fmt.Errorf("%w: sortrows: array of %d is not %d x %d", compute.ErrBadArgument, lenOf(x), rows, cols)
	}
	if cols == 1 {
		return nil
	}
	kern, err := b.kernel("bitonic", 1, nil)
	if err != nil {
		return err
	}
	p := 1 << bits.Len(uint(cols-1))
	half := p / 2
	buf := []*gpu.Buffer{b.arr(x).buf}
	for size := 2; size <= p; size *= 2 {
		for j := size / 2; j >= 1; j /= 2 {
			flip := j == size/2
			params := []uint32{uint32(rows), uint32(cols), uint32(half), uint32(j), boolWord(flip), 0, 0, 0}
			if err := b.elementwise(kern, buf, params, 5, rows*half); err != nil {
				return err
			}
		}
	}
	return nil
}

func (b *Backend) rng(dst compute.Array, seed, offset uint64, normal bool) error {
	if dst == nil {
		return fmt.Errorf("%w: rng: nil array", compute.ErrBadArgument)
	}
	kern, err := b.kernel("rng", 1, nil)
	if err != nil {
		return err
	}
	params := []uint32{uint32(dst.Len()), boolWord(normal), uint32(offset), uint32(offset >> 32),
		uint32(seed), uint32(seed >> 32), 0, 0}
	return b.elementwise(kern, []*gpu.Buffer{b.arr(dst).buf}, params, 6, dst.Len())
}

// Uniform runs rng.wgsl: the same Philox stream as compute.UniformAt.
func (b *Backend) Uniform(dst compute.Array, seed, offset uint64) error {
	return b.rng(dst, seed, offset, false)
}

// Normal runs rng.wgsl: the same Philox stream as compute.NormalAt.
func (b *Backend) Normal(dst compute.Array, seed, offset uint64) error {
	return b.rng(dst, seed, offset, true)
}
