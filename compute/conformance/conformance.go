// Package conformance checks a compute.Backend against plain float64
// references written here, independently of the CPU backend's code: a
// two-pass (max, then sum) log-sum-exp for SoftMin, direct softmax weights
// for SoftMean, the textbook triple loop for MatMul, sort.Float64s for
// SortRows, compute.UniformAt/NormalAt for the RNG streams.
//
// The same checks run over every backend: in the tests (CPU and GPU) and
// from `otplay validate` on a user's machine.
//
// Ground costs (costs.go): |x - y|^P for P = 1 and 1.5, and a dense cost
// matrix (row-major and transposed), through SoftMin and SoftMean, at the
// tolerances below in units of the largest cost; malformed costs must be
// refused.
//
// Special values (special.go, SpecialCases): +Inf, -Inf and NaN
// potentials and log-weights, NaN and infinite coordinates in a row, a
// column and y_0, at d = 1, 2, 3, 8 and 64; SoftMin and SoftMean must give
// the NaN or the infinity that compute.NewCPURef's plain loops give (a
// +Inf potential: the soft-min -Inf, the soft-mean the mean of those
// columns' values) and the finite entries within the tolerances below.
//
// SoftMeanY (softmeany.go), the soft-mean of the values c Y that the exact
// denoiser runs, against c times the reference soft-mean of V = Y and the
// backend's own SoftMean of an array c Y, at d = 1 to 64 (every GPU
// kernel family), n != m, split column ranges, and c = 1/0.3, 1, 0, -1.5.
//
// Sizes: 1, 63, 64, 65 and 4097 rows or columns (one either side of the
// 64-wide workgroups and of the 256-point tiles), n != m, dimensions 1, 2,
// 3 and 64, eps from 1e-4 to 1e3; and the soft-min at d = 16, 64, 128 and
// 192 (highdim.go), also on clouds shifted far from the origin, where an
// expanded |x|^2 + |y|^2 - 2<x, y> cost that is not centred cancels.
//
// Tolerances (float32 GPU against float64, measured on lavapipe and on an
// H100; see each check's Tol):
//   - SoftMin: |err| <= 3e-6 * scale, with scale = max|ref| + max C_ij + eps
//     (1e-13 * scale on float64 backends: cpu and cpuref).
//     float32 rounds the coordinates (relative 6e-8), so C_ij carries an
//     absolute error near 1e-7 * max C; the log-sum-exp adds a few ulps of
//     its own.
//   - SoftMean: |err| <= min(2e-3, 1e-4 + 1e-7 max C / eps) * max|V|: a
//     float32 cost carries a relative error near 1e-7, so each weight
//     exp(-C/eps) moves by about 1e-7 C/eps; when eps is tiny the softmax is
//     nearly an argmax and near-tied columns trade weight.
//   - Map, Sum, MatMul, GatherSum: relative 1e-5 of the operands' scale.
//   - SortRows: exact (a sort only moves values).
//   - Uniform: exact; Normal: 5e-6 (rng.wgsl computes its own log and cos,
//     since WGSL bounds the builtins only to ~1e-4 absolute; measured 4e-7).
package conformance

import (
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/otplay/otplay/compute"
)

// Result is the outcome of one check.
type Result struct {
	Op     string
	Case   string
	MaxErr float64 // largest error found, in the units Tol uses
	Tol    float64
	Pass   bool
	Err    error // the backend returned an error (a failure)
	Time   time.Duration
}

func (r Result) String() string {
	status := "ok"
	if !r.Pass {
		status = "FAIL"
	}
	if r.Err != nil {
		return fmt.Sprintf("%-9s %-34s %s: %v", r.Op, r.Case, status, r.Err)
	}
	return fmt.Sprintf("%-9s %-34s %s  err %.2e  tol %.2e", r.Op, r.Case, status, r.MaxErr, r.Tol)
}

