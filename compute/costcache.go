package compute

import (
	"fmt"
	"math"
	"os"
	"runtime"
	"strconv"
	"sync"
	"time"
	"weak"

	"github.com/KimMachineGun/automemlimit/memlimit"
)

// The cost cache of the fast CPU paths (cpu and cpu32) at high dimension.
//
// A Sinkhorn solve calls SoftMin with the same clouds hundreds of times,
// and from d = costCacheMinDim the fused loops spend most of each call on
// the cost (d fused multiply-adds per pair, cpuhd.go), while POT computes
// the cost matrix M once by a GEMM and then only streams it. So, where
// the matrix fits a memory budget, the CPU backend does the same: it
// computes C_ij = |x_i - y_j|^2 once, by the fused loops themselves (their
// logits with h = 0 and 1/eps = 1 are -C_ij exactly), keeps it, and later
// calls with the same X and Y arrays read the logits
//
//	v_ij = h_j - C_ij / eps,  h_j = logw_j + g_j / eps
//
// from it (the same two roundings as the fused loops, so the same bits),
// then run the same exp sums (softMin64) or weighted means (softMean64).
// The matrix is stored with the columns in the fused loops' k-d block
// order (columnBlocks), so on cpu a soft-min from the cache equals the
// fused one bit for bit (TestCostCacheMatchesFused); the reduction the
// other way (Pairs.Swap, the other half of a Sinkhorn iteration) is its
// own entry, computed from its own direction, and so the same bits as
// well. cpu32 stores the costs rounded to float32 (half the memory and
// the memory traffic, its float32 grade: each cost within 2^-24 of
// itself relative, so a soft-min within 2^-24 max C of the fused one; the
// solvers' precision floor for cpu32 already counts float32's epsilon
// times max C / eps).
//
// When the cache holds. An entry is keyed by the two Arrays (weak
// pointers: the cache does not keep an Array alive) and their versions:
// every op of the backend that writes an Array bumps its version (Write,
// Copy, Map, the outputs of SoftMin, SoftMean, MatMul, GatherSum,
// SortRows, Uniform, Normal; Free), so an entry never outlives the
// contents it was computed from, and an Array collected without Free
// drops its entries (costCache.watch). An Array whose host slice was handed out
// by Data (which can be written behind the backend's back) is never
// cached. A pair of arrays is cached on its second call (a single
// reduction would pay the matrix and gain nothing); entries are dropped
// least recently used first when the budget would be exceeded, and a key
// that was dropped is not cached again (so that reductions that do not fit
// together take the fused loops instead of rebuilding in turn).
//
// The budget: an eighth of the memory the process may use (the cgroup's
// limit where one is set, else the machine's; read by memlimit of
// github.com/KimMachineGun/automemlimit, which parses cgroup v1 and v2
// mount tables and asks the OS for physical memory, more than this package
// should carry by hand), between DefaultCostCacheBytes (256 MiB, both
// directions of a 4000 x 4000 iteration in float64: 2 x 125 MiB, the 4000
// columns padded to 4096 (paddedColumns); cpu32's float32 holds both up to
// n = 5450; also the budget where the memory is unknown, as in the
// browser) and MaxDefaultCostCacheBytes (8 GiB). POT's sinkhorn_log holds
// its n x m matrix M and temporaries as large, so a machine that runs POT
// at a size runs this cache at it: a 16 GiB machine (2 GiB) stores both
// directions of an n = 1e4 iteration (2 x 781 MiB in float64; measured
// 0.35x POT fused against 3.1x stored at d = 192, README). It is
// overridden by the environment variable OTPLAY_CPU_COST_CACHE_MIB (0
// turns the cache off) or by CPU.SetCostCacheBytes. Past it the fused loops run, which never
// store the matrix. CPU.CostCacheStats and Info().Notes say which path ran.

