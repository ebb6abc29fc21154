package webgpu

import (
	"fmt"
	"os"
	"strconv"

	"github.com/otplay/otplay/compute"
	"github.com/otplay/otplay/gpu"
)

// exactRowsOff is OTPLAY_EXACT_ROWS=0: the squared-Euclidean SoftMin and
// SoftMean skip exact_rows.wgsl and the soft-min's merge skips its redo
// (special values then come back NaN, as before 2026-12-06; for measuring
// the cost only).
var exactRowsOff = os.Getenv("OTPLAY_EXACT_ROWS") == "0"

// exactScanOn is OTPLAY_EXACT_SCAN=1: special_scan.wgsl runs on hardware
// adapters too (for a device whose exp2 of NaN were not NaN, which the
// conformance suite's special values would show; one more O(N d + M d)
// dispatch a call).
var exactScanOn = os.Getenv("OTPLAY_EXACT_SCAN") == "1"

// exactChunkEnv is OTPLAY_EXACT_CHUNK=N (N > 0): exact_rows.wgsl takes at
// most N columns a dispatch on hardware too, and the split soft-min's
// merge leaves its redo to it (for measuring what bounding a dispatch's
// time costs; 0, the default: one dispatch on hardware).
var exactChunkEnv = func() int {
	v, err := strconv.Atoi(os.Getenv("OTPLAY_EXACT_CHUNK"))
	if err != nil || v < 0 {
		return 0
	}
	return v
}()

// exactColumnsOff is OTPLAY_EXACT_COLUMNS=0: exact_rows.wgsl runs every
// row it redoes through the reference's full loop, and a split soft-min's
// merge redoes its rows inline (the form before the column pass, for
// measuring it).
var exactColumnsOff = os.Getenv("OTPLAY_EXACT_COLUMNS") == "0"

// exactInlineLoops bounds the loop iterations, M (d + 1), of a row that a
// split soft-min's merge redoes inline (combineSoftMin): 2^18, so that a
// merge where every row is redone costs N x 2^18 iterations at most
// (1e4 rows: 2.6e9; on an H100 at M = 1e4, d = 2 a redone call took 3.2
// ms against 0.088, results/special-h100-2026-12-06.jsonl) while the plain call keeps
// its one dispatch at M = 1e4, d = 2 (M (d + 1) = 3e4).
const exactInlineLoops = 1 << 18

// exactLoopsPerColumn bounds the loop iterations one column of a chunk
// costs an invocation of exact_rows.wgsl: the column loop's own, d for the
// cost and dv for the values; exactLoopsPerRow those it spends once (the
// soft-mean's check, clearing and division of its dv values).
func exactLoopsPerColumn(d, dv int) int { return d + dv + 1 }

func exactLoopsPerRow(dv int) int { return 3*dv + 4 }

// exactChunk is the columns of one dispatch of exact_rows.wgsl: all m on
// hardware; on a software adapter as many as keep an invocation under
// loopBudget (llvmpipe's loop limiter, cost.go). It fails with
// compute.ErrTooLarge where not even one column fits (dv in the tens of
// thousands).
func (b *Backend) exactChunk(m, d, dv int) (int, error) {
	chunk := max(m, 1)
	if b.dev.Info().Fallback {
		most := (loopBudget - exactLoopsPerRow(dv)) / exactLoopsPerColumn(d, dv)
		if most < 1 {
			return 0, fmt.Errorf("%w: exact_rows.wgsl at d = %d with %d values a row passes the software adapter's loop limit", compute.ErrTooLarge, d, dv)
		}
		chunk = min(chunk, most)
	}
	if b.exactChunkCap > 0 {
		chunk = min(chunk, b.exactChunkCap)
	}
	if exactChunkEnv > 0 {
		chunk = min(chunk, exactChunkEnv)
	}
	return chunk, nil
}

// exactRows runs exact_rows.wgsl after a squared-Euclidean SoftMin (v nil,
// dv 0) or SoftMean into dst: the rows that came out NaN or infinite are
// computed again with the reference's loops (compute.rowLSE, rowMean), so
// that a +Inf column potential, an infinite coordinate or a NaN give what
// the CPU backends give (TestSpecialValues). One dispatch of O(N) reads
// (O(N dv) for the soft-mean) where every row is finite; no work per pair.
// In the one dispatch (mode 0) a workgroup with rows to redo first reads
// the columns together (exact_rows.wgsl's by_columns, unless
// OTPLAY_EXACT_COLUMNS=0), which decides the rows that special columns or
// weightless ones make not finite; the other rows cost O(M (d + dv)) each,
// untiled (the package doc's Special values has the figures).
// On a software adapter the columns come in chunks of exactChunk, one
// dispatch each, with each row's running (flag, max, sum, values) in
// exactState, and a last dispatch writes the rows into dst.
func (b *Backend) exactRows(dst compute.Array, p compute.Pairs, v compute.Array, dv int) error {
	return b.exactRowsScaled(dst, p, v, dv, 1)
}