// Options size the suite.
type Options struct {
	// Quick runs a reduced set (for `otplay validate --quick` and the
	// browser): sizes 1, 65, 4097 and dimensions 1, 2, 64.
	Quick bool
	// Progress, if set, is called before each check with its number k
	// (1 .. total, in order), the number of checks total and its name
	// (Op and Case, as Result.String begins), on Run's goroutine: "check
	// k of total: name".
	Progress func(k, total int, name string)
}

// check is one check of the suite, not yet run: its Op and Case, and
// the function that fills MaxErr, Tol and Err.
type check struct {
	Result
	run func(r *Result)
}

// suite lists every check in the order Run runs them.
func suite(b compute.Backend, opts Options) []check {
	var all []check
	all = append(all, softMinChecks(b, opts)...)
	all = append(all, highDimChecks(b, opts)...)
	all = append(all, softMeanChecks(b, opts)...)
	all = append(all, softMeanYChecks(b, opts)...)
	all = append(all, costChecks(b, opts)...)
	all = append(all, specialChecks(b, opts)...)
	all = append(all, mapChecks(b)...)
	all = append(all, sumChecks(b)...)
	all = append(all, matMulChecks(b)...)
	all = append(all, gatherChecks(b)...)
	all = append(all, sortChecks(b)...)
	all = append(all, rngChecks(b)...)
	all = append(all, errorChecks(b)...)
	return all
}

// Run runs every check against b and returns the results in order,
// calling opts.Progress before each.
func Run(b compute.Backend, opts Options) []Result {
	all := suite(b, opts)
	out := make([]Result, 0, len(all))
	for k, c := range all {
		if opts.Progress != nil {
			opts.Progress(k+1, len(all), c.Op+" "+c.Case)
		}
		start := time.Now()
		r := c.Result
		c.run(&r)
		out = append(out, finish(r, start))
	}
	return out
}

// Failed counts the failures in rs.
func Failed(rs []Result) int {
	n := 0
	for _, r := range rs {
		if !r.Pass {
			n++
		}
	}
	return n
}

// points returns n*d deterministic test coordinates (normal, scale 1).
func points(seed uint64, n, d int, shift float64) []float64 {
	v := make([]float64, n*d)
	for i := range v {
		v[i] = compute.NormalAt(seed, uint64(i)) + shift
	}
	return v
}

type sizeCase struct{ n, m int }

func sizes(quick bool) []sizeCase {
	if quick {
		return []sizeCase{{1, 1}, {65, 63}, {4097, 129}}
	}
	return []sizeCase{{1, 1}, {63, 65}, {64, 64}, {65, 63}, {4097, 129}, {130, 4097}}
}

func dims(quick bool) []int {
	if quick {
		return []int{1, 2, 64}
	}
	return []int{1, 2, 3, 64}
}

var epsList = []float64{1e-4, 1e-2, 1, 1e3}

func sqdist(x, y []float64) float64 {
	var c float64
	for k := range x {
		t := x[k] - y[k]
		c += t * t
	}
	return c
}

// pairData builds a test problem: points, log-weights of a random
// probability vector and a potential of the size of the costs.
type pairData struct {
	n, m, d int
	x, y    []float64
	logw, g []float64
	maxC    float64
}

// zeroWeights gives every third column, the first included, zero weight
// (log-weight -Inf): points that carry no mass, as in unbalanced or
// masked problems.
func (p *pairData) zeroWeights() {
	for j := 0; j < p.m; j += 3 {
		p.logw[j] = math.Inf(-1)
	}
}

func newPairData(n, m, d int, seed uint64) pairData {
	p := pairData{n: n, m: m, d: d, x: points(seed, n, d, 0), y: points(seed+1, m, d, 0.3)}
	p.logw = make([]float64, m)
	p.g = make([]float64, m)
	var z float64
	for j := range p.logw {
		w := 0.1 + compute.UniformAt(seed+2, uint64(j))
		p.logw[j] = math.Log(w)
		z += w
		p.g[j] = 0.5 * compute.NormalAt(seed+3, uint64(j))
	}
	for j := range p.logw {
		p.logw[j] -= math.Log(z)
	}
	for i := 0; i < n; i++ {
		for j := 0; j < m; j++ {
			p.maxC = max(p.maxC, sqdist(p.x[i*d:i*d+d], p.y[j*d:j*d+d]))
		}
	}
	return p
}

