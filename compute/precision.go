package compute

import (
	"math"
	"runtime"
	"slices"
	"sync"
)

// Precision is what a Backend's arithmetic can resolve, the facts every
// solver needs to say whether a number it measured means anything.
//
// An entropic kernel entry exp((f_i + g_j - C_ij)/eps) is computed from
// quantities of the size of the largest cost max C, each rounded to a
// relative Epsilon, so its exponent carries an absolute error of about
// Epsilon max C / eps. That is the Floor: the relative error that rounding
// alone puts on every plan entry, hence (summed against the weights) on
// the marginal error. No iteration on the backend can measure or reach a
// marginal error much below it. (The conformance suite's soft-mean
// tolerance, 1e-7 max C / eps on float32 backends, is this bound.) Where
// the Floor exceeds 1 rounding moves each plan entry by more than a factor
// e: the plan is noise, and solvers refuse (see Resolvable).
//
// Kernels that are not in the log domain (the random-feature and Nystrom
// tiers, dense plans) also underflow: exp(-C/eps) is 0 once C/eps passes
// -LogTiny, so the scale where a Gibbs kernel underflows is
// UnderflowCost(eps) = -LogTiny eps.
type Precision struct {
	// Name is "float64" or "float32".
	Name string
	// Epsilon is the machine epsilon, the gap between 1 and the next
	// number: 2^-52 = 2.2e-16 (float64), 2^-23 = 1.2e-7 (float32).
	Epsilon float64
	// LogTiny is the natural log of the smallest positive normal number:
	// -708.4 (float64), -87.3 (float32). exp underflows below it (GPUs may
	// flush subnormals to zero, so normals are the safe limit).
	LogTiny float64
}

// Float64 and Float32 are the two precisions otplay's backends compute in.
var (
	Float64 = Precision{Name: "float64", Epsilon: 0x1p-52, LogTiny: math.Log(0x1p-1022)}
	Float32 = Precision{Name: "float32", Epsilon: 0x1p-23, LogTiny: math.Log(0x1p-126)}
)

// PrecisionOf derives a backend's Precision from its Info: Float64 when
// Info.Precision is exactly "float64" (the CPU reference), Float32 for
// everything else (the GPU, the fast CPU path whose reductions are
// float32-grade, and any backend that does not say), the conservative
// choice.
func PrecisionOf(info Info) Precision {
	if info.Precision == "float64" {
		return Float64
	}
	return Float32
}

// Floor returns Epsilon maxCost / eps, the relative error rounding puts on
// a Gibbs kernel entry exp(-C/eps) with costs up to maxCost (see
// Precision): the floor under any marginal error measured on the backend.
func (p Precision) Floor(maxCost, eps float64) float64 {
	return p.Epsilon * maxCost / eps
}

// MinEps returns the smallest eps whose Floor is at most floor:
// Epsilon maxCost / floor.
func (p Precision) MinEps(maxCost, floor float64) float64 {
	return p.Epsilon * maxCost / floor
}

// Resolvable reports whether eps is resolvable at all for costs up to
// maxCost: Floor <= 1, i.e. rounding moves plan entries by less than a
// factor e.
func (p Precision) Resolvable(maxCost, eps float64) bool {
	return p.Floor(maxCost, eps) <= 1
}

// UnderflowCost returns -LogTiny eps: costs above it make exp(-C/eps)
// underflow to 0 (in scaling-form kernels; the log-domain soft-min never
// underflows).
func (p Precision) UnderflowCost(eps float64) float64 {
	return -p.LogTiny * eps
}

// String returns Name.
func (p Precision) String() string { return p.Name }

// SquaredDiameter returns the squared diagonal of the bounding box of the
// rows of x and y (n and m rows of d floats): an upper bound on every cost
// |x_i - y_j|^2, computed in O((n + m) d).
func SquaredDiameter(x, y []float64, d int) float64 {
	if d < 1 {
		return 0
	}
	lo := make([]float64, d)
	hi := make([]float64, d)
	for k := range d {
		lo[k], hi[k] = math.Inf(1), math.Inf(-1)
	}
	for _, pts := range [][]float64{x, y} {
		for i, v := range pts {
			k := i % d
			lo[k] = min(lo[k], v)
			hi[k] = max(hi[k], v)
		}
	}
	s := 0.0
	for k := range d {
		if hi[k] >= lo[k] {
			s += (hi[k] - lo[k]) * (hi[k] - lo[k])
		}
	}
	return s
}

// PlanSums is a float64 evaluation, on the host, of the entropic plan
//
//	P_ij = a_i b_j exp((f_i + g_j - |x_i - y_j|^2) / eps)
//
// (see EvalPlan), over all rows and columns or over a sample of them.
type PlanSums struct {
	// Rows lists the rows evaluated (nil: all N). RowSum[t] is
	// sum_j P_ij over all j for row i = Rows[t] (or t), RowCost[t] is
	// sum_j P_ij C_ij, RowDual[t] is sum_j P_ij (f_i + g_j).
	Rows                     []int
	RowSum, RowCost, RowDual []float64
	// Cols lists the columns evaluated (nil: all M); ColSum[t] is
	// sum_i P_ij over all i for column j = Cols[t] (or t).
	Cols   []int
	ColSum []float64
}