// costCacheMinDim is the smallest dimension where the fast paths cache the
// cost matrix. Measured (BenchmarkSoftMinCostCache with this constant
// lowered to 4; 2-core VM, load 2-4, CPU ms per Sinkhorn iteration of cpu
// at n = 4000, stored against fused): d = 4 75-84 / 73-76, d = 8 100 /
// 103, d = 12 80 / 90, d = 16 83-86 / 100-102, d = 24 92 / 116, d = 32
// 99 / 130 (at n = 1000 the stored path wins from d = 8). The cache starts
// at dotMinDim, not 12: from there every loop kind's logits are h - C inv
// with two roundings, so the stored path gives the fused loops' bits
// (below, the assembly's direct form rounds once, by a fused
// multiply-add), for a gain of about 10% given up at d = 12 .. 15. It is
// above maxBoundDim, where the block bounds skip nothing
// (columnBlocks.bound), so the cached path keeps every block.
const costCacheMinDim = 16

// DefaultCostCacheBytes is the smallest default memory budget of the CPU
// backends' cost cache, and the budget where the memory is unknown: 256
// MiB.
const DefaultCostCacheBytes = 256 << 20

// MaxDefaultCostCacheBytes caps the budget sized from the memory: 8 GiB.
const MaxDefaultCostCacheBytes = 8 << 30

// defaultCostCacheBudget is the budget without OTPLAY_CPU_COST_CACHE_MIB:
// costCacheBudgetFor of processMemory.
func defaultCostCacheBudget() int64 {
	return costCacheBudgetFor(processMemory())
}

// processMemory is the memory the process may use: the smaller of the
// cgroup's limit and the machine's memory, either where only one is
// known (a cgroup may set a limit above the machine's memory), 0 where
// neither is.
func processMemory() uint64 {
	group, gerr := memlimit.FromCgroup()
	system, serr := memlimit.FromSystem()
	switch {
	case gerr == nil && group > 0 && serr == nil && system > 0:
		return min(group, system)
	case gerr == nil && group > 0:
		return group
	case serr == nil:
		return system
	}
	return 0
}

// costCacheBudgetFor is an eighth of memory bytes, clamped to
// [DefaultCostCacheBytes, MaxDefaultCostCacheBytes].
func costCacheBudgetFor(memory uint64) int64 {
	return int64(min(max(memory/8, DefaultCostCacheBytes), MaxDefaultCostCacheBytes))
}

// costCacheEnv names the environment variable that sets the budget in MiB.
const costCacheEnv = "OTPLAY_CPU_COST_CACHE_MIB"

// CostCacheStats counts what the cost cache of a CPU backend did, for
// logs and reports (Info().Notes carries the same as a sentence).
type CostCacheStats struct {
	// Budget is the memory budget in bytes (0: the cache is off).
	Budget int64
	// Bytes is what the entries hold now, Entries how many there are.
	Bytes   int64
	Entries int
	// Cached counts soft-min and soft-mean calls served from a stored
	// matrix; Fused those at d >= the cache's dimension that ran the
	// fused loops (first sighting, over the budget, dropped before,
	// an Array from Data); Built the matrices computed, in BuildSeconds
	// of wall time.
	Cached, Fused, Built int
	BuildSeconds         float64
}

// costKey identifies a cost matrix: the row and column Arrays at their
// versions, and the sizes.
type costKey struct {
	x, y       weak.Pointer[cpuArray]
	xver, yver uint64
	n, m, d    int
}

// costEntry is one stored cost matrix: c[i*len(cb.h) + j] = C(x_i, y_src)
// for row i (the caller's order) and column position j of cb's block
// order (src = cb.src[j]; +Inf at the padding); cpu32 stores it rounded
// to float32 (c32), cpu in float64 (c).
type costEntry struct {
	key  costKey
	cb   *columnBlocks // the columns' blocks (their h is rebuilt per call)
	c    []float64
	c32  []float32
	used uint64 // the cache's clock at the last use
}

func (e *costEntry) bytes() int64 { return int64(len(e.c))*8 + int64(len(e.c32))*4 }

// costBytes is the size of one entry's element: cpu32 stores float32.
func (c *CPU) costBytes() int64 {
	if c.fast {
		return 4
	}
	return 8
}

// costCache is the CPU backend's set of stored cost matrices.
type costCache struct {
	mu      sync.Mutex
	budget  int64
	entries []*costEntry
	seen    map[costKey]bool // keys called once, not yet stored
	dropped map[costKey]bool // keys evicted: not stored again
	clock   uint64
	stats   CostCacheStats
}