// lazyPair is newPairData (with zeroWeights when zero is set) built on
// first use and shared by the checks of one problem, so Run's first
// Progress call comes at once instead of after every problem is built.
func lazyPair(n, m, d int, seed uint64, zero bool) func() pairData {
	var p *pairData
	return func() pairData {
		if p == nil {
			q := newPairData(n, m, d, seed)
			if zero {
				q.zeroWeights()
			}
			p = &q
		}
		return *p
	}
}

// refSoftMin is the two-pass float64 soft-min.
func (p pairData) refSoftMin(eps float64) []float64 {
	out := make([]float64, p.n)
	s := make([]float64, p.m)
	for i := range out {
		mx := math.Inf(-1)
		for j := range s {
			s[j] = p.logw[j] + (p.g[j]-sqdist(p.x[i*p.d:i*p.d+p.d], p.y[j*p.d:j*p.d+p.d]))/eps
			mx = max(mx, s[j])
		}
		var t float64 // (mx is finite: some column has weight)
		for _, v := range s {
			t += math.Exp(v - mx)
		}
		out[i] = -eps * (mx + math.Log(t))
	}
	return out
}

// refSoftMean is the direct softmax-weighted mean of V = y (dv = d).
func (p pairData) refSoftMean(eps float64) []float64 { return p.refSoftMeanCols(eps, p.d) }

// refSoftMeanCols is the direct softmax-weighted mean of V_j = the first
// dv coordinates of y_j (1 <= dv <= d).
func (p pairData) refSoftMeanCols(eps float64, dv int) []float64 {
	out := make([]float64, p.n*dv)
	s := make([]float64, p.m)
	for i := 0; i < p.n; i++ {
		mx := math.Inf(-1)
		for j := range s {
			s[j] = p.logw[j] + (p.g[j]-sqdist(p.x[i*p.d:i*p.d+p.d], p.y[j*p.d:j*p.d+p.d]))/eps
			mx = max(mx, s[j])
		}
		var z float64
		for j := range s {
			w := math.Exp(s[j] - mx)
			z += w
			for k := 0; k < dv; k++ {
				out[i*dv+k] += w * p.y[j*p.d+k]
			}
		}
		for k := 0; k < dv; k++ {
			out[i*dv+k] /= z
		}
	}
	return out
}

// upload uploads several slices, stopping at the first error.
func upload(b compute.Backend, vs ...[]float64) ([]compute.Array, error) {
	out := make([]compute.Array, len(vs))
	for i, v := range vs {
		a, err := b.Upload(v)
		if err != nil {
			for _, u := range out[:i] {
				b.Free(u)
			}
			return nil, err
		}
		out[i] = a
	}
	return out, nil
}

func freeAll(b compute.Backend, as []compute.Array) {
	for _, a := range as {
		b.Free(a)
	}
}

func maxAbs(v []float64) float64 {
	var m float64
	for _, t := range v {
		m = max(m, math.Abs(t))
	}
	return m
}

// maxErr returns the largest |got - want| (NaN counts as +Inf).
func maxErr(got, want []float64) float64 {
	var e float64
	for i := range want {
		d := math.Abs(got[i] - want[i])
		if math.IsNaN(d) {
			return math.Inf(1)
		}
		e = max(e, d)
	}
	return e
}

func finish(r Result, start time.Time) Result {
	r.Time = time.Since(start)
	r.Pass = r.Err == nil && r.MaxErr <= r.Tol
	return r
}

// softMinTol is SoftMin's tolerance on b: 3e-6 of the scale for float32
// backends (see the package doc), 1e-13 for float64 ones (the CPU
// backends, whose fast and plain loops both land within a few ulps).
func softMinTol(b compute.Backend) float64 {
	if compute.PrecisionOf(b.Info()) == compute.Float64 {
		return 1e-13
	}
	return 3e-6
}