// EvalPlan evaluates the plan P_ij = a_i b_j exp((f_i + g_j - C_ij)/eps)
// in float64 on the host, with C_ij = |x_i - y_j|^2 computed from the
// coordinates as given (centre them first for accuracy). rows and cols
// select the rows and columns to sum (nil: all); the pass costs
// O((len(rows) M + len(cols) N) D) exps, or O(N M D) when both are nil.
// Work is split over the CPUs. Exponents above 700 are clamped (the sums
// stay finite and say that the potentials are far from a plan).
//
// It is the float64 check of a solver's marginals: it measures the plan
// the potentials define, whatever precision produced them.
func EvalPlan(x, y []float64, n, m, d int, a, b, f, g []float64, eps float64, rows, cols []int) PlanSums {
	sq := func(i, j int) float64 { return sqDist(x[i*d:(i+1)*d], y[j*d:(j+1)*d]) }
	return evalPlan(sq, n, m, a, b, f, g, eps, rows, cols)
}

func evalPlan(cost func(i, j int) float64, n, m int, a, b, f, g []float64, eps float64, rows, cols []int) PlanSums {
	var ps PlanSums
	ps.Rows, ps.Cols = rows, cols
	nr := n
	if rows != nil {
		nr = len(rows)
	}
	nc := m
	if cols != nil {
		nc = len(cols)
	}
	ps.RowSum = make([]float64, nr)
	ps.RowCost = make([]float64, nr)
	ps.RowDual = make([]float64, nr)
	ps.ColSum = make([]float64, nc)
	inv := 1 / eps
	entry := func(i, j int) (p, c float64) {
		c = cost(i, j)
		e := (f[i] + g[j] - c) * inv
		if e > 700 {
			e = 700
		}
		return a[i] * b[j] * math.Exp(e), c
	}
	workers := max(1, runtime.GOMAXPROCS(0))
	if rows == nil && cols == nil {
		// One pass: rows directly, columns accumulated per worker.
		colPart := make([][]float64, workers)
		parallelRange(n, workers, func(w, lo, hi int) {
			cs := make([]float64, m)
			for i := lo; i < hi; i++ {
				var rs, rc, rd float64
				for j := range m {
					p, c := entry(i, j)
					rs += p
					rc += p * c
					rd += p * (f[i] + g[j])
					cs[j] += p
				}
				ps.RowSum[i], ps.RowCost[i], ps.RowDual[i] = rs, rc, rd
			}
			colPart[w] = cs
		})
		for _, cs := range colPart {
			for j, v := range cs {
				ps.ColSum[j] += v
			}
		}
		return ps
	}
	parallelRange(nr, workers, func(_, lo, hi int) {
		for t := lo; t < hi; t++ {
			i := t
			if rows != nil {
				i = rows[t]
			}
			var rs, rc, rd float64
			for j := range m {
				p, c := entry(i, j)
				rs += p
				rc += p * c
				rd += p * (f[i] + g[j])
			}
			ps.RowSum[t], ps.RowCost[t], ps.RowDual[t] = rs, rc, rd
		}
	})
	parallelRange(nc, workers, func(_, lo, hi int) {
		for t := lo; t < hi; t++ {
			j := t
			if cols != nil {
				j = cols[t]
			}
			var cs float64
			for i := range n {
				p, _ := entry(i, j)
				cs += p
			}
			ps.ColSum[t] = cs
		}
	})
	return ps
}

// parallelRange runs fn over [0, n) split into at most workers contiguous
// chunks, fn(worker, lo, hi), and waits.
func parallelRange(n, workers int, fn func(w, lo, hi int)) {
	workers = max(1, min(workers, n))
	if workers == 1 {
		fn(0, 0, n)
		return
	}
	var wg sync.WaitGroup
	chunk := (n + workers - 1) / workers
	for w := range workers {
		lo, hi := w*chunk, min(n, (w+1)*chunk)
		if lo >= hi {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			fn(w, lo, hi)
		}()
	}
	wg.Wait()
}

// SampleIndices returns k distinct indices of [0, n) drawn uniformly
// (a partial Fisher-Yates shuffle on the Philox stream of seed), sorted
// ascending; all of [0, n) when k >= n.
func SampleIndices(n, k int, seed uint64) []int {
	idx := make([]int, n)
	for i := range idx {
		idx[i] = i
	}
	if k >= n {
		return idx
	}
	for t := range k {
		j := t + int(UniformAt(seed, uint64(t))*float64(n-t))
		j = min(j, n-1)
		idx[t], idx[j] = idx[j], idx[t]
	}
	out := idx[:k]
	slices.Sort(out)
	return out
}
