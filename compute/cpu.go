package compute

import (
	"fmt"
	"math"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
)

// CPU is the host Backend in three forms, all split over rows across
// goroutines, every core by default:
//
//   - NewCPU ("cpu", `--backend cpu`): float64, its SoftMin and SoftMean
//     on the fast float64 kernels of cpu64.go (the reference's numbers to
//     a few ulps);
//   - NewCPURef ("cpuref"): float64, every kernel the plain loop its doc
//     comment states; the reference of the conformance suite and of the
//     fast paths' tests;
//   - NewCPUFast ("cpu32"): float32-grade pair loops, the GPU's accuracy
//     (cpufast.go).
//
// Every op other than SoftMin and SoftMean is the plain loop in all three.
type CPU struct {
	workers int
	fast    bool      // NewCPUFast: float32-grade pair loops
	ref     bool      // NewCPURef: the plain loops only
	loops   loopKind  // the fast paths' inner loops (cpuasm.go)
	costs   costCache // stored cost matrices at high d (costcache.go)
}

// NewCPU returns the float64 CPU backend using up to workers goroutines
// (0 means runtime.GOMAXPROCS(0)).
func NewCPU(workers int) *CPU {
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	c := &CPU{workers: workers, loops: defaultLoops()}
	c.costs.budget = budgetFromEnv()
	return c
}

// NewCPURef returns the float64 reference backend: NewCPU with every
// kernel the plain loop of its doc comment (Info().Name "cpuref").
func NewCPURef(workers int) *CPU {
	c := NewCPU(workers)
	c.ref = true
	return c
}

// cpuArray is an Array of the CPU backend. ver counts the backend's
// writes to it and escaped says that Data handed its slice out: the cost
// cache (costcache.go) keys on the one and refuses the other.
type cpuArray struct {
	v       []float64
	ver     uint64
	escaped bool
	watched bool // its collection drops its cost matrices (costCache.watch)
	// finite is ver + 1 where every value of v was found finite at
	// version ver (allFinite), else 0.
	finite atomic.Uint64
}

// SoftMeanY: SoftMean(dst, p, p.Y, p.D), then dst *= c (the values c Y
// expanded; see Backend.SoftMeanY).
func (c *CPU) SoftMeanY(dst Array, p Pairs, scale float64) error {
	if err := ValidateSoftMeanY(dst, p, scale); err != nil {
		return err
	}
	if err := c.SoftMean(dst, p, p.Y, p.D); err != nil {
		return err
	}
	if scale != 1 {
		out := host(dst)
		for i := range out {
			out[i] *= scale
		}
	}
	return nil
}

// allFinite reports whether every value of a is finite, scanning it once
// per version (the clouds of a solve are read by every call), every time
// where its slice was handed out by Data.
func (a *cpuArray) allFinite() bool {
	if !a.escaped && a.finite.Load() == a.ver+1 {
		return true
	}
	var s float64
	for _, t := range a.v {
		s += t * 0 // 0 for finite t, NaN for NaN and +-Inf
	}
	if s != 0 {
		return false
	}
	a.finite.Store(a.ver + 1)
	return true
}

func (a *cpuArray) Len() int { return len(a.v) }

// Data returns the host slice behind an Array of the CPU backend (shared,
// not copied). It panics if a does not belong to a CPU backend. The
// backend cannot see writes through the slice, so it never caches a cost
// matrix computed from a (costcache.go).
func Data(a Array) []float64 {
	v := host(a)
	if a != nil {
		a.(*cpuArray).escaped = true
	}
	return v
}

// wrote records that the backend is about to write a (nil: nothing): its
// version moves on and the stored cost matrices that read it are dropped.
func (c *CPU) wrote(a Array) {
	if a == nil {
		return
	}
	ca := cpuArrayOf(a)
	ca.ver++
	c.costs.forget(ca)
}

// cpuArrayOf returns a as the CPU backend's array (host's check).
func cpuArrayOf(a Array) *cpuArray {
	host(a) // panics for an array of another backend
	return a.(*cpuArray)
}

func host(a Array) []float64 {
	if a == nil {
		return nil
	}
	c, ok := a.(*cpuArray)
	if !ok {
		panic(fmt.Sprintf("compute: array of type %T passed to the CPU backend", a))
	}
	return c.v
}