func softMinChecks(b compute.Backend, opts Options) []check {
	var out []check
	for _, d := range dims(opts.Quick) {
		for _, sz := range sizes(opts.Quick) {
			pair := lazyPair(sz.n, sz.m, d, uint64(1000*d+sz.n), false)
			for _, eps := range epsList {
				out = append(out, check{Result{Op: "softmin", Case: fmt.Sprintf("n=%d m=%d d=%d eps=%g", sz.n, sz.m, d, eps)}, func(r *Result) {
					p := pair()
					want := p.refSoftMin(eps)
					got, err := runSoftMin(b, p, eps)
					r.Err = err
					if err == nil {
						scale := maxAbs(want) + p.maxC + eps
						r.MaxErr = maxErr(got, want) / scale
						r.Tol = softMinTol(b)
					}
				}})
			}
		}
	}
	// Zero-weight columns in every dimension regime (unrolled d <= 3,
	// expanded d = 4, direct d = 5).
	for _, d := range []int{1, 2, 4, 5} {
		pair := lazyPair(65, 130, d, uint64(31+d), true)
		for _, eps := range []float64{1e-3, 1} {
			out = append(out, check{Result{Op: "softmin", Case: fmt.Sprintf("zero weights n=65 m=130 d=%d eps=%g", d, eps)}, func(r *Result) {
				p := pair()
				want := p.refSoftMin(eps)
				got, err := runSoftMin(b, p, eps)
				r.Err = err
				if err == nil {
					r.MaxErr = maxErr(got, want) / (maxAbs(want) + p.maxC + eps)
					r.Tol = softMinTol(b)
				}
			}})
		}
	}
	return out
}

func runSoftMin(b compute.Backend, p pairData, eps float64) ([]float64, error) {
	in, err := upload(b, p.x, p.y, p.logw, p.g)
	if err != nil {
		return nil, err
	}
	defer freeAll(b, in)
	dst, err := b.Alloc(p.n)
	if err != nil {
		return nil, err
	}
	defer b.Free(dst)
	if err := b.SoftMin(dst, compute.Pairs{X: in[0], Y: in[1], N: p.n, M: p.m, D: p.d, LogW: in[2], G: in[3], Eps: eps}); err != nil {
		return nil, err
	}
	got := make([]float64, p.n)
	return got, b.Read(got, dst)
}

func softMeanChecks(b compute.Backend, opts Options) []check {
	var out []check
	for _, d := range dims(opts.Quick) {
		for _, sz := range sizes(opts.Quick) {
			if d == 64 && sz.n*sz.m > 300000 {
				continue // the float64 reference is slow; 64-D is covered at the smaller sizes
			}
			pair := lazyPair(sz.n, sz.m, d, uint64(7000*d+sz.m), false)
			for _, eps := range epsList {
				out = append(out, check{Result{Op: "softmean", Case: fmt.Sprintf("n=%d m=%d d=%d eps=%g", sz.n, sz.m, d, eps)}, func(r *Result) {
					p := pair()
					want := p.refSoftMean(eps)
					got, err := runSoftMean(b, p, eps)
					r.Err = err
					if err == nil {
						r.MaxErr = maxErr(got, want) / maxAbs(p.y)
						r.Tol = min(2e-3, 1e-4+1e-7*p.maxC/eps)
					}
				}})
			}
		}
	}
	for _, d := range []int{1, 2, 5} {
		pair := lazyPair(65, 130, d, uint64(41+d), true)
		for _, eps := range []float64{1e-2, 1} {
			out = append(out, check{Result{Op: "softmean", Case: fmt.Sprintf("zero weights n=65 m=130 d=%d eps=%g", d, eps)}, func(r *Result) {
				p := pair()
				want := p.refSoftMean(eps)
				got, err := runSoftMean(b, p, eps)
				r.Err = err
				if err == nil {
					r.MaxErr = maxErr(got, want) / maxAbs(p.y)
					r.Tol = min(2e-3, 1e-4+1e-7*p.maxC/eps)
				}
			}})
		}
	}
	return out
}