// budgetFromEnv returns the budget OTPLAY_CPU_COST_CACHE_MIB sets, or
// defaultCostCacheBudget's (also where the value is not a whole number >= 0).
func budgetFromEnv() int64 {
	if s := os.Getenv(costCacheEnv); s != "" {
		if v, err := strconv.ParseInt(s, 10, 64); err == nil && v >= 0 {
			return min(v, math.MaxInt64>>20) << 20 // no wrap past int64
		}
	}
	return defaultCostCacheBudget()
}

// SetCostCacheBytes sets the cost cache's memory budget (0 turns it off)
// and drops what no longer fits.
func (c *CPU) SetCostCacheBytes(budget int64) {
	cc := &c.costs
	cc.mu.Lock()
	defer cc.mu.Unlock()
	cc.budget = max(budget, 0)
	cc.evict(0)
}

// CostCacheStats reports what the cost cache did so far.
func (c *CPU) CostCacheStats() CostCacheStats {
	cc := &c.costs
	cc.mu.Lock()
	defer cc.mu.Unlock()
	s := cc.stats
	s.Budget, s.Entries, s.Bytes = cc.budget, len(cc.entries), cc.held()
	return s
}

// CostCacheNotePrefix begins the CPU backends' Info().Notes where a call
// reached the cost cache's dimension (what follows says which path ran).
const CostCacheNotePrefix = "cost matrix cache"

// costCacheNote is CostCacheStats as a sentence for Info().Notes, empty
// where no call reached the cache's dimension.
func (c *CPU) costCacheNote() string {
	s := c.CostCacheStats()
	if s.Cached+s.Fused == 0 {
		return ""
	}
	return fmt.Sprintf("%s (d >= %d, budget %d MiB): %d calls read a stored cost matrix, %d ran the fused loops; %d matrices built in %.3g s, %d held (%.1f MiB)",
		CostCacheNotePrefix, costCacheMinDim, s.Budget>>20, s.Cached, s.Fused, s.Built, s.BuildSeconds, s.Entries, float64(s.Bytes)/(1<<20))
}

// held returns the bytes the entries hold.
func (cc *costCache) held() int64 {
	var b int64
	for _, e := range cc.entries {
		b += e.bytes()
	}
	return b
}

// keep drops the entries for which keep is false. The caller holds cc.mu.
func (cc *costCache) keep(keep func(e *costEntry) bool) {
	kept := cc.entries[:0]
	for _, e := range cc.entries {
		if keep(e) {
			kept = append(kept, e)
		}
	}
	clear(cc.entries[len(kept):])
	cc.entries = kept
}

// evict drops entries whose arrays are gone, then the least recently used
// until need more bytes fit the budget. The caller holds cc.mu.
func (cc *costCache) evict(need int64) {
	cc.keep(func(e *costEntry) bool { return e.key.x.Value() != nil && e.key.y.Value() != nil })
	for len(cc.entries) > 0 && cc.held()+need > cc.budget {
		oldest := 0
		for k, e := range cc.entries {
			if e.used < cc.entries[oldest].used {
				oldest = k
			}
		}
		if cc.dropped == nil || len(cc.dropped) > 64 { // keys of old Arrays accumulate
			cc.dropped = map[costKey]bool{}
		}
		cc.dropped[cc.entries[oldest].key] = true
		cc.entries = append(cc.entries[:oldest], cc.entries[oldest+1:]...)
	}
}

// forget drops the entries that read a (written or freed).
func (cc *costCache) forget(a *cpuArray) {
	cc.mu.Lock()
	defer cc.mu.Unlock()
	if len(cc.entries) > 0 {
		cc.keep(func(e *costEntry) bool { return e.key.x.Value() != a && e.key.y.Value() != a })
	}
}

// watch makes the collection of a (w its weak pointer) drop the entries
// that read it, for Arrays dropped without Free: weak keys alone would
// keep their matrices until a later build evicted them. Once per Array.
// The caller holds cc.mu.
func (cc *costCache) watch(a *cpuArray, w weak.Pointer[cpuArray]) {
	if a.watched {
		return
	}
	a.watched = true
	runtime.AddCleanup(a, func(g collected) {
		if cc := g.cc.Value(); cc != nil {
			cc.dropCollected(g.w)
		}
	}, collected{weak.Make(cc), w})
}