// maxCPUArray bounds one allocation (2^31 elements, 16 GiB of float64).
const maxCPUArray = 1 << 31

func (c *CPU) Info() Info {
	if c.fast {
		return c.fastInfo()
	}
	name, api := "cpu", c.loops.describe()
	if c.ref {
		name, api = "cpuref", "Go"
	}
	return Info{Name: name, Device: fmt.Sprintf("%s/%s, %d threads", runtime.GOOS, runtime.GOARCH, c.workers),
		API: api, Precision: "float64", MaxArray: maxCPUArray, Notes: c.costCacheNote()}
}

func (c *CPU) Alloc(n int) (Array, error) {
	if n < 0 || n > maxCPUArray {
		return nil, fmt.Errorf("%w: %d elements (limit %d)", ErrTooLarge, n, maxCPUArray)
	}
	return &cpuArray{v: make([]float64, n)}, nil
}

func (c *CPU) Upload(src []float64) (Array, error) {
	a, err := c.Alloc(len(src))
	if err != nil {
		return nil, err
	}
	copy(host(a), src)
	return a, nil
}

func (c *CPU) Write(dst Array, src []float64) error {
	if dst == nil || dst.Len() != len(src) {
		return argErr("write: %d values into an array of %d", len(src), length(dst))
	}
	c.wrote(dst)
	copy(host(dst), src)
	return nil
}

func (c *CPU) Read(dst []float64, src Array) error {
	if src == nil || src.Len() != len(dst) {
		return argErr("read: array of %d into %d values", length(src), len(dst))
	}
	copy(dst, host(src))
	return nil
}

func (c *CPU) Copy(dst, src Array) error {
	if dst == nil || src == nil || dst.Len() != src.Len() {
		return argErr("copy: lengths %d and %d differ", length(dst), length(src))
	}
	c.wrote(dst)
	copy(host(dst), host(src))
	return nil
}

func (c *CPU) Free(a Array) {
	if a != nil {
		c.wrote(a)
		a.(*cpuArray).v = nil
	}
}

// Close drops the stored cost matrices; the backend stays usable.
func (c *CPU) Close() error {
	c.costs.mu.Lock()
	defer c.costs.mu.Unlock()
	clear(c.costs.entries)
	c.costs.entries = nil
	return nil
}

// parallel runs body over [0, n) split into contiguous chunks.
func (c *CPU) parallel(n int, body func(lo, hi int)) {
	w := min(c.workers, n)
	if w <= 1 || n < 64 {
		body(0, n)
		return
	}
	var wg sync.WaitGroup
	chunk := (n + w - 1) / w
	for lo := 0; lo < n; lo += chunk {
		hi := min(lo+chunk, n)
		wg.Add(1)
		go func() {
			defer wg.Done()
			body(lo, hi)
		}()
	}
	wg.Wait()
}

// parallelShared runs the bodies that setup makes, one per goroutine (up
// to c.workers), over [0, n) in chunks of grain handed out in order as
// the goroutines free up: for work whose cost varies along [0, n).
func (c *CPU) parallelShared(n, grain int, setup func() func(lo, hi int)) {
	w := min(c.workers, (n+grain-1)/grain)
	if w <= 1 {
		setup()(0, n)
		return
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for range w {
		wg.Add(1)
		go func() {
			defer wg.Done()
			body := setup()
			for {
				lo := int(next.Add(int64(grain))) - grain
				if lo >= n {
					return
				}
				body(lo, min(lo+grain, n))
			}
		}()
	}
	wg.Wait()
}

// SoftMin: for i := range N { dst[i] = -eps log sum_j exp(logw[j] + (g[j] - C_ij)/eps) },
// with a running maximum (one pass, online log-sum-exp; see rowLSE) on
// cpuref. On cpu and cpu32 the squared Euclidean cost runs the fast
// kernels; other costs (Pairs.Cost) take the same plain loop.
func (c *CPU) SoftMin(dst Array, p Pairs) error {
	if err := ValidateSoftMin(dst, p); err != nil {
		return err
	}
	c.wrote(dst)
	// The one dispatch to the fast kernels, written for |x - y|^2: cpu32
	// (cpufast.go) and cpu (cpu64.go). Any other cost, and cpuref, take
	// the plain loop below.
	if fastCost(p) && !c.ref && allFinite(p) {
		if c.fast {
			c.softMinFast(host(dst), p)
		} else {
			c.softMin64(host(dst), p, grade64)
		}
		return nil
	}
	out, logit := host(dst), pairLogits(p)
	c.parallel(p.N, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			if i&15 == 0 {
				yieldDue()
			}
			out[i] = -p.Eps * rowLSE(i, p.M, logit)
		}
	})
	return nil
}