func runSoftMean(b compute.Backend, p pairData, eps float64) ([]float64, error) {
	return runSoftMeanCols(b, p, eps, p.d)
}

// runSoftMeanCols runs SoftMean with V_j = the first dv coordinates of
// y_j (uploaded as an m x dv array; for dv = d, Y's own array, as an
// entropic map passes it: pairs_mid.wgsl then reads the values from the
// staged coordinates, shaders.MidOptions.ValuesAreY).
func runSoftMeanCols(b compute.Backend, p pairData, eps float64, dv int) ([]float64, error) {
	v := make([]float64, p.m*dv)
	for j := 0; j < p.m; j++ {
		copy(v[j*dv:j*dv+dv], p.y[j*p.d:j*p.d+dv])
	}
	in, err := upload(b, p.x, p.y, p.logw, p.g, v)
	if err != nil {
		return nil, err
	}
	defer freeAll(b, in)
	dst, err := b.Alloc(p.n * dv)
	if err != nil {
		return nil, err
	}
	defer b.Free(dst)
	pairs := compute.Pairs{X: in[0], Y: in[1], N: p.n, M: p.m, D: p.d, LogW: in[2], G: in[3], Eps: eps}
	v4 := in[4]
	if dv == p.d {
		v4 = in[1]
	}
	if err := b.SoftMean(dst, pairs, v4, dv); err != nil {
		return nil, err
	}
	got := make([]float64, p.n*dv)
	return got, b.Read(got, dst)
}

