package compute

import (
	"fmt"
	"math"
	"runtime"
	"sync"
	"testing"
	"time"
	"weak"

	"github.com/KimMachineGun/automemlimit/memlimit"
)

// cachePair is a problem for the cost cache's tests: clouds x (n points)
// and y (m points) in dimension d on backend b, far from the origin
// (offset 50, so the centring of cpuhd.go matters), column log-weights and
// a column potential with spread, and the reductions both ways.
type cachePair struct {
	b           *CPU
	x, y, w, g  Array
	wr, f       Array // the row log-weights and the rows' output
	gout, means Array
	p, q        Pairs // rows over columns, and Swap
	n, m, d     int
}

func newCachePair(t *testing.T, b *CPU, n, m, d int, eps float64) *cachePair {
	t.Helper()
	c := &cachePair{b: b, n: n, m: m, d: d}
	up := func(v []float64) Array {
		a, err := b.Upload(v)
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	c.x, c.y = up(normals(11, n*d, 50)), up(normals(12, m*d, 50.5))
	lw, lr := normals(13, m, 0), normals(14, n, 0)
	for j := range lw {
		lw[j] = 0.3*lw[j] - math.Log(float64(m))
	}
	for i := range lr {
		lr[i] = 0.3*lr[i] - math.Log(float64(n))
	}
	c.w, c.wr, c.g = up(lw), up(lr), up(normals(15, m, 0))
	c.f, c.gout, c.means = up(make([]float64, n)), up(make([]float64, m)), up(make([]float64, n*d))
	c.p = Pairs{X: c.x, Y: c.y, N: n, M: m, D: d, LogW: c.w, G: c.g, Eps: eps}
	c.q = c.p.Swap(c.wr, c.f)
	return c
}

// step runs a Sinkhorn iteration and a soft-mean and returns copies of
// f, g and the means.
func (c *cachePair) step(t *testing.T) (f, g, mean []float64) {
	t.Helper()
	if err := c.b.SoftMin(c.f, c.p); err != nil {
		t.Fatal(err)
	}
	if err := c.b.SoftMin(c.gout, c.q); err != nil {
		t.Fatal(err)
	}
	if err := c.b.SoftMean(c.means, c.p, c.y, c.d); err != nil {
		t.Fatal(err)
	}
	f, g, mean = make([]float64, c.n), make([]float64, c.m), make([]float64, c.n*c.d)
	for _, r := range []struct {
		dst []float64
		src Array
	}{{f, c.f}, {g, c.gout}, {mean, c.means}} {
		if err := c.b.Read(r.dst, r.src); err != nil {
			t.Fatal(err)
		}
	}
	return f, g, mean
}

// cost32Bounds bounds what cpu32's float32 matrix moves, against the
// fused loops: each stored cost by at most u C_ij (u = 2^-24, rounding to
// nearest), so a soft-min by at most u max C (it is 1-Lipschitz in each
// cost under the max norm; the g of an iteration reads f, so twice that),
// and each weight of the soft-mean by a factor within e^(+-u max C / eps),
// so the mean by at most (e^(2 u max C / eps) - 1) times the values'
// largest distance from it (bounded by the spread of each coordinate).
func cost32Bounds(c *cachePair, eps float64) (costTol, meanTol float64) {
	x, y := host(c.x), host(c.y) // not Data: it would turn the cache off for them
	var maxC float64
	for i := range c.n {
		for j := range c.m {
			maxC = max(maxC, sqDist(x[i*c.d:(i+1)*c.d], y[j*c.d:(j+1)*c.d]))
		}
	}
	var spread float64
	for k := range c.d {
		lo, hi := math.Inf(1), math.Inf(-1)
		for j := range c.m {
			lo, hi = min(lo, y[j*c.d+k]), max(hi, y[j*c.d+k])
		}
		spread = max(spread, hi-lo)
	}
	u := 0x1p-24 * maxC
	return u * 1.01, math.Expm1(2*u/eps) * spread * 1.01
}

// sameBits reports the first index where a and b differ in their bits.
func sameBits(a, b []float64) (int, bool) {
	for i := range a {
		if math.Float64bits(a[i]) != math.Float64bits(b[i]) {
			return i, false
		}
	}
	return 0, len(a) == len(b)
}

// TestCostCacheMatchesFused: the soft-mins both ways and the soft-mean
// read from the stored cost matrix equal those of the fused loops (the
// same backend with the cache off) bit for bit on cpu, and on cpu32
// (whose matrix is float32) within the rounding of the stored costs
// (cost32Bounds), every loop kind, at d = 16, 64 and 130 (not a multiple
// of 4), n != m with padded column blocks; the stats say which path ran:
// the first call of a pair fused, the second builds, then every call
// reads the matrix.
func TestCostCacheMatchesFused(t *testing.T) {
	for _, newCPU := range []func(int) *CPU{NewCPU, NewCPUFast} {
		for _, b := range everyLoops(newCPU) {
			for _, d := range []int{costCacheMinDim, 64, 130} {
				for _, sz := range [][2]int{{5, 3}, {37, 70}, {300, 257}} {
					n, m := sz[0], sz[1]
					name := fmt.Sprintf("%s/%v/d=%d/n=%d/m=%d", b.Info().Name, b.loops, d, n, m)
					b.SetCostCacheBytes(DefaultCostCacheBytes)
					fused := newCPU(0)
					fused.loops = b.loops
					fused.SetCostCacheBytes(0)
					eps := 0.05 * float64(d) / 2
					cached, ref := newCachePair(t, b, n, m, d, eps), newCachePair(t, fused, n, m, d, eps)
					before := b.CostCacheStats()
					costTol, meanTol := cost32Bounds(cached, eps)
					for it := range 3 {
						f, g, mean := cached.step(t)
						wf, wg, wmean := ref.step(t)
						for _, r := range []struct {
							what      string
							got, want []float64
							tol       float64 // cpu32's bound
						}{{"f", f, wf, costTol}, {"g", g, wg, 2 * costTol}, {"soft-mean", mean, wmean, meanTol}} {
							if !b.fast {
								if k, ok := sameBits(r.got, r.want); !ok {
									t.Fatalf("%s iteration %d: %s[%d] = %.17g from the cache, %.17g fused", name, it, r.what, k, r.got[k], r.want[k])
								}
								continue
							}
							for k := range r.want {
								if e := math.Abs(r.got[k] - r.want[k]); !(e <= r.tol+1e-12*math.Abs(r.want[k])) {
									t.Fatalf("%s iteration %d: %s[%d] = %.17g from the cache, %.17g fused: %.3g apart, bound %.3g", name, it, r.what, k, r.got[k], r.want[k], e, r.tol)
								}
							}
						}
					}
					s := b.CostCacheStats()
					// Per iteration three calls over two keys (p twice, q once):
					// p: fused, built, cached...; q: fused, built, cached.
					if got := s.Built - before.Built; got != 2 {
						t.Errorf("%s: %d matrices built, want 2 (one per direction)", name, got)
					}
					// cpu32's own scalar soft-mean (the pure Go loops) takes no cache.
					wantCached := 7
					if b.fast && !b.loops.vector() {
						wantCached = 4
					}
					if got := s.Cached - before.Cached; got != wantCached {
						t.Errorf("%s: %d calls read the cache, want %d", name, got, wantCached)
					}
					if got := s.Fused - before.Fused; got != 2 {
						t.Errorf("%s: %d calls fused, want 2 (the first of each pair)", name, got)
					}
					if fs := fused.CostCacheStats(); fs.Cached != 0 || fs.Built != 0 {
						t.Errorf("%s: the backend with the cache off read it: %+v", name, fs)
					}
					for _, a := range []Array{cached.x, cached.y} {
						b.Free(a)
					}
					if s := b.CostCacheStats(); s.Entries != 0 || s.Bytes != 0 {
						t.Errorf("%s: after Free the cache holds %d entries (%d bytes)", name, s.Entries, s.Bytes)
					}
				}
			}
		}
	}
}

// TestCostCacheInvalidation: a write to a cached Array (Write, Map,
// Normal) drops its matrices, and the next calls give the fused loops'
// result on the new data; an Array handed out by Data is never cached;
// below costCacheMinDim nothing is cached; a budget that holds one
// direction only caches the first and runs the other fused, and an
// evicted pair is not built again.
func TestCostCacheInvalidation(t *testing.T) {
	const n, m, d = 41, 33, 32
	// The cached path's premises (costCacheMinDim's doc comment): the
	// fused loops' logits round as denseLogits' do, and no block is skipped.
	if costCacheMinDim < dotMinDim || costCacheMinDim <= maxBoundDim {
		t.Fatalf("costCacheMinDim = %d below dotMinDim = %d or maxBoundDim + 1 = %d", costCacheMinDim, dotMinDim, maxBoundDim+1)
	}
	b := NewCPU(0)
	b.SetCostCacheBytes(DefaultCostCacheBytes)
	fused := NewCPU(0)
	fused.SetCostCacheBytes(0)
	c, r := newCachePair(t, b, n, m, d, 2), newCachePair(t, fused, n, m, d, 2)
	check := func(what string) {
		t.Helper()
		f, g, mean := c.step(t)
		wf, wg, wmean := r.step(t)
		for _, v := range [][2][]float64{{f, wf}, {g, wg}, {mean, wmean}} {
			if k, ok := sameBits(v[0], v[1]); !ok {
				t.Fatalf("%s: entry %d: %.17g from the cache, %.17g fused", what, k, v[0][k], v[1][k])
			}
		}
	}
	check("first")
	check("second")
	if s := b.CostCacheStats(); s.Entries != 2 {
		t.Fatalf("after two iterations %d entries, want 2", s.Entries)
	}
	newX := normals(21, n*d, -3)
	for _, be := range []*CPU{b, fused} {
		x := c.x
		if be == fused {
			x = r.x
		}
		if err := be.Write(x, newX); err != nil {
			t.Fatal(err)
		}
	}
	if s := b.CostCacheStats(); s.Entries != 0 {
		t.Errorf("after Write to X the cache holds %d entries, want 0", s.Entries)
	}
	check("after Write")
	check("after Write, again")
	for _, be := range []*CPU{b, fused} {
		y := c.y
		if be == fused {
			y = r.y
		}
		if err := be.Map(y, MapArgs{Op: OpAxpby, X: y, A: 1.5, C: 0.25}); err != nil {
			t.Fatal(err)
		}
	}
	check("after Map on Y")
	for _, be := range []*CPU{b, fused} {
		x := c.x
		if be == fused {
			x = r.x
		}
		if err := be.Normal(x, 7, 0); err != nil {
			t.Fatal(err)
		}
	}
	check("after Normal on X")
	check("after Normal on X, again")
	s := b.CostCacheStats()
	// Built: two per data set, but one after Map (its single iteration's
	// soft-mean is the second call of X -> Y).
	if s.Entries != 2 || s.Built != 7 {
		t.Errorf("stats %+v: want 2 entries held, 7 built", s)
	}

	// Data: never cached.
	Data(c.x)
	before := b.CostCacheStats()
	check("after Data")
	check("after Data, again")
	if s := b.CostCacheStats(); s.Built != before.Built || s.Cached != before.Cached || s.Fused != before.Fused+6 {
		t.Errorf("after Data(X): stats %+v, before %+v: want every call fused", s, before)
	}

	// Below costCacheMinDim: fused, and not counted.
	low := NewCPU(0)
	lc := newCachePair(t, low, n, m, costCacheMinDim-1, 2)
	lc.step(t)
	lc.step(t)
	if s := low.CostCacheStats(); s != (CostCacheStats{Budget: budgetFromEnv()}) {
		t.Errorf("d = %d: stats %+v, want none", costCacheMinDim-1, s)
	}
	if note := low.Info().Notes; note != "" {
		t.Errorf("d = %d: Info().Notes = %q, want empty", costCacheMinDim-1, note)
	}

	// A budget of one matrix: the first direction is built, the second
	// evicts it, and from then on the first runs fused.
	one := NewCPU(0)
	oc := newCachePair(t, one, 64, 64, d, 2)
	one.SetCostCacheBytes(int64(64*paddedColumns(64)) * 8)
	oref := newCachePair(t, fused, 64, 64, d, 2)
	for it := range 4 {
		f, g, _ := oc.step(t)
		wf, wg, _ := oref.step(t)
		if k, ok := sameBits(f, wf); !ok {
			t.Fatalf("budget of one, iteration %d: f[%d] differs", it, k)
		}
		if k, ok := sameBits(g, wg); !ok {
			t.Fatalf("budget of one, iteration %d: g[%d] differs", it, k)
		}
	}
	if s := one.CostCacheStats(); s.Built != 2 || s.Entries != 1 {
		t.Errorf("budget of one matrix: stats %+v, want 2 built (the second evicting the first) and 1 held", s)
	}
	if note := one.Info().Notes; note == "" {
		t.Error("Info().Notes is empty after cached calls")
	} else {
		t.Log(note)
	}
}

// TestPaddedColumns: the cache's size of a matrix (its budget check,
// before the columns are grouped) is that of the blocks newColumnBlocks
// makes, padding included.
func TestPaddedColumns(t *testing.T) {
	for _, m := range []int{1, 3, 4, 31, 32, 33, 63, 64, 65, 257, 1000, 4000, 4097} {
		y := normals(3, m*2, 0)
		if got, want := paddedColumns(m), len(newColumnBlocks(y, make([]float64, m), 2).h); got != want {
			t.Errorf("paddedColumns(%d) = %d, newColumnBlocks has %d", m, got, want)
		}
	}
	if got := int64(4000*paddedColumns(4000)) * 8 * 2; got > DefaultCostCacheBytes {
		t.Errorf("both directions at n = 4000 take %d bytes, over the default budget %d", got, DefaultCostCacheBytes)
	}
	// cpu32's float32: both directions up to n = 5450 (the doc's figure).
	for _, n := range []int{5450, 5500} {
		if fits := int64(n*paddedColumns(n))*4*2 <= DefaultCostCacheBytes; fits != (n == 5450) {
			t.Errorf("cpu32, n = %d: both directions fit the default budget: %v", n, fits)
		}
	}
}

// BenchmarkSoftMinCostCache times one Sinkhorn iteration (both soft-mins)
// of BenchmarkSinkhornIterationCPU's problem on cpu and cpu32 with the
// cost cache (the stored matrix; its build is outside the timing) and
// without (the fused loops), at d = 8 .. 192: where the cache pays
// (costCacheMinDim).
//
//	go test ./compute -run - -bench SoftMinCostCache
func BenchmarkSoftMinCostCache(b *testing.B) {
	for _, d := range []int{8, 16, 32, 64, 192} {
		for _, n := range []int{1000, 4000} {
			for _, newCPU := range []func(int) *CPU{NewCPU, NewCPUFast} {
				for _, budget := range []int64{DefaultCostCacheBytes, 0} {
					be := newCPU(0)
					be.SetCostCacheBytes(budget)
					path := "cached"
					if budget == 0 {
						path = "fused"
					}
					b.Run(fmt.Sprintf("%s/%s/d=%d/n=%d", be.Info().Name, path, d, n), func(b *testing.B) {
						benchSinkhornIteration(b, be, n, d)
					})
				}
			}
		}
	}
}

// TestCostCacheCollectedArrays: matrices whose Arrays were dropped
// without Free (left to the garbage collector) are released once the
// Arrays are collected, not held until a later build evicts them (up to
// the whole budget, on a backend that lives on: the server's, the
// browser's).
func TestCostCacheCollectedArrays(t *testing.T) {
	b := NewCPU(0)
	b.SetCostCacheBytes(DefaultCostCacheBytes)
	func() {
		c := newCachePair(t, b, 41, 33, 32, 2)
		c.step(t)
		c.step(t)
	}()
	if s := b.CostCacheStats(); s.Entries != 2 {
		t.Fatalf("after two iterations %d entries, want 2", s.Entries)
	}
	var s CostCacheStats
	for range 20 {
		runtime.GC()
		time.Sleep(10 * time.Millisecond) // the cleanups run on their own goroutine
		if s = b.CostCacheStats(); s.Entries == 0 {
			break
		}
	}
	if s.Entries != 0 || s.Bytes != 0 {
		t.Errorf("after the Arrays were collected the cache holds %d entries (%d bytes), want none", s.Entries, s.Bytes)
	}
}

// TestCostCacheConcurrentArrays: goroutines sharing one backend, each on
// its own Arrays (the browser's pages on the one CPU backend, whose
// calls interleave at their yields), get the fused loops' bits while the
// cache builds, reads, evicts (a budget of three matrices for four
// goroutines' eight) and drops their entries on writes and Free; run
// with -race.
func TestCostCacheConcurrentArrays(t *testing.T) {
	const n, m, d = 40, 36, 24
	b := NewCPU(2)
	b.SetCostCacheBytes(3 * int64(n*paddedColumns(m)) * 8)
	fused := NewCPU(1)
	fused.SetCostCacheBytes(0)
	var mu sync.Mutex // fused's own calls, and t
	errs := make(chan string, 4)
	var wg sync.WaitGroup
	for k := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			mu.Lock()
			r := newCachePair(t, fused, n, m, d, 1+float64(k))
			wantF, wantG, wantMean := r.step(t)
			mu.Unlock()
			c := newCachePair(t, b, n, m, d, 1+float64(k))
			for it := range 6 {
				if it == 3 { // a write: the same data, a new version
					if err := b.Copy(c.x, c.x); err != nil {
						errs <- err.Error()
						return
					}
				}
				f, g, mean := c.step(t)
				for _, v := range [][2][]float64{{f, wantF}, {g, wantG}, {mean, wantMean}} {
					if i, ok := sameBits(v[0], v[1]); !ok {
						errs <- fmt.Sprintf("goroutine %d iteration %d: entry %d: %.17g, fused %.17g", k, it, i, v[0][i], v[1][i])
						return
					}
				}
			}
			b.Free(c.x)
			b.Free(c.y)
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
	if s := b.CostCacheStats(); s.Entries != 0 || s.Built == 0 {
		t.Errorf("stats %+v: want matrices built, and none held after Free", s)
	}
}

// TestCostCacheEntryHoldsItsBudget: what an entry holds beyond its
// matrix (the budget counts the matrix only) does not grow with d: the
// columns' coordinates, which the stored path never reads, are let go
// (at d = 784, n = 4000 they were 2 x 4096 x 784 x 8 bytes an entry, 39%
// of cpu's matrix and 78% of cpu32's, over the budget).
func TestCostCacheEntryHoldsItsBudget(t *testing.T) {
	const n, m, d = 40, 64, 192
	for _, b := range append(everyLoops(NewCPU), everyLoops(NewCPUFast)...) {
		b.SetCostCacheBytes(DefaultCostCacheBytes)
		c := newCachePair(t, b, n, m, d, 2)
		c.step(t)
		c.step(t)
		b.costs.mu.Lock()
		var extra int
		for _, e := range b.costs.entries {
			cb := e.cb
			for _, v := range [][]float64{cb.y, cb.h, cb.y0, cb.y1, cb.lo, cb.hi, cb.hmax, cb.bs, cb.ys, cb.mean, cb.yn, cb.yt} {
				extra += 8 * len(v)
			}
			extra += 8 * (len(cb.start) + len(cb.best) + len(cb.src))
		}
		entries := len(b.costs.entries)
		b.costs.mu.Unlock()
		if entries != 2 {
			t.Fatalf("%s/%v: %d entries, want 2", b.Info().Name, b.loops, entries)
		}
		if limit := 2 * 4 * 8 * paddedColumns(max(n, m)); extra > limit {
			t.Errorf("%s/%v: the entries hold %d bytes beside their matrices at d = %d, want at most %d (4 numbers a column)", b.Info().Name, b.loops, extra, d, limit)
		}
	}
}

// TestCostCacheBudgetFromEnv: OTPLAY_CPU_COST_CACHE_MIB in MiB; 0 turns
// the cache off; what is not a whole number >= 0 keeps the default; a
// number too large for bytes in an int64 is the largest budget, not a
// wrapped one (2^44 MiB shifted by 20 wrapped to 0: off).
func TestCostCacheBudgetFromEnv(t *testing.T) {
	for _, c := range []struct {
		env  string
		want int64
	}{
		{"", defaultCostCacheBudget()},
		{"0", 0},
		{"512", 512 << 20},
		{"-1", defaultCostCacheBudget()},
		{"lots", defaultCostCacheBudget()},
		{"17592186044416", math.MaxInt64 >> 20 << 20},
		{"9223372036854775807", math.MaxInt64 >> 20 << 20},
	} {
		t.Setenv(costCacheEnv, c.env)
		if got := budgetFromEnv(); got != c.want {
			t.Errorf("%s=%q: budget %d, want %d", costCacheEnv, c.env, got, c.want)
		}
	}
}

// TestCostCacheDefaultBudget: the default budget is an eighth of the
// memory, within [256 MiB, 8 GiB]; on Linux (cgroup or /proc) the memory
// is known, so the default is sized from it, not the floor by accident of
// a failed read.
func TestCostCacheDefaultBudget(t *testing.T) {
	for _, c := range []struct {
		memory uint64
		want   int64
	}{
		{0, DefaultCostCacheBytes},
		{1 << 30, DefaultCostCacheBytes},
		{2 << 30, DefaultCostCacheBytes},
		{16 << 30, 2 << 30},
		{24 << 30, 3 << 30},
		{64 << 30, MaxDefaultCostCacheBytes},
		{1 << 62, MaxDefaultCostCacheBytes},
	} {
		if got := costCacheBudgetFor(c.memory); got != c.want {
			t.Errorf("memory %d: budget %d, want %d", c.memory, got, c.want)
		}
	}
	if runtime.GOOS != "linux" {
		return
	}
	limit := processMemory()
	system, err := memlimit.FromSystem()
	if err != nil || limit < 1<<20 || limit > system {
		t.Fatalf("Linux: memory limit %d (the machine's %d, %v): want the cgroup's or /proc's, at most the machine's", limit, system, err)
	}
	if got, want := defaultCostCacheBudget(), costCacheBudgetFor(limit); got != want {
		t.Errorf("default budget %d, want %d (an eighth of %d)", got, want, limit)
	}
	t.Logf("memory limit %.1f GiB: default cost cache budget %d MiB", float64(limit)/(1<<30), defaultCostCacheBudget()>>20)
}

// TestCostCacheBackendCollected: the collection watch on cached Arrays
// (costCache.watch) does not keep their backend, and its matrices, alive
// while the Arrays live on.
func TestCostCacheBackendCollected(t *testing.T) {
	b := NewCPU(0)
	b.SetCostCacheBytes(DefaultCostCacheBytes)
	c := newCachePair(t, b, 41, 33, 32, 2)
	c.step(t)
	c.step(t)
	if s := b.CostCacheStats(); s.Entries != 2 {
		t.Fatalf("after two iterations %d entries, want 2", s.Entries)
	}
	x, y := c.x, c.y
	wb := weak.Make(b)
	c, b = nil, nil
	for range 20 {
		runtime.GC()
		if wb.Value() == nil {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if wb.Value() != nil {
		t.Error("the backend is still reachable while its cached Arrays live")
	}
	runtime.KeepAlive(x)
	runtime.KeepAlive(y)
}