// fastCost reports whether the fast kernels (cpu64.go, cpufast.go) compute
// p's cost: |x - y|^2, and with Cost.Differences only below dotMinDim,
// where they already sum it from the coordinate differences (from
// dotMinDim on they take the expanded form, so Differences takes the plain
// loop there).
func fastCost(p Pairs) bool {
	c := p.Cost
	if c.Differences {
		return c.Matrix == nil && (c.P == 0 || c.P == 2) && p.D < dotMinDim
	}
	return c.IsSquaredEuclidean()
}

// SoftMean: dst[i*dv+k] = sum_j w_ij v[j*dv+k] / sum_j w_ij with
// w_ij = exp(logw[j] + (g[j] - C_ij)/eps), one online pass (rowMean).
func (c *CPU) SoftMean(dst Array, p Pairs, v Array, dv int) error {
	if err := ValidateSoftMean(dst, p, v, dv); err != nil {
		return err
	}
	c.wrote(dst)
	// The dispatch to the fast kernels, as in SoftMin.
	if fastCost(p) && !c.ref && allFinite(p) {
		if c.fast {
			c.softMeanFast(host(dst), p, host(v), dv)
		} else {
			c.softMean64(host(dst), p, host(v), dv, grade64)
		}
		return nil
	}
	vals, out, logit := host(v), host(dst), pairLogits(p)
	c.parallel(p.N, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			if i&15 == 0 {
				yieldDue()
			}
			rowMean(out[i*dv:i*dv+dv], vals, i, p.M, logit)
		}
	})
	return nil
}

// allFinite reports whether p's points and column biases h_j = logw_j +
// g_j/eps (columnBias) are finite or -Inf (a column of zero weight):
// where they are not, the fast loops, which shift each row by its
// largest logit and expand |x - y|^2 from dotMinDim on, do not take them
// as the plain loops do (a +Inf bias makes every row's sum +Inf, so the
// soft-min -Inf; NaN makes it NaN; an infinite coordinate a cost of +Inf,
// or NaN in the expanded form), so the plain loops take them (rowLSE,
// rowMean). O(M) a call, and O((N + M) D) once per version of X and Y
// (cpuArray.allFinite).
func allFinite(p Pairs) bool {
	lw, g, inv := host(p.LogW), host(p.G), 1/p.Eps
	for j := range p.M {
		var h float64
		if g != nil {
			h = g[j] * inv
		}
		if lw != nil {
			h += lw[j]
		}
		if !(h <= math.MaxFloat64) { // +Inf or NaN
			return false
		}
	}
	return cpuArrayOf(p.X).allFinite() && cpuArrayOf(p.Y).allFinite()
}

// MapScalar is the scalar function of Map, shared by the CPU backend and
// the tests of the GPU backend.
func MapScalar(op Op, x, y, a, b, c float64) float64 {
	switch op {
	case OpAxpby:
		return a*x + b*y + c
	case OpMul:
		return a*x*y + c
	case OpDiv:
		return a*x/y + c
	case OpExp:
		return math.Exp(a*x + b*y + c)
	case OpLog:
		return math.Log(a*x + b*y + c)
	case OpAbs:
		return math.Abs(a*x + b*y + c)
	case OpSqrt:
		return math.Sqrt(a*x + b*y + c)
	case OpMax:
		return max(a*x, b*y) + c
	case OpMin:
		return min(a*x, b*y) + c
	case OpStep:
		if a*x+b*y+c > 0 {
			return 1
		}
		return 0
	case OpSin:
		return math.Sin(a*x + b*y + c)
	}
	return math.NaN()
}