func mapChecks(b compute.Backend) []check {
	var out []check
	n := 4097
	x := points(11, n, 1, 0)
	ypos := make([]float64, n)
	for i := range ypos {
		ypos[i] = 0.5 + compute.UniformAt(12, uint64(i))
	}
	type mc struct {
		op         compute.Op
		a, b, c    float64
		ydiv, ymod int
		ny         int
	}
	cases := []mc{
		{compute.OpAxpby, 2, -0.5, 0.25, 0, 0, n},
		{compute.OpMul, 1.5, 0, 1, 0, 0, n},
		{compute.OpDiv, 1, 0, 0, 0, 0, n},
		{compute.OpExp, 0.5, 0.25, -1, 0, 0, n},
		{compute.OpLog, 0, 1, 0, 0, 0, n},
		{compute.OpAbs, 1, -1, 0, 0, 0, n},
		{compute.OpSqrt, 0, 1, 0, 0, 0, n},
		{compute.OpMax, 1, 1, 0, 0, 0, n},
		{compute.OpMin, 1, 1, 0.5, 0, 0, n},
		{compute.OpStep, 1, 0, -0.1, 0, 0, n},
		// |argument| up to a few hundred, as RFF features at small
		// bandwidth give (float32 rounds the argument to ~1e-5 there).
		{compute.OpSin, 150, 2, 0.3, 0, 0, n},
		{compute.OpSin, 1, 1, math.Pi / 2, 0, 0, n},      // cos
		{compute.OpAxpby, 1, 1, 0, 17, 0, (n + 16) / 17}, // per-row broadcast
		{compute.OpMul, 1, 0, 0, 1, 5, 5},                // per-column cycle (bias)
		{compute.OpAxpby, 1, 0, 3, 0, 0, 0},              // no Y
	}
	for _, c := range cases {
		out = append(out, check{Result{Op: "map", Case: fmt.Sprintf("%v ydiv=%d ymod=%d n=%d", c.op, c.ydiv, c.ymod, n)}, func(r *Result) {
			var y []float64
			if c.ny > 0 {
				y = ypos[:c.ny]
			}
			want := make([]float64, n)
			for i := range want {
				var yi float64
				if y != nil {
					j := i / max(c.ydiv, 1)
					if c.ymod > 0 {
						j %= c.ymod
					}
					yi = y[j]
				}
				want[i] = compute.MapScalar(c.op, x[i], yi, c.a, c.b, c.c)
			}
			got, err := func() ([]float64, error) {
				xa, err := b.Upload(x)
				if err != nil {
					return nil, err
				}
				defer b.Free(xa)
				var ya compute.Array
				if y != nil {
					if ya, err = b.Upload(y); err != nil {
						return nil, err
					}
					defer b.Free(ya)
				}
				dst, err := b.Alloc(n)
				if err != nil {
					return nil, err
				}
				defer b.Free(dst)
				if err := b.Map(dst, compute.MapArgs{Op: c.op, X: xa, Y: ya, YDiv: c.ydiv, YMod: c.ymod, A: c.a, B: c.b, C: c.c}); err != nil {
					return nil, err
				}
				got := make([]float64, n)
				return got, b.Read(got, dst)
			}()
			r.Err = err
			if err == nil {
				// NaN where the reference is NaN (log/sqrt of negatives) must match.
				for i := range want {
					if math.IsNaN(want[i]) {
						if !math.IsNaN(got[i]) {
							r.MaxErr = math.Inf(1)
						}
						want[i], got[i] = 0, 0
					}
				}
				r.MaxErr = max(r.MaxErr, maxErr(got, want)/(1+maxAbs(want)))
				r.Tol = 1e-5
				if c.op == compute.OpSin {
					// A float32 backend rounds the argument s = A*x + B*y + C
					// (its operands and products) to a few ulps: an absolute
					// error of ~3 |s| 2^-24 in sin, 9e-5 at |s| = 500.
					maxArg := 0.0
					for i := range want {
						var yi float64
						if y != nil {
							yi = y[i]
						}
						maxArg = max(maxArg, math.Abs(c.a*x[i]+c.b*yi+c.c))
					}
					r.Tol = max(r.Tol, 3*maxArg*0x1p-24)
				}
			}
		}})
	}
	// In place with Y = dst as well: x = x*x (OpMul, X = Y = dst).
	{
		out = append(out, check{Result{Op: "map", Case: "mul in place, X = Y = dst, n=4097"}, func(r *Result) {
			func() {
				xa, err := b.Upload(x)
				if err != nil {
					r.Err = err
					return
				}
				defer b.Free(xa)
				if r.Err = b.Map(xa, compute.MapArgs{Op: compute.OpMul, X: xa, Y: xa, A: 1}); r.Err != nil {
					return
				}
				got := make([]float64, n)
				if r.Err = b.Read(got, xa); r.Err != nil {
					return
				}
				for i, g := range got {
					r.MaxErr = max(r.MaxErr, math.Abs(g-x[i]*x[i])/(1+x[i]*x[i]))
				}
				r.Tol = 1e-6
			}()
		}})
	}
	// In place: x = 2x + 1.
	out = append(out, check{Result{Op: "map", Case: "axpby in place n=65"}, func(r *Result) {
		func() {
			xa, err := b.Upload(x[:65])
			if err != nil {
				r.Err = err
				return
			}
			defer b.Free(xa)
			if r.Err = b.Map(xa, compute.MapArgs{Op: compute.OpAxpby, X: xa, A: 2, C: 1}); r.Err != nil {
				return
			}
			got := make([]float64, 65)
			if r.Err = b.Read(got, xa); r.Err != nil {
				return
			}
			for i, g := range got {
				r.MaxErr = max(r.MaxErr, math.Abs(g-(2*x[i]+1)))
			}
			r.Tol = 1e-5
		}()
	}})
	return out
}