// exactRowsAfter is SoftMeanY's exact_rows.wgsl (values c Y) after a
// route that returned err.
func (b *Backend) exactRowsAfter(err error, dst compute.Array, p compute.Pairs, c float64) error {
	if err != nil {
		return err
	}
	return b.exactRowsScaled(dst, p, p.Y, p.D, c)
}

// exactRowsScaled is exactRows with the soft-mean's values vscale v.
func (b *Backend) exactRowsScaled(dst compute.Array, p compute.Pairs, v compute.Array, dv int, vscale float64) error {
	if exactRowsOff {
		return nil
	}
	chunk, err := b.exactChunk(p.M, p.D, dv)
	if err != nil {
		return err
	}
	k, err := b.kernel("exact_rows", 8, nil)
	if err != nil {
		return err
	}
	out, state := b.arr(dst).buf, b.dummy
	if chunk < p.M {
		if state, err = b.exactStateOf(p.N * (dv + 3)); err != nil {
			return err
		}
	}
	vb := b.dummy
	if dv > 0 {
		vb = b.bufOf(v)
	}
	seq, flag, err := b.specialScan(p)
	if err != nil {
		return err
	}
	gx, gy := b.dev.Grid((p.N + 63) / 64)
	run := func(mode, c0, c1 int, out, inp *gpu.Buffer) error {
		params := []uint32{uint32(p.N), uint32(p.M), uint32(p.D), uint32(dv),
			uint32(c0), uint32(c1), uint32(mode), boolWord(!exactColumnsOff),
			boolWord(p.LogW != nil), boolWord(p.G != nil), f32(1 / p.Eps), f32(p.Eps),
			gx, seq, f32(vscale), 0}
		bufs := []*gpu.Buffer{out, inp, b.bufOf(p.X), b.bufOf(p.Y), b.bufOf(p.LogW), b.bufOf(p.G), vb, flag}
		return wrap(b.dev.Dispatch(k, bufs, params, gx, gy, 1))
	}
	if chunk >= p.M {
		return run(0, 0, p.M, out, b.dummy) // the one dispatch: out is dst
	}
	for c0 := 0; c0 < p.M; c0 += chunk {
		mode, inp := 2, b.dummy
		if c0 == 0 {
			mode, inp = 1, out // the first chunk reads dst for the check
		}
		if err := run(mode, c0, min(c0+chunk, p.M), state, inp); err != nil {
			return err
		}
	}
	return run(3, 0, 0, out, state)
}

// specialScan runs special_scan.wgsl on a software adapter: it marks the
// call (flag = seq, a number of its own) where an input is NaN or
// infinite or a column bias +Inf, so that exact_rows.wgsl computes every
// row again, as SwiftShader through Chromium's Tint left a NaN potential's
// soft-min finite and wrong at d = 64 (exp2 of NaN not NaN there). On
// hardware (unless OTPLAY_EXACT_SCAN=1) it returns seq 0 (results only)
// and dispatches nothing.
func (b *Backend) specialScan(p compute.Pairs) (seq uint32, flag *gpu.Buffer, err error) {
	if b.exactScan < 0 || b.exactScan == 0 && !b.dev.Info().Fallback && !exactScanOn {
		return 0, b.dummy, nil
	}
	if b.specialFlag == nil {
		if b.specialFlag, err = b.dev.NewBuffer(1); err != nil {
			return 0, nil, wrap(err)
		}
	}
	b.specialSeq = b.specialSeq%(1<<22-1) + 1 // 1 .. 2^22 - 1, exact in float32
	k, err := b.kernel("special_scan", 5, nil)
	if err != nil {
		return 0, nil, err
	}
	params := []uint32{uint32(p.N), uint32(p.M), uint32(p.D), 0,
		boolWord(p.LogW != nil), boolWord(p.G != nil), f32(1 / p.Eps), b.specialSeq}
	bufs := []*gpu.Buffer{b.specialFlag, b.bufOf(p.X), b.bufOf(p.Y), b.bufOf(p.LogW), b.bufOf(p.G)}
	if err := b.elementwise(k, bufs, params, 3, max(p.N, p.M)); err != nil {
		return 0, nil, err
	}
	return b.specialSeq, b.specialFlag, nil
}

// exactStateOf returns a persistent buffer of at least n words for
// exact_rows.wgsl's running state between chunks.
func (b *Backend) exactStateOf(n int) (*gpu.Buffer, error) {
	if b.exactState != nil && b.exactState.Words() >= n {
		return b.exactState, nil
	}
	if b.exactState != nil {
		b.dev.Release(b.exactState)
		b.exactState = nil
	}
	s, err := b.dev.NewBuffer(max(n, 1024))
	if err != nil {
		return nil, wrap(err)
	}
	b.exactState = s
	return s, nil
}