func (c *CPU) Map(dst Array, a MapArgs) error {
	if err := ValidateMap(dst, a); err != nil {
		return err
	}
	c.wrote(dst)
	x, y, out := host(a.X), host(a.Y), host(dst)
	div := max(a.YDiv, 1)
	c.parallel(len(out), func(lo, hi int) {
		for i := lo; i < hi; i++ {
			if i&15 == 0 {
				yieldDue()
			}
			var yi float64
			if y != nil {
				j := i / div
				if a.YMod > 0 {
					j %= a.YMod
				}
				yi = y[j]
			}
			out[i] = MapScalar(a.Op, x[i], yi, a.A, a.B, a.C)
		}
	})
	return nil
}

// Sum returns sum_i x[i] by pairwise (cascade) summation.
func (c *CPU) Sum(x Array) (float64, error) {
	if x == nil {
		return 0, argErr("sum: nil array")
	}
	return pairwiseSum(host(x)), nil
}

func pairwiseSum(v []float64) float64 {
	if len(v) <= 128 {
		s := 0.0
		for _, t := range v {
			s += t
		}
		return s
	}
	h := len(v) / 2
	return pairwiseSum(v[:h]) + pairwiseSum(v[h:])
}

// MatMul: dst[i*m+j] = sum_l opA[i,l] opB[l,j].
func (c *CPU) MatMul(dst, a, b Array, n, k, m int, transA, transB bool) error {
	if err := ValidateMatMul(dst, a, b, n, k, m); err != nil {
		return err
	}
	c.wrote(dst)
	A, B, out := host(a), host(b), host(dst)
	c.parallel(n, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			if i&15 == 0 {
				yieldDue()
			}
			for j := 0; j < m; j++ {
				var s float64
				for l := 0; l < k; l++ {
					var av, bv float64
					if transA {
						av = A[l*n+i]
					} else {
						av = A[i*k+l]
					}
					if transB {
						bv = B[j*k+l]
					} else {
						bv = B[l*m+j]
					}
					s += av * bv
				}
				out[i*m+j] = s
			}
		}
	})
	return nil
}

// GatherSum: dst[i] = sum_t src[idx[i*k+t]], skipping negative indices.
func (c *CPU) GatherSum(dst, src, idx Array, k int) error {
	if err := ValidateGatherSum(dst, src, idx, k); err != nil {
		return err
	}
	out, s, ix := host(dst), host(src), host(idx)
	for _, v := range ix {
		if v >= float64(len(s)) || v != math.Trunc(v) {
			return argErr("gathersum: index %g outside [0, %d) or not an integer", v, len(s))
		}
	}
	c.wrote(dst)
	c.parallel(len(out), func(lo, hi int) {
		for i := lo; i < hi; i++ {
			if i&15 == 0 {
				yieldDue()
			}
			var t float64
			for _, v := range ix[i*k : i*k+k] {
				if v >= 0 {
					t += s[int(v)]
				}
			}
			out[i] = t
		}
	})
	return nil
}

func (c *CPU) SortRows(x Array, rows, cols int) error {
	if x == nil || rows < 1 || cols < 1 || x.Len() != rows*cols {
		return argErr("sortrows: array of %d is not %d x %d", length(x), rows, cols)
	}
	c.wrote(x)
	v := host(x)
	c.parallel(rows, func(lo, hi int) {
		for r := lo; r < hi; r++ {
			slices.Sort(v[r*cols : (r+1)*cols])
		}
	})
	return nil
}

func (c *CPU) Uniform(dst Array, seed, offset uint64) error {
	if dst == nil {
		return argErr("uniform: nil array")
	}
	c.wrote(dst)
	v := host(dst)
	c.parallel(len(v), func(lo, hi int) {
		for i := lo; i < hi; i++ {
			if i&15 == 0 {
				yieldDue()
			}
			v[i] = UniformAt(seed, offset+uint64(i))
		}
	})
	return nil
}

func (c *CPU) Normal(dst Array, seed, offset uint64) error {
	if dst == nil {
		return argErr("normal: nil array")
	}
	c.wrote(dst)
	v := host(dst)
	c.parallel(len(v), func(lo, hi int) {
		for i := lo; i < hi; i++ {
			if i&15 == 0 {
				yieldDue()
			}
			v[i] = NormalAt(seed, offset+uint64(i))
		}
	})
	return nil
}