func sumChecks(b compute.Backend) []check {
	var out []check
	for _, n := range []int{1, 63, 64, 65, 4097, 100003} {
		out = append(out, check{Result{Op: "sum", Case: fmt.Sprintf("n=%d", n)}, func(r *Result) {
			x := points(21, n, 1, 1)
			var want, abs float64
			for _, v := range x {
				want += v
				abs += math.Abs(v)
			}
			func() {
				xa, err := b.Upload(x)
				if err != nil {
					r.Err = err
					return
				}
				defer b.Free(xa)
				got, err := b.Sum(xa)
				r.Err = err
				r.MaxErr = math.Abs(got-want) / abs
				r.Tol = 1e-6
			}()
		}})
	}
	return out
}

func matMulChecks(b compute.Backend) []check {
	var out []check
	for _, c := range []struct{ n, k, m int }{{1, 1, 1}, {63, 65, 17}, {64, 3, 64}, {130, 64, 65}} {
		for _, tr := range [][2]bool{{false, false}, {true, false}, {false, true}, {true, true}} {
			out = append(out, check{Result{Op: "matmul", Case: fmt.Sprintf("%dx%dx%d tA=%v tB=%v", c.n, c.k, c.m, tr[0], tr[1])}, func(r *Result) {
				A := points(31, c.n*c.k, 1, 0)
				B := points(32, c.k*c.m, 1, 0)
				want := make([]float64, c.n*c.m)
				for i := 0; i < c.n; i++ {
					for j := 0; j < c.m; j++ {
						var s float64
						for l := 0; l < c.k; l++ {
							av := A[i*c.k+l]
							if tr[0] {
								av = A[l*c.n+i]
							}
							bv := B[l*c.m+j]
							if tr[1] {
								bv = B[j*c.k+l]
							}
							s += av * bv
						}
						want[i*c.m+j] = s
					}
				}
				func() {
					in, err := upload(b, A, B)
					if err != nil {
						r.Err = err
						return
					}
					defer freeAll(b, in)
					dst, err := b.Alloc(c.n * c.m)
					if err != nil {
						r.Err = err
						return
					}
					defer b.Free(dst)
					if r.Err = b.MatMul(dst, in[0], in[1], c.n, c.k, c.m, tr[0], tr[1]); r.Err != nil {
						return
					}
					got := make([]float64, c.n*c.m)
					if r.Err = b.Read(got, dst); r.Err != nil {
						return
					}
					r.MaxErr = maxErr(got, want) / (math.Sqrt(float64(c.k)) * 4)
					r.Tol = 1e-5
				}()
			}})
		}
	}
	return out
}

func gatherChecks(b compute.Backend) []check {
	var out []check
	src := points(41, 1000, 1, 0)
	for _, k := range []int{1, 4} {
		n := 4097
		out = append(out, check{Result{Op: "gathersum", Case: fmt.Sprintf("n=%d k=%d", n, k)}, func(r *Result) {
			idx := make([]float64, n*k)
			want := make([]float64, n)
			for i := range idx {
				j := int(compute.UniformAt(42, uint64(i)) * 1100) // about 9% land past 1000: skipped as -1
				if j >= 1000 {
					idx[i] = -1
					continue
				}
				idx[i] = float64(j)
				want[i/k] += src[j]
			}
			func() {
				in, err := upload(b, src, idx)
				if err != nil {
					r.Err = err
					return
				}
				defer freeAll(b, in)
				dst, err := b.Alloc(n)
				if err != nil {
					r.Err = err
					return
				}
				defer b.Free(dst)
				if r.Err = b.GatherSum(dst, in[0], in[1], k); r.Err != nil {
					return
				}
				got := make([]float64, n)
				if r.Err = b.Read(got, dst); r.Err != nil {
					return
				}
				r.MaxErr = maxErr(got, want) / (maxAbs(src) * float64(k))
				r.Tol = 1e-6
			}()
		}})
	}
	return out
}