// collected names an Array w of cc whose collection drops its entries;
// cc is weak, so that the watch does not keep the backend (and its
// matrices) alive while its Arrays live on.
type collected struct {
	cc weak.Pointer[costCache]
	w  weak.Pointer[cpuArray]
}

// dropCollected drops the entries that read the collected Array w.
func (cc *costCache) dropCollected(w weak.Pointer[cpuArray]) {
	cc.mu.Lock()
	defer cc.mu.Unlock()
	cc.keep(func(e *costEntry) bool { return e.key.x != w && e.key.y != w })
}

// costMatrix returns the stored cost matrix of p's squared Euclidean
// cost, building it where this is its second call and it fits the
// budget, or nil: the fused loops compute the cost. Only for the fast
// paths (softMin64, softMean64) at d >= costCacheMinDim.
func (c *CPU) costMatrix(p Pairs) *costEntry {
	if p.D < costCacheMinDim || p.Cost.Matrix != nil {
		return nil
	}
	cc := &c.costs
	x, y := p.X.(*cpuArray), p.Y.(*cpuArray)
	key := costKey{x: weak.Make(x), y: weak.Make(y), xver: x.ver, yver: y.ver, n: p.N, m: p.M, d: p.D}
	cc.mu.Lock()
	defer cc.mu.Unlock()
	if x.escaped || y.escaped {
		cc.stats.Fused++
		return nil
	}
	cc.clock++
	for _, e := range cc.entries {
		if e.key == key {
			e.used = cc.clock
			cc.stats.Cached++
			return e
		}
	}
	size := int64(p.N) * int64(paddedColumns(p.M)) * c.costBytes()
	switch {
	case cc.dropped[key] || size > cc.budget:
		cc.stats.Fused++
		return nil
	case !cc.seen[key]:
		if cc.seen == nil || len(cc.seen) > 64 {
			cc.seen = map[costKey]bool{}
		}
		cc.seen[key] = true
		cc.stats.Fused++
		return nil
	}
	delete(cc.seen, key)
	cc.evict(size)
	start := time.Now()
	e := c.buildCost(p)
	e.key, e.used = key, cc.clock
	cc.entries = append(cc.entries, e)
	cc.watch(x, key.x)
	cc.watch(y, key.y)
	cc.stats.Built++
	cc.stats.BuildSeconds += time.Since(start).Seconds()
	cc.stats.Cached++
	return e
}

// paddedColumns returns the columns of newColumnBlocks for m points,
// padding included: the k-d split (kdOrder) halves any set of more than
// columnBlockSize points at len/2 whatever the data, and pads each leaf
// to a multiple of 4 (TestPaddedColumns).
func paddedColumns(m int) int {
	if m <= columnBlockSize {
		return (m + 3) &^ 3
	}
	return paddedColumns(m/2) + paddedColumns(m-m/2)
}

// buildCost computes the cost matrix of p by the fused loops: the logits
// of columnBlocks.logits at h = 0 and 1/eps = 1 are -C_ij, exactly the
// cost the fused loops compute (cpuhd.go's expanded form from dotMinDim
// on the vector loops), four rows at a time on every worker; cpu32 rounds
// it to float32.
func (c *CPU) buildCost(p Pairs) *costEntry {
	d := p.D
	cb := newColumnBlocks(host(p.Y), make([]float64, p.M), d)
	x := host(p.X)
	var xn []float64
	if c.loops.vector() && d >= dotMinDim {
		cb.centre()
		x, xn = centredRows(x, cb.mean, p.N, d)
	}
	m, nb := len(cb.h), len(cb.start)-1
	all := identity(nb)
	e := &costEntry{cb: cb}
	if c.fast {
		e.c32 = make([]float32, p.N*m)
	} else {
		e.c = make([]float64, p.N*m)
	}
	c.parallelShared(p.N, rowBlockRows, func() func(lo, hi int) {
		buf := make([]float64, 4*m)
		return func(lo, hi int) {
			for i := lo; i < hi; i += 4 {
				yieldDue()
				clearUpperBits()
				n := min(4, hi-i)
				rows := [4]int{i, i + min(1, n-1), i + min(2, n-1), i + min(3, n-1)}
				cb.logits(buf, all, x, xn, rows, 1, c.loops)
				for r := range n {
					src := buf[r*m : (r+1)*m]
					if c.fast {
						for j, v := range src {
							e.c32[(i+r)*m+j] = float32(-v)
						}
						continue
					}
					for j, v := range src {
						e.c[(i+r)*m+j] = -v
					}
				}
			}
		}
	})
	// The stored path reads the blocks' extents, the columns' order and
	// their biases (and bound, from maxBoundDim on, nothing): the columns'
	// coordinates (2 m d numbers at d >= dotMinDim, which the budget does
	// not count) go.
	cb.y, cb.y0, cb.y1, cb.lo, cb.hi, cb.bs, cb.ys, cb.mean, cb.yn, cb.yt = nil, nil, nil, nil, nil, nil, nil, nil, nil, nil
	return e
}

