package webgpu

import (
	"fmt"
	"math"

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

// loopBudget is the most loop iterations one invocation of the cost
// kernels may run on a software adapter: below llvmpipe's loop limiter,
// which silently ends a shader's loops after 65,535 iterations (nested
// loops counted together; README, "lavapipe caps loops").
// TestSoftMinCostLongRows fails without it.
const loopBudget = 60000

// costPlan is the launch shape of one cost kernel: the column range in
// nsplit chunks of jchunk over the grid's z dimension.
type costPlan struct {
	rowBlocks, nsplit, jchunk int
}

// costRows is R, the rows per invocation of softmin_cost.wgsl: 4 for
// dense matrices and up to 4 dimensions, then fewer as the coordinates
// held per row grow (rowsPerInvocation).
func costRows(p compute.Pairs) int {
	if p.Cost.Matrix != nil {
		return 4
	}
	return rowsPerInvocation(p.D)
}

// planCost splits m columns over workgroups of rowsPerGroup rows: enough
// splits to give TargetGroups workgroups when the rows alone do not (at
// least 256 columns a split),
// and, on a software adapter, chunks of at most loopBudget / perColumn
// columns and at most loopBudget / perSplit splits (the combine kernel's
// loop). It fails when the splits exceed the 65,535 workgroups of z.
func (b *Backend) planCost(n, m, rowsPerGroup, perColumn, perSplit int) (costPlan, error) {
	pl := costPlan{rowBlocks: (n + rowsPerGroup - 1) / rowsPerGroup, nsplit: 1}
	if pl.rowBlocks < b.TargetGroups {
		pl.nsplit = max(1, min((b.TargetGroups+pl.rowBlocks-1)/pl.rowBlocks, m/256))
	}
	pl.jchunk = (m + pl.nsplit - 1) / pl.nsplit
	if b.dev.Info().Fallback {
		pl.jchunk = max(1, min(pl.jchunk, loopBudget/perColumn))
	}
	pl.nsplit = (m + pl.jchunk - 1) / pl.jchunk
	if b.dev.Info().Fallback && pl.nsplit*perSplit > loopBudget {
		return pl, fmt.Errorf("%w: %d columns need %d splits of %d, over the software adapter's loop limit (use fewer columns or a lower dimension)",
			compute.ErrTooLarge, m, pl.nsplit, pl.jchunk)
	}
	if pl.nsplit > 65535 {
		return pl, fmt.Errorf("%w: %d columns need %d splits, over the 65,535 workgroups of one grid dimension", compute.ErrTooLarge, m, pl.nsplit)
	}
	return pl, nil
}

// costKernel compiles name (softmin_cost or softmean_cost) for p's cost,
// value dimension dv (softmean) and r rows per invocation (softmin).
func (b *Backend) costKernel(name string, storages int, p compute.Pairs, dv, r int) (*gpu.Kernel, error) {
	mode, d := costMode(p.Cost), max(p.D, 1)
	if mode != 0 {
		d = 1 // X and Y are not read
	}
	consts := map[string]int{"D": d, "MODE": mode, "R": r}
	if dv > 0 {
		consts["DV"] = dv
	}
	key := fmt.Sprintf("%s:D=%d:DV=%d:MODE=%d:R=%d", name, d, dv, mode, r)
	return b.kernelFunc(key, storages, func() (string, error) { return shaders.Source(name, consts) })
}

// costParams fills the Params of the cost kernels.
func costParams(p compute.Pairs, gx uint32, pl costPlan) []uint32 {
	return []uint32{uint32(p.N), uint32(p.M), gx, boolWord(p.LogW != nil),
		boolWord(p.G != nil), uint32(pl.jchunk), uint32(pl.nsplit), 0,
		f32(math.Log2E / p.Eps), f32(math.Log2E), f32(-p.Eps * math.Ln2), f32(p.Cost.Exponent())}
}

// pointLoops is the loop iterations per column of the point costs (the
// coordinate loop), 0 for a matrix.
func pointLoops(p compute.Pairs) int {
	if p.Cost.Matrix != nil {
		return 0
	}
	return p.D
}

// softMinCost runs softmin_cost.wgsl (and softmin_combine.wgsl when the
// columns are split): SoftMin for a cost other than |x - y|^2 (the caller
// has validated p and ruled out aliasing).
func (b *Backend) softMinCost(dst compute.Array, p compute.Pairs) error {
	// Loop iterations per column: the column's coordinates, then each
	// row's (see softmin_cost.wgsl).
	r, d := costRows(p), max(1, p.D)
	pl, err := b.planCost(p.N, p.M, 64*r, 1+d+r*(1+d), 2)
	if err != nil {
		return err
	}
	k, err := b.costKernel("softmin_cost", 6, p, 0, r)
	if err != nil {
		return err
	}
	out := b.arr(dst).buf
	if pl.nsplit > 1 {
		if out, err = b.scratchOf(2 * p.N * pl.nsplit); err != nil {
			return err
		}
	}
	gx, gy := b.dev.Grid(pl.rowBlocks)
	bufs := []*gpu.Buffer{out, b.bufOf(p.X), b.bufOf(p.Y), b.bufOf(p.Cost.Matrix), b.bufOf(p.LogW), b.bufOf(p.G)}
	if err := b.dev.Dispatch(k, bufs, costParams(p, gx, pl), gx, gy, uint32(pl.nsplit)); err != nil {
		return wrap(err)
	}
	if pl.nsplit == 1 {
		return nil
	}
	return b.combineSoftMin(dst, out, p, pl.nsplit)
}

// softMeanCost runs softmean_cost.wgsl (and softmean_cost_combine.wgsl
// when the columns are split; see softMinCost).
func (b *Backend) softMeanCost(dst compute.Array, p compute.Pairs, v compute.Array, dv int) error {
	pl, err := b.planCost(p.N, p.M, 64, 1+pointLoops(p)+dv, 2+dv)
	if err != nil {
		return err
	}
	k, err := b.costKernel("softmean_cost", 7, p, dv, 1)
	if err != nil {
		return err
	}
	out := b.arr(dst).buf
	if pl.nsplit > 1 {
		if out, err = b.scratchOf(pl.nsplit * p.N * (dv + 2)); err != nil {
			return err
		}
	}
	gx, gy := b.dev.Grid(pl.rowBlocks)
	bufs := []*gpu.Buffer{out, b.bufOf(p.X), b.bufOf(p.Y), b.bufOf(p.Cost.Matrix), b.bufOf(p.LogW), b.bufOf(p.G), b.bufOf(v)}
	if err := b.dev.Dispatch(k, bufs, costParams(p, gx, pl), gx, gy, uint32(pl.nsplit)); err != nil {
		return wrap(err)
	}
	if pl.nsplit == 1 {
		return nil
	}
	ck, err := b.kernel("softmean_cost_combine", 2, map[string]int{"DV": dv})
	if err != nil {
		return err
	}
	return wrap(b.dev.Dispatch(ck, []*gpu.Buffer{b.arr(dst).buf, out}, []uint32{uint32(p.N), uint32(pl.nsplit), gx, 0}, gx, gy, 1))
}