func sortChecks(b compute.Backend) []check {
	var out []check
	for _, c := range []struct{ rows, cols int }{{1, 1}, {3, 63}, {2, 64}, {5, 65}, {2, 4097}} {
		out = append(out, check{Result{Op: "sortrows", Case: fmt.Sprintf("%d x %d", c.rows, c.cols)}, func(r *Result) {
			x := points(51, c.rows*c.cols, 1, 0)
			for i := range x {
				x[i] = float64(float32(x[i])) // exact in float32, so the check is exact
			}
			want := slices.Clone(x)
			for i := 0; i < c.rows; i++ {
				slices.Sort(want[i*c.cols : (i+1)*c.cols])
			}
			func() {
				xa, err := b.Upload(x)
				if err != nil {
					r.Err = err
					return
				}
				defer b.Free(xa)
				if r.Err = b.SortRows(xa, c.rows, c.cols); r.Err != nil {
					return
				}
				got := make([]float64, len(x))
				if r.Err = b.Read(got, xa); r.Err != nil {
					return
				}
				r.MaxErr = maxErr(got, want)
				r.Tol = 0
			}()
		}})
	}
	return out
}

func rngChecks(b compute.Backend) []check {
	var out []check
	const n = 4097
	// An offset whose low word wraps inside the range exercises the carry.
	for _, off := range []uint64{0, 1<<32 - 100} {
		for _, normal := range []bool{false, true} {
			name := "uniform"
			if normal {
				name = "normal"
			}
			out = append(out, check{Result{Op: name, Case: fmt.Sprintf("n=%d seed=7 offset=%d", n, off)}, func(r *Result) {
				want := make([]float64, n)
				for i := range want {
					if normal {
						want[i] = compute.NormalAt(7, off+uint64(i))
					} else {
						want[i] = compute.UniformAt(7, off+uint64(i))
					}
				}
				func() {
					dst, err := b.Alloc(n)
					if err != nil {
						r.Err = err
						return
					}
					defer b.Free(dst)
					if normal {
						r.Err = b.Normal(dst, 7, off)
					} else {
						r.Err = b.Uniform(dst, 7, off)
					}
					if r.Err != nil {
						return
					}
					got := make([]float64, n)
					if r.Err = b.Read(got, dst); r.Err != nil {
						return
					}
					r.MaxErr = maxErr(got, want)
					if normal {
						r.Tol = 5e-6
					}
				}()
			}})
		}
	}
	return out
}

// errorChecks verify that bad arguments come back as errors.
func errorChecks(b compute.Backend) []check {
	var out []check
	cases := []struct {
		name string
		p    func(x compute.Array) compute.Pairs
	}{
		{"eps=0", func(x compute.Array) compute.Pairs { return compute.Pairs{X: x, Y: x, N: 2, M: 2, D: 2, Eps: 0} }},
		{"eps<0", func(x compute.Array) compute.Pairs { return compute.Pairs{X: x, Y: x, N: 2, M: 2, D: 2, Eps: -1} }},
		{"eps=NaN", func(x compute.Array) compute.Pairs {
			return compute.Pairs{X: x, Y: x, N: 2, M: 2, D: 2, Eps: math.NaN()}
		}},
		{"empty rows", func(x compute.Array) compute.Pairs { return compute.Pairs{X: x, Y: x, N: 0, M: 2, D: 2, Eps: 1} }},
		{"dimension mismatch", func(x compute.Array) compute.Pairs { return compute.Pairs{X: x, Y: x, N: 2, M: 2, D: 3, Eps: 1} }},
		{"d too large", func(x compute.Array) compute.Pairs {
			return compute.Pairs{X: x, Y: x, N: 2, M: 2, D: compute.MaxDim + 1, Eps: 1}
		}},
	}
	for _, c := range cases {
		out = append(out, check{Result{Op: "errors", Case: "softmin " + c.name}, func(r *Result) {
			x, err := b.Upload([]float64{0, 1, 2, 3})
			if err != nil {
				r.Err = err
				return
			}
			defer b.Free(x)
			dst, err := b.Alloc(2)
			if err != nil {
				r.Err = err
				return
			}
			defer b.Free(dst)
			if err := b.SoftMin(dst, c.p(x)); err == nil {
				r.Err = fmt.Errorf("SoftMin accepted %s", c.name)
			}
		}})
	}
	return out
}