// withBias returns cb with the column biases h (the caller's order) put
// in its block order: the cached path's columnBlocks for one call (the
// fields that the bounds read, unused from maxBoundDim on, are cb's).
func (cb *columnBlocks) withBias(h []float64) *columnBlocks {
	out := *cb
	out.h = make([]float64, len(cb.h))
	for j, src := range cb.src {
		if src < 0 {
			out.h[j] = cb.h[j] // -Inf: padding
		} else {
			out.h[j] = h[src]
		}
	}
	return &out
}

// denseLogits fills buf[r*m+j] = h_j - C[rows[r]][j] inv (m = len(h))
// over the kept blocks from the stored costs c (row stride m; float64, or
// cpu32's float32, widened exactly) and returns each row's largest logit:
// columnBlocks.logits read from the cache, with the fused loops' roundings
// (the product, then the difference). The blocks' lengths are multiples
// of 4. On the assembly loops one call of asm (logitsDenseAVX2 or
// logitsDense32AVX2) per row and run of consecutive kept blocks; else
// four running maxima, compared (Go's max builtin orders -0 below +0 and
// propagates NaN, several instructions on one dependency chain: it took
// 3x the time), merged at the end. Either way the maximum is exact, so
// both give the same bits.
func denseLogits[T float32 | float64](buf []float64, kept, start []int, c []T, h []float64, rows [4]int, inv float64, loops loopKind,
	asm func(dst []float64, c []T, h []float64, inv float64, mv *[4]float64)) [4]float64 {
	m := len(h)
	var mx [4]float64
	for r, i := range rows {
		row, dst := c[i*m:(i+1)*m], buf[r*m:(r+1)*m]
		if loops == loopsAsm {
			mv := [4]float64{-math.MaxFloat64, -math.MaxFloat64, -math.MaxFloat64, -math.MaxFloat64}
			for k := 0; k < len(kept); {
				b0, b1 := kept[k], kept[k]
				for k++; k < len(kept) && kept[k] == b1+1; k++ {
					b1++
				}
				j0, j1 := start[b0], start[b1+1]
				asm(dst[j0:j1], row[j0:j1], h[j0:j1], inv, &mv)
			}
			mx[r] = max(mv[0], mv[1], mv[2], mv[3])
			continue
		}
		m0, m1, m2, m3 := -math.MaxFloat64, -math.MaxFloat64, -math.MaxFloat64, -math.MaxFloat64
		for _, b := range kept {
			j0, j1 := start[b], start[b+1]
			cr, hr, dr := row[j0:j1], h[j0:j1], dst[j0:j1]
			for j := 0; j+3 < len(cr); j += 4 {
				c4, h4, d4 := cr[j:j+4], hr[j:j+4], dr[j:j+4]
				v0, v1 := h4[0]-float64(c4[0])*inv, h4[1]-float64(c4[1])*inv
				v2, v3 := h4[2]-float64(c4[2])*inv, h4[3]-float64(c4[3])*inv
				d4[0], d4[1], d4[2], d4[3] = v0, v1, v2, v3
				if v0 > m0 {
					m0 = v0
				}
				if v1 > m1 {
					m1 = v1
				}
				if v2 > m2 {
					m2 = v2
				}
				if v3 > m3 {
					m3 = v3
				}
			}
		}
		mx[r] = max(m0, m1, m2, m3)
	}
	return mx
}
